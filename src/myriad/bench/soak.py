"""Soak-run helpers: periodic samples of throughput, latency, disk and compaction lag, and the
time-based compactor the bench runs for etcd (which does not compact itself here)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from myriad.bench.backends import BenchBackend
from myriad.bench.workload import PutWorkload
from myriad.storage import Store
from myriad.storage.errors import CompactedError


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


async def sample_periodically(backend: BenchBackend, workload: PutWorkload, *, interval: float,
                              on_sample: Callable[[SoakSample], None]) -> None:
    """Every ``interval`` seconds, until cancelled, reports one sample of the interval just past."""
    started = previous = time.perf_counter()
    completed = workload.completed
    while True:
        await asyncio.sleep(interval)
        now = time.perf_counter()
        latencies = workload.take_interval()
        done = workload.completed - completed
        completed = workload.completed
        revision = await backend.store.current_revision()
        compacted = await backend.store.compacted_revision()
        on_sample(SoakSample(
            elapsed=now - started,
            puts_per_s=done / (now - previous),
            put_p99_ms=latencies.percentiles().p99,
            disk=backend.disk_usage(),
            revision=revision,
            compacted_revision=compacted,
        ))
        previous = now


async def compact_periodically(store: Store, *, retention: float, interval: float = 10.0) -> None:
    """Every ``interval`` seconds, until cancelled, notes the current revision and compacts to
    the newest one noted at least ``retention`` seconds ago."""
    seen: deque[tuple[float, int]] = deque()
    while True:
        now = time.monotonic()
        seen.append((now, await store.current_revision()))
        target = 0
        while seen and now - seen[0][0] >= retention:
            target = seen.popleft()[1]
        if target > await store.compacted_revision():
            try:
                await store.compact(target)
            except CompactedError:  # someone else compacted past it meanwhile
                pass
        await asyncio.sleep(interval)
