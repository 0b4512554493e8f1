"""The base workqueue: de-duplicated keys, each held by at most one worker.

Semantics (client-go's ``workqueue.Type``):

* ``add(key)`` of a key already waiting does nothing (with a higher priority, moves it up).
* ``get()`` hands out the next ready key and marks it processing; ``done(key)`` ends that.
* A key added while it is processing is not handed out again until ``done``; then it is
  re-queued once, however many times it was added meanwhile.
* ``shut_down()`` wakes every ``get`` with :class:`~.errors.ShutDown` once no keys are left to
  give; ``shut_down_with_drain()`` also waits until every processing key is done.

Concurrency: one event loop; no method awaits except ``get`` and ``shut_down_with_drain``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

from myriad.client.workqueue.errors import ShutDown
from myriad.client.workqueue.lanes import FifoLanes, Lanes
from myriad.client.workqueue.metrics import QueueMetrics
from myriad.clock import Clock, SystemClock


class Queue:
    def __init__(self, *, name: str = "", clock: Clock | None = None, lanes: Lanes | None = None) -> None:
        self.name = name
        self.clock = clock or SystemClock()
        self._ready: Lanes = lanes if lanes is not None else FifoLanes()
        #: Keys that need processing (waiting or dirtied while processing), with their priority.
        self._dirty: dict[Hashable, int] = {}
        self._processing: dict[Hashable, float] = {}
        self._added_at: dict[Hashable, float] = {}
        self._getters: list[asyncio.Future[None]] = []
        self._drained: asyncio.Event | None = None
        self._shutting_down = False
        self._metrics = QueueMetrics(name) if name else None

    def add(self, key: Hashable, *, priority: int = 0) -> None:
        """Marks ``key`` as needing work (ignored after shutdown)."""
        if self._shutting_down:
            return
        known = self._dirty.get(key)
        if known is not None and known <= priority and key not in self._processing:
            return
        self._dirty[key] = min(priority, known) if known is not None else priority
        if key in self._processing:
            return  # re-queued at done()
        if known is None:
            self._added_at[key] = self.clock.monotonic()
            if self._metrics:
                self._metrics.adds.inc()
        self._ready.push(key, self._dirty[key])
        self._publish_depth()
        self._wake_one()

    async def get(self) -> Hashable:
        """The next ready key, now processing; raises ShutDown once shut down and empty."""
        while not len(self._ready):
            if self._shutting_down:
                raise ShutDown(f"queue {self.name or '(unnamed)'} is shut down")
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._getters:
                    self._getters.remove(waiter)
        key = self._ready.pop()
        del self._dirty[key]
        now = self.clock.monotonic()
        self._processing[key] = now
        added = self._added_at.pop(key, now)
        if self._metrics:
            self._metrics.queue_duration.observe(now - added)
            self._metrics.in_progress.inc()
            self._publish_depth()
        if len(self._ready):
            self._wake_one()  # another getter may take the next key
        return key

    def done(self, key: Hashable) -> None:
        """Ends the processing of ``key``; re-queues it if it was added meanwhile."""
        started = self._processing.pop(key, None)
        if started is None:
            return
        if self._metrics:
            self._metrics.work_duration.observe(self.clock.monotonic() - started)
            self._metrics.in_progress.dec()
        priority = self._dirty.get(key)
        if priority is not None:
            self._added_at[key] = self.clock.monotonic()
            self._ready.push(key, priority)
            self._publish_depth()
            self._wake_one()
        if self._drained is not None and not self._processing:
            self._drained.set()

    def shut_down(self) -> None:
        """No new keys; getters get ShutDown once the waiting keys are taken."""
        self._shutting_down = True
        for waiter in self._getters:
            if not waiter.done():
                waiter.set_result(None)

    async def shut_down_with_drain(self) -> None:
        """:meth:`shut_down`, then waits until every processing key is done."""
        self.shut_down()
        if self._processing:
            self._drained = asyncio.Event()
            await self._drained.wait()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def __len__(self) -> int:
        """Keys waiting to be handed out."""
        return len(self._ready)

    def processing(self) -> int:
        return len(self._processing)

    def _wake_one(self) -> None:
        for waiter in self._getters:
            if not waiter.done():
                waiter.set_result(None)
                return

    def _publish_depth(self) -> None:
        if self._metrics:
            self._metrics.depth.set(len(self._ready))
