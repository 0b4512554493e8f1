"""Soak-run helpers: periodic samples of throughput, latency, disk and compaction lag, and the
time-based compactor the bench runs for etcd (which does not compact itself here)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from myriad.bench.backends import BenchBackend
from myriad.bench.workload import PutWorkload


@dataclass(frozen=True, slots=True)
class SoakSample:
    elapsed: float
    puts_per_s: float
    put_p99_ms: float
    #: :meth:`BenchBackend.disk_usage` at sample time.
    disk: dict[str, int]
    revision: int
    compacted_revision: int

    @property
    def compaction_lag(self) -> int:
        return self.revision - self.compacted_revision

    def to_json(self) -> dict[str, object]:
        return {"elapsed_s": self.elapsed, "puts_per_s": self.puts_per_s, "put_p99_ms": self.put_p99_ms,
                "disk": self.disk, "revision": self.revision, "compacted_revision": self.compacted_revision,
                "compaction_lag": self.compaction_lag}


class SoakSampler:
    """Takes :class:`SoakSample` rows, each covering the time since the previous one (or since
    construction), and hands each to ``on_sample``."""

    def __init__(self, backend: BenchBackend, workload: PutWorkload, *,
                 on_sample: Callable[[SoakSample], None]) -> None:
        self._backend = backend
        self._workload = workload
        self._on_sample = on_sample
        self._started = self._previous = time.perf_counter()
        self._completed = workload.completed

    async def run(self, *, interval: float, duration: float) -> None:
        """Samples every ``interval`` seconds and at ``duration`` seconds, then returns."""
        due = self._started
        end = self._started + duration
        while due < end:
            due = min(due + interval, end)
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await self._sample()

    async def _sample(self) -> None:
        revision = await self._backend.store.current_revision()
        compacted = await self._backend.store.compacted_revision()
        now = time.perf_counter()
        latencies = self._workload.take_interval()
        done = self._workload.completed - self._completed
        self._completed += done
        self._on_sample(SoakSample(
            elapsed=now - self._started,
            puts_per_s=done / (now - self._previous),
            put_p99_ms=latencies.percentiles().p99,
            disk=self._backend.disk_usage(),
            revision=revision,
            compacted_revision=compacted,
        ))
        self._previous = now
