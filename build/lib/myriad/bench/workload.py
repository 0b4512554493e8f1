"""The benchmark's load: random puts from many clients, and range reads running beside them.

Puts follow the 2019 Alibaba etcd evaluation: ``clients`` concurrent clients put a fixed
random value to keys drawn uniformly from ``/bench/00000000 .. /bench/{keys-1}``.

At a target rate the schedule is open-loop: put ``i`` is due at ``start + i / rate``, a client
takes the next due put, waits for its time and issues it, and latency runs from the due time
to completion. A slow store therefore shows up as latency rather than as silently fewer
requests (no coordinated omission). At ``rate == 0`` clients put back to back and latency
runs from issue to completion. The event loop's timers are millisecond-grained, so at a target
rate latencies carry up to about a millisecond of scheduling delay.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from myriad.bench.histogram import LatencyHistogram, Percentiles
from myriad.storage import Store
from myriad.storage.interfaces import MAX_TXN_OPS, Put, prefix_end

PUT_PREFIX = b"/bench/"
RANGE_PREFIX = b"/bench-range/"
#: Bytes of values per pre-population transaction, under etcd's 1.5 MiB request limit.
_POPULATE_TXN_BYTES = 1024 * 1024


def put_key(index: int) -> bytes:
    return PUT_PREFIX + b"%08d" % index


def range_key(index: int) -> bytes:
    return RANGE_PREFIX + b"%08d" % index


@dataclass(frozen=True, slots=True)
class RateFigures:
    """What a timed run achieved: ``count`` operations in ``elapsed`` seconds."""

    count: int
    elapsed: float
    latency: Percentiles

    @property
    def per_second(self) -> float:
        return self.count / self.elapsed if self.elapsed > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {"completed": self.count, "elapsed_s": self.elapsed, "per_s": self.per_second,
                "latency": self.latency.to_json()}


class PutWorkload:
    """Random puts from ``clients`` clients at ``rate`` puts/s (0: as fast as possible), until
    ``total`` puts completed or :meth:`stop` is called. Run it once with :meth:`run`.

    ``completed`` and ``histogram`` cover the whole run; :meth:`take_interval` hands out the
    latencies since its previous call, for periodic samples."""

    def __init__(self, store: Store, *, clients: int, keys: int, value: bytes, rate: float,
                 total: int | None) -> None:
        self._store = store
        self._clients = clients
        self._keys = keys
        self._value = value
        self._rate = rate
        self._total = total
        self._issued = 0
        self._stopped = False
        self._random = random.Random()
        self.completed = 0
        self.histogram = LatencyHistogram()
        self._interval = LatencyHistogram()
        self._started = 0.0
        self._finished = 0.0

    def stop(self) -> None:
        """Issue no further puts; those in flight complete."""
        self._stopped = True

    def take_interval(self) -> LatencyHistogram:
        interval, self._interval = self._interval, LatencyHistogram()
        return interval

    async def run(self) -> RateFigures:
        self._started = self._finished = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for _ in range(self._clients):
                group.create_task(self._client())
        return RateFigures(self.completed, self._finished - self._started, self.histogram.percentiles())

    async def _client(self) -> None:
        while not self._stopped and (self._total is None or self._issued < self._total):
            index = self._issued
            self._issued += 1
            if self._rate > 0:
                due = self._started + index / self._rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                    if self._stopped:
                        return
            else:
                due = time.perf_counter()
            await self._store.put(put_key(self._random.randrange(self._keys)), self._value)
            self._finished = time.perf_counter()
            micros = (self._finished - due) * 1_000_000
            self.histogram.record_us(micros)
            self._interval.record_us(micros)
            self.completed += 1


async def populate_range_keys(store: Store, *, count: int, value: bytes) -> None:
    """Writes ``count`` keys under :data:`RANGE_PREFIX`, many per transaction."""
    per_txn = max(1, min(MAX_TXN_OPS, _POPULATE_TXN_BYTES // max(1, len(value))))
    for first in range(0, count, per_txn):
        puts = tuple(Put(range_key(i), value) for i in range(first, min(first + per_txn, count)))
        await store.txn((), puts)


async def read_ranges(store: Store, *, limit: int, until: asyncio.Event) -> RateFigures:
    """Reads the first ``limit`` keys under :data:`RANGE_PREFIX` back to back until ``until`` is
    set; each read must return exactly ``limit`` keys."""
    histogram = LatencyHistogram()
    end = prefix_end(RANGE_PREFIX)
    count = 0
    started = time.perf_counter()
    while not until.is_set():
        issued = time.perf_counter()
        result = await store.range(RANGE_PREFIX, end, limit=limit)
        histogram.record_seconds(time.perf_counter() - issued)
        if len(result.kvs) != limit:
            raise RuntimeError(f"range read returned {len(result.kvs)} keys, expected {limit}")
        count += 1
    return RateFigures(count, time.perf_counter() - started, histogram.percentiles())
