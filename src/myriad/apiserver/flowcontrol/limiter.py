"""Seats, queues and rejections (see :mod:`.types` for the model).

Concurrency: event loop only. :meth:`FlowController.admit` may await (a queued request waits
for its seat); everything else runs without awaiting, so seat counts never race.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from myriad.apiserver.flowcontrol.classify import HEADER, classify
from myriad.apiserver.flowcontrol.types import FlowControlOptions, LevelConfig
from myriad.apiserver.requestinfo import RequestInfo

#: A background request's run counts for at most this long towards the pause after it.
MAX_BACKGROUND_RUN = 1.0


class Rejected(Exception):
    """A request flow control turned away: answered 429 with ``Retry-After``."""

    def __init__(self, level: str, schema: str, reason: str, retry_after: int = 1) -> None:
        super().__init__(f"{level}: {reason}")
        self.level = level
        self.schema = schema
        self.reason = reason
        self.retry_after = retry_after


class Level:
    def __init__(self, config: LevelConfig, seats: int) -> None:
        self.config = config
        self.seats = seats
        self.executing = 0
        self._queue: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def take(self, seats: int) -> bool:
        """Takes ``seats`` if they are free and nobody queues ahead."""
        if self._queue or self.executing + seats > self.seats:
            return False
        self.executing += seats
        return True

    def enqueue(self, seats: int) -> asyncio.Future[None] | None:
        """A future that resolves once the seats are this request's; None if the queue is full."""
        if len(self._queue) >= self.config.queue_length:
            return None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((seats, future))
        return future

    def withdraw(self, seats: int, future: asyncio.Future[None]) -> None:
        """A queued request gave up; if its seats had just been granted, they go back."""
        if future.done() and not future.cancelled():
            self.release(seats)
            return
        future.cancel()
        self._queue = deque(item for item in self._queue if item[1] is not future)
        self._dispatch()

    def release(self, seats: int) -> None:
        self.executing -= seats
        self._dispatch()

    def _dispatch(self) -> None:
        queue = self._queue
        while queue and self.executing + queue[0][0] <= self.seats:
            seats, future = queue.popleft()
            if future.cancelled():
                continue
            self.executing += seats
            future.set_result(None)


@dataclass(slots=True)
class Ticket:
    """A request's seats, held until :meth:`release`."""

    controller: FlowController
    level: Level
    seats: int
    started: float

    def release(self) -> None:
        self.level.release(self.seats)
        self.controller.finished(self)


class FlowController:
    def __init__(self, options: FlowControlOptions, *, count_objects: Callable[[RequestInfo], int]) -> None:
        """``count_objects(info)``: about how many objects a list would return (its width)."""
        self.options = options
        self._count = count_objects
        total = options.max_readonly + options.max_mutating
        shares = sum(level.shares for level in options.levels)
        self.levels = {c.name: Level(c, max(1, math.ceil(total * c.shares / shares))) for c in options.levels}
        self._names = frozenset(self.levels)
        self.watches = 0
        #: (level, flow schema, reason) -> requests rejected.
        self.rejected: dict[tuple[str, str, str], int] = {}
        #: (level, flow schema) -> requests admitted.
        self.dispatched: dict[tuple[str, str], int] = {}
        self._foreground = 0
        self._foreground_seen = float("-inf")
        self._background_running = 0
        self._background_next = float("-inf")
        self._background_done = asyncio.Event()

    def classify(self, info: RequestInfo, user_agent: str, header: str) -> tuple[str, str]:
        return classify(info, user_agent, header, self._names)

    async def admit(self, info: RequestInfo, *, user_agent: str, headers: dict[str, str]) -> Ticket | None:
        """Seats for a non-long-running resource request (waiting in its level's queue if need
        be); None for a watch, which only counts against ``max_watches``. Raises
        :class:`Rejected`."""
        level_name, schema = self.classify(info, user_agent, headers.get(HEADER, ""))
        if info.verb == "watch":
            if self.watches >= self.options.max_watches:
                raise self._reject(level_name, schema, "concurrency-limit")
            self.watches += 1
            self._count_dispatch(level_name, schema)
            return None
        level = self.levels[level_name]
        background = level.config.background_share is not None
        if background:
            await self._background_turn(level, schema)
            self._background_running += 1  # counted from here, so others wait while it queues
        try:
            seats = await self._seats(info, level, level_name, schema)
        except BaseException:
            if background:
                self._background_running -= 1
                self._background_done.set()
                self._background_done = asyncio.Event()
            raise
        self._count_dispatch(level_name, schema)
        if not background:
            self._foreground += 1
        return Ticket(self, level, seats, self.options.clock.monotonic())

    async def _seats(self, info: RequestInfo, level: Level, level_name: str, schema: str) -> int:
        seats = min(self._width(info), level.seats)
        if not level.take(seats):
            future = level.enqueue(seats)
            if future is None:
                raise self._reject(level_name, schema, "queue-full")
            try:
                await asyncio.wait_for(asyncio.shield(future), self.options.queue_wait)
            except TimeoutError:
                level.withdraw(seats, future)
                raise self._reject(level_name, schema, "time-out") from None
            except asyncio.CancelledError:
                level.withdraw(seats, future)
                raise
        return seats

    def finished(self, ticket: Ticket) -> None:
        now = self.options.clock.monotonic()
        share = ticket.level.config.background_share
        if share is None:
            self._foreground -= 1
            self._foreground_seen = now
            return
        self._background_running -= 1
        pause = min(now - ticket.started, MAX_BACKGROUND_RUN) * (1 - share) / share
        self._background_next = max(self._background_next, now + pause)
        self._background_done.set()
        self._background_done = asyncio.Event()

    def _contended(self) -> bool:
        """Whether requests of foreground levels are in flight, or were a moment ago."""
        return self._foreground > 0 or (self.options.clock.monotonic() - self._foreground_seen
                                        < self.options.busy_window)

    async def _background_turn(self, level: Level, schema: str) -> None:
        """Waits until a background request may start: nothing of its kind running, and its
        pause over, while the foreground is busy. Raises Rejected after ``queue_wait``."""
        clock = self.options.clock
        deadline = clock.monotonic() + self.options.queue_wait
        while self._contended() and (self._background_running > 0 or clock.monotonic() < self._background_next):
            now = clock.monotonic()
            if now >= deadline:
                raise self._reject(level.config.name, schema, "time-out")
            wait = min(deadline, self._background_next if self._background_running == 0 else deadline) - now
            try:
                await asyncio.wait_for(self._background_done.wait(), max(0.001, min(wait, 0.05)))
            except TimeoutError:
                pass

    def watch_ended(self) -> None:
        self.watches -= 1

    def _width(self, info: RequestInfo) -> int:
        if info.verb != "list":
            return 1
        objects = self._count(info)
        return max(1, min(self.options.max_seats, math.ceil(objects / self.options.objects_per_seat)))

    def _count_dispatch(self, level: str, schema: str) -> None:
        key = (level, schema)
        self.dispatched[key] = self.dispatched.get(key, 0) + 1

    def _reject(self, level: str, schema: str, reason: str) -> Rejected:
        key = (level, schema, reason)
        self.rejected[key] = self.rejected.get(key, 0) + 1
        return Rejected(level, schema, reason)
