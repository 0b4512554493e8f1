"""A pod's life on a hollow node, on an injected time: crash-loop back-off, completion, OOM kills,
readiness, image pull failures, init containers, deletion, in-place image changes, adoption."""

from __future__ import annotations

import random

import pytest

from myriad.client.views import Condition
from myriad.nodes.lifecycle import ContainerRun, PodRun, image_id, image_ref
from myriad.nodes.podstatus import phase, render
from myriad.nodes.profiles import DEFAULT, Profile, parse


def make_run(profile: Profile = DEFAULT, *, restart_policy: str = "Always", containers: tuple[str, ...] = ("app",),
             inits: tuple[tuple[str, bool], ...] = (), gates: tuple[str, ...] = (), seed: int = 1) -> PodRun:
    run = PodRun(key="ns/p", uid="u-1", name="p", namespace="ns", profile=profile, restart_policy=restart_policy,
                 containers=[ContainerRun(name, f"{name}:v1") for name in containers],
                 inits=[ContainerRun(name, f"{name}:v1", init=True, sidecar=sidecar) for name, sidecar in inits],
                 rng=random.Random(seed), admitted_at=0.0, pod_ip="10.0.0.2", gates=gates)
    run.start_due = 0.0
    return run


def profile(text: dict) -> Profile:
    return parse({"profiles": [{"name": "p", **text}]}).profiles[0]


def walk(run: PodRun, until: float, step: float = 0.5) -> list[tuple[float, int, str]]:
    """(time, restartCount, state) of the first container whenever either changes."""
    seen: list[tuple[float, int, str]] = []
    t = 0.0
    while t <= until:
        run.advance(t)
        c = run.containers[0]
        now = (c.restarts, c.reason if c.state == "waiting" else c.state)
        if not seen or seen[-1][1:] != now:
            seen.append((t, *now))
        t += step
    return seen


def test_a_crash_looping_container_restarts_at_once_then_after_10_s_doubling_to_5_minutes() -> None:
    run = make_run(profile({"exit": {"after": "5s", "code": 1}}))
    starts = [t for t, _, state in walk(run, 1000) if state == "running"]
    assert starts == [0.0, 5.0, 20.0, 45.0, 90.0, 175.0, 340.0, 645.0, 950.0]
    container = run.containers[0]
    assert container.restarts == 8
    assert container.last is not None and container.last["terminated"]["exitCode"] == 1
    assert container.last["terminated"]["reason"] == "Error"


def test_crash_loop_back_off_message_and_event_are_upstreams() -> None:
    run = make_run(profile({"exit": {"after": "5s", "code": 2}}))
    run.advance(12.0)
    container = run.containers[0]
    assert (container.state, container.reason) == ("waiting", "CrashLoopBackOff")
    assert container.message == "back-off 10s restarting failed container=app pod=p_ns(u-1)"
    assert ("Warning", "BackOff", "Back-off restarting failed container app in pod p_ns(u-1)", "app") in run.events
    assert phase(run) == "Running"  # all containers restarting: upstream's getPhase says Running


def test_the_back_off_is_forgotten_after_ten_minutes_of_running() -> None:
    run = make_run(profile({"exit": {"after": "11m", "code": 1}}))
    starts = [t for t, _, state in walk(run, 3 * 660 + 1, step=1.0) if state == "running"]
    assert starts == [0.0, 660.0, 1320.0, 1980.0]  # each exit restarts at once


@pytest.mark.parametrize(("policy", "code", "wanted_phase", "restarts"), [
    ("Never", 0, "Succeeded", 0),
    ("Never", 3, "Failed", 0),
    ("OnFailure", 0, "Succeeded", 0),
    ("OnFailure", 3, "Running", 1),
    ("Always", 0, "Running", 1),
])
def test_restart_policy_decides_what_an_exit_means(policy: str, code: int, wanted_phase: str, restarts: int) -> None:
    run = make_run(profile({"exit": {"after": "2s", "code": code}}), restart_policy=policy)
    run.advance(3.0)
    assert phase(run) == wanted_phase
    assert run.containers[0].restarts == restarts


