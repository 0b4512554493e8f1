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
from myriad.client.workqueue.wrapper import QueueWrapper


class RateLimitedQueue(QueueWrapper):
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
