"""``myriad nodes``: one process of hollow nodes, or (``--processes P``) a supervisor of P.

A single process shows its progress (:mod:`~myriad.nodes.progress`), serves ``/metrics`` if
asked (:mod:`~myriad.nodes.metrics`) and stops cleanly on SIGINT or SIGTERM, leaving its nodes
registered as stopped kubelets leave theirs. Run as a supervisor's worker (``--worker``), it
prints its figures as a line each second instead, and stops if the supervisor goes.
"""

from __future__ import annotations

import asyncio
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import uvloop

from myriad import gcfreeze
from myriad.gcfreeze import freeze_periodically
from myriad.nodes.figures import LINE_PREFIX, Snapshot, snapshot
from myriad.nodes.hollow import HollowNodes, client_for
from myriad.nodes.metrics import serve_metrics
from myriad.nodes.progress import ProgressView
from myriad.nodes.types import NodesOptions


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    servers: tuple[str, ...] = ()
    kubeconfig: str | None = None
    processes: int = 1
    metrics_port: int | None = None
    #: A supervisor's worker: figures lines on stdout, no progress bar, no /metrics.
    worker: bool = False
    #: The flags every worker gets (all but its share of the nodes).
    worker_args: tuple[str, ...] = ()


def main(options: NodesOptions, run: RunOptions) -> int:
    raise_file_limit()  # a watch per node is a socket per node
    if run.processes > 1:
        from myriad.nodes.supervisor import supervise
        return uvloop.run(supervise(options, run))
    return uvloop.run(_serve(options, run))


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def stop_on_signals() -> asyncio.Event:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    return stopping


async def _serve(options: NodesOptions, run: RunOptions) -> int:
    stopping = stop_on_signals()
    # Ten thousand nodes' watches and pods are long-lived objects: freeze them out of the
    # collector's walks, as the API server does, or a full collection stalls every heartbeat.
    freezer = asyncio.create_task(freeze_periodically(interval=gcfreeze.DEFAULT_INTERVAL))
    try:
        return await _run(options, run, stopping)
    finally:
        freezer.cancel()
        await asyncio.gather(freezer, return_exceptions=True)


async def _run(options: NodesOptions, run: RunOptions, stopping: asyncio.Event) -> int:
    async with client_for(run.servers, run.kubeconfig) as client:
        nodes = HollowNodes(client, options)
        latest: list[Snapshot] = [snapshot(nodes)]
        view = None if run.worker else ProgressView(options.count)
        if run.metrics_port is not None and not run.worker:
            serve_metrics(run.metrics_port, lambda: latest[0])
        runner = asyncio.create_task(nodes.run())
        reporter = asyncio.create_task(_report(nodes, latest, view, worker=run.worker, stop=stopping.set))
        stop = asyncio.create_task(stopping.wait())
        await asyncio.wait({runner, stop}, return_when=asyncio.FIRST_COMPLETED)
        for task in (runner, stop, reporter):
            task.cancel()
        await asyncio.gather(runner, stop, reporter, return_exceptions=True)
        if view is not None:
            view.update(snapshot(nodes))
            view.close()
        if runner.done() and not runner.cancelled() and runner.exception() is not None and not stopping.is_set():
            print(f"myriad nodes: {runner.exception()}", flush=True)
            return 1
        if not run.worker:
            print(summary(snapshot(nodes)), flush=True)
    return 0


async def _report(nodes: HollowNodes, latest: list[Snapshot], view: ProgressView | None, *, worker: bool,
                  stop: Callable[[], None]) -> None:
    while True:
        latest[0] = figures = snapshot(nodes)
        if view is not None:
            view.update(figures)
        if worker:
            try:
                print(LINE_PREFIX + orjson.dumps(figures).decode(), flush=True)
            except (BrokenPipeError, ValueError):
                stop()  # the supervisor is gone
                return
        await asyncio.sleep(1.0)


def summary(figures: Snapshot) -> str:
    counters = figures.get("counters") or {}
    pods = ", ".join(f"{count} {phase}" for phase, count in sorted((figures.get("pods") or {}).items())) or "none"
    return (f"stopped: {counters.get('lease_renewals', 0)} lease renewals ({counters.get('lease_conflicts', 0)} "
            f"conflicts, {counters.get('lease_errors', 0)} errors), {counters.get('status_reports', 0)} status reports "
            f"({counters.get('status_report_errors', 0)} errors); pods admitted {counters.get('pods_admitted', 0)}, "
            f"rejected {counters.get('pods_rejected', 0)}, adopted {counters.get('pods_adopted', 0)}; "
            f"running now: {pods}")
