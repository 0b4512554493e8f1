"""A queue with ``add_after``: keys become ready once their delay has passed on the clock.

Waiting keys sit in a heap ordered by ready time; one task per queue sleeps on the injected
clock until the earliest is due, and wakes early when an earlier key arrives. A key added after
a delay while it already waits for a later time is moved earlier; a later time is ignored (the
earliest wins, as in client-go).

Concurrency: one event loop. The waiting task starts with the first delayed add and stops at
shutdown.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Hashable

from myriad.client.tasks import cancel_and_wait
from myriad.client.workqueue.queue import Queue
from myriad.client.workqueue.wrapper import QueueWrapper


class DelayingQueue(QueueWrapper):
    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.clock = queue.clock
        self._heap: list[tuple[float, int, Hashable, int]] = []
        self._due: dict[Hashable, float] = {}
        self._order = itertools.count()
        self._waker: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    # adding, delegated (taking, finishing and length come from QueueWrapper)

    def add(self, key: Hashable, *, priority: int = 0) -> None:
        self.queue.add(key, priority=priority)

    def shut_down(self) -> None:
        self.queue.shut_down()
        self._stop_waiting()

    async def shut_down_with_drain(self) -> None:
        self._stop_waiting()
        await self.queue.shut_down_with_drain()

    # delays

    def add_after(self, key: Hashable, delay: float, *, priority: int = 0) -> None:
        """Adds ``key`` once ``delay`` seconds have passed (at once if ``delay`` <= 0)."""
        if self.queue.shutting_down:
            return
        if delay <= 0:
            self.queue.add(key, priority=priority)
            return
        due = self.clock.monotonic() + delay
        known = self._due.get(key)
        if known is not None and known <= due:
            return
        self._due[key] = due
        heapq.heappush(self._heap, (due, next(self._order), key, priority))
        if self._task is None:
            self._waker = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._wait_loop(), name="myriad-workqueue-delay")
        elif self._heap[0][2] == key and self._waker is not None:
            self._waker.set()  # an earlier deadline than the one being slept on

    def waiting(self) -> int:
        """Keys waiting for their delay."""
        return len(self._due)

    async def _wait_loop(self) -> None:
        assert self._waker is not None
        while True:
            now = self.clock.monotonic()
            while self._heap and self._heap[0][0] <= now:
                due, _, key, priority = heapq.heappop(self._heap)
                if self._due.get(key) == due:
                    del self._due[key]
                    self.queue.add(key, priority=priority)
            self._waker.clear()
            if not self._heap:
                await self._waker.wait()
                continue
            sleep = asyncio.ensure_future(self.clock.sleep(self._heap[0][0] - now))
            woken = asyncio.ensure_future(self._waker.wait())
            try:
                await asyncio.wait((sleep, woken), return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleep.cancel()
                woken.cancel()

    def _stop_waiting(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def aclose(self) -> None:
        """Stops the waiting task (shutdown does too) and waits for it to end."""
        task, self._task = self._task, None
        await cancel_and_wait([task])