def test_run_to_completion_pods_succeed_after_complete_after_by_default() -> None:
    run = make_run(parse({"default": {"completeAfter": "4s"}}).default, restart_policy="Never")
    run.advance(3.9)
    assert phase(run) == "Running"
    run.advance(4.0)
    assert phase(run) == "Succeeded"
    status = render(run, host_ip="172.16.0.1", now=4.0, scheduled=True)
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 0 and terminated["reason"] == "Completed"
    ready = {c["type"]: c for c in status["conditions"]}
    assert ready["ContainersReady"]["reason"] == "PodCompleted"
    assert ready["PodReadyToStartContainers"]["status"] == "False"
    always = make_run()
    always.advance(1e6)
    assert phase(always) == "Running" and always.containers[0].restarts == 0  # long-running pods never exit


def test_an_oom_killed_container_exits_137_with_reason_oomkilled() -> None:
    run = make_run(profile({"exit": {"after": "1s", "reason": "OOMKilled"}}), restart_policy="Never")
    run.advance(1.0)
    container = run.containers[0]
    assert (container.state, container.exit_code, container.reason) == ("terminated", 137, "OOMKilled")
    assert phase(run) == "Failed"


def test_readiness_after_a_delay_never_or_flapping() -> None:
    delayed = make_run(profile({"readiness": {"delay": "5s"}}))
    delayed.advance(4.9)
    assert not delayed.containers[0].ready
    delayed.advance(5.0)
    assert delayed.containers[0].ready
    never = make_run(profile({"readiness": "never"}))
    never.advance(1000)
    assert not never.containers[0].ready and phase(never) == "Running"
    flapping = make_run(profile({"readiness": {"flapEvery": "10s"}}))
    states = []
    for t in (0, 5, 10, 15, 20, 25, 30):
        flapping.advance(t)
        states.append(flapping.containers[0].ready)
    assert states == [True, True, False, False, True, True, False]
    unhealthy = [e for e in flapping.events if e[1] == "Unhealthy"]
    assert len(unhealthy) == 2 and unhealthy[0][0] == "Warning"
    status = render(flapping, host_ip="h", now=30, scheduled=True)
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [app]"


def test_an_image_that_cannot_be_pulled_backs_off_and_shows_image_pull_back_off() -> None:
    run = make_run(profile({"imagePull": "fail"}))
    pulls = []
    for t in range(0, 80):
        run.advance(float(t))
        pulls += [t for e in run.events if e[1] == "Pulling"]
        run.events.clear()
    assert pulls == [0, 10, 30, 70]
    container = run.containers[0]
    assert (container.state, container.reason) == ("waiting", "ImagePullBackOff")
    assert container.message.startswith('Back-off pulling image "app:v1": ErrImagePull: rpc error: code = NotFound')
    assert phase(run) == "Pending"


def test_init_containers_run_in_order_then_sidecars_keep_running_beside_the_containers() -> None:
    run = make_run(inits=(("first", False), ("mesh", True), ("second", False)), containers=("app", "web"))
    run.advance(0.0)
    started = [e[3] for e in run.events if e[1] == "Started"]
    assert started == ["first", "mesh", "second", "app", "web"]
    assert [(c.name, c.state) for c in run.inits] == [("first", "terminated"), ("mesh", "running"),
                                                     ("second", "terminated")]
    status = render(run, host_ip="h", now=0.0, scheduled=False)
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions == {"PodReadyToStartContainers": "True", "Initialized": "True", "Ready": "True",
                          "ContainersReady": "True", "PodScheduled": "True"}
    assert status["phase"] == "Running"
    assert [s["name"] for s in status["initContainerStatuses"]] == ["first", "mesh", "second"]


def test_a_pod_waiting_to_start_shows_its_waiting_reason_and_pending_conditions() -> None:
    run = make_run(profile({"startup": "3s"}), inits=(("init", False),))
    run.start_due = 3.0
    run.advance(1.0)
    status = render(run, host_ip="h", now=1.0, scheduled=True)
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    initialized = next(c for c in status["conditions"] if c["type"] == "Initialized")
    assert initialized["reason"] == "ContainersNotInitialized"
    assert initialized["message"] == "containers with incomplete status: [init]"


