"""``myriad nodes --processes P``: the nodes split into P contiguous shards, each run by a worker
process (``myriad nodes --worker --first F --count C``) under this supervisor.

A worker that exits while the supervisor is not stopping (killed, crashed) is started again
after a back-off (1 s doubling to 30 s, reset once it has run for a minute) with the same shard:
it adopts its nodes and their pods (:mod:`~myriad.nodes.registration`,
:class:`~myriad.nodes.podworkers.PodWorkers`), so nothing is created twice and no pod is left
stuck. Workers run in sessions of their own: SIGINT or SIGTERM reaches the supervisor, which
sends SIGTERM to each and waits for them (SIGKILL after ``stop_timeout``).

The workers' figures lines are summed (:func:`~myriad.nodes.figures.merge`) for the progress
bar and ``/metrics``. Concurrency: event loop only; one task per worker keeps it running.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass, field

import orjson

from myriad.nodes.command import RunOptions, stop_on_signals, summary
from myriad.nodes.figures import LINE_PREFIX, Snapshot, merge
from myriad.nodes.metrics import serve_metrics
from myriad.nodes.progress import ProgressView
from myriad.nodes.types import NodesOptions


def shards(first: int, count: int, processes: int) -> list[tuple[int, int]]:
    """``(first, count)`` of each worker: contiguous, as even as can be, none empty."""
    processes = max(1, min(processes, count))
    size, extra = divmod(count, processes)
    out, start = [], first
    for i in range(processes):
        length = size + (i < extra)
        out.append((start, length))
        start += length
    return out


@dataclass
class Worker:
    first: int
    count: int
    latest: Snapshot = field(default_factory=dict)
    #: The counters and requests of its earlier runs, so that totals never go down.
    retired: Snapshot = field(default_factory=dict)
    restarts: int = 0
    process: asyncio.subprocess.Process | None = None


async def supervise(options: NodesOptions, run: RunOptions, *, stop_timeout: float = 20.0) -> int:
    stopping = stop_on_signals()
    workers = [Worker(first, count) for first, count in shards(options.first, options.count, run.processes)]
    merged: list[Snapshot] = [merge([])]
    if run.metrics_port is not None:
        serve_metrics(run.metrics_port, lambda: merged[0])
    view = ProgressView(options.count)
    keepers = [asyncio.create_task(_keep(worker, run, stopping)) for worker in workers]
    try:
        while not stopping.is_set():
            merged[0] = _total(workers)
            view.update(merged[0])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), 1.0)
    finally:
        stopping.set()
        for worker in workers:
            if worker.process is not None and worker.process.returncode is None:
                worker.process.terminate()
        await asyncio.wait(keepers, timeout=stop_timeout)
        for worker in workers:
            if worker.process is not None and worker.process.returncode is None:
                worker.process.kill()
        await asyncio.gather(*keepers, return_exceptions=True)
        merged[0] = _total(workers)
        view.update(merged[0])
        view.close()
    restarts = sum(w.restarts for w in workers)
    print(f"{summary(merged[0])}; {len(workers)} workers, {restarts} restarts", flush=True)
    return 0


def _total(workers: list[Worker]) -> Snapshot:
    return merge([w.latest for w in workers] + [w.retired for w in workers])


async def _keep(worker: Worker, run: RunOptions, stopping: asyncio.Event) -> None:
    """Runs the worker, and runs it again when it dies, until stopping."""
    backoff = 1.0
    loop = asyncio.get_running_loop()
    while not stopping.is_set():
        started = loop.time()
        worker.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "myriad", "nodes", *run.worker_args, "--first", str(worker.first),
            "--count", str(worker.count), "--worker", stdout=asyncio.subprocess.PIPE, start_new_session=True)
        assert worker.process.stdout is not None
        async for line in worker.process.stdout:
            if line.startswith(LINE_PREFIX.encode()):
                with contextlib.suppress(orjson.JSONDecodeError):
                    worker.latest = orjson.loads(line[len(LINE_PREFIX):])
        code = await worker.process.wait()
        if stopping.is_set():
            return
        worker.restarts += 1
        worker.retired = merge([worker.retired, {"counters": worker.latest.get("counters"),
                                                 "requests": worker.latest.get("requests")}])
        worker.latest = {}
        last = worker.first + worker.count - 1
        print(f"worker for nodes {worker.first}-{last} exited ({code}); restarting it in {backoff:.0f} s",
              file=sys.stderr, flush=True)
        backoff = 1.0 if loop.time() - started > 60 else backoff
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), backoff)
        backoff = min(backoff * 2, 30.0)
