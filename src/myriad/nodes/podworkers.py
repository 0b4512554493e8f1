"""The pods of a process's hollow nodes: admitted, run, reported and deleted as kubelets do.

:class:`PodWorkers` is the :class:`~myriad.nodes.podwatch.PodSink` of the pod watches. For a pod
bound to one of its nodes it

- admits it (:mod:`myriad.nodes.admission`) or writes its rejection;
- adopts it instead when an earlier run of the node already started it (its status has a
  startTime): nothing is created twice and no pod is left stuck;
- runs it (:class:`~myriad.nodes.lifecycle.PodRun`) with the profile chosen for it, with an IP
  from its node's pod CIDR;
- restarts containers whose image changed in place, and follows its readiness gates;
- once it has a deletionTimestamp, stops its containers, writes its final status and deletes
  it with grace period 0 and its uid as a precondition.

One heap holds every run's next step (no task or timer per pod); a pod's steps that fall due
are taken by the timer loop. Status writes are the kubelet status manager's: a pod marked dirty
is queued once, and a writer renders its latest status when it gets to it, so changes made
while a write waits are coalesced into it. ``writers`` tasks write at once, but never two for
one pod: a pod that changes while its status is being written is written again once that write
is answered (two in flight could land in either order and leave the older status on the server).

Concurrency: event loop only. The watches' callbacks, the timer loop and the writers share the
state below; none of the synchronous paths awaits.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from myriad.api.podrequests import pod_requests, resource_list
from myriad.client import errors
from myriad.client.events.recorder import EventRecorder
from myriad.client.objects import Object
from myriad.client.rest import Client
from myriad.client.tasks import cancel_and_wait, run_all
from myriad.client.types import PODS, PatchType
from myriad.nodes.admission import NodeUsage, Rejection, admit
from myriad.nodes.configgate import ConfigGate, Reference, references
from myriad.nodes.lifecycle import ContainerRun, PodRun, parse_time
from myriad.nodes.nodeobject import allocatable, internal_ip, pod_cidr
from myriad.nodes.podstatus import rejected_patch, render, status_patch
from myriad.nodes.profiles import Profiles
from myriad.nodes.registration import NodeState
from myriad.nodes.types import NodesOptions


@dataclass(slots=True)
class PodFigures:
    admitted: int = 0
    adopted: int = 0
    rejected: int = 0
    status_writes: int = 0
    deletions: int = 0
    write_errors: int = 0


class _Addresses:
    """A node's pod IPs: .2 to .254 of its /24, reused once freed."""

    __slots__ = ("prefix", "next", "free")

    def __init__(self, index: int) -> None:
        self.prefix = pod_cidr(index).rsplit(".", 1)[0] + "."
        self.next, self.free = 2, []

    def take(self) -> str:
        if self.free:
            return self.prefix + str(self.free.pop())
        if self.next > 254:
            return ""
        self.next += 1
        return self.prefix + str(self.next - 1)

    def reserve(self, ip: str) -> None:
        if not ip.startswith(self.prefix) or not ip[len(self.prefix):].isdigit():
            return
        last = int(ip[len(self.prefix):])
        if last >= self.next:
            self.free.extend(range(self.next, last))
            self.next = last + 1
        elif last in self.free:
            self.free.remove(last)

    def give_back(self, ip: str) -> None:
        if ip.startswith(self.prefix):
            self.free.append(int(ip[len(self.prefix):]))


