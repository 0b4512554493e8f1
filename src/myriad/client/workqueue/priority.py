"""The priority queue: keys carry a priority, by default taken from the event that queued them.

Default order (NetEase's multi-priority workqueue): ``add`` > ``update`` > ``delete`` >
``sync`` (a periodic resync, or an update that changed nothing). An update storm or a resync of
every object therefore cannot delay a newly added object: the add jumps every waiting update.
A key queued twice keeps the higher of its priorities.

Lower priorities are never starved for good. The base queue's :class:`~.lanes.PriorityLanes`
bound the ratio: a waiting lane is served at least once every ``max_skips + lanes`` keys
handed out (``max_skips`` = 10 by default), whatever arrives above it.

Build one with :func:`priority_queue`, which stacks every layer: base queue with priority lanes
→ delaying → rate-limited → this.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from myriad.client.workqueue.delaying import DelayingQueue
from myriad.client.workqueue.lanes import PriorityLanes
from myriad.client.workqueue.queue import Queue
from myriad.client.workqueue.ratelimit import RateLimiter, default_controller_limiter
from myriad.client.workqueue.ratelimited import RateLimitedQueue
from myriad.client.workqueue.wrapper import QueueWrapper
from myriad.clock import Clock, SystemClock

#: Event → priority (0 is served first).
DEFAULT_PRIORITIES: Mapping[str, int] = {"add": 0, "update": 1, "delete": 2, "sync": 3}


class PriorityQueue(QueueWrapper):
    def __init__(self, queue: RateLimitedQueue, *, priorities: Mapping[str, int] = DEFAULT_PRIORITIES) -> None:
        self.queue = queue
        self.priorities = dict(priorities)
        self.clock = queue.clock

    def priority(self, event: str) -> int:
        """The priority of ``event``; ValueError for an event the mapping does not name."""
        try:
            return self.priorities[event]
        except KeyError:
            raise ValueError(f"unknown event {event!r}; known: {', '.join(self.priorities)}") from None

    def add(self, key: Hashable, *, event: str = "update") -> None:
        self.queue.add(key, priority=self.priority(event))

    def add_after(self, key: Hashable, delay: float, *, event: str = "update") -> None:
        self.queue.add_after(key, delay, priority=self.priority(event))

    def add_rate_limited(self, key: Hashable, *, event: str = "update") -> None:
        self.queue.add_rate_limited(key, priority=self.priority(event))

    def forget(self, key: Hashable) -> None:
        self.queue.forget(key)

    def retries(self, key: Hashable) -> int:
        return self.queue.retries(key)



def priority_queue(*, name: str = "", clock: Clock | None = None, limiter: RateLimiter | None = None,
                   priorities: Mapping[str, int] = DEFAULT_PRIORITIES, max_skips: int = 10,
                   prioritized: bool = True) -> PriorityQueue:
    """Every layer stacked. With ``prioritized=False`` the base queue is FIFO (for comparison:
    events still map to priorities, which are then ignored)."""
    clock = clock or SystemClock()
    lanes = PriorityLanes(max(priorities.values()) + 1, max_skips=max_skips) if prioritized else None
    base = Queue(name=name, clock=clock, lanes=lanes)
    limited = RateLimitedQueue(DelayingQueue(base), limiter or default_controller_limiter(clock))
    return PriorityQueue(limited, priorities=priorities)
