"""The base queue and its lanes: de-duplication, one worker per key, shutdown, priority order."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from myriad.client.workqueue.errors import ShutDown
from myriad.client.workqueue.lanes import PriorityLanes
from myriad.client.workqueue.queue import Queue
from myriad.clock import FakeClock


async def drain(queue: Queue) -> list:
    taken = []
    while len(queue):
        key = await queue.get()
        taken.append(key)
        queue.done(key)
    return taken


async def test_adding_a_waiting_key_again_does_nothing() -> None:
    queue = Queue()
    for key in ("a", "b", "a", "c", "b"):
        queue.add(key)
    assert await drain(queue) == ["a", "b", "c"]


async def test_a_key_being_processed_is_not_handed_out_twice_and_comes_back_once_after_done() -> None:
    queue = Queue()
    queue.add("a")
    assert await queue.get() == "a"
    queue.add("a")
    queue.add("a")
    assert len(queue) == 0  # not handed to a second worker while the first holds it
    queue.done("a")
    assert await drain(queue) == ["a"]
    assert len(queue) == 0 and queue.processing() == 0


async def test_getters_wait_for_keys_and_each_key_wakes_one() -> None:
    queue = Queue()
    getters = [asyncio.create_task(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    queue.add("a")
    queue.add("b")
    done, pending = await asyncio.wait(getters, timeout=0.2)
    assert sorted(t.result() for t in done) == ["a", "b"] and len(pending) == 1
    queue.shut_down()
    with pytest.raises(ShutDown):
        await pending.pop()


async def test_shutdown_hands_out_what_is_waiting_then_raises_and_drain_waits_for_workers() -> None:
    queue = Queue()
    queue.add("a")
    queue.add("b")
    held = await queue.get()
    queue.shut_down()
    queue.add("c")  # ignored after shutdown
    assert await queue.get() == "b"
    queue.done("b")
    with pytest.raises(ShutDown):
        await queue.get()
    drained = asyncio.create_task(queue.shut_down_with_drain())
    await asyncio.sleep(0.01)
    assert not drained.done()  # "a" is still held
    queue.done(held)
    await asyncio.wait_for(drained, 1)


async def test_metrics_count_adds_depth_and_time_queued() -> None:
    clock = FakeClock()
    queue = Queue(name="metrics-test", clock=clock)
    queue.add("a")
    queue.add("a")
    queue.add("b")
    assert REGISTRY.get_sample_value("workqueue_depth", {"name": "metrics-test"}) == 2
    assert REGISTRY.get_sample_value("workqueue_adds_total", {"name": "metrics-test"}) == 2
    clock.advance(0.5)
    key = await queue.get()
    clock.advance(0.25)
    queue.done(key)
    assert REGISTRY.get_sample_value("workqueue_queue_duration_seconds_sum", {"name": "metrics-test"}) == 0.5
    assert REGISTRY.get_sample_value("workqueue_work_duration_seconds_sum", {"name": "metrics-test"}) == 0.25
    assert REGISTRY.get_sample_value("workqueue_depth", {"name": "metrics-test"}) == 1


@pytest.mark.parametrize(("pushes", "order"), [
    ([("s", 3), ("u", 1), ("a", 0), ("d", 2)], ["a", "u", "d", "s"]),
    ([("x", 3), ("y", 3), ("x", 0)], ["x", "y"]),           # re-pushed higher: moves up
    ([("x", 0), ("y", 0), ("x", 3)], ["x", "y"]),           # re-pushed lower: keeps its place
    ([("a1", 0), ("a2", 0), ("u1", 1)], ["a1", "a2", "u1"]),  # FIFO within a lane
])
def test_priority_lanes_serve_the_highest_lane_first(pushes, order) -> None:
    lanes = PriorityLanes(4)
    for key, priority in pushes:
        lanes.push(key, priority)
    assert [lanes.pop() for _ in range(len(lanes))] == order


@pytest.mark.parametrize("max_skips", [1, 3, 10])
def test_a_waiting_low_lane_is_served_within_the_bounded_ratio(max_skips: int) -> None:
    lanes = PriorityLanes(4, max_skips=max_skips)
    lanes.push("sync", 3)
    lanes.push("delete", 2)
    served_at = {}
    for n in range(1, 100):
        lanes.push(f"add-{n}", 0)  # a storm of adds that never lets up
        key = lanes.pop()
        if not key.startswith("add-"):
            served_at[key] = n
    assert set(served_at) == {"sync", "delete"}
    assert max(served_at.values()) <= max_skips + 4
