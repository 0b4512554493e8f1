"""``myriad bench storage``: the storage backends measured side by side under one workload.

Each backend named in :attr:`BenchConfig.backends` runs in turn on fresh state (see
:mod:`myriad.bench.backends`) in one of three modes:

``put``
    ``puts`` random puts (see :mod:`myriad.bench.workload`); completion time, puts/s and
    latency percentiles.
``range``
    ``range_keys`` keys are written under one prefix, then the put workload runs while one
    reader repeatedly ranges over those keys; range latency and reads/s beside the put figures
    show whether reads wait for writes.
``soak``
    puts at ``rate`` for ``duration`` seconds, sampled every ``sample_interval`` seconds
    (interval puts/s and p99, data file sizes, compaction lag). Both stores compact themselves
    keeping ``retention`` seconds of history (:mod:`myriad.storage.compaction`).

Beside every run a :class:`~myriad.bench.diskprobe.DiskProbe` samples the device's own sync
latency in the data dir's parent, so each row carries the floor that any durable store on that
disk could reach during the same minutes.

A backend that fails is reported and the others still run. Results go to the terminal and,
with the config and soak samples, to the JSON file at :attr:`BenchConfig.json_path`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import uvloop
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn

from myriad.bench.backends import BACKENDS, BackendSpec, BenchBackend, open_backend
from myriad.bench.diskprobe import DiskProbe
from myriad.bench.report import BackendResult, format_disk, print_report, write_json
from myriad.bench.soak import SoakSample, SoakSampler
from myriad.bench.workload import (
    PUT_PREFIX,
    RANGE_PREFIX,
    PutWorkload,
    RateFigures,
    populate_range_keys,
    read_ranges,
)
from myriad.gcfreeze import DEFAULT_INTERVAL as GC_FREEZE_INTERVAL
from myriad.gcfreeze import freeze_periodically
from myriad.storage import Store

MODES = ("put", "range", "soak")


@dataclass(frozen=True, kw_only=True)
class BenchConfig:
    backends: tuple[str, ...] = ("embedded", "etcd")
    mode: str = "put"
    clients: int = 100
    value_size: int = 1024
    keys: int = 1_000_000
    puts: int = 1_000_000
    #: Target aggregate puts/s; 0 puts as fast as the clients can.
    rate: float = 5000.0
    range_keys: int = 10_000
    duration: float = 600.0
    sample_interval: float = 5.0
    retention: float = 300.0
    etcd_endpoints: tuple[str, ...] = ()
    json_path: Path = Path("bench-storage.json")
    #: Parent of the temp data dirs; None for the system temp dir.
    data_dir: Path | None = None

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; choose from {', '.join(MODES)}")
        if not self.backends:
            raise ValueError("no backend given")
        unknown = [name for name in self.backends if name not in BACKENDS]
        if unknown:
            raise ValueError(f"unknown backend {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
        positive = {"clients": self.clients, "value-size": self.value_size, "keys": self.keys,
                    "puts": self.puts, "range-keys": self.range_keys, "duration": self.duration,
                    "sample-interval": self.sample_interval}
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"--{name} must be positive, got {value}")
        if self.rate < 0 or self.retention < 0:
            raise ValueError("--rate and --retention must not be negative")
        if self.mode == "soak" and self.rate == 0:
            raise ValueError("soak mode needs a target rate (--rate > 0)")

    def to_json(self) -> dict[str, object]:
        return {"backends": list(self.backends), "mode": self.mode, "clients": self.clients,
                "value_size": self.value_size, "keys": self.keys, "puts": self.puts, "rate": self.rate,
                "range_keys": self.range_keys, "duration_s": self.duration,
                "sample_interval_s": self.sample_interval, "retention_s": self.retention,
                "etcd_endpoints": list(self.etcd_endpoints),
                "data_dir": str(self.data_dir) if self.data_dir else None}


def run(config: BenchConfig) -> int:
    """Runs the benchmark (``config`` must pass :meth:`BenchConfig.validate`) and reports it;
    the exit status is 1 if any backend failed."""
    results = uvloop.run(_run_all(config))
    console = Console()
    if not console.is_terminal:  # a file or pipe: let the table be as wide as it needs
        console = Console(width=200)
    print_report(config, results, console)
    write_json(config, results)
    return 1 if any(r.error for r in results) else 0


async def _run_all(config: BenchConfig) -> list[BackendResult]:
    value = os.urandom(config.value_size)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    results: list[BackendResult] = []
    with progress:
        for name in config.backends:
            spec = BackendSpec(name=name, parent_dir=config.data_dir, compaction_retention=config.retention,
                               etcd_endpoints=config.etcd_endpoints, prefixes=(PUT_PREFIX, RANGE_PREFIX))
            result = BackendResult(backend=name)
            try:
                async with open_backend(spec) as backend:
                    await _run_one(config, backend, value, progress, result)
            except Exception as exc:  # reported per backend; the other backends still run
                result.error = _describe(exc)
            results.append(result)
    return results


async def _run_one(config: BenchConfig, backend: BenchBackend, value: bytes, progress: Progress,
                   result: BackendResult) -> None:
    store = backend.store
    soak = config.mode == "soak"
    workload = PutWorkload(store, clients=config.clients, keys=config.keys, value=value, rate=config.rate,
                           total=None if soak else config.puts)
    if config.mode == "range":
        await populate_range_keys(store, count=config.range_keys, value=value)
    task = progress.add_task(f"{backend.name} {config.mode}", total=config.duration if soak else config.puts)
    probe = DiskProbe(config.data_dir or Path(tempfile.gettempdir()))
    probe.start()
    try:
        # The process freezes the collector's view as the API server's does (myriad.gcfreeze).
        async with _background(_track(progress, task, workload, by_time=soak),
                               freeze_periodically(interval=GC_FREEZE_INTERVAL)):
            if config.mode == "put":
                result.put = await workload.run()
            elif config.mode == "range":
                result.put, result.range = await _beside_range_reads(config, store, workload)
            else:
                await _soak(config, backend, workload, progress, result)
    finally:
        progress.remove_task(task)
        result.probe = probe.stop()
    result.revision = await store.current_revision()
    result.compacted_revision = await store.compacted_revision()
    result.disk = backend.disk_usage()


async def _beside_range_reads(config: BenchConfig, store: Store,
                              workload: PutWorkload) -> tuple[RateFigures, RateFigures]:
    puts_done = asyncio.Event()
    async with asyncio.TaskGroup() as group:  # a failing reader stops the puts, and vice versa
        reads = group.create_task(read_ranges(store, limit=config.range_keys, until=puts_done))
        puts = await workload.run()
        puts_done.set()
    return puts, reads.result()


async def _soak(config: BenchConfig, backend: BenchBackend, workload: PutWorkload, progress: Progress,
                result: BackendResult) -> None:
    sampler = SoakSampler(backend, workload, on_sample=partial(_on_sample, progress, backend.name, result))
    async with asyncio.TaskGroup() as group:
        puts = group.create_task(workload.run())
        await sampler.run(interval=config.sample_interval, duration=config.duration)
        workload.stop()
    result.put = puts.result()


@asynccontextmanager
async def _background(*jobs: Coroutine[object, object, None]) -> AsyncIterator[None]:
    """Runs ``jobs`` as tasks for the duration of the block; cancels them at its end."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


async def _track(progress: Progress, task: TaskID, workload: PutWorkload, *, by_time: bool) -> None:
    """Moves the bar by seconds elapsed (``by_time``) or by puts completed, until cancelled."""
    started = time.perf_counter()
    while True:
        progress.update(task, completed=time.perf_counter() - started if by_time else workload.completed)
        await asyncio.sleep(0.2)


def _on_sample(progress: Progress, backend: str, result: BackendResult, sample: SoakSample) -> None:
    result.soak.append(sample)
    progress.console.print(
        f"{backend} {sample.elapsed:.0f}s: {sample.puts_per_s:.0f} puts/s, p99 {sample.put_p99_ms:.2f} ms, "
        f"lag {sample.compaction_lag:,}, {format_disk(sample.disk)}", highlight=False
    )


def _describe(exc: BaseException) -> str:
    """The leaf causes of an exception group, or the exception itself."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(dict.fromkeys(_describe(e) for e in exc.exceptions))
    return f"{type(exc).__name__}: {exc}"
