"""One pass over a StatefulSet's pods (upstream's ``updateStatefulSet`` in
``stateful_set_control.go``).

1. Every ordinal in ``[start, start + replicas)`` gets a pod: a missing one is made (its claims
   first) from the current revision below the partition and the update revision above it; a
   Failed or Succeeded one is deleted to be made again; one whose identity, storage or claim
   owners drifted is fixed.
2. Pods beyond the range (condemned) are deleted, highest ordinal first.
3. Under RollingUpdate, pods from the highest ordinal down to the partition that are not at the
   update revision are deleted (to be made again at it): one at a time, each waiting for the
   one above to be healthy; or, with ``maxUnavailable``, as many at once as keep the unhealthy
   pods within it. OnDelete replaces nothing.

Under ``OrderedReady`` every step waits for the pods before it to be Running and Ready (and
available) and stops after one creation or deletion; under ``Parallel`` creations and deletions
of steps 1 and 2 all go at once.

Concurrency: loop only; a set is synced by one worker at a time (the queue's guarantee).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from myriad.api.intstr import scaled
from myriad.controllers.statefulset import identity as ident
from myriad.controllers.statefulset.identity import Obj

#: Creations or deletions in flight at once under ``Parallel``.
PARALLEL_LIMIT = 64


class PodActions(Protocol):
    """What a pass asks of the API, as the controller carries it out."""

    async def create(self, s: Obj, pod: Obj) -> None: ...

    async def delete(self, s: Obj, pod: Obj) -> None: ...

    async def fix(self, s: Obj, pod: Obj) -> None:
        """Restores the pod's identity, storage and claim owners."""

    def fixed(self, s: Obj, pod: Obj) -> bool:
        """Whether the pod's identity, storage and claim owners are right."""

    async def condemn(self, s: Obj, pod: Obj) -> None:
        """Gives a condemned pod's claims the owners the retention policy wants."""


class Pass:
    """One pass; ``current``/``update`` are the revisions' names and ``current_template``/
    ``update_template`` their pod templates."""

    def __init__(self, s: Obj, pods: list[Obj], actions: PodActions, *, current: str, update: str,
                 current_template: Obj, update_template: Obj, now: float) -> None:
        self.s = s
        self.actions = actions
        self.current, self.update = current, update
        self.current_template, self.update_template = current_template, update_template
        self.now = now
        self.min_ready = int(ident.spec(s).get("minReadySeconds") or 0)
        self.monotonic = ident.spec(s).get("podManagementPolicy") != "Parallel"
        start, end = ident.start_ordinal(s), ident.end_ordinal(s)
        by_ordinal = {ident.ordinal(p): p for p in pods}
        #: One slot per ordinal in range: the pod, or None where one is to be made.
        self.replicas: list[Obj | None] = [by_ordinal.get(i) for i in range(start, end)]
        self.condemned = sorted((p for p in pods if not start <= ident.ordinal(p) < end and ident.ordinal(p) >= 0),
                                key=ident.ordinal, reverse=True)
        self.first_unhealthy = next((p for p in [*self.replicas, *self.condemned]
                                     if p is not None and not ident.healthy(p, self.min_ready, now)), None)

    async def run(self) -> int:
        """Carries the pass out; returns how many current-revision pods it deleted (the status
        counts them no more)."""
        if self.s["metadata"].get("deletionTimestamp"):
            return 0
        if await self._for_all(len(self.replicas), self._replica):
            return 0
        for pod in self.condemned:
            await self.actions.condemn(self.s, pod)
        if await self._for_all(len(self.condemned), self._condemned):
            return 0
        strategy = ident.spec(self.s).get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return 0
        rolling = strategy.get("rollingUpdate") or {}
        partition = int(rolling.get("partition") or 0)
        if rolling.get("maxUnavailable") is not None:
            return await self._update_many(partition, rolling["maxUnavailable"])
        return await self._update_one(partition)

    async def _for_all(self, count: int, step: Callable[[int], Awaitable[bool]]) -> bool:
        """Upstream's ``runForAll``: in order, stopping at the first step that blocks, or (not
        monotonic) all at once. Whether the pass must stop here."""
        if self.monotonic:
            for i in range(count):
                if await step(i):
                    return True
            return False
        gate = asyncio.Semaphore(PARALLEL_LIMIT)

        async def bounded(i: int) -> bool:
            async with gate:
                return await step(i)
        results = await asyncio.gather(*(bounded(i) for i in range(count)), return_exceptions=True)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            raise failure
        return False

    def _new_pod(self, index: int) -> Obj:
        """Upstream's ``newVersionedStatefulSetPod``: the current revision below the partition
        (or below the current count, without a rollingUpdate), else the update revision."""
        strategy = ident.spec(self.s).get("updateStrategy") or {}
        status = self.s.get("status") or {}
        rolling = strategy.get("rollingUpdate")
        if strategy.get("type", "RollingUpdate") == "RollingUpdate" and (
                (rolling is None and index < int(status.get("currentReplicas") or 0))
                or (rolling is not None and index < ident.start_ordinal(self.s) + int(rolling.get("partition") or 0))):
            return ident.new_pod(self.s, self.current_template, index, self.current)
        return ident.new_pod(self.s, self.update_template, index, self.update)

    async def _replica(self, i: int) -> bool:
        pod = self.replicas[i]
        if pod is None:
            await self.actions.create(self.s, self._new_pod(ident.start_ordinal(self.s) + i))
            return self.monotonic
        if ident.phase(pod) in ("Failed", "Succeeded"):
            if not ident.terminating(pod):
                await self.actions.delete(self.s, pod)
            return True  # made again on a later pass, once it is gone
        if self.monotonic and (ident.terminating(pod) or not ident.running_and_ready(pod)
                               or not ident.running_and_available(pod, self.min_ready, self.now)):
            return True
        if not self.actions.fixed(self.s, pod):
            await self.actions.fix(self.s, pod)
        return False

    async def _condemned(self, i: int) -> bool:
        pod = self.condemned[i]
        if ident.terminating(pod):
            return self.monotonic
        if self.monotonic and pod is not self.first_unhealthy and \
                not ident.running_and_available(pod, self.min_ready, self.now):
            return True
        await self.actions.delete(self.s, pod)
        return self.monotonic

    async def _update_one(self, partition: int) -> int:
        for pod in reversed(self.replicas[partition:]):
            if pod is None:
                return 0
            if ident.revision_of(pod) != self.update and not ident.terminating(pod):
                await self.actions.delete(self.s, pod)
                return 1 if ident.revision_of(pod) == self.current else 0
            if not ident.healthy(pod, self.min_ready, self.now):
                return 0
        return 0

    async def _update_many(self, partition: int, max_unavailable: int | str) -> int:
        """Upstream's ``updateStatefulSetAfterInvariantEstablished`` (MaxUnavailableStatefulSet)."""
        allowed = max(scaled(max_unavailable, ident.replicas(self.s), round_up=True), 1)
        unavailable = sum(1 for p in self.replicas if p is None or not ident.healthy(p, self.min_ready, self.now))
        budget = allowed - unavailable
        deleted = 0
        for pod in reversed(self.replicas[partition:]):
            if budget <= 0:
                break
            if pod is not None and ident.revision_of(pod) != self.update and not ident.terminating(pod):
                await self.actions.delete(self.s, pod)
                deleted += ident.revision_of(pod) == self.current
                budget -= 1
        return deleted
