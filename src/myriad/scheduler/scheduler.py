"""The scheduler: informers feed the node table and the queue; one loop pops a pod, runs its
profile's cycle, assumes the chosen node and hands the binding to a task, so the loop never
waits on the API (kube-scheduler's scheduleOne, with assume and an asynchronous binding cycle).

* Assumed pods count on their node at once. The informer's bound pod confirms them; a failed
  binding forgets them and the pod goes back to the queue with back-off. An assumed pod the
  watch has not shown bound ``assumed_ttl`` seconds after its binding succeeded is forgotten
  (upstream's old expiry; kube-scheduler now sets durationToExpireAssumedPod to 0, never).
* Bound pods whose node the table does not hold yet (the pod list came first, or the node was
  deleted and comes back) wait in ``_orphans`` and count once the node arrives, as upstream's
  ghost NodeInfos do.
* A failure in one pod's cycle, binding or informer event is logged and that pod retried; it
  never stops the loop or a watch.
* A pod no node fits gets upstream's FailedScheduling event and the condition PodScheduled=False
  with reason Unschedulable, and waits in the unschedulable pool for a cluster event.
* Pods whose schedulerName no profile serves are left alone.

Concurrency: everything runs on one event loop. Informer handlers and the cycle never await, so
the cycle sees the table as a consistent snapshot. Binding and status tasks are kept in
``_tasks`` and cancelled on stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from myriad.api.meta import rfc3339
from myriad.client import errors as client_errors
from myriad.client.events.recorder import EventRecorder
from myriad.client.informers.factory import SharedInformerFactory
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import BY_NAMESPACE
from myriad.client.objects import Object
from myriad.client.rest import Client
from myriad.client.types import (
    NAMESPACES,
    NODES,
    PODDISRUPTIONBUDGETS,
    PODS,
    PRIORITYCLASSES,
    REPLICASETS,
    REPLICATIONCONTROLLERS,
    SERVICES,
    STATEFULSETS,
    PatchType,
)
from myriad.clock import Clock, SystemClock
from myriad.malloctrim import release_free_memory
from myriad.scheduler.errors import BindError
from myriad.scheduler.framework import FitError, Framework
from myriad.scheduler.metrics import SchedulerMetrics
from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.queue import QueuedPod, SchedulingQueue
from myriad.scheduler.types import BindPlugin, Handle, PodInfo

log = logging.getLogger(__name__)

#: Upstream's validation.NoteLengthLimit: an event's note is cut to this many characters.
NOTE_LIMIT = 1024
#: Seconds after a successful binding that an assumed pod the informer never showed bound is
#: forgotten (upstream's assumed-pod expiry; kube-scheduler now sets 0, never).
ASSUMED_TTL = 30.0

#: The cluster events each plugin registers (upstream's EventsToRegister): a pod in the
#: unschedulable pool moves on an event one of the plugins that rejected it cares about.
EVENTS_OF_INTEREST: dict[str, frozenset[str]] = {
    "NodeAdd": frozenset({"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts",
                          "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"}),
    "NodeUpdate": frozenset({"NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodeResourcesFit",
                             "PodTopologySpread", "InterPodAffinity"}),
    "AssignedPodDelete": frozenset({"NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"}),
}


def _interested(plugins: set[str], event: str) -> bool:
    """Whether an event can help a pod that ``plugins`` rejected (no plugins: an error, always)."""
    return not plugins or bool(plugins & EVENTS_OF_INTEREST.get(event, frozenset()))


@dataclass
class SchedulerStats:
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)
    bound: int = 0
    bind_errors: int = 0
    #: Seconds spent in scheduling cycles (the loop's CPU, roughly).
    cycle_seconds: float = 0.0

    def count(self, result: str, profile: str) -> None:
        self.attempts[(result, profile)] = self.attempts.get((result, profile), 0) + 1


class Scheduler:
    def __init__(self, client: Client, frameworks: Callable[[Handle], Mapping[str, Framework]], binder: BindPlugin,
                 *, recorder: EventRecorder, clock: Clock | None = None, max_binding: int = 512,
                 metrics: SchedulerMetrics | None = None, assumed_ttl: float = ASSUMED_TTL) -> None:
        """``frameworks`` makes the profiles' frameworks (by scheduler name) given the handle
        onto this scheduler's informers."""
        self.client = client
        self.binder = binder
        self.recorder = recorder
        self.metrics = metrics
        self.assumed_ttl = assumed_ttl
        self.clock = clock or SystemClock()
        self.table = NodeTable()
        self.stats = SchedulerStats()
        #: Watch-lists: the initial state streams in, never one whole list's body at once, and
        #: the watch goes on from it however long the handlers of 200,000 pods take.
        self.informers = SharedInformerFactory(client, watch_list=True, trim_managed_fields=True)
        #: Bound pods are kept as their views: their PodInfo holds what scheduling reads of them.
        self._pods = self.informers.informer(PODS, keep_whole=lambda pod: not pod.view.node_name)
        #: Nodes are kept as their views: the table holds what scheduling reads of them, and a
        #: digest of their scheduling properties tells a heartbeat from a change.
        self._nodes = self.informers.informer(NODES, keep_whole=lambda node: False)
        self._node_properties: dict[str, bytes] = {}
        self._namespaces = self.informers.informer(NAMESPACES)
        self._pdbs = self.informers.informer(PODDISRUPTIONBUDGETS)
        self._priority_classes = self.informers.informer(PRIORITYCLASSES)
        #: What selects pods, for PodTopologySpread's system default constraints.
        self._selecting = [self.informers.informer(r) for r in (SERVICES, REPLICATIONCONTROLLERS, REPLICASETS,
                                                                STATEFULSETS)]
        self.frameworks = dict(frameworks(Handle(
            pdbs=self._pdbs.indexer.list,
            namespace_labels=self._namespace_labels,
            namespaces=lambda: [(ns.name, ns.labels) for ns in self._namespaces.indexer.list()],
            selectors_of=self._selectors_of)))
        first = next(iter(self.frameworks.values()))
        self.queue = SchedulingQueue(clock=self.clock, sort_key=first.profile.queue_sort.sort_key)
        self._pods.add_handler(Handler(on_add=_guarded(self._pod_added), on_update=_guarded(self._pod_updated),
                                       on_delete=_guarded(self._pod_deleted)))
        self._nodes.add_handler(Handler(on_add=_guarded(self._node_added), on_update=_guarded(self._node_updated),
                                        on_delete=_guarded(self._node_deleted)))
        #: uid -> (node, PodInfo) of pods assumed and not yet seen bound.
        self.assumed: dict[str, tuple[str, PodInfo]] = {}
        #: uid -> (node, PodInfo) of bound pods counted in the table.
        self._placed: dict[str, tuple[str, PodInfo]] = {}
        #: node name -> uid -> bound pods of a node the table does not hold (yet).
        self._orphans: dict[str, dict[str, PodInfo]] = {}
        #: uid -> when its binding succeeded, for assumed pods the informer has not confirmed yet.
        self._bound_at: dict[str, float] = {}
        self._binding = asyncio.Semaphore(max_binding)
        self._tasks: set[asyncio.Task[Any]] = set()

    def _selectors_of(self, pod: PodInfo) -> list[Mapping[str, str]]:
        """The selectors of the Services, ReplicationControllers, ReplicaSets and StatefulSets
        in the pod's namespace that select it (upstream's DefaultSelector; a workload selector's
        matchExpressions are not carried)."""
        found: list[Mapping[str, str]] = []
        labels = pod.labels
        for informer in self._selecting:
            for obj in informer.indexer.by_index(BY_NAMESPACE, pod.namespace):
                selector = obj.view.spec.selector or {}
                if "matchLabels" in selector or "matchExpressions" in selector:
                    if selector.get("matchExpressions"):
                        continue
                    selector = selector.get("matchLabels") or {}
                if selector and all(labels.get(k) == v for k, v in selector.items()):
                    found.append(selector)
        return found

    def _namespace_labels(self, name: str) -> Mapping[str, str]:
        namespace = self._namespaces.indexer.get(name)
        return namespace.labels if namespace is not None else {}

    # -- lifecycle -----------------------------------------------------------------------------

    async def start_informers(self) -> None:
        self.informers.start()
        await self.informers.wait_for_sync()
        release_free_memory()  # the first lists' pages and the bound pods' JSON

    async def run(self) -> None:
        """Schedules until cancelled (informers must be started)."""
        flusher = asyncio.create_task(self.queue.run(), name="myriad-scheduler-queue")
        expirer = asyncio.create_task(self._expire_assumed(), name="myriad-scheduler-expiry")
        try:
            while True:
                queued = await self.queue.pop()
                try:
                    self.schedule_one(queued)
                except Exception:  # a bad object or a plugin's bug: log, retry the pod later
                    log.exception("scheduling %s failed", queued.pod.key)
                    self._forget(queued.pod.uid)
                    self.queue.requeue_unschedulable(queued, set(), error=True)
                # pop() does not suspend while pods wait: yield, or informer events, bindings and
                # evictions would all wait for the queue to drain
                await asyncio.sleep(0)
        finally:
            flusher.cancel()
            expirer.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(flusher, expirer, *self._tasks, return_exceptions=True)

    async def _expire_assumed(self) -> None:
        """Forgets assumed pods whose binding succeeded ``assumed_ttl`` seconds ago and that the
        informer never showed bound (upstream's cleanupAssumedPods, every second)."""
        while True:
            await self.clock.sleep(1.0)
            now = self.clock.monotonic()
            for uid, at in list(self._bound_at.items()):
                if now - at >= self.assumed_ttl:
                    del self._bound_at[uid]
                    held = self.assumed.get(uid)
                    if held is not None:
                        self._forget(held[1].uid)

    async def stop(self) -> None:
        await self.informers.stop()

    # -- the cycle -----------------------------------------------------------------------------

    def schedule_one(self, queued: QueuedPod) -> None:
        pod = queued.pod
        framework = self.frameworks.get(pod.scheduler_name)
        if framework is None or pod.uid in self.assumed or pod.uid in self._placed:
            self.queue.done(pod.key)
            return
        started = time.perf_counter()
        profile = framework.profile.scheduler_name
        try:
            placement, state = framework.schedule(pod, self.table)
        except FitError as error:
            self._attempted("unschedulable", profile, started)
            self.queue.requeue_unschedulable(queued, error.plugins)
            nominated = error.post_filter.nominated if error.post_filter else ""
            if error.post_filter is not None:
                self.table.nominate(pod, nominated)
                self._spawn(self._preempt(pod, error.post_filter.victims, nominated, profile))
            self._spawn(self._report_unschedulable(pod, str(error), profile, nominated=nominated))
            return
        rejection = framework.reserve(state, pod, placement.node)
        if rejection is not None:
            self._attempted("error", profile, started)
            self.queue.requeue_unschedulable(queued, set(), error=True)
            return
        self._assume(pod, placement.node)
        framework.placed(placement, self.table)
        self.queue.done(pod.key)
        self._attempted("scheduled", profile, started)
        self._spawn(self._bind(queued, placement.node, profile))

    def _attempted(self, result: str, profile: str, started: float) -> None:
        seconds = time.perf_counter() - started
        self.stats.cycle_seconds += seconds
        self.stats.count(result, profile)
        if self.metrics is not None:
            self.metrics.attempt(result, profile, seconds)

    def _assume(self, pod: PodInfo, node: str) -> None:
        self.table.unnominate(pod.uid)
        self.table.add_pod(pod, node)
        self.assumed[pod.uid] = (node, pod)

    def _forget(self, uid: str) -> None:
        self._bound_at.pop(uid, None)
        held = self.assumed.pop(uid, None)
        if held is not None:
            self.table.remove_pod(held[1], held[0])

    async def _bind(self, queued: QueuedPod, node: str, profile: str) -> None:
        pod = queued.pod
        try:
            async with self._binding:
                await self.binder.bind(pod, node)
        except (BindError, Exception) as error:
            if not isinstance(error, BindError):
                log.exception("binding %s to %s failed", pod.key, node)
                error = BindError(str(error))
            self.stats.bind_errors += 1
            if pod.uid in self.assumed:  # not already confirmed or deleted meanwhile
                self._forget(pod.uid)
                if not error.gone:
                    self.queue.requeue_unschedulable(queued, set(), error=True)
                    self._note(pod, "Warning", "FailedScheduling", "Scheduling", f"Binding rejected: {error}",
                               profile)
            return
        self.stats.bound += 1
        if pod.uid in self.assumed:
            self._bound_at[pod.uid] = self.clock.monotonic()
        if self.metrics is not None and queued.initial_attempt_timestamp is not None:
            self.metrics.bound(queued.attempts, self.clock.now() - queued.initial_attempt_timestamp)
        self._note(pod, "Normal", "Scheduled", "Binding",
                   f"Successfully assigned {pod.namespace}/{pod.name} to {node}", profile)

    async def _preempt(self, pod: PodInfo, victims: tuple[PodInfo, ...], node: str, profile: str) -> None:
        """Evicts ``victims`` as upstream's preemption does: the DisruptionTarget condition, a
        Preempted event, then a graceful delete of each."""
        now = rfc3339(self.clock.now())
        for victim in victims:
            condition = {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                         "message": f"{profile}: preempting to accommodate a higher priority pod",
                         "lastProbeTime": None, "lastTransitionTime": now}
            with contextlib.suppress(client_errors.ClientError):
                await self.client.patch(PODS, victim.name, {"status": {"conditions": [condition]}},
                                        namespace=victim.namespace, subresource="status",
                                        patch_type=PatchType.STRATEGIC)
            self._note(victim, "Normal", "Preempted", "Preempting", f"Preempted by pod {pod.uid} on node {node}",
                       profile)
            with contextlib.suppress(client_errors.ClientError):
                await self.client.delete(PODS, victim.name, namespace=victim.namespace)

    async def _report_unschedulable(self, pod: PodInfo, message: str, profile: str, *, nominated: str = "") -> None:
        self._note(pod, "Warning", "FailedScheduling", "Scheduling", message, profile)
        status = pod.pod.get("status") or {}
        conditions = status.get("conditions") or []
        current = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
        if current and current.get("status") == "False" and current.get("reason") == "Unschedulable" \
                and current.get("message") == message and (status.get("nominatedNodeName") or "") == nominated:
            return
        condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
                     "lastProbeTime": None, "lastTransitionTime": rfc3339(self.clock.now())}
        patch: dict[str, Any] = {"metadata": {"uid": pod.uid}, "status": {"conditions": [condition]}}
        if nominated:
            patch["status"]["nominatedNodeName"] = nominated
        try:
            await self.client.patch(PODS, pod.name, patch, namespace=pod.namespace, subresource="status",
                                    patch_type=PatchType.STRATEGIC)
        except client_errors.ClientError:
            pass  # deleted or changed meanwhile: the next attempt reports again

    def _note(self, pod: PodInfo, type_: str, reason: str, action: str, note: str, profile: str) -> None:
        if len(note) > NOTE_LIMIT:
            note = note[:NOTE_LIMIT - 4] + " ..."
        self.recorder.event({"apiVersion": "v1", "kind": "Pod", "name": pod.name, "namespace": pod.namespace,
                             "uid": pod.uid}, type=type_, reason=reason, action=action, note=note)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- informer events (never await) ---------------------------------------------------------

    def _node_added(self, node: Object) -> None:
        self.table.set_node(node)
        name = node.name
        self._node_properties[name] = _scheduling_properties(node)
        for pod in self._orphans.pop(name, {}).values():
            self.table.add_pod(pod, name)
        self.queue.move_all("NodeAdd", plugins_interested=_interested)

    def _node_updated(self, old: Object, node: Object) -> None:
        """Heartbeats change nothing the scheduler reads: only a change upstream's
        NodeSchedulingPropertiesChange names updates the table and moves pods."""
        properties = _scheduling_properties(node)
        if self._node_properties.get(node.name) == properties:
            return
        self._node_properties[node.name] = properties
        self.table.set_node(node)
        self.queue.move_all("NodeUpdate", plugins_interested=_interested)

    def _node_deleted(self, node: Object) -> None:
        name = node.name
        self._node_properties.pop(name, None)
        info = self.table.info(name)
        if info is not None:  # its pods stay bound to the name: they count again if it comes back
            self._orphans.setdefault(name, {}).update(
                {uid: pod for uid, pod in info.pods.items() if uid in self._placed})
        self.table.remove_node(name)

    def _pod_added(self, obj: Object) -> None:
        pod = pod_info(obj)
        if pod.node_name:
            self._place(pod)
        elif pod.scheduler_name in self.frameworks and not pod.deleting:
            self._keep_nomination(pod)
            self.queue.add(pod)

    def _pod_updated(self, old: Object, obj: Object) -> None:
        if old.uid != obj.uid:
            # deleted and made again under the same name while the watch was down (a re-list)
            self._pod_deleted(old)
            self._pod_added(obj)
            return
        node = obj.view.node_name
        held = (self.assumed.get(obj.uid) or self._placed.get(obj.uid)) if node else None
        pod = (held is not None and _carried_over(held[1], old, obj)) or pod_info(obj)
        if pod.node_name:
            self.queue.delete(pod.key)
            self._place(pod)
        elif pod.scheduler_name in self.frameworks:
            if pod.deleting:
                self.queue.delete(pod.key)
            else:
                self._keep_nomination(pod)
                self.queue.update(pod)

    def _pod_deleted(self, obj: Object) -> None:
        """Reads the view only: a re-list reports deletions with the cache's copy, which for a
        bound pod is its view alone."""
        uid = obj.uid
        self.queue.delete(obj.key)
        self.table.unnominate(uid)
        self._orphans.get(obj.view.node_name, {}).pop(uid, None)
        self._forget(uid)
        held = self._placed.pop(uid, None)
        if held is not None:
            self.table.remove_pod(held[1], held[0])
            self.queue.move_all("AssignedPodDelete", plugins_interested=_interested)

    def _keep_nomination(self, pod: PodInfo) -> None:
        """A pending pod's ``status.nominatedNodeName`` (set by this or an earlier scheduler)
        holds room on that node for it."""
        node = pod.pod.view.status.nominated_node_name
        if pod.uid in self.assumed or pod.uid in self._placed:
            return  # a late echo of our own nomination, after the pod was placed
        if node and self.table.nominations.get(pod.uid, ("",))[0] != node:
            self.table.nominate(pod, node)

    def _place(self, pod: PodInfo) -> None:
        """A bound pod as the API has it: confirms an assumed one, and stops counting pods that
        finished (upstream's informer leaves Succeeded and Failed pods out)."""
        if pod.pod.raw:  # a bound pod's PodInfo holds its view alone, as the informer does
            pod = dataclasses.replace(pod, pod=pod.pod.view_only())
        assumed = self.assumed.pop(pod.uid, None)
        held = self._placed.pop(pod.uid, None) or assumed
        self._bound_at.pop(pod.uid, None)
        self.table.unnominate(pod.uid)
        phase = pod.pod.view.status.phase
        finished = phase in ("Succeeded", "Failed")
        if held is not None and held[0] == pod.node_name and not finished \
                and self.table.confirm_pod(pod, pod.node_name):
            self._placed[pod.uid] = (pod.node_name, pod)
            return
        if held is not None:
            self.table.remove_pod(held[1], held[0])
            self._orphans.get(held[0], {}).pop(pod.uid, None)
        if finished:
            if held is not None:
                self.queue.move_all("AssignedPodDelete", plugins_interested=_interested)
            return
        if not self.table.add_pod(pod, pod.node_name):
            self._orphans.setdefault(pod.node_name, {})[pod.uid] = pod
        self._placed[pod.uid] = (pod.node_name, pod)


