"""The scheduling queue: kube-scheduler's PriorityQueue in its legacy form (no QueueingHints).

A pending pod is in exactly one of:

* **activeQ**, a heap ordered by the QueueSort plugin's ``sort_key``; :meth:`SchedulingQueue.pop`
  takes from it;
* **backoffQ**, a heap ordered by backoff expiry; the periodic flush moves expired pods to
  activeQ;
* **the unschedulable pool**, pods a plugin rejected that wait for a cluster event
  (:meth:`SchedulingQueue.move_all`), for an update of their own, or for the 5-minute leftover
  flush; gated pods (``spec.schedulingGates``) also wait here and leave only when an update
  removes their gates;
* **in flight**: popped, the attempt not yet ended by :meth:`~SchedulingQueue.done` or
  :meth:`~SchedulingQueue.requeue_unschedulable`.

The move-request cycle is upstream's ``moveRequestCycle``: every pop starts a scheduling cycle,
and a failed pod whose attempt overlapped a move request goes to backoffQ instead of the pool,
since the event it would wait for may already have happened.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from myriad.clock import Clock
from myriad.scheduler.types import PodInfo

UNSCHEDULABLE_TIMEOUT = "UnschedulableTimeout"

SortKey = Callable[[PodInfo, float], tuple[Any, ...]]
Interest = Callable[[set[str], str], bool]


@dataclass(slots=True, eq=False)
class QueuedPod:
    """A pod with its queueing history (upstream's QueuedPodInfo)."""

    pod: PodInfo
    #: When the pod last entered the queue: on add, and again on each failed attempt.
    timestamp: float
    #: When the pod first entered activeQ (``None`` while it has only been gated).
    initial_attempt_timestamp: float | None = None
    attempts: int = 0
    unschedulable_count: int = 0
    #: Failures in a row without a rejecting plugin (errors); reset by an unschedulable one.
    consecutive_errors: int = 0
    unschedulable_plugins: set[str] = field(default_factory=set)
    gated: bool = False

    @property
    def key(self) -> str:
        return self.pod.key


class _Heap:
    """A heap of QueuedPods by key, with removal and replacement by invalidating entries."""

    def __init__(self) -> None:
        self._heap: list[tuple[tuple[Any, ...], int, str]] = []
        self._live: dict[str, tuple[int, QueuedPod]] = {}
        self._seq = itertools.count()

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, key: str) -> bool:
        return key in self._live

    def get(self, key: str) -> QueuedPod | None:
        entry = self._live.get(key)
        return entry[1] if entry else None

    def push(self, qp: QueuedPod, order: tuple[Any, ...]) -> None:
        seq = next(self._seq)
        self._live[qp.key] = (seq, qp)
        heapq.heappush(self._heap, (order, seq, qp.key))
        if len(self._heap) > 2 * len(self._live) + 64:
            self._heap = [e for e in self._heap if self._is_live(e)]
            heapq.heapify(self._heap)

    def remove(self, key: str) -> QueuedPod | None:
        entry = self._live.pop(key, None)
        return entry[1] if entry else None

    def peek(self) -> tuple[tuple[Any, ...], QueuedPod] | None:
        while self._heap and not self._is_live(self._heap[0]):
            heapq.heappop(self._heap)
        if not self._heap:
            return None
        order, _, key = self._heap[0]
        return order, self._live[key][1]

    def pop(self) -> QueuedPod | None:
        head = self.peek()
        if head is None:
            return None
        heapq.heappop(self._heap)
        return self._live.pop(head[1].key)[1]

    def _is_live(self, entry: tuple[tuple[Any, ...], int, str]) -> bool:
        live = self._live.get(entry[2])
        return live is not None and live[0] == entry[1]


@dataclass(slots=True)
class _InFlight:
    qp: QueuedPod
    cycle: int
    #: The newest version of the pod if an update that matters arrived during the attempt.
    updated: PodInfo | None = None
    deleted: bool = False


def backoff_duration(count: int, initial: float, maximum: float) -> float:
    """Upstream's calculateBackoffDuration: 0 for no failures, then initial doubling to maximum."""
    if count <= 0:
        return 0.0
    duration = initial
    for _ in range(1, count):
        if duration > maximum - duration:
            return maximum
        duration += duration
    return min(duration, maximum)


