"""The wrapping layers: delays on an injected clock, rate limiters, and the priority queue."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from myriad.client.workqueue.delaying import DelayingQueue
from myriad.client.workqueue.priority import priority_queue
from myriad.client.workqueue.queue import Queue
from myriad.client.workqueue.ratelimit import BucketLimiter, ItemExponentialLimiter, MaxOfLimiter
from myriad.client.workqueue.ratelimited import RateLimitedQueue
from myriad.clock import FakeClock


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_add_after_makes_a_key_ready_only_when_the_clock_reaches_its_time() -> None:
    clock = FakeClock()
    queue = DelayingQueue(Queue(clock=clock))
    queue.add_after("late", 10)
    queue.add_after("soon", 1)
    await settle()
    assert len(queue) == 0 and queue.waiting() == 2
    clock.advance(1)
    await settle()
    assert len(queue) == 1 and await queue.get() == "soon"
    clock.advance(8.9)
    await settle()
    assert len(queue) == 0
    clock.advance(0.1)
    await settle()
    assert await queue.get() == "late"
    await queue.aclose()


async def test_an_earlier_add_after_wins_and_a_later_one_is_ignored() -> None:
    clock = FakeClock()
    queue = DelayingQueue(Queue(clock=clock))
    queue.add_after("k", 10)
    await settle()
    queue.add_after("k", 2)   # wakes the sleeper for the earlier time
    queue.add_after("k", 50)  # ignored
    await settle()
    clock.advance(2)
    await settle()
    assert await queue.get() == "k"
    queue.done("k")
    clock.advance(100)
    await settle()
    assert len(queue) == 0  # the ignored later add never fires
    await queue.aclose()


@pytest.mark.parametrize(("failures", "delays"), [
    (5, [0.005, 0.01, 0.02, 0.04, 0.08]),
])
def test_per_item_backoff_doubles_until_forgotten(failures: int, delays: list[float]) -> None:
    limiter = ItemExponentialLimiter(base_delay=0.005, max_delay=0.05)
    assert [limiter.when("k") for _ in range(failures)] == [min(d, 0.05) for d in delays]
    assert limiter.retries("k") == failures and limiter.when("other") == 0.005
    limiter.forget("k")
    assert limiter.when("k") == 0.005


def test_the_token_bucket_allows_a_burst_then_spaces_keys_at_its_rate() -> None:
    clock = FakeClock()
    bucket = BucketLimiter(qps=10, burst=3, clock=clock)
    assert [bucket.when(n) for n in range(3)] == [0, 0, 0]
    assert [round(bucket.when(n), 6) for n in range(3, 6)] == [0.1, 0.2, 0.3]
    clock.advance(1.0)  # refills 10 tokens (capped at 3) minus the 3 borrowed
    assert bucket.when("x") == 0


def test_max_of_limiters_takes_the_longest_delay() -> None:
    clock = FakeClock()
    limiter = MaxOfLimiter(ItemExponentialLimiter(base_delay=1.0, max_delay=100), BucketLimiter(qps=1, burst=1,
                                                                                                 clock=clock))
    assert limiter.when("a") == 1.0   # the bucket had a token; the item limiter says 1 s
    assert limiter.when("b") == 1.0   # the bucket is empty: 1 s for the next token
    assert limiter.when("a") == 2.0


async def test_rate_limited_adds_wait_their_backoff_and_count_retries() -> None:
    clock = FakeClock()
    queue = RateLimitedQueue(DelayingQueue(Queue(name="retry-test", clock=clock)),
                             ItemExponentialLimiter(base_delay=1, max_delay=10))
    queue.add_rate_limited("k")
    queue.add_rate_limited("k")  # the second failure asks for 2 s; the earlier 1 s wins
    await settle()
    clock.advance(1)
    await settle()
    assert await queue.get() == "k" and queue.retries("k") == 2
    assert REGISTRY.get_sample_value("workqueue_retries_total", {"name": "retry-test"}) == 2
    queue.forget("k")
    assert queue.retries("k") == 0
    await queue.queue.aclose()


@pytest.mark.parametrize(("prioritized", "first"), [(True, "new"), (False, "update-0")])
async def test_a_new_object_overtakes_an_update_storm_only_with_priorities(prioritized: bool, first: str) -> None:
    queue = priority_queue(clock=FakeClock(), prioritized=prioritized)
    for n in range(1000):
        queue.add(f"update-{n}", event="update")
    queue.add("new", event="add")
    assert await queue.get() == first


async def test_an_unknown_event_is_refused() -> None:
    queue = priority_queue(clock=FakeClock())
    with pytest.raises(ValueError, match="unknown event 'resync'"):
        queue.add("k", event="resync")