class PodWorkers:
    def __init__(self, client: Client, options: NodesOptions, states: Mapping[str, NodeState], *,
                 profiles: Profiles, labels_of: Callable[[str], Mapping[str, str]],
                 recorder: EventRecorder | None = None,
                 writers: int = 32, seed: int | None = None, tick: float = 0.05) -> None:
        self._client = client
        self._options = options
        self._clock = options.clock
        self._states = states
        self._profiles = profiles
        self._labels_of = labels_of
        self._recorder = recorder
        self.gate = ConfigGate(client, strategy=options.config_strategy, ttl=options.config_ttl,  # type: ignore[arg-type]
                               clock=options.clock, on_change=self.config_appeared)
        self._writer_count = writers
        self._rng = random.Random(seed)
        self._tick = tick
        values = allocatable(options.node_class)  # every node of a process is of one class
        self._room, self._max_pods = resource_list(values), int(values["pods"])
        self.runs: dict[str, PodRun] = {}
        self._node_of: dict[str, str] = {}
        #: Each node's runs, so a node's re-list looks at its own pods only.
        self._keys_of: dict[str, set[str]] = {}
        self._scheduled: dict[str, bool] = {}
        self._refs: dict[str, tuple[Reference, ...]] = {}
        self._usage: dict[str, NodeUsage] = {}
        self._addresses: dict[str, _Addresses] = {}
        self._rejections: dict[str, tuple[str, Rejection]] = {}
        self._orphans: dict[str, str] = {}
        self._deleted: set[str] = set()
        self._heap: list[tuple[float, str]] = []
        self._due: dict[str, float] = {}
        #: Runs whose config is being read before they start, and those just read.
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._fresh: set[str] = set()
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        #: Pods whose status a writer is writing now; ``_again``: those changed meanwhile.
        self._writing: set[str] = set()
        self._again: set[str] = set()
        self._phase_of: dict[str, str] = {}
        self._phase_counts: Counter[str] = Counter()
        self.figures = PodFigures()

    # -- the watches' side (PodSink) ----------------------------------------------------------

    def replace(self, node: str | None, pods: list[Object]) -> None:
        listed = set()
        for pod in pods:
            listed.add(pod.key)
            self.event("ADDED", pod)
        known = set(self._node_of) if node is None else self._keys_of.get(node, set())
        for key in known - listed:
            self._forget(key)

    def event(self, kind: str, pod: Object) -> None:
        """A pod event; reads the pod's view, and the whole pod only to start it."""
        view = pod.view
        node = view.node_name
        if node not in self._states:
            return
        key, uid = pod.key, pod.uid
        if kind == "DELETED":
            self._deleted.discard(uid)
            run = self.runs.get(key)
            if run is not None and run.uid == uid:
                self._forget(key)
            self._rejections.pop(key, None)
            self._orphans.pop(key, None)
            return
        run = self.runs.get(key)
        if run is not None and run.uid != uid:
            self._forget(key)
            run = None
        now = self._clock.now()
        if view.metadata.deletion_timestamp:
            if run is not None:
                if run.terminate(now):
                    self._emit(run, node)
                    self._dirty(key)
            elif uid not in self._deleted:
                self._orphans[key] = uid
                self._dirty(key)
            return
        if run is None:
            if view.status.phase not in ("Succeeded", "Failed") and self._rejections.get(key, ("",))[0] != uid:
                self._start(node, key, pod, now)
            return
        self._scheduled[key] = view.status.condition("PodScheduled") != ""
        images = {c.name: c.image for c in (*view.spec.init_containers, *view.spec.containers)}
        changed = run.change_images(images, now)
        changed |= run.gates_changed(view.status.conditions)
        if changed:
            self._step(key, run, now, dirty=True)

    # -- admission and runs -------------------------------------------------------------------

    def _start(self, node: str, key: str, pod: Object, now: float) -> None:
        metadata, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        index = self._states[node].index
        usage = self._usage.get(node)
        if usage is None:
            usage = self._usage[node] = NodeUsage(allocatable=self._room, max_pods=self._max_pods)
        adopting = bool(status.get("startTime"))
        if not adopting:
            rejection = admit(pod, node=node, labels=self._labels_of(node), usage=usage)
            if rejection is not None:
                self.figures.rejected += 1
                self._rejections[key] = (metadata.get("uid", ""), rejection)
                if self._recorder is not None:
                    self._recorder.event(_reference(pod), type="Warning", reason=rejection.reason,
                                         action=rejection.reason, note=rejection.message, instance=node)
                self._dirty(key)
                return
        usage.add(key, pod_requests(spec))
        profile = self._profiles.choose(pod)
        run = PodRun(key=key, uid=metadata.get("uid", ""), name=metadata.get("name", ""),
                     namespace=metadata.get("namespace", ""), profile=profile,
                     restart_policy=spec.get("restartPolicy", "Always"),
                     containers=[ContainerRun(c.get("name", ""), c.get("image", ""))
                                 for c in spec.get("containers") or []],
                     inits=[ContainerRun(c.get("name", ""), c.get("image", ""), init=True,
                                         sidecar=c.get("restartPolicy") == "Always")
                            for c in spec.get("initContainers") or []],
                     rng=self._rng, admitted_at=now, retry_interval=self._options.sync_retry,
                     gates=tuple(g.get("conditionType", "") for g in spec.get("readinessGates") or []))
        run.gates_changed(pod.view.status.conditions)
        addresses = self._addresses.get(node)
        if addresses is None:
            addresses = self._addresses[node] = _Addresses(index)
        if spec.get("hostNetwork"):
            run.pod_ip = internal_ip(index)
        elif adopting and status.get("podIP"):
            run.pod_ip = status["podIP"]
            addresses.reserve(run.pod_ip)
        else:
            run.pod_ip = addresses.take()
        refs = references(spec)
        if refs:
            namespace = run.namespace
            self._refs[key] = refs
            self.gate.hold(key, namespace, refs)
            run.config_check = lambda: self.gate.check(namespace, refs)
        self.runs[key] = run
        self._node_of[key] = node
        self._keys_of.setdefault(node, set()).add(key)
        self._scheduled[key] = pod.view.status.condition("PodScheduled") != ""
        if adopting:
            self.figures.adopted += 1
            run.admitted_at = _start_time(status, now)
            run.adopt((status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []), now)
            self._step(key, run, now, dirty=status.get("phase") == "Pending")
        else:
            self.figures.admitted += 1
            run.start_due = now + profile.startup.sample(self._rng)
            self._step(key, run, now, dirty=True)

    def _step(self, key: str, run: PodRun, now: float, *, dirty: bool = False) -> None:
        """Takes the run's due steps (refreshing its config first, in a task, if it is about to
        start and refers to ConfigMaps or Secrets), reports, and files its next step."""
        if run.start_due is not None and run.start_due <= now and key in self._refs and key not in self._fresh:
            if key not in self._refreshing:
                self._refreshing[key] = asyncio.get_running_loop().create_task(self._refresh_then_step(key, run))
            if dirty:
                self._dirty(key)
            return
        if run.advance(now) or dirty:
            self._emit(run, self._node_of[key])
            self._dirty(key)
        due = run.next_due
        if due is not None and due < self._due.get(key, float("inf")):
            self._due[key] = due
            heapq.heappush(self._heap, (due, key))

    async def _refresh_then_step(self, key: str, run: PodRun) -> None:
        try:
            await self.gate.refresh(run.namespace, self._refs.get(key, ()))
        finally:
            del self._refreshing[key]  # before stepping: what is told from now on starts a new one
        if self.runs.get(key) is run and not run.terminated:
            self._fresh.add(key)
            try:
                self._step(key, run, self._clock.now())
            finally:
                self._fresh.discard(key)

    def config_appeared(self, key: str) -> None:
        """The config gate's ``on_change``: what pod ``key`` waits for may be there now."""
        run = self.runs.get(key)
        if run is not None:
            run.config_ready(self._clock.now())
            self._step(key, run, self._clock.now())

    def _forget(self, key: str) -> None:
        run = self.runs.pop(key, None)
        node = self._node_of.pop(key, None)
        self._set_phase(key, None)
        if node is not None:
            keys = self._keys_of.get(node)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_of[node]
        self._scheduled.pop(key, None)
        self._due.pop(key, None)
        refs = self._refs.pop(key, None)
        if run is None or node is None:
            return
        if refs:
            self.gate.release(key, run.namespace, refs)
        usage = self._usage.get(node)
        if usage is not None:
            usage.remove(key)
        addresses = self._addresses.get(node)
        if addresses is not None and run.pod_ip:
            addresses.give_back(run.pod_ip)

    def _emit(self, run: PodRun, node: str) -> None:
        events, run.events = run.events, []
        if self._recorder is None:
            return
        for kind, reason, note, container in events:
            regarding = {"apiVersion": "v1", "kind": "Pod", "name": run.name, "namespace": run.namespace,
                         "uid": run.uid}
            if container:
                init = any(c.name == container for c in run.inits)
                regarding["fieldPath"] = f"spec.{'initContainers' if init else 'containers'}{{{container}}}"
            self._recorder.event(regarding, type=kind, reason=reason, action=reason, note=note,  # type: ignore[arg-type]
                                 instance=node)

    # -- loops ----------------------------------------------------------------------------------

    async def run(self) -> None:
        """The timer loop and the status writers, until cancelled."""
        try:
            await run_all([self._timers(), *(self._writer() for _ in range(self._writer_count))])
        finally:
            await cancel_and_wait(list(self._refreshing.values()))
            await self.gate.stop()

    async def _timers(self) -> None:
        heap, clock = self._heap, self._clock
        while True:
            now = clock.now()
            while heap and heap[0][0] <= now:
                due, key = heapq.heappop(heap)
                if self._due.get(key) != due:
                    continue  # a stale entry: the run was filed again earlier, or is gone
                del self._due[key]
                run = self.runs.get(key)
                if run is not None:
                    self._step(key, run, now)
            wait = heap[0][0] - now if heap else self._tick
            await clock.sleep(min(max(wait, 0.0), self._tick))

    def _dirty(self, key: str) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    async def _writer(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            if key in self._writing:
                self._again.add(key)  # its writer writes it again once answered
                continue
            self._writing.add(key)
            try:
                await self._write(key)
            except (errors.NotFound, errors.Conflict):
                self._forget(key)  # the pod is gone, or is another pod of that name now
                self._rejections.pop(key, None)
            except errors.ClientError:
                self.figures.write_errors += 1
                await self._clock.sleep(1.0)
                if key in self.runs or key in self._rejections or key in self._orphans:
                    self._again.add(key)
            finally:
                self._writing.discard(key)
                if key in self._again:
                    self._again.discard(key)
                    self._dirty(key)

    async def _write(self, key: str) -> None:
        namespace, _, name = key.partition("/")
        rejected = self._rejections.get(key)
        if rejected is not None:
            await self._client.patch(PODS, name, rejected_patch(rejected[0], rejected[1].reason, rejected[1].message),
                                     patch_type=PatchType.STRATEGIC, namespace=namespace, subresource="status")
            self.figures.status_writes += 1
            return
        run = self.runs.get(key)
        if run is not None:
            node = self._node_of[key]
            status = render(run, host_ip=internal_ip(self._states[node].index), now=self._clock.now(),
                            scheduled=self._scheduled.get(key, False))
            await self._client.patch(PODS, name, status_patch(run.uid, status), patch_type=PatchType.STRATEGIC,
                                     namespace=namespace, subresource="status")
            self.figures.status_writes += 1
            if self.runs.get(key) is run:
                self._set_phase(key, status["phase"])
            if run.terminated and self.runs.get(key) is run:
                await self._delete(key, run.uid)
            return
        uid = self._orphans.pop(key, None)
        if uid is not None:
            await self._delete(key, uid)

    async def _delete(self, key: str, uid: str) -> None:
        namespace, _, name = key.partition("/")
        self._deleted.add(uid)
        try:
            await self._client.delete(PODS, name, namespace=namespace, grace_period_seconds=0,
                                      preconditions={"uid": uid})
            self.figures.deletions += 1
        finally:
            self._forget(key)

    def phases(self) -> dict[str, int]:
        """How many of the process's pods are in each phase, as last written (for /metrics):
        kept as writes go, never counted over every pod."""
        return {name: count for name, count in self._phase_counts.items() if count}

    def _set_phase(self, key: str, current: str | None) -> None:
        previous = self._phase_of.pop(key, None)
        if previous is not None:
            self._phase_counts[previous] -= 1
        if current is not None:
            self._phase_of[key] = current
            self._phase_counts[current] += 1


def _start_time(status: Mapping[str, Any], default: float) -> float:
    return parse_time(status.get("startTime"), default)


def _reference(pod: Mapping[str, Any]) -> dict[str, str]:
    metadata = pod.get("metadata") or {}
    return {"apiVersion": "v1", "kind": "Pod", "name": metadata.get("name", ""),
            "namespace": metadata.get("namespace", ""), "uid": metadata.get("uid", "")}
