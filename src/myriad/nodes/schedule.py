"""When each node's next heartbeat is due: one heap for every node of a process, never a task or
a timer per node.

Nodes start spread evenly over one period (node ``i`` of ``n`` is first due ``i/n`` of the way
through it), so ten thousand nodes renewing every 10 s make a steady thousand renewals a second
rather than a burst every 10 s. Each node is then filed again one interval later, lengthened by a
random fraction up to ``jitter`` (upstream's ``wait.JitterUntil``, 0.04 for the kubelet's lease
and status loops), so that nodes started together drift apart rather than write in step.
:func:`drive` runs one schedule: each due node's beat is a short
task. Event loop only; the schedule itself never awaits.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections.abc import Awaitable, Callable

from myriad.clock import Clock


class HeartbeatSchedule:
    def __init__(self, *, interval: float, jitter: float = 0.0, rng: random.Random | None = None) -> None:
        self._interval = interval
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._heap: list[tuple[float, int]] = []

    def __len__(self) -> int:
        return len(self._heap)

    def spread(self, indexes: list[int], *, now: float) -> None:
        """Files ``indexes``, the first due at ``now``, the rest evenly over one interval."""
        count = len(indexes)
        for position, index in enumerate(indexes):
            heapq.heappush(self._heap, (now + self._interval * position / max(count, 1), index))

    def due(self, now: float) -> list[int]:
        """The nodes due by ``now``, each filed again one (jittered) interval after its due time
        (not after ``now``: a late tick does not shift the spread)."""
        heap, out, jitter, uniform = self._heap, [], self._jitter, self._rng.random
        while heap and heap[0][0] <= now:
            due, index = heapq.heappop(heap)
            out.append(index)
            period = self._interval * (1.0 + jitter * uniform()) if jitter else self._interval
            heapq.heappush(heap, (max(due + period, now), index))
        return out

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None


async def drive(schedule: HeartbeatSchedule, indexes: list[int], beat: Callable[[int], Awaitable[None]], *,
                clock: Clock, skip: Callable[[int], bool] = lambda _: False) -> None:
    """Spreads ``indexes`` over ``schedule`` and
    starts ``beat(index)`` for each node as it falls due (unless ``skip(index)``), until
    cancelled; then cancels the beats in flight."""
    schedule.spread(indexes, now=clock.monotonic())
    tasks: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    try:
        while True:
            for index in schedule.due(clock.monotonic()):
                if not skip(index):
                    task = loop.create_task(beat(index))  # type: ignore[arg-type]
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
            next_due = schedule.next_due()
            await clock.sleep(0.05 if next_due is None else min(1.0, max(0.0, next_due - clock.monotonic())))
    finally:
        for task in list(tasks):
            task.cancel()
