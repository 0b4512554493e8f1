"""Lease heartbeats (KEP-589): each node renews its Lease every ``lease_renew_interval``, with a
PUT conditional on the resourceVersion it last saw, as the kubelet renews it.

One loop serves every node of the process from a :class:`HeartbeatSchedule` (:func:`drive`); a
renewal is a short task, at most ``options.concurrency`` in flight. A renewal that meets a conflict (the Lease
changed under it) reads the Lease and renews once more; one that finds it gone creates it again.
A node annotated ``myriad.dev/heartbeat=stopped`` (``NodeState.stopped``) is skipped.

Concurrency: event loop only. The loop owns the schedule; renewal tasks own nothing but their
node's :class:`NodeState`, which only they write.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hdrh.histogram import HdrHistogram

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import LEASES
from myriad.nodes.nodeobject import lease_object
from myriad.nodes.registration import NODE_LEASE_NAMESPACE, NodeState
from myriad.nodes.schedule import HeartbeatSchedule, drive
from myriad.nodes.types import NodesOptions


@dataclass(slots=True)
class HeartbeatFigures:
    renewals: int = 0
    conflicts: int = 0
    errors: int = 0
    #: How long each renewal took, conflicts and retries included (microseconds, 1 µs–60 s):
    #: since the start, and since the last :meth:`take_interval`.
    latency: HdrHistogram = field(default_factory=lambda: HdrHistogram(1, 60_000_000, 3))
    interval: HdrHistogram = field(default_factory=lambda: HdrHistogram(1, 60_000_000, 3))

    def record(self, seconds: float) -> None:
        micros = min(max(round(seconds * 1_000_000), 1), 60_000_000)
        self.latency.record_value(micros)
        self.interval.record_value(micros)

    def take_interval(self) -> str:
        """The renewals since the last call, as an encoded HDR histogram (base64 text), and a
        fresh interval: a reader adds the intervals of the window it measures."""
        encoded = self.interval.encode().decode()
        self.interval.reset()
        return encoded

    def latency_ms(self) -> dict[str, float]:
        hdr = self.latency
        return {"count": hdr.get_total_count(), "p50_ms": hdr.get_value_at_percentile(50) / 1000,
                "p99_ms": hdr.get_value_at_percentile(99) / 1000, "max_ms": hdr.get_max_value() / 1000}


class LeaseHeartbeats:
    def __init__(self, client: Client, options: NodesOptions, states: dict[str, NodeState]) -> None:
        self._client = client
        self._options = options
        self._states = states
        self._by_index = {state.index: name for name, state in states.items()}
        self._schedule = HeartbeatSchedule(interval=options.lease_renew_interval, jitter=options.heartbeat_jitter)
        self._gate = asyncio.Semaphore(options.concurrency)
        self.figures = HeartbeatFigures()

    async def run(self) -> None:
        """Renews every node's Lease until cancelled."""
        by_index = self._by_index
        await drive(self._schedule, sorted(by_index), lambda index: self._renew(by_index[index]),
                    clock=self._options.clock, skip=lambda index: self._states[by_index[index]].stopped)

    async def _renew(self, name: str) -> None:
        state = self._states[name]
        clock = self._options.clock
        async with self._gate:
            started = clock.monotonic()
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
            self.figures.record(clock.monotonic() - started)

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
