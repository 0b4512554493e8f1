"""The bench's own watch of the measured pods: each pod's timeline, pods by phase, and the
startup latency of each transition, as clusterloader2's pod startup measurement takes them.

Times come from this process's monotonic clock when the watch shows each change (sub-
millisecond; the API's timestamps have whole seconds): *created* when the pod is first seen,
*scheduled* when it first has a node, *running* when first seen Running, *ready* when its Ready
condition is first True, *deleted* at its DELETED event. ``run_to_watch`` is the one transition
taken against the pod's ``status.startTime`` (the kubelet's wall clock, whole seconds), so it
is exact only to a second.

Concurrency: event loop only; :meth:`PodWatch.run` is the one task that feeds it.
"""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import time
from dataclasses import dataclass, field

from myriad.bench.histogram import LatencyHistogram
from myriad.client import errors
from myriad.client.objects import ObjectCodec
from myriad.client.rest import Client
from myriad.client.types import PODS
from myriad.client.views import PodView

TRANSITIONS = ("create_to_schedule", "schedule_to_run", "run_to_watch", "create_to_watch")


@dataclass(slots=True)
class Timeline:
    created: float | None = None
    scheduled: float | None = None
    running: float | None = None
    ready: float | None = None
    deleted: float | None = None
    phase: str = "Pending"
    terminating: bool = False

    def to_json(self) -> dict[str, float | None]:
        return {"created": self.created, "scheduled": self.scheduled, "running": self.running,
                "ready": self.ready, "deleted": self.deleted}


@dataclass
class PodWatch:
    """Watches pods labelled ``selector`` in every namespace; ``began`` is the run's start
    (monotonic), which every time is taken from."""

    client: Client
    selector: str
    began: float
    pods: dict[str, Timeline] = field(default_factory=dict)
    #: Up to an hour: a saturated 10k run left pods waiting for minutes, which 60 s would clip.
    latencies: dict[str, LatencyHistogram] = field(default_factory=lambda: {t: LatencyHistogram(highest_s=3600)
                                                                           for t in TRANSITIONS})
    #: Set whenever something changed, for waiters (:meth:`until`).
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    gone: int = 0
    #: Pods not yet deleted, by phase (Terminating for those being deleted), kept as events come.
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("Pending", "Running", "Succeeded", "Failed", "Terminating"), 0))

    async def run(self) -> None:
        """Lists (to start from now) and watches until cancelled, resuming after a lost watch."""
        codec = ObjectCodec(PodView)
        listed = await self.client.list(PODS, label_selector=self.selector, limit=1)
        version = listed["metadata"]["resourceVersion"]
        while True:
            try:
                async with self.client.watch(PODS, label_selector=self.selector, resource_version=version,
                                             decode=codec.event) as stream:
                    async for event in stream:
                        version = event.resource_version or version
                        if event.type in ("ADDED", "MODIFIED", "DELETED"):
                            self._apply(event.type, event.object)
            except errors.Gone:  # too old: the measurement goes on from now, as a new list would
                version = (await self.client.list(PODS, label_selector=self.selector, limit=1))["metadata"][
                    "resourceVersion"]
            except errors.ClientError:
                await asyncio.sleep(0.5)

    def _apply(self, kind: str, obj) -> None:  # type: ignore[no-untyped-def]
        now = time.monotonic() - self.began
        view = obj.view
        key = f"{view.metadata.namespace}/{view.metadata.name}"
        line = self.pods.get(key)
        if line is None:
            line = self.pods[key] = Timeline(created=now)
        elif line.deleted is None:
            self.counts[_bucket(line)] -= 1
        else:
            return  # already gone (a DELETED seen twice, across a re-watch)
        if kind == "DELETED":
            line.deleted, line.phase = now, "Deleted"
            self.gone += 1
            self.changed.set()
            return
        if view.spec.node_name and line.scheduled is None:
            line.scheduled = now
            self._record("create_to_schedule", line.created, now)
        phase = view.status.phase or "Pending"
        line.phase = phase
        if phase == "Running" and line.running is None:
            line.running = now
            self._record("schedule_to_run", line.scheduled, now)
            self._record("create_to_watch", line.created, now)
            started = _epoch(view.status.start_time)
            if started is not None:
                self.latencies["run_to_watch"].record_seconds(max(0.0, time.time() - started))
        if line.ready is None and view.status.condition("Ready") == "True":
            line.ready = now
        line.terminating = bool(view.metadata.deletion_timestamp)
        self.counts[_bucket(line)] = self.counts.get(_bucket(line), 0) + 1
        self.changed.set()

    def _record(self, transition: str, since: float | None, now: float) -> None:
        if since is not None:
            self.latencies[transition].record_seconds(now - since)

    def by_phase(self) -> dict[str, int]:
        """Pods not yet deleted, by phase (Terminating for those being deleted)."""
        return dict(self.counts)

    async def until(self, check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
        """Waits until ``check()`` holds (looked at after each change); False on timeout."""
        deadline = time.monotonic() + timeout
        while not check():
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
        return True


def _bucket(line: Timeline) -> str:
    """Where a pod not yet deleted is counted."""
    return "Terminating" if line.terminating else line.phase


def _epoch(text: str) -> float | None:
    """``2026-12-05T02:40:00Z`` as seconds since the epoch (None if it is not that shape)."""
    try:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError):
        return None
