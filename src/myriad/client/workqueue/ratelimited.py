"""A delaying queue whose failed keys come back after a rate limiter's delay.

``add_rate_limited(key)`` re-adds a key after ``limiter.when(key)`` (and counts a retry);
``forget(key)`` clears its failure history once it succeeds; ``retries(key)`` tells how many
times it has failed. Everything else is the delaying queue's.
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.client.workqueue.delaying import DelayingQueue
from myriad.client.workqueue.metrics import QueueMetrics
from myriad.client.workqueue.ratelimit import RateLimiter


class RateLimitedQueue:
    def __init__(self, queue: DelayingQueue, limiter: RateLimiter) -> None:
        self.queue = queue
        self.limiter = limiter
        self.clock = queue.clock
        name = queue.queue.name
        self._metrics = QueueMetrics(name) if name else None

    def add(self, key: Hashable, *, priority: int = 0) -> None:
        self.queue.add(key, priority=priority)

    def add_after(self, key: Hashable, delay: float, *, priority: int = 0) -> None:
        self.queue.add_after(key, delay, priority=priority)

    def add_rate_limited(self, key: Hashable, *, priority: int = 0) -> None:
        if self._metrics:
            self._metrics.retries.inc()
        self.queue.add_after(key, self.limiter.when(key), priority=priority)

    def forget(self, key: Hashable) -> None:
        self.limiter.forget(key)

    def retries(self, key: Hashable) -> int:
        return self.limiter.retries(key)

    async def get(self) -> Hashable:
        return await self.queue.get()

    def done(self, key: Hashable) -> None:
        self.queue.done(key)

    def __len__(self) -> int:
        return len(self.queue)

    @property
    def shutting_down(self) -> bool:
        return self.queue.shutting_down

    def shut_down(self) -> None:
        self.queue.shut_down()

    async def shut_down_with_drain(self) -> None:
        await self.queue.shut_down_with_drain()
