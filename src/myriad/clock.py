"""Injectable time. Components take a :class:`Clock` so tests control time.

``now()`` is wall-clock seconds (it is persisted, e.g. lease expiry survives restarts);
``monotonic()`` measures intervals; ``sleep()`` waits on the clock's own time, so code that
sleeps through a clock runs instantly under a :class:`FakeClock` that a test advances.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that moves only when told to; for tests.

    :meth:`sleep` returns once :meth:`advance` has moved the clock to its deadline (a sleep of
    zero or less yields once). Sleepers wake in deadline order; ``advance`` may be called from
    the test's task while others sleep.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._mono = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    @property
    def sleepers(self) -> int:
        """Sleeps still waiting for the clock to reach their deadline."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._order), future))
        await future

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._mono += seconds
        while self._sleepers and self._sleepers[0][0] <= self._mono:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
