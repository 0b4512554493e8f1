"""The watch fan-out bench's watchers, in a process of their own (scenario b of
:mod:`myriad.bench.reads`).

One process opens a watch per node (``pods?fieldSelector=spec.nodeName=node-i``) plus a few
unfiltered pod watches, all from the same revision, reports when every watch is open, then
records for each MODIFIED event the delay from the ``bench/sent`` annotation the updater wrote
(wall clock, same machine) to its arrival, until told to stop. It answers with the counts and
the latency histogram's percentiles.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from dataclasses import dataclass

import orjson
import uvloop

from myriad.bench.histogram import LatencyHistogram
from myriad.bench.loadprocess import LoadProcess, pin, spawn
from myriad.bench.watchclient import WatchStream

SENT = "bench/sent"


@dataclass(frozen=True, kw_only=True)
class WatcherPlan:
    host: str
    port: int
    namespace: str
    nodes: int
    unfiltered: int
    revision: int
    cpus: frozenset[int] | None = None


def start(plan: WatcherPlan) -> LoadProcess:
    """Starts the watcher process; the queue yields ``"ready"`` then the result dict; setting the
    event stops it."""
    return spawn(_main, plan)


def _main(plan: WatcherPlan, queue: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    pin(plan.cpus)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    queue.put(uvloop.run(_watch(plan, queue, stop)))


async def _watch(plan: WatcherPlan, queue: multiprocessing.Queue, stop: multiprocessing.Event) -> dict[str, object]:
    histogram = LatencyHistogram()
    counts = {"events": 0, "modified": 0, "other": 0}

    def on_line(_stream: WatchStream, line: bytes) -> None:
        counts["events"] += 1
        event = orjson.loads(line)
        if event["type"] != "MODIFIED":
            counts["other"] += 1
            return
        counts["modified"] += 1
        sent = (event["object"]["metadata"].get("annotations") or {}).get(SENT)
        if sent is not None:
            histogram.record_seconds(max(0.0, time.time() - float(sent)))

    base = f"/api/v1/namespaces/{plan.namespace}/pods?watch=1&resourceVersion={plan.revision}&timeoutSeconds=3600"
    paths = [f"{base}&fieldSelector=spec.nodeName%3Dnode-{i}" for i in range(plan.nodes)]
    paths += [base] * plan.unfiltered
    streams: list[WatchStream] = []
    for first in range(0, len(paths), 500):
        streams += await asyncio.gather(*(WatchStream.open(plan.host, plan.port, path, on_line)
                                          for path in paths[first:first + 500]))
    while any(stream.status == 0 for stream in streams):
        await asyncio.sleep(0.05)
    failed = sum(stream.status != 200 for stream in streams)
    queue.put("ready")
    while not stop.is_set():
        await asyncio.sleep(0.1)
    ended = sum(stream.ended.done() for stream in streams)
    for stream in streams:
        stream.close()
    return {"watchers": len(streams), "failed": failed, "ended_early": ended, **counts,
            "latency": histogram.percentiles().to_json()}
