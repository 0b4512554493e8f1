"""Lease heartbeats (KEP-589): each node renews its Lease every ``lease_renew_interval``, with a
PUT conditional on the resourceVersion it last saw, as the kubelet renews it.

One loop serves every node of the process from a :class:`HeartbeatSchedule`; a renewal is a
short task, at most ``options.concurrency`` in flight. A renewal that meets a conflict (the Lease
changed under it) reads the Lease and renews once more; one that finds it gone creates it again.
A node annotated ``myriad.dev/heartbeat=stopped`` is skipped (see :meth:`LeaseHeartbeats.stop`).

Concurrency: event loop only. The loop owns the schedule; renewal tasks own nothing but their
node's :class:`NodeState`, which only they write.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import LEASES
from myriad.nodes.nodeobject import lease_object
from myriad.nodes.registration import NODE_LEASE_NAMESPACE, NodeState
from myriad.nodes.schedule import HeartbeatSchedule
from myriad.nodes.types import NodesOptions


@dataclass(slots=True)
class HeartbeatFigures:
    renewals: int = 0
    conflicts: int = 0
    errors: int = 0
    #: Seconds each renewal took, in order (the bench reads percentiles from them).
    latencies: list[float] | None = None


class LeaseHeartbeats:
    def __init__(self, client: Client, options: NodesOptions, states: dict[str, NodeState], *,
                 keep_latencies: bool = False) -> None:
        self._client = client
        self._options = options
        self._states = states
        self._by_index = {state.index: name for name, state in states.items()}
        self._schedule = HeartbeatSchedule(interval=options.lease_renew_interval)
        self._gate = asyncio.Semaphore(options.concurrency)
        self._stopped: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.figures = HeartbeatFigures(latencies=[] if keep_latencies else None)

    def stop(self, name: str, stopped: bool = True) -> None:
        """Stops (or resumes) ``name``'s heartbeats: its Lease lapses, as a failed node's does."""
        if stopped:
            self._stopped.add(name)
        else:
            self._stopped.discard(name)

    async def run(self) -> None:
        """Renews every node's Lease until cancelled."""
        clock = self._options.clock
        self._schedule.spread(sorted(self._by_index), now=clock.monotonic())
        try:
            while True:
                now = clock.monotonic()
                for index in self._schedule.due(now):
                    name = self._by_index[index]
                    if name in self._stopped:
                        continue
                    task = asyncio.get_running_loop().create_task(self._renew(name))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                next_due = self._schedule.next_due()
                await clock.sleep(0.05 if next_due is None else min(1.0, max(0.0, next_due - clock.monotonic())))
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def _renew(self, name: str) -> None:
        state = self._states[name]
        async with self._gate:
            started = time.perf_counter()
            try:
                try:
                    await self._put(name, state)
                except errors.Conflict:
                    self.figures.conflicts += 1
                    current = await self._client.get(LEASES, name, namespace=NODE_LEASE_NAMESPACE)
                    state.lease_version = current["metadata"]["resourceVersion"]
                    await self._put(name, state)
            except errors.NotFound:
                if not await self._recreate(name, state):
                    return
            except errors.ClientError:
                self.figures.errors += 1
                return
            self.figures.renewals += 1
            if self.figures.latencies is not None:
                self.figures.latencies.append(time.perf_counter() - started)

    async def _recreate(self, name: str, state: NodeState) -> bool:
        """Creates the node's Lease again (someone deleted it); False if that failed too."""
        lease = lease_object(name, state.uid, now=self._options.clock.now(), duration=self._options.lease_duration)
        try:
            made = await self._client.create(LEASES, lease, namespace=NODE_LEASE_NAMESPACE)
        except errors.ClientError:
            self.figures.errors += 1
            return False
        state.lease_version = made["metadata"]["resourceVersion"]
        return True

    async def _put(self, name: str, state: NodeState) -> None:
        lease = lease_object(name, state.uid, now=self._options.clock.now(), duration=self._options.lease_duration)
        lease["metadata"]["resourceVersion"] = state.lease_version
        answer = await self._client.update(LEASES, lease, namespace=NODE_LEASE_NAMESPACE)
        state.lease_version = answer["metadata"]["resourceVersion"]
