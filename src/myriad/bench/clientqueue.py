"""``bench client`` (queue): do newly added objects wait behind an update storm?

In-process, on the real clock: ``update_rate`` updates a second cycle over ``update_keys`` keys
while ``add_rate`` adds a second bring new keys, for ``duration`` seconds, into one priority
queue (:func:`~myriad.client.workqueue.priority.priority_queue`). ``workers`` workers each take
``service_s`` per key, so the queue cannot keep up with the storm and a backlog builds (bounded
by de-duplication at ``update_keys``). Each key's time queued, from its first add to a worker
taking it, goes into an HDR histogram per event kind. The run is made with priorities on and
then off (FIFO), everything else equal.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from myriad.bench.histogram import LatencyHistogram
from myriad.client.workqueue.errors import ShutDown
from myriad.client.workqueue.priority import priority_queue
from myriad.client.workqueue.ratelimit import ItemExponentialLimiter

#: Producer ticks a second: adds and updates are issued in small batches this often.
TICKS = 100


@dataclass(frozen=True, kw_only=True)
class QueuePlan:
    update_rate: float = 5000.0
    add_rate: float = 50.0
    update_keys: int = 20_000
    workers: int = 4
    service_s: float = 0.002
    duration: float = 10.0


async def storm(plan: QueuePlan, *, prioritized: bool) -> dict[str, object]:
    queue = priority_queue(prioritized=prioritized, limiter=ItemExponentialLimiter())
    queued_at: dict[str, float] = {}
    waits = {"add": LatencyHistogram(), "update": LatencyHistogram()}
    done = {"add": 0, "update": 0}

    async def worker() -> None:
        while True:
            try:
                key = await queue.get()
            except ShutDown:
                return
            kind = "add" if key.startswith("new-") else "update"
            waits[kind].record_seconds(time.perf_counter() - queued_at.pop(key))
            done[kind] += 1
            await asyncio.sleep(plan.service_s)
            queue.done(key)

    def add(key: str, event: str) -> None:
        queued_at.setdefault(key, time.perf_counter())
        queue.add(key, event=event)

    workers = [asyncio.create_task(worker()) for _ in range(plan.workers)]
    started = time.perf_counter()
    updates = adds = tick = 0
    while (now := time.perf_counter() - started) < plan.duration:
        while updates < plan.update_rate * now:
            add(f"obj-{updates % plan.update_keys}", "update")
            updates += 1
        while adds < plan.add_rate * now:
            add(f"new-{adds}", "add")
            adds += 1
        tick += 1
        await asyncio.sleep(max(0.0, tick / TICKS - (time.perf_counter() - started)))
    backlog = len(queue)
    queue.shut_down()
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    return {"prioritized": prioritized, "updates_sent": updates, "adds_sent": adds, "adds_done": done["add"],
            "updates_done": done["update"], "backlog_at_end": backlog,
            "add_wait": waits["add"].percentiles().to_json(), "update_wait": waits["update"].percentiles().to_json()}