def pod_updated(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Upstream's isPodUpdated: the pods differ other than in resourceVersion, generation,
    managedFields, finalizers and status (bar the resource-claim statuses)."""
    return _significant(old) != _significant(new)


def _significant(pod: Mapping[str, Any]) -> dict[str, Any]:
    ignored = ("resourceVersion", "generation", "managedFields", "finalizers")
    meta = {k: v for k, v in (pod.get("metadata") or {}).items() if k not in ignored}
    kept = ("resourceClaimStatuses", "extendedResourceClaimStatus")
    status = {k: v for k, v in (pod.get("status") or {}).items() if k in kept}
    return {**{k: v for k, v in pod.items() if k not in ("metadata", "status")}, "metadata": meta, "status": status}


class SchedulingQueue:
    """Pending pods in activeQ, backoffQ and the unschedulable pool (see the module docstring).

    Concurrency: use from the event loop's thread only; nothing here is thread-safe. Every
    method but :meth:`pop` and :meth:`run` is synchronous and so atomic with respect to other
    tasks; :meth:`pop` awaits only while activeQ is empty, and several tasks may wait in it
    (each pod goes to one of them). :meth:`run` is the periodic flushing, one task, cancelled
    to stop. The pod a pop returns is in flight until :meth:`done` or
    :meth:`requeue_unschedulable`; updates and deletes that arrive meanwhile are remembered and
    applied when the attempt ends.
    """

    def __init__(
        self, *, clock: Clock, sort_key: SortKey, initial_backoff: float = 1.0, max_backoff: float = 10.0,
        max_in_unschedulable: float = 300.0, flush_interval: float = 1.0, leftover_interval: float = 30.0,
    ) -> None:
        self._clock = clock
        self._sort_key = sort_key
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        self.flush_interval = flush_interval
        self.leftover_interval = leftover_interval
        self._active = _Heap()
        self._backoff = _Heap()
        self._unschedulable: dict[str, QueuedPod] = {}
        self._gated = 0
        self._in_flight: dict[str, _InFlight] = {}
        self._cycle = 0
        self._move_request_cycle = -1
        self._wakeup = asyncio.Event()

    # -- informer side -------------------------------------------------------------------

    def add(self, pod: PodInfo) -> None:
        """A new pending pod: to activeQ, or to the pool as gated. Known keys are updates."""
        if self._queued(pod.key) is not None or pod.key in self._in_flight:
            self.update(pod)
            return
        qp = QueuedPod(pod=pod, timestamp=self._clock.now())
        if pod.scheduling_gated:
            self._to_pool(qp, gated=True)
        else:
            self._to_active(qp)

    def update(self, pod: PodInfo) -> None:
        """A newer version of a pending pod (upstream's PriorityQueue.Update, legacy)."""
        key = pod.key
        flight = self._in_flight.get(key)
        if flight is not None:
            if not flight.deleted and pod_updated((flight.updated or flight.qp.pod).pod, pod.pod):
                flight.updated = pod
            return
        qp = self._active.get(key)
        if qp is not None:  # Same timestamp: same place among equals, re-sorted if the key moved.
            qp.pod = pod
            self._active.push(qp, self._sort_key(pod, qp.timestamp))
            return
        qp = self._backoff.get(key)
        if qp is not None:
            qp.pod = pod
            self._backoff.push(qp, (self._backoff_expiry(qp),))
            return
        qp = self._unschedulable.get(key)
        if qp is None:
            self.add(pod)
            return
        old, qp.pod = qp.pod, pod
        if qp.gated:
            if not pod.scheduling_gated:
                self._from_pool(key)
                self._to_active(qp)
        elif pod_updated(old.pod, pod.pod):
            self._from_pool(key)
            self._to_backoff_or_active(qp)

    def delete(self, key: str) -> None:
        """The pod is gone (deleted, or bound by someone else): removed from every queue."""
        self._active.remove(key)
        self._backoff.remove(key)
        self._from_pool(key)
        flight = self._in_flight.get(key)
        if flight is not None:
            flight.deleted = True

    # -- scheduler side ------------------------------------------------------------------

    async def pop(self) -> QueuedPod:
        """Waits for a pod in activeQ, and returns it in flight."""
        while True:
            qp = self.pop_nowait()
            if qp is not None:
                return qp
            self._wakeup.clear()
            await self._wakeup.wait()

    def pop_nowait(self) -> QueuedPod | None:
        """The head of activeQ, in flight, or ``None`` when activeQ is empty."""
        qp = self._active.pop()
        if qp is None:
            return None
        self._cycle += 1
        qp.attempts += 1
        self._in_flight[qp.key] = _InFlight(qp, self._cycle)
        return qp

    def done(self, key: str) -> None:
        """The attempt ended without a requeue (the pod was assumed, or is gone)."""
        self._in_flight.pop(key, None)

    def requeue_unschedulable(self, qp: QueuedPod, plugins: set[str], *, error: bool = False) -> None:
        """The attempt failed, rejected by ``plugins`` or, with ``error`` or no plugins, by an
        error (upstream's AddUnschedulableIfNotPresent). The pod goes to backoffQ if a move
        request happened during the attempt, if it failed by an error, or if it was updated
        meanwhile (then activeQ once its backoff is over); else to the unschedulable pool."""
        flight = self._in_flight.pop(qp.key, None)
        if flight is None:
            if self._queued(qp.key) is not None:
                return
            flight = _InFlight(qp, self._cycle)
        if flight.deleted:
            return
        if flight.updated is not None:
            qp.pod = flight.updated
        qp.timestamp = self._clock.now()
        error = error or not plugins
        if error:
            qp.consecutive_errors += 1
            qp.unschedulable_plugins = set()
        else:
            qp.unschedulable_count += 1
            qp.consecutive_errors = 0
            qp.unschedulable_plugins = set(plugins)
        if flight.updated is not None or error or self._move_request_cycle >= flight.cycle:
            self._to_backoff_or_active(qp)
        else:
            self._to_pool(qp, gated=False)

    # -- cluster events ------------------------------------------------------------------

    def move_all(self, event: str, *, plugins_interested: Interest | None = None) -> int:
        """A cluster event: unschedulable pods whose rejectors care go to backoffQ, or activeQ
        once their backoff is over; gated pods stay. Returns how many moved."""
        moved = 0
        for qp in list(self._unschedulable.values()):
            if qp.gated:
                continue
            if plugins_interested is None or plugins_interested(qp.unschedulable_plugins, event):
                self._from_pool(qp.key)
                self._to_backoff_or_active(qp)
                moved += 1
        self._move_request_cycle = self._cycle
        return moved

    def activate(self, keys: Iterable[str]) -> None:
        """Moves these pods from backoffQ or the pool (not gated ones) to activeQ at once; a
        pod in flight will go to backoffQ if its attempt fails (upstream's Activate)."""
        for key in keys:
            qp = self._backoff.remove(key)
            if qp is None and key in self._unschedulable and not self._unschedulable[key].gated:
                qp = self._from_pool(key)
            if qp is not None:
                self._to_active(qp)
        self._move_request_cycle = self._cycle

    # -- periodic flushing ---------------------------------------------------------------

    def flush_backoff_completed(self) -> int:
        """Moves pods whose backoff is over from backoffQ to activeQ; returns how many."""
        now, moved = self._clock.now(), 0
        while (head := self._backoff.peek()) is not None and head[0][0] <= now:
            qp = self._backoff.pop()
            assert qp is not None
            self._to_active(qp)
            moved += 1
        return moved

    def flush_unschedulable_leftover(self) -> int:
        """Pods longer than ``max_in_unschedulable`` in the pool move as an UnschedulableTimeout
        event; gated pods stay. Returns how many moved."""
        now = self._clock.now()
        stale = {k for k, qp in self._unschedulable.items()
                 if not qp.gated and now - qp.timestamp > self.max_in_unschedulable}
        if not stale:
            return 0
        for key in stale:  # A wildcard event: every rejector is interested.
            qp = self._from_pool(key)
            assert qp is not None
            self._to_backoff_or_active(qp)
        self._move_request_cycle = self._cycle
        return len(stale)

    async def run(self) -> None:
        """Flushes backoffQ every ``flush_interval`` and the pool's leftovers every
        ``leftover_interval`` until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._every(self.flush_interval, self.flush_backoff_completed))
            group.create_task(self._every(self.leftover_interval, self.flush_unschedulable_leftover))

    async def _every(self, interval: float, action: Callable[[], int]) -> None:
        while True:
            await self._clock.sleep(interval)
            action()

    # -- inspection ----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Pending pods by queue, for ``scheduler_pending_pods{queue}``."""
        return {"active": len(self._active), "backoff": len(self._backoff),
                "unschedulable": len(self._unschedulable) - self._gated, "gated": self._gated}

    def where(self, key: str) -> str | None:
        """``"active"``, ``"backoff"``, ``"unschedulable"``, ``"gated"``, ``"in_flight"`` or None."""
        if key in self._in_flight:
            return "in_flight"
        if key in self._active:
            return "active"
        if key in self._backoff:
            return "backoff"
        qp = self._unschedulable.get(key)
        if qp is not None:
            return "gated" if qp.gated else "unschedulable"
        return None

    def backoff_duration(self, qp: QueuedPod) -> float:
        """The pod's current backoff: by consecutive errors if any, else by unschedulable count."""
        count = qp.consecutive_errors or qp.unschedulable_count
        return backoff_duration(count, self.initial_backoff, self.max_backoff)

    def is_backing_off(self, qp: QueuedPod) -> bool:
        return self._backoff_expiry(qp) > self._clock.now()

    # -- internals -----------------------------------------------------------------------

    def _backoff_expiry(self, qp: QueuedPod) -> float:
        return qp.timestamp + self.backoff_duration(qp)

    def _queued(self, key: str) -> QueuedPod | None:
        return self._active.get(key) or self._backoff.get(key) or self._unschedulable.get(key)

    def _to_active(self, qp: QueuedPod) -> None:
        qp.gated = False
        if qp.initial_attempt_timestamp is None:
            qp.initial_attempt_timestamp = self._clock.now()
        self._active.push(qp, self._sort_key(qp.pod, qp.timestamp))
        self._wakeup.set()

    def _to_backoff_or_active(self, qp: QueuedPod) -> None:
        if self.is_backing_off(qp):
            qp.gated = False
            self._backoff.push(qp, (self._backoff_expiry(qp),))
        else:
            self._to_active(qp)

    def _to_pool(self, qp: QueuedPod, *, gated: bool) -> None:
        qp.gated = gated
        self._gated += gated
        self._unschedulable[qp.key] = qp

    def _from_pool(self, key: str) -> QueuedPod | None:
        qp = self._unschedulable.pop(key, None)
        if qp is not None and qp.gated:
            self._gated -= 1
        return qp
