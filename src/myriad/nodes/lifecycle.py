"""One admitted pod's life on a hollow node, as a pure state machine on an injected time.

A :class:`PodRun` is made when its node admits the pod. It changes only in :meth:`PodRun.advance`
(time passes), :meth:`PodRun.terminate` (the pod got a deletionTimestamp),
:meth:`PodRun.change_images` (an in-place image update) and :meth:`PodRun.gates_changed`.
Each returns whether the status changed, records the kubelet's events in :attr:`PodRun.events`
for the caller to send, and leaves :attr:`PodRun.next_due`, when it next wants ``advance``.
:mod:`myriad.nodes.podstatus` renders the status a kubelet would write.

The steps, as the kubelet takes them (upstream's pod workers, ``getPhase`` and back-off):

- admitted at ``t0``: sandbox ready; every container waiting (``ContainerCreating``, or
  ``PodInitializing`` when there are init containers);
- at ``t0 + startup`` (the profile's latency): the config gate (until the referenced ConfigMaps
  and Secrets exist: retried when told, or every ``retry_interval``), then the image pull
  (``ErrImagePull``/``ImagePullBackOff`` for a failing profile), then init containers in order
  (each runs to completion; sidecars keep running), then the containers;
- a container's exit (the profile's, or run-to-completion pods after ``complete_after``) is
  followed by a restart as ``restartPolicy`` says: at once the first time, then after 10 s
  doubling to 5 min (``CrashLoopBackOff``), the back-off forgotten once 10 min pass without one;
- readiness: after a delay, never, or flapping every period.

Not thread-safe, never awaits: the pod workers own each run.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from myriad.api.meta import rfc3339
from myriad.client.views import Condition
from myriad.nodes.profiles import Profile

BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
#: A back-off not touched for this long starts again from the beginning.
BACKOFF_RESET = 2 * BACKOFF_MAX

#: (type, reason, note, container) of an event the kubelet records; container "" for the pod.
Occurrence = tuple[str, str, str, str]
#: Answers the config gate: None when the pod's ConfigMaps and Secrets can be used, else
#: (waiting reason, waiting message, event reason, event note): :mod:`myriad.nodes.configgate`.
ConfigCheck = Callable[[], tuple[str, str, str, str] | None]


@dataclass(slots=True)
class ContainerRun:
    name: str
    image: str
    init: bool = False
    sidecar: bool = False
    state: str = "waiting"  # waiting | running | terminated
    reason: str = "ContainerCreating"
    message: str = ""
    started_at: float = 0.0
    finished_at: float = 0.0
    exit_code: int = 0
    exit_reason: str = "Completed"
    container_id: str = ""
    last: dict[str, Any] | None = None
    restarts: int = 0
    ready: bool = False
    ever_started: bool = False
    #: When its readiness next changes, when it exits, when it restarts (None: not planned).
    ready_due: float | None = None
    exit_due: float | None = None
    restart_due: float | None = None
    backoff: float = 0.0
    backoff_at: float = 0.0

    @property
    def due(self) -> float | None:
        dues = [d for d in (self.ready_due, self.exit_due, self.restart_due) if d is not None]
        return min(dues) if dues else None


@dataclass(slots=True)
class PodRun:
    key: str
    uid: str
    name: str
    namespace: str
    profile: Profile
    restart_policy: str
    containers: list[ContainerRun]
    inits: list[ContainerRun]
    rng: random.Random
    admitted_at: float
    pod_ip: str = ""
    gates: tuple[str, ...] = ()
    #: The pod's own conditions of its readiness gates (``type -> status``), as last seen.
    gate_status: dict[str, str] = field(default_factory=dict)
    config_check: ConfigCheck | None = None
    retry_interval: float = 10.0
    #: Condition type -> (status, lastTransitionTime), kept as they change.
    transitions: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: When the containers are to be created (None once they are).
    start_due: float | None = None
    image_backoff: float = 0.0
    terminated: bool = False
    events: list[Occurrence] = field(default_factory=list)

    @property
    def next_due(self) -> float | None:
        dues = [d for d in (c.due for c in self.all_containers()) if d is not None]
        if self.start_due is not None:
            dues.append(self.start_due)
        return min(dues) if dues else None

    def all_containers(self) -> list[ContainerRun]:
        return self.inits + self.containers

    # -- time passes --------------------------------------------------------------------------

    def advance(self, now: float) -> bool:
        """Takes every step due by ``now``, earliest first; True if the status changed."""
        changed = False
        while not self.terminated:
            due = self.next_due
            if due is None or due > now:
                return changed
            changed = True
            if self.start_due == due:
                self._create(due, now)
                continue
            container = next(c for c in self.all_containers() if c.due == due)
            if container.restart_due == due:
                container.restart_due = None
                self._restart(container, due)
            elif container.exit_due == due:
                container.exit_due = None
                self._exit(container, due)
            else:
                self._readiness_step(container, due)
        return changed

    def _create(self, at: float, now: float) -> None:
        """The containers are to be made: the config gate, the image pull, then the first init
        container (or every container)."""
        self.start_due = None
        blocked = self.config_check() if self.config_check is not None else None
        first = (self.inits or self.containers or [None])[0]
        if blocked is not None:
            reason, message, event_reason, note = blocked
            self.start_due = now + self.retry_interval
            self.events.append(("Warning", event_reason, note, "" if event_reason == "FailedMount" else
                                first.name if first else ""))
            for container in self.all_containers():
                if container.state == "waiting":
                    container.reason, container.message = reason, message
            return
        if self.profile.image_pull == "fail" and first is not None:
            self._pull_failed(first, now)
            return
        if self.inits:
            self._start(self.inits[0], at)
        else:
            for container in self.containers:
                self._start(container, at)

    def _pull_failed(self, container: ContainerRun, now: float) -> None:
        self.image_backoff = BACKOFF_INITIAL if not self.image_backoff else min(self.image_backoff * 2, BACKOFF_MAX)
        self.start_due = now + self.image_backoff
        image, name = container.image, container.name
        self.events += [("Normal", "Pulling", f'Pulling image "{image}"', name),
                        ("Warning", "Failed", f'Failed to pull image "{image}": {pull_error(image)}', name),
                        ("Warning", "Failed", "Error: ErrImagePull", name),
                        ("Normal", "BackOff", f'Back-off pulling image "{image}"', name),
                        ("Warning", "Failed", "Error: ImagePullBackOff", name)]
        # ErrImagePull shows only until the back-off starts, at the next sync: a hollow node goes
        # straight to what a reader sees for most of the back-off.
        container.reason = "ImagePullBackOff"
        container.message = f'Back-off pulling image "{image}": ErrImagePull: {pull_error(image)}'

    def _start(self, container: ContainerRun, at: float) -> None:
        container.state, container.reason, container.message = "running", "", ""
        container.started_at, container.ever_started, container.ready = at, True, False
        container.restart_due = None
        container.container_id = container_id(self.rng)
        name = container.name
        self.events += [("Normal", "Pulled", f'Container image "{container.image}" already present on machine', name),
                        ("Normal", "Created", f"Created container: {name}", name),
                        ("Normal", "Started", f"Started container {name}", name)]
        self._plan(container, at, at)
        if container.sidecar:
            self._next_init(container, at)

    def _plan(self, container: ContainerRun, started: float, now: float) -> None:
        """A running container's next readiness change and exit, as its profile has them."""
        if container.init and not container.sidecar:
            container.exit_due, container.exit_code, container.exit_reason = started, 0, "Completed"
            return
        readiness = self.profile.readiness
        if readiness.mode == "ready":
            container.ready_due = None if container.ready else max(started + readiness.delay, now)
        elif readiness.mode == "flapping":
            container.ready_due = now
        ending = None if container.sidecar else self.profile.exit_for(self.restart_policy)
        if ending is not None:
            container.exit_due = max(started + ending.after.sample(self.rng), now)
            container.exit_code, container.exit_reason = ending.code, ending.reason

    def _readiness_step(self, container: ContainerRun, at: float) -> None:
        readiness = self.profile.readiness
        container.ready_due = None
        if readiness.mode == "flapping":
            container.ready = not container.ready
            container.ready_due = at + readiness.period
            if not container.ready:
                self.events.append(("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with "
                                                            "statuscode: 503", container.name))
        else:
            container.ready = True

    def _exit(self, container: ContainerRun, at: float) -> None:
        self._stop(container, at, container.exit_code, container.exit_reason)
        if container.init and not container.sidecar:
            self._next_init(container, at)
        elif self.restart_policy == "Always" or (self.restart_policy == "OnFailure" and container.exit_code != 0):
            self._back_off(container, at)

    def _next_init(self, done: ContainerRun, at: float) -> None:
        """After an init container completed (or a sidecar started): the next init container,
        or every container once the init containers are through."""
        position = self.inits.index(done)
        if position + 1 < len(self.inits):
            self._start(self.inits[position + 1], at)
        else:
            for container in self.containers:
                self._start(container, at)

    def _stop(self, container: ContainerRun, at: float, code: int, reason: str) -> None:
        container.state, container.reason, container.message = "terminated", reason, ""
        container.exit_code, container.finished_at, container.ready = code, at, False
        container.ready_due = container.exit_due = container.restart_due = None

    def _back_off(self, container: ContainerRun, finished: float) -> None:
        if not container.backoff or finished - container.backoff_at > BACKOFF_RESET:
            container.backoff, container.backoff_at = BACKOFF_INITIAL, finished
            container.restart_due = finished
            return
        delay = container.backoff
        container.backoff, container.backoff_at = min(delay * 2, BACKOFF_MAX), finished
        container.last = terminated_state(container)
        container.state, container.reason = "waiting", "CrashLoopBackOff"
        container.message = (f"back-off {_seconds(delay)} restarting failed container={container.name} "
                             f"pod={self.name}_{self.namespace}({self.uid})")
        container.restart_due = finished + delay
        self.events.append(("Warning", "BackOff", f"Back-off restarting failed container {container.name} in pod "
                                                  f"{self.name}_{self.namespace}({self.uid})", container.name))

    def _restart(self, container: ContainerRun, at: float) -> None:
        if container.state == "terminated":
            container.last = terminated_state(container)
        container.restarts += 1
        self._start(container, at)

    def adopt(self, statuses: list[Mapping[str, Any]], now: float) -> None:
        """Takes over containers an earlier run of this node started (a restarted worker): the
        running ones keep their ids, start times and counts, and carry on as the profile says;
        finished ones stay finished (and restart if the policy says so); if none had started,
        the containers are made again now."""
        by_name = {c.name: c for c in self.all_containers()}
        self.start_due = None
        for status in statuses:
            container = by_name.get(status.get("name", ""))
            state = status.get("state") or {}
            if container is None or not ("running" in state or "terminated" in state):
                continue
            container.container_id = status.get("containerID", "")
            container.restarts, container.ever_started = int(status.get("restartCount") or 0), True
            container.last = status.get("lastState") or None
            if "running" in state:
                container.state, container.reason = "running", ""
                container.started_at = parse_time(state["running"].get("startedAt"), now)
                container.ready = bool(status.get("ready"))
                self._plan(container, container.started_at, now)
            else:
                ended = state["terminated"]
                container.state, container.reason = "terminated", ended.get("reason", "Completed")
                container.exit_code = int(ended.get("exitCode") or 0)
                container.started_at = parse_time(ended.get("startedAt"), now)
                container.finished_at = parse_time(ended.get("finishedAt"), now)
                if not container.init and (self.restart_policy == "Always" or
                                           (self.restart_policy == "OnFailure" and container.exit_code)):
                    container.restart_due = now
        if not any(c.ever_started for c in self.all_containers()):
            self.start_due = now

    # -- what the pod's owners do -------------------------------------------------------------

    def terminate(self, now: float) -> bool:
        """The pod got a deletionTimestamp: every running container stops (exit 0, at once, well
        within any grace period) and the run is over. False if it already was."""
        if self.terminated:
            return False
        self.terminated = True
        self.start_due = None
        for container in self.all_containers():
            if container.state == "running":
                self.events.append(("Normal", "Killing", f"Stopping container {container.name}", container.name))
                self._stop(container, now, 0, "Completed")
            container.ready_due = container.exit_due = container.restart_due = None
        return True

    def change_images(self, images: Mapping[str, str], now: float) -> bool:
        """Containers whose image changed restart with it, keeping the pod (its uid); the others
        are untouched. True if any did."""
        changed = False
        for container in self.all_containers():
            image = images.get(container.name)
            if image is None or image == container.image or self.terminated:
                continue
            changed = True
            container.image = image
            if not container.ever_started:
                continue  # it starts with the new image
            self.events.append(("Normal", "Killing", f"Container {container.name} definition changed, "
                                                     "will be restarted", container.name))
            if container.state == "running":
                self._stop(container, now, 0, "Completed")
            self._restart(container, now)
        return changed

    def gates_changed(self, conditions: Iterable[Condition]) -> bool:
        """The pod's conditions as the API has them: True if a readiness gate's moved."""
        if not self.gates:
            return False
        current = {c.type: c.status for c in conditions if c.type in self.gates}
        if current == self.gate_status:
            return False
        self.gate_status = current
        return True

    def config_ready(self, now: float) -> None:
        """Something the config gate waits for appeared: try again at once."""
        if self.start_due is not None and not self.terminated and self.config_check is not None:
            self.start_due = min(self.start_due, now)


