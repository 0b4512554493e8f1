"""``bench client`` (informer): an informer in a process of its own, so its memory is its own.

The child pins itself to the load CPUs, starts a pods informer on one namespace (synced by a
list, or by a watch-list), reports the time to sync and its RSS before, at its peak and after,
then times every update event from the ``bench/sent``
wall-clock annotation the updater stamped as it sent the update to the moment its handler ran,
the rate at which those events arrived and the process's CPU per event, until told to stop.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import resource
import time
from dataclasses import dataclass

import uvloop

from myriad.bench.histogram import LatencyHistogram
from myriad.bench.loadprocess import pin
from myriad.bench.readscenarios import SENT
from myriad.client.informers.informer import Handler, SharedInformer
from myriad.client.informers.reflector import ReflectorOptions
from myriad.client.objects import Object
from myriad.client.rest import Client
from myriad.client.types import PODS, ClientOptions


@dataclass(frozen=True)
class InformerPlan:
    url: str
    namespace: str
    expected: int
    page_size: int
    cpus: frozenset[int] | None
    compress: bool = False
    watch_list: bool = False


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def main(plan: InformerPlan, queue: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    pin(plan.cpus)
    try:
        uvloop.run(_run(plan, queue, stop))
    except Exception as exc:  # reported, so the parent fails with the reason
        queue.put({"error": repr(exc)})


async def _run(plan: InformerPlan, queue: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    gc.collect()
    rss_start = rss_bytes()
    lag = LatencyHistogram()
    updates = 0
    first = last = 0.0

    def on_update(_old: Object, new: Object) -> None:
        nonlocal updates, first, last
        sent = new.annotations.get(SENT)
        if sent is not None:
            last = time.perf_counter()
            first = first or last
            lag.record_seconds(time.time() - float(sent))
            updates += 1

    async with Client(ClientOptions(endpoints=(plan.url,), user_agent="myriad-bench-informer")) as client:
        informer = SharedInformer(client, PODS, options=ReflectorOptions(namespace=plan.namespace,
                                                                          page_size=plan.page_size,
                                                                          watch_list=plan.watch_list),
                                  compress=plan.compress)
        informer.add_handler(Handler(on_update=on_update))
        started = time.perf_counter()
        informer.start()
        await informer.wait_for_sync()
        synced = time.perf_counter() - started
        objects = len(informer.indexer)
        gc.collect()
        queue.put({"sync_s": synced, "objects": objects, "rss_start": rss_start, "rss_synced": rss_bytes(),
                   "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                   "lists": informer.reflector.stats.lists})
        cpu_synced = time.process_time()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        cpu = time.process_time() - cpu_synced
        queue.put({"updates": updates, "events_per_s": updates / (last - first) if last > first else 0.0,
                   "cpu_us_per_event": cpu / updates * 1e6 if updates else None,
                   "lag": lag.percentiles().to_json(), "rss_end": rss_bytes(),
                   "objects_end": len(informer.indexer), "relists": informer.reflector.stats.lists - 1,
                   "watches": informer.reflector.stats.watches})
        await informer.stop()