def test_readiness_gates_hold_ready_until_their_conditions_are_true() -> None:
    run = make_run(gates=("example.com/lb",))
    run.advance(0.0)
    ready = next(c for c in render(run, host_ip="h", now=0, scheduled=True)["conditions"] if c["type"] == "Ready")
    assert ready["message"] == 'corresponding condition of pod readiness gate "example.com/lb" does not exist.'
    assert run.gates_changed([Condition(type="example.com/lb", status="False")])
    ready = next(c for c in render(run, host_ip="h", now=1, scheduled=True)["conditions"] if c["type"] == "Ready")
    assert ready["message"] == 'the status of pod readiness gate "example.com/lb" is not "True", but False'
    assert not run.gates_changed([Condition(type="example.com/lb", status="False")])
    assert run.gates_changed([Condition(type="example.com/lb", status="True")])
    ready = next(c for c in render(run, host_ip="h", now=2, scheduled=True)["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True" and ready["lastTransitionTime"].endswith(":02Z")


def test_a_config_gate_blocks_the_start_and_is_retried() -> None:
    missing = [True]
    run = make_run()
    run.retry_interval = 10.0
    run.config_check = lambda: (("CreateContainerConfigError", 'configmap "c" not found', "Failed",
                                 'Error: configmap "c" not found') if missing[0] else None)
    run.advance(0.0)
    container = run.containers[0]
    assert (container.reason, container.message) == ("CreateContainerConfigError", 'configmap "c" not found')
    assert run.next_due == 10.0
    missing[0] = False
    run.config_ready(3.0)
    run.advance(3.0)
    assert container.state == "running" and container.started_at == 3.0


def test_deletion_stops_every_container_and_ends_the_run() -> None:
    run = make_run(containers=("a", "b"))
    run.advance(0.0)
    run.events.clear()
    assert run.terminate(2.0) and not run.terminate(3.0)
    assert [e[2] for e in run.events] == ["Stopping container a", "Stopping container b"]
    assert all(c.state == "terminated" and c.exit_code == 0 for c in run.containers)
    assert phase(run) == "Succeeded" and run.next_due is None
    never_started = make_run(profile({"startup": "1m"}))
    never_started.start_due = 60.0
    never_started.terminate(1.0)
    assert phase(never_started) == "Failed"


def test_an_image_changed_in_place_restarts_that_container_only() -> None:
    run = make_run(containers=("a", "b"))
    run.advance(0.0)
    a, b = run.containers
    old_a, old_b = a.container_id, b.container_id
    assert run.change_images({"a": "a:v2", "b": "b:v1"}, 7.0)
    assert a.restarts == 1 and a.container_id != old_a and a.image == "a:v2" and a.started_at == 7.0
    assert a.last is not None and a.last["terminated"]["containerID"] == old_a
    assert b.restarts == 0 and b.container_id == old_b
    status = render(run, host_ip="h", now=7.0, scheduled=True)["containerStatuses"][0]
    assert status["image"] == "docker.io/library/a:v2" and status["imageID"] == image_id("a:v2")
    assert not run.change_images({"a": "a:v2"}, 8.0)


def test_adoption_keeps_running_containers_and_restarts_nothing() -> None:
    run = make_run(profile({"exit": {"after": "1h", "code": 0}}))
    run.adopt([{"name": "app", "state": {"running": {"startedAt": "1970-01-01T00:00:10Z"}}, "ready": True,
                "restartCount": 2, "containerID": "containerd://abc", "lastState": {}}], now=100.0)
    container = run.containers[0]
    assert (container.state, container.container_id, container.restarts, container.ready) == (
        "running", "containerd://abc", 2, True)
    assert run.start_due is None and container.exit_due == 3610.0
    fresh = make_run()
    fresh.adopt([{"name": "app", "state": {"waiting": {"reason": "ContainerCreating"}}}], now=50.0)
    assert fresh.start_due == 50.0


@pytest.mark.parametrize(("image", "ref"), [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.27", "docker.io/library/nginx:1.27"),
    ("me/app", "docker.io/me/app:latest"),
    ("registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.10"),
    ("localhost:5000/x", "localhost:5000/x:latest"),
    ("ghcr.io/o/r@sha256:abc", "ghcr.io/o/r@sha256:abc"),
])
def test_images_are_reported_as_the_runtime_spells_them(image: str, ref: str) -> None:
    assert image_ref(image) == ref
    assert image_id(image).startswith(ref.split("@")[0].rsplit(":", 1)[0] if "@" not in ref else ref.split("@")[0])


def test_an_image_changed_during_a_crash_loop_back_off_restarts_once() -> None:
    run = make_run(profile({"exit": {"after": "5s", "code": 1}}))
    run.advance(12.0)  # exited at 5 (restarted at once) and 10: backing off until 20
    assert run.containers[0].reason == "CrashLoopBackOff" and run.containers[0].restarts == 1
    run.change_images({"app": "app:v2"}, 12.0)
    assert run.containers[0].state == "running" and run.containers[0].restarts == 2
    run.advance(16.0)
    assert run.containers[0].restarts == 2  # the back-off's own restart is not taken as well
