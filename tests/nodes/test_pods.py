"""Pods on hollow nodes against a real API server: bound pods run with a kubelet's status, complete,
are refused as the kubelet refuses them, wait for their ConfigMaps and Secrets, change images in
place, follow readiness gates, are deleted gracefully, and are adopted by a restarted process."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from typing import Any

import pytest

from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, EVENTS, NODES, PODS, SECRETS, ClientOptions, PatchType
from myriad.clock import FakeClock
from myriad.nodes.hollow import USER_AGENT, HollowNodes
from myriad.nodes.profiles import parse
from myriad.nodes.types import NodeClass, NodesOptions
from tests.apiserver.conftest import RunningServer
from tests.nodes.conftest import eventually, running

QUIET = {"lease_renew_interval": 5.0, "lease_duration": 40}


def _pod(name: str, *, node: str | None = None, image: str = "nginx", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                            "spec": {"containers": [{"name": "app", "image": image}], **spec}}
    if node is not None:
        body["spec"]["nodeName"] = node
    return body


async def _get(client: Client, name: str) -> dict[str, Any]:
    return await client.get(PODS, name, namespace="default")


def _phase(pod: dict[str, Any]) -> str:
    return (pod.get("status") or {}).get("phase", "")


def _conditions(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in pod["status"].get("conditions") or []}


def test_a_pod_bound_by_hand_reaches_running_with_a_kubelets_status(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        async with running(apiserver, NodesOptions(count=3, prefix="run-", **QUIET)) as (nodes, client):
            await client.create(PODS, _pod("bound"), namespace="default")
            await client.create(PODS, {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"},
                                       "target": {"apiVersion": "v1", "kind": "Node", "name": "run-2"}},
                                namespace="default", subresource="binding", name="bound")
            pod = await eventually(lambda: _get(client, "bound"), lambda p: _phase(p) == "Running")
            status = pod["status"]
            node = await client.get(NODES, "run-2")
            assert ipaddress.ip_address(status["podIP"]) in ipaddress.ip_network(node["spec"]["podCIDR"])
            assert status["podIPs"] == [{"ip": status["podIP"]}]
            internal = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
            assert status["hostIP"] == internal and status["hostIPs"] == [{"ip": internal}]
            assert status["startTime"] and status["qosClass"] == "BestEffort"
            conditions = _conditions(pod)
            assert {kind: c["status"] for kind, c in conditions.items()} == {
                "PodScheduled": "True", "PodReadyToStartContainers": "True", "Initialized": "True",
                "Ready": "True", "ContainersReady": "True"}
            [container] = status["containerStatuses"]
            assert container["state"]["running"]["startedAt"]
            assert container["ready"] and container["started"] and container["restartCount"] == 0
            assert container["image"] == "docker.io/library/nginx:latest"
            assert container["imageID"].startswith("docker.io/library/nginx@sha256:")
            assert container["containerID"].startswith("containerd://") and len(container["containerID"]) == 77
            assert nodes.pods is not None and nodes.pods.figures.admitted == 1
            assert nodes.pods.phases() == {"Running": 1}  # as last written, for /metrics

    asyncio.run(scenario())
    row = apiserver.kubectl("get", "pod", "bound", "-o", "wide", "--no-headers").stdout.split()
    assert row[1:4] == ["1/1", "Running", "0"] and row[6] == "run-2"


def test_run_to_completion_pods_complete_and_deleted_pods_stop_then_go(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=2, prefix="done-", profiles=parse({"default": {"completeAfter": "200ms"}}),
                               **QUIET)
        async with running(apiserver, options) as (nodes, client):
            await client.create(PODS, _pod("job-pod", node="done-0", restartPolicy="Never"), namespace="default")
            await client.create(PODS, _pod("long", node="done-1"), namespace="default")
            done = await eventually(lambda: _get(client, "job-pod"), lambda p: _phase(p) == "Succeeded")
            terminated = done["status"]["containerStatuses"][0]["state"]["terminated"]
            assert (terminated["exitCode"], terminated["reason"]) == (0, "Completed")
            assert _conditions(done)["Ready"]["reason"] == "PodCompleted"
            await eventually(lambda: _get(client, "long"), lambda p: _phase(p) == "Running")
            listed = await client.list(PODS, namespace="default", field_selector="metadata.name=long")
            seen: list[tuple[str, str]] = []
            async with client.watch(PODS, namespace="default", field_selector="metadata.name=long",
                                    resource_version=listed["metadata"]["resourceVersion"]) as watch:
                await client.delete(PODS, "long", namespace="default")  # the default 30 s grace period
                async for event in watch:
                    seen.append((event.type, _phase(event.object)))
                    if event.type == "DELETED":
                        break
            assert seen[0] == ("MODIFIED", "Running")  # marked with a deletionTimestamp
            assert ("MODIFIED", "Succeeded") in seen and seen[-1][0] == "DELETED"  # stopped, then deleted
            assert nodes.pods is not None and nodes.pods.figures.deletions == 1
            assert nodes.pods.phases() == {"Succeeded": 1}  # the job's pod; the deleted one is forgotten

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_pods_the_node_cannot_hold_fail_with_the_kubelets_reasons(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=1, prefix="full-", node_class=NodeClass(pods=2), **QUIET)
        async with running(apiserver, options) as (_, client):
            big = {"name": "app", "image": "x", "resources": {"requests": {"cpu": "64", "memory": "1Gi"}}}
            cases = [_pod("greedy", node="full-0", containers=[big]),
                     _pod("picky", node="full-0", nodeSelector={"disktype": "ssd"}),
                     _pod("fits-1", node="full-0"), _pod("fits-2", node="full-0"), _pod("one-too-many", node="full-0")]
            for body in cases[:4]:
                await client.create(PODS, body, namespace="default")
                await asyncio.sleep(0.1)  # admitted in order
            await eventually(lambda: _get(client, "fits-2"), lambda p: _phase(p) == "Running")
            await client.create(PODS, cases[4], namespace="default")
            expected = {"greedy": ("OutOfcpu", "Node didn't have enough resource: cpu, requested: 64000, used: 0, "
                                               "capacity: 3900"),
                        "picky": ("NodeAffinity", "Predicate NodeAffinity failed: node(s) didn't match Pod's node "
                                                  "affinity/selector"),
                        "one-too-many": ("OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 2, "
                                                      "capacity: 2")}
            for name, (reason, message) in expected.items():
                pod = await eventually(lambda n=name: _get(client, n), lambda p: _phase(p) == "Failed")
                assert (pod["status"]["reason"], pod["status"]["message"]) == (reason, f"Pod was rejected: {message}")
            await client.delete(PODS, "fits-1", namespace="default")
            await eventually(lambda: client.list(PODS, namespace="default", field_selector="metadata.name=fits-1"),
                             lambda listed: not listed["items"])
            await client.create(PODS, _pod("room-again", node="full-0"), namespace="default")  # the slot came back
            await eventually(lambda: _get(client, "room-again"), lambda p: _phase(p) == "Running")

    asyncio.run(scenario())
    table = apiserver.kubectl("get", "pods", "greedy", "picky", "--no-headers").stdout
    assert "OutOfcpu" in table and "NodeAffinity" in table


@pytest.mark.parametrize("strategy", ["namespace", "watch", "get", "ttl"])
def test_a_pod_starts_only_once_its_config_map_and_secret_exist(apiserver: RunningServer, strategy: str) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=1, prefix=f"cfg-{strategy}-", config_strategy=strategy, config_ttl=0.2,
                               sync_retry=0.3, **QUIET)
        suffix = strategy
        async with running(apiserver, options) as (nodes, client):
            spec = {"containers": [{"name": "app", "image": "x", "env": [{"name": "K", "valueFrom": {
                        "configMapKeyRef": {"name": f"settings-{suffix}", "key": "mode"}}}]}],
                    "volumes": [{"name": "creds", "secret": {"secretName": f"creds-{suffix}"}}]}
            await client.create(PODS, _pod(f"needs-{suffix}", node=f"cfg-{strategy}-0", **spec), namespace="default")
            pod = await eventually(lambda: _get(client, f"needs-{suffix}"),
                                   lambda p: p["status"].get("containerStatuses"))
            waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
            assert waiting == {"reason": "ContainerCreating"}  # the secret volume cannot be mounted
            await client.create(SECRETS, {"metadata": {"name": f"creds-{suffix}"}, "data": {}}, namespace="default")
            await client.create(CONFIGMAPS, {"metadata": {"name": f"settings-{suffix}"}, "data": {"other": "1"}},
                                namespace="default")
            missing_key = {"reason": "CreateContainerConfigError",
                           "message": f"couldn't find key mode in ConfigMap default/settings-{suffix}"}
            # (it may show 'configmap "settings-…" not found' between the two creates)
            pod = await eventually(lambda: _get(client, f"needs-{suffix}"), lambda p: p["status"][
                "containerStatuses"][0]["state"].get("waiting") == missing_key)
            assert _phase(pod) == "Pending"
            await client.patch(CONFIGMAPS, f"settings-{suffix}", {"data": {"mode": "fast"}}, namespace="default")
            await eventually(lambda: _get(client, f"needs-{suffix}"), lambda p: _phase(p) == "Running")
            # A second pod, on another ConfigMap: its own watch per object, the namespace's watch shared.
            await client.create(CONFIGMAPS, {"metadata": {"name": f"more-{suffix}"}}, namespace="default")
            await client.create(PODS, _pod(f"also-{suffix}", node=f"cfg-{strategy}-0", containers=[
                {"name": "app", "image": "x", "envFrom": [{"configMapRef": {"name": f"more-{suffix}"}}]}]),
                namespace="default")
            await eventually(lambda: _get(client, f"also-{suffix}"), lambda p: _phase(p) == "Running")
            figures = nodes.pods.gate.figures if nodes.pods is not None else None
            assert figures is not None
            if strategy in ("watch", "namespace"):
                assert (figures.watches, figures.gets) == ({"watch": 3, "namespace": 2}[strategy], 0)
            else:
                assert figures.watches == 0 and figures.gets >= 5
            events = await client.list(EVENTS, namespace="default", field_selector=f"regarding.name=needs-{suffix}")
            reasons = {e["reason"] for e in events["items"]}
            assert {"FailedMount", "Failed", "Started"} <= reasons
            assert {e["reportingController"] for e in events["items"]} == {"kubelet"}
            assert {e["reportingInstance"] for e in events["items"]} == {f"cfg-{strategy}-0"}

    asyncio.run(scenario())


def test_an_image_changed_in_place_restarts_its_container_and_keeps_the_pod(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        async with running(apiserver, NodesOptions(count=1, prefix="inplace-", **QUIET)) as (_, client):
            spec = {"containers": [{"name": "app", "image": "app:v1"}, {"name": "side", "image": "side:v1"}]}
            await client.create(PODS, _pod("upd", node="inplace-0", **spec), namespace="default")
            before = await eventually(lambda: _get(client, "upd"), lambda p: _phase(p) == "Running")
            apiserver.kubectl("set", "image", "pod/upd", "app=app:v2")
            after = await eventually(lambda: _get(client, "upd"),
                                     lambda p: p["status"]["containerStatuses"][0]["restartCount"] == 1)
            assert after["metadata"]["uid"] == before["metadata"]["uid"]
            old, new = before["status"]["containerStatuses"], after["status"]["containerStatuses"]
            assert new[0]["image"] == "docker.io/library/app:v2" and new[0]["imageID"] != old[0]["imageID"]
            assert new[0]["containerID"] != old[0]["containerID"]
            assert new[0]["lastState"]["terminated"]["containerID"] == old[0]["containerID"]
            assert new[1] == old[1]  # the other container is untouched

    asyncio.run(scenario())


def test_readiness_gates_hold_a_pod_unready_until_their_condition_is_true(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        async with running(apiserver, NodesOptions(count=1, prefix="gated-", **QUIET)) as (_, client):
            gates = [{"conditionType": "example.com/lb"}]
            await client.create(PODS, _pod("gated", node="gated-0", readinessGates=gates), namespace="default")
            pod = await eventually(lambda: _get(client, "gated"), lambda p: _phase(p) == "Running")
            ready = _conditions(pod)["Ready"]
            assert ready["status"] == "False" and ready["reason"] == "ReadinessGatesNotReady"
            gate = {"status": {"conditions": [{"type": "example.com/lb", "status": "True"}]}}
            await client.patch(PODS, "gated", gate, patch_type=PatchType.STRATEGIC, namespace="default",
                               subresource="status")
            pod = await eventually(lambda: _get(client, "gated"), lambda p: _conditions(p)["Ready"]["status"] == "True")
            assert _conditions(pod)["example.com/lb"]["status"] == "True"  # the gate's own condition is kept

    asyncio.run(scenario())


def test_a_shared_pod_watch_runs_the_processes_pods_too(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=4, prefix="shared-", pod_watch="shared", **QUIET)
        async with running(apiserver, options) as (nodes, client):
            for i in range(4):
                await client.create(PODS, _pod(f"sh-{i}", node=f"shared-{i}"), namespace="default")
            await client.create(PODS, _pod("elsewhere", node="not-ours"), namespace="default")
            for i in range(4):
                await eventually(lambda i=i: _get(client, f"sh-{i}"), lambda p: _phase(p) == "Running")
            assert nodes.watches is not None and len(nodes.watches.reflectors) == 1
            await asyncio.sleep(0.3)
            assert _phase(await _get(client, "elsewhere")) == "Pending"  # not its node: left alone

    asyncio.run(scenario())


def test_a_restarted_process_adopts_its_running_pods_and_starts_those_bound_meanwhile(
        apiserver: RunningServer) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=2, prefix="again-", **QUIET)
        async with running(apiserver, options) as (_, client):
            await client.create(PODS, _pod("kept", node="again-0"), namespace="default")
            first = await eventually(lambda: _get(client, "kept"), lambda p: _phase(p) == "Running")
        await client_create(apiserver, _pod("meanwhile", node="again-1"))
        async with running(apiserver, options) as (nodes, client):
            await eventually(lambda: _get(client, "meanwhile"), lambda p: _phase(p) == "Running")
            await asyncio.sleep(0.3)
            kept = await _get(client, "kept")
            assert kept["status"]["containerStatuses"] == first["status"]["containerStatuses"]
            assert kept["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]  # nothing rewritten
            assert nodes.pods is not None and nodes.pods.figures.adopted == 1 and nodes.pods.figures.admitted == 1
            assert nodes.pods.runs["default/kept"].pod_ip == first["status"]["podIP"]

    asyncio.run(scenario())


async def client_create(apiserver: RunningServer, body: dict[str, Any]) -> None:
    status, answer = apiserver.send("POST", "/api/v1/namespaces/default/pods", body)
    assert status == 201, json.dumps(answer)


def test_profiles_play_out_through_the_api_on_an_injected_clock(apiserver: RunningServer) -> None:
    """A crash loop's restarts (at once, then after 10 s, then 20 s), readiness flapping and an
    image pull back-off, each seen through the API as the test moves the nodes' clock."""
    async def scenario() -> None:
        clock = FakeClock(start=time.time())
        profiles = parse({"profiles": [
            {"name": "crashy", "selector": {"matchLabels": {"run": "crashy"}}, "exit": {"after": "5s", "code": 1}},
            {"name": "flappy", "selector": {"matchLabels": {"run": "flappy"}}, "readiness": {"flapEvery": "10s"}},
            {"name": "bad-image", "selector": {"matchLabels": {"run": "bad-image"}}, "imagePull": "fail"}]})
        options = NodesOptions(count=1, prefix="clocked-", profiles=profiles, clock=clock, **QUIET)
        async with running(apiserver, options) as (_, client):
            for name in ("crashy", "flappy", "bad-image"):
                await client.create(PODS, {**_pod(name, node="clocked-0"), "metadata": {
                    "name": name, "labels": {"run": name}}}, namespace="default")
            elapsed = 0.0

            async def at(moment: float) -> None:
                nonlocal elapsed
                while elapsed < moment:
                    step = min(1.0, moment - elapsed)
                    clock.advance(step)
                    elapsed += step
                    await asyncio.sleep(0.01)

            def container(pod: dict[str, Any]) -> dict[str, Any]:
                return (pod["status"].get("containerStatuses") or [{}])[0]

            def state(name: str, restarts: int, kind: str, reason: str = "") -> Any:
                return eventually(lambda: _get(client, name), lambda p: container(p).get("restartCount") == restarts
                                  and kind in container(p).get("state", {})
                                  and container(p)["state"][kind].get("reason", "") == reason)

            def ready(name: str, value: str) -> Any:
                return eventually(lambda: _get(client, name),
                                  lambda p: _conditions(p).get("Ready", {}).get("status") == value)

            await state("crashy", 0, "running")
            await ready("flappy", "True")
            pulling = await state("bad-image", 0, "waiting", "ImagePullBackOff")
            assert container(pulling)["state"]["waiting"]["message"].startswith('Back-off pulling image "nginx"')
            await at(5.5)
            crashed = await state("crashy", 1, "running")  # the first restart is at once
            assert container(crashed)["lastState"]["terminated"]["exitCode"] == 1
            await at(10.5)
            backing_off = await state("crashy", 1, "waiting", "CrashLoopBackOff")
            assert container(backing_off)["state"]["waiting"]["message"].startswith("back-off 10s restarting")
            await ready("flappy", "False")
            await at(19.5)
            await state("crashy", 1, "waiting", "CrashLoopBackOff")
            await at(20.5)
            await state("crashy", 2, "running")
            await ready("flappy", "True")
            await at(25.5)
            backing_off = await state("crashy", 2, "waiting", "CrashLoopBackOff")
            assert container(backing_off)["state"]["waiting"]["message"].startswith("back-off 20s restarting")
            await at(44.5)
            await state("crashy", 2, "waiting", "CrashLoopBackOff")
            await at(45.5)
            await state("crashy", 3, "running")
            pulls = await eventually(lambda: client.list(EVENTS, namespace="default",
                                                         field_selector="regarding.name=bad-image,reason=Pulling"),
                                     lambda listed: len(listed["items"]) == 1)
            series = pulls["items"][0].get("series") or {}
            assert series.get("count", 1) >= 2  # pulled at 0, 10 and 30 s: one Event, its series counting

    asyncio.run(asyncio.wait_for(scenario(), 90))