def _carried_over(held: PodInfo, old: Object, new: Object) -> PodInfo | None:
    """``held`` (made from ``old``) for ``new``, when the change between them is one that
    PodInfo does not read: the binding (only it sets ``spec.nodeName``) or a status update.
    Containers' images and requests, labels, priority and deletion are compared on the views;
    the rest of a bound pod's spec cannot change (or does not count once it is bound). None
    when ``new`` must be read afresh. Most of a pod's events take this path and decode nothing."""
    if held.pod.resource_version != old.resource_version:
        return None
    was, now = old.view, new.view
    if (new.labels != old.labels or was.spec.containers != now.spec.containers
            or was.spec.init_containers != now.spec.init_containers or was.spec.priority != now.spec.priority
            or bool(was.metadata.deletion_timestamp) != bool(now.metadata.deletion_timestamp)
            or (was.spec.node_name and was.spec.node_name != now.spec.node_name)):
        return None
    return dataclasses.replace(held, pod=new, node_name=now.spec.node_name)


def _guarded(handler: Callable[..., None]) -> Callable[..., None]:
    """An informer handler that logs what it raises instead of stopping the watch."""
    def guarded(*objects: Object) -> None:
        try:
            handler(*objects)
        except Exception:
            log.exception("handling %s failed", objects[-1].key)
    return guarded


def _scheduling_properties(node: Mapping[str, Any]) -> bytes:
    """A digest of what of a Node scheduling depends on: labels, annotations, taints,
    unschedulable, allocatable, images and each condition's status."""
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    properties = (meta.get("labels"), meta.get("annotations"), spec.get("taints"), spec.get("unschedulable"),
                  status.get("allocatable"), status.get("images"),
                  [(c.get("type"), c.get("status")) for c in status.get("conditions") or []])
    return hashlib.blake2b(orjson.dumps(properties, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()
