"""When each node's next heartbeat is due: one heap for every node of a process, never a task or
a timer per node.

Nodes start spread evenly over one period (node ``i`` of ``n`` is first due ``i/n`` of the way
through it), so ten thousand nodes renewing every 10 s make a steady thousand renewals a second
rather than a burst every 10 s. :func:`drive` runs one schedule: each due node's beat is a short
task. Event loop only; the schedule itself never awaits.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable

from myriad.clock import Clock


class HeartbeatSchedule:
    def __init__(self, *, interval: float) -> None:
        self._interval = interval
        self._heap: list[tuple[float, int]] = []

    def __len__(self) -> int:
        return len(self._heap)

    def spread(self, indexes: list[int], *, now: float, after: bool = False) -> None:
        """Files ``indexes``, the first due at ``now`` (or, ``after``, one interval on), the rest
        evenly over one interval."""
        count = len(indexes)
        start = now + self._interval if after else now
        for position, index in enumerate(indexes):
            heapq.heappush(self._heap, (start + self._interval * position / max(count, 1), index))

    def due(self, now: float) -> list[int]:
        """The nodes due by ``now``, each filed again one interval after its due time (not after
        ``now``: a late tick does not shift the spread)."""
        heap, out = self._heap, []
        while heap and heap[0][0] <= now:
            due, index = heapq.heappop(heap)
            out.append(index)
            heapq.heappush(heap, (max(due + self._interval, now), index))
        return out

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None


async def drive(schedule: HeartbeatSchedule, indexes: list[int], beat: Callable[[int], Awaitable[None]], *,
                clock: Clock, skip: Callable[[int], bool] = lambda _: False, first_after: bool = False) -> None:
    """Spreads ``indexes`` over ``schedule`` (``first_after``: starting one interval on) and
    starts ``beat(index)`` for each node as it falls due (unless ``skip(index)``), until
    cancelled; then cancels the beats in flight."""
    schedule.spread(indexes, now=clock.monotonic(), after=first_after)
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