class _FirstStatusHeld(Client):
    """A real client whose first status write of pod ``held`` waits ``hold`` seconds before it is
    sent, so that a later status of that pod, written at once, would land before it."""

    held = "ordered"
    hold = 0.5
    holding = False

    async def patch(self, resource, name, body, *, subresource=None, **options):  # type: ignore[no-untyped-def]
        if subresource == "status" and name == self.held and not self.holding:
            self.holding = True
            await asyncio.sleep(self.hold)
        return await super().patch(resource, name, body, subresource=subresource, **options)


def test_a_pods_status_writes_land_in_order_even_when_the_first_is_slow(apiserver: RunningServer) -> None:
    # Admission writes ContainerCreating; the start (after the ConfigMap's watch syncs) writes
    # Running. Two writers sending both at once let the older land last, leaving the pod
    # ContainerCreating on the server for good while its kubelet thinks it is Running.
    async def scenario() -> None:
        client = _FirstStatusHeld(ClientOptions(endpoints=(apiserver.url,), user_agent=USER_AGENT))
        nodes = HollowNodes(client, NodesOptions(count=1, prefix="order-", **QUIET))
        task = asyncio.create_task(nodes.run())
        try:
            await asyncio.wait_for(nodes.ready.wait(), 30)
            await client.create(CONFIGMAPS, {"metadata": {"name": "order-settings"}, "data": {"a": "b"}},
                                namespace="default")
            spec = {"volumes": [{"name": "settings", "configMap": {"name": "order-settings"}}]}
            await client.create(PODS, _pod("ordered", node="order-0", **spec), namespace="default")
            await eventually(lambda: asyncio.sleep(0, client.holding), bool)
            await asyncio.sleep(client.hold + 0.5)  # both writes answered, whatever their order
            pod = await _get(client, "ordered")
            assert _phase(pod) == "Running", pod["status"]
            assert pod["status"]["containerStatuses"][0]["state"].keys() == {"running"}
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await client.close()

    asyncio.run(scenario())
