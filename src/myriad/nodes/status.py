"""Node status reports: each node's conditions re-heartbeated every ``status_report_interval``
(5 minutes, upstream's nodeStatusReportFrequency, when Leases carry liveness), or every
``lease_renew_interval`` with ``heartbeat="legacy"``, the pre-1.14 ablation that has no Lease.

A report is a strategic merge patch of ``status.conditions`` (merged by ``type``) that moves only
each condition's ``lastHeartbeatTime``, as small a write as the kubelet's. When the Node as the
API has it says something else than the kubelet would (a controller marked it ``Unknown`` while
its heartbeat was stopped, say), :meth:`NodeStatusReports.correct` writes the whole conditions at
once, as the kubelet writes a changed status without waiting for the interval. Nodes are spread over
the interval by the same kind of heap as Lease renewals (:func:`~myriad.nodes.schedule.drive`).

Concurrency: event loop only; at most ``options.concurrency`` reports in flight.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from myriad.api.meta import rfc3339
from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.tasks import cancel_and_wait
from myriad.client.types import NODES, PatchType
from myriad.nodes.nodeobject import corrected
from myriad.nodes.registration import NodeState
from myriad.nodes.schedule import HeartbeatSchedule, drive
from myriad.nodes.types import NodesOptions

_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")


@dataclass(slots=True)
class StatusFigures:
    reports: int = 0
    errors: int = 0


class NodeStatusReports:
    def __init__(self, client: Client, options: NodesOptions, states: dict[str, NodeState]) -> None:
        self._client = client
        self._options = options
        self._states = states
        self._by_index = {state.index: name for name, state in states.items()}
        interval = options.lease_renew_interval if options.heartbeat == "legacy" else options.status_report_interval
        self._schedule = HeartbeatSchedule(interval=interval, jitter=options.heartbeat_jitter)
        self._gate = asyncio.Semaphore(options.concurrency)
        #: Corrections on their way, by node (the loop keeps only weak references to tasks).
        self._correcting: dict[str, asyncio.Task[None]] = {}
        self.figures = StatusFigures()

    async def run(self) -> None:
        """Reports every node's status until cancelled, spread from the start over the first
        interval, as Lease renewals are (node i of n first reports i/n of an interval after
        registration, so the steady rate holds from the start)."""
        by_index = self._by_index
        try:
            await drive(self._schedule, sorted(by_index), lambda index: self._report(by_index[index]),
                        clock=self._options.clock, skip=lambda index: self._states[by_index[index]].stopped)
        finally:
            await cancel_and_wait(list(self._correcting.values()))

    def correct(self, name: str, current: list[dict[str, Any]]) -> None:
        """Writes the healthy conditions over ``current`` at once, if they differ (and no
        correction of that node is on its way already)."""
        conditions = corrected(current, self._options.clock.now())
        if conditions is None or name in self._correcting:
            return
        task = asyncio.get_running_loop().create_task(self._send(name, {"status": {"conditions": conditions}}))
        self._correcting[name] = task
        task.add_done_callback(lambda _: self._correcting.pop(name, None))

    async def _report(self, name: str) -> None:
        beat = rfc3339(self._options.clock.now())
        await self._send(name, {"status": {"conditions": [{"type": kind, "lastHeartbeatTime": beat}
                                                          for kind in _CONDITIONS]}})

    async def _send(self, name: str, patch: dict[str, Any]) -> None:
        try:
            async with self._gate:
                await self._client.patch(NODES, name, patch, patch_type=PatchType.STRATEGIC, subresource="status")
            self.figures.reports += 1
        except errors.ClientError:
            self.figures.errors += 1