def container_id(rng: random.Random) -> str:
    return f"containerd://{rng.getrandbits(256):064x}"


def image_ref(image: str) -> str:
    """The image as the runtime reports it: registry, repository and tag spelled out."""
    first, _, rest = image.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        image = "docker.io/" + (image if rest else "library/" + image)
    last = image.rsplit("/", 1)[-1]
    if "@" not in last and ":" not in last:
        image += ":latest"
    return image


def image_id(image: str) -> str:
    ref = image_ref(image)
    repository = ref.split("@", 1)[0].rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref.split("@", 1)[0]
    return f"{repository}@sha256:{hashlib.sha256(ref.encode()).hexdigest()}"


def pull_error(image: str) -> str:
    ref = image_ref(image)
    return (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to resolve '
            f'reference "{ref}": {ref}: not found')


def terminated_state(container: ContainerRun) -> dict[str, Any]:
    return {"terminated": {"exitCode": container.exit_code, "reason": container.reason,
                           "startedAt": rfc3339(container.started_at), "finishedAt": rfc3339(container.finished_at),
                           "containerID": container.container_id}}


def parse_time(text: object, default: float) -> float:
    """Seconds since the epoch of an RFC 3339 time, or ``default`` when there is none."""
    if not isinstance(text, str):
        return default
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return default


def _seconds(delay: float) -> str:
    minutes, seconds = divmod(int(delay), 60)
    return f"{minutes}m{seconds}s" if minutes else f"{seconds}s"
