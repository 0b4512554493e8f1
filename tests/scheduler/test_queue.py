"""The scheduling queue: ordering, backoff, the unschedulable pool and its cluster events,
gating, updates and deletes, all on a FakeClock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from myriad.clock import FakeClock
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.queue import QueuedPod, SchedulingQueue, backoff_duration, pod_updated
from myriad.scheduler.types import PodInfo

FIT = {"NodeResourcesFit"}


def pod(name: str, *, priority: int = 0, gated: bool = False, image: str = "nginx", rv: str = "1",
        labels: dict[str, str] | None = None, status: dict[str, Any] | None = None) -> PodInfo:
    spec: dict[str, Any] = {"priority": priority, "containers": [{"name": "c", "image": image}]}
    if gated:
        spec["schedulingGates"] = [{"name": "example.com/wait"}]
    return pod_info({"metadata": {"namespace": "default", "name": name, "uid": f"uid-{name}", "resourceVersion": rv,
                                  "labels": labels or {}},
                     "spec": spec, "status": status or {}})


def key(name: str) -> str:
    return f"default/{name}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(clock: FakeClock) -> SchedulingQueue:
    return SchedulingQueue(clock=clock, sort_key=lambda p, ts: (-p.priority, ts))


def pop_names(queue: SchedulingQueue) -> list[str]:
    names = []
    while (qp := queue.pop_nowait()) is not None:
        names.append(qp.pod.name)
        queue.done(qp.key)
    return names


def fail(queue: SchedulingQueue, name: str, plugins: set[str] = FIT, *, during: Any = None) -> QueuedPod:
    """Pops ``name`` (it must be at the head), runs ``during()`` mid-attempt, then fails it."""
    qp = queue.pop_nowait()
    assert qp is not None and qp.pod.name == name
    if during is not None:
        during()
    queue.requeue_unschedulable(qp, plugins)
    return qp


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def tick(clock: FakeClock, seconds: float) -> None:
    """Advances one second at a time, letting sleepers run in between."""
    for _ in range(int(seconds)):
        clock.advance(1)
        await settle()


@pytest.fixture
async def running(queue: SchedulingQueue, clock: FakeClock) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(queue.run())
    await settle()
    assert clock.sleepers == 2
    yield task
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_higher_priority_pods_pop_first_and_equal_priorities_in_arrival_order(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("low-1"))
    clock.advance(1)
    queue.add(pod("high", priority=100))
    queue.add(pod("low-2"))
    clock.advance(1)
    queue.add(pod("mid", priority=10))
    assert pop_names(queue) == ["high", "mid", "low-1", "low-2"]


def test_a_retried_pod_queues_behind_equal_priority_pods_that_arrived_during_its_attempt(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("retried"))
    qp = queue.pop_nowait()
    assert qp is not None
    clock.advance(1)
    queue.add(pod("newer"))
    queue.requeue_unschedulable(qp, set(), error=True)
    clock.advance(1)
    queue.flush_backoff_completed()
    assert pop_names(queue) == ["newer", "retried"]
    assert qp.attempts == 2 and qp.consecutive_errors == 1 and qp.unschedulable_count == 0


def test_backoff_is_one_two_four_eight_then_ten_seconds_by_failure_count(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    assert [backoff_duration(n, 1.0, 10.0) for n in range(8)] == [0, 1, 2, 4, 8, 10, 10, 10]
    queue.add(pod("p"))
    for expected in [1, 2, 4, 8, 10, 10]:
        fail(queue, "p", during=lambda: queue.move_all("NodeAdd"))
        assert queue.where(key("p")) == "backoff"
        clock.advance(expected - 0.5)
        assert queue.flush_backoff_completed() == 0
        assert queue.where(key("p")) == "backoff"
        clock.advance(0.5)
        assert queue.flush_backoff_completed() == 1
        assert queue.where(key("p")) == "active"


def test_errors_back_off_by_consecutive_errors_and_an_unschedulable_failure_resets_them(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("p"))
    for expected in [1, 2, 4]:
        qp = queue.pop_nowait()
        assert qp is not None
        queue.requeue_unschedulable(qp, set(), error=True)
        assert queue.where(key("p")) == "backoff"
        assert queue.backoff_duration(qp) == expected
        clock.advance(expected)
        queue.flush_backoff_completed()
    qp = fail(queue, "p", during=lambda: queue.move_all("NodeAdd"))
    assert qp.consecutive_errors == 0 and qp.unschedulable_count == 1
    assert queue.backoff_duration(qp) == 1
    for _ in range(2):
        clock.advance(10)
        queue.flush_backoff_completed()
        fail(queue, "p", during=lambda: queue.move_all("NodeAdd"))
    assert qp.unschedulable_count == 3 and queue.backoff_duration(qp) == 4
    clock.advance(10)
    queue.flush_backoff_completed()
    fail(queue, "p", set())  # an error after unschedulable failures backs off by the errors alone
    assert qp.consecutive_errors == 1 and queue.backoff_duration(qp) == 1


def test_an_unschedulable_pod_waits_for_a_cluster_event_then_backs_off_if_its_backoff_is_not_over(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("p"))
    fail(queue, "p")
    assert queue.where(key("p")) == "unschedulable"
    clock.advance(0.5)
    assert queue.flush_backoff_completed() == 0
    assert queue.where(key("p")) == "unschedulable"
    assert queue.move_all("NodeAdd") == 1
    assert queue.where(key("p")) == "backoff"
    clock.advance(0.5)
    queue.flush_backoff_completed()
    assert queue.where(key("p")) == "active"


def test_an_unschedulable_pod_goes_straight_to_active_on_an_event_after_its_backoff(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("p"))
    fail(queue, "p")
    clock.advance(60)
    assert queue.where(key("p")) == "unschedulable"
    queue.move_all("NodeUpdate")
    assert queue.where(key("p")) == "active"


def test_a_cluster_event_moves_only_pods_whose_rejecting_plugins_care(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("fit"))
    queue.add(pod("taint"))
    fail(queue, "fit", {"NodeResourcesFit"})
    fail(queue, "taint", {"TaintToleration"})
    clock.advance(60)
    interested = {"AssignedPodDelete": {"NodeResourcesFit"}}
    moved = queue.move_all("AssignedPodDelete",
                           plugins_interested=lambda plugins, event: bool(plugins & interested.get(event, set())))
    assert moved == 1
    assert queue.where(key("fit")) == "active"
    assert queue.where(key("taint")) == "unschedulable"


def test_a_move_during_the_attempt_sends_the_failed_pod_to_backoff_not_the_pool(
        queue: SchedulingQueue) -> None:
    queue.add(pod("p"))
    fail(queue, "p", during=lambda: queue.move_all("NodeAdd"))
    assert queue.where(key("p")) == "backoff"


def test_a_move_before_the_pop_does_not_spare_the_pool(queue: SchedulingQueue) -> None:
    queue.move_all("NodeAdd")
    queue.add(pod("p"))
    fail(queue, "p")
    assert queue.where(key("p")) == "unschedulable"


def test_a_move_while_another_pod_is_in_flight_counts_for_that_pod_only(queue: SchedulingQueue) -> None:
    queue.add(pod("first"))
    queue.add(pod("second"))
    fail(queue, "first", during=lambda: queue.move_all("NodeAdd"))
    fail(queue, "second")
    assert queue.where(key("first")) == "backoff"
    assert queue.where(key("second")) == "unschedulable"


async def test_run_moves_pods_left_unschedulable_for_more_than_five_minutes(
        queue: SchedulingQueue, clock: FakeClock, running: asyncio.Task[None]) -> None:
    queue.add(pod("p"))
    fail(queue, "p")
    await tick(clock, 300)
    assert queue.where(key("p")) == "unschedulable"  # exactly 5 minutes is not more than 5 minutes
    await tick(clock, 29)
    assert queue.where(key("p")) == "unschedulable"
    await tick(clock, 1)  # the next 30-second leftover flush
    assert queue.where(key("p")) == "active"


async def test_run_flushes_completed_backoffs_every_second(
        queue: SchedulingQueue, clock: FakeClock, running: asyncio.Task[None]) -> None:
    queue.add(pod("p"))
    qp = queue.pop_nowait()
    assert qp is not None
    queue.requeue_unschedulable(qp, set(), error=True)
    await tick(clock, 1)
    assert queue.where(key("p")) == "active"


def test_a_gated_pod_stays_in_the_pool_until_an_update_removes_its_gates(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("g", gated=True))
    assert queue.where(key("g")) == "gated"
    assert queue.pop_nowait() is None
    queue.move_all("NodeAdd")
    clock.advance(600)
    assert queue.flush_unschedulable_leftover() == 0
    queue.update(pod("g", gated=True, rv="2", labels={"a": "b"}))
    assert queue.where(key("g")) == "gated"
    queue.update(pod("g", rv="3"))
    assert queue.where(key("g")) == "active"
    qp = queue.pop_nowait()
    assert qp is not None and qp.initial_attempt_timestamp == clock.now()
    assert queue.counts() == {"active": 0, "backoff": 0, "unschedulable": 0, "gated": 0}


def test_delete_removes_a_pod_from_every_queue(queue: SchedulingQueue) -> None:
    queue.add(pod("backoff"))
    queue.add(pod("pool"))
    queue.add(pod("flight"))
    fail(queue, "backoff", during=lambda: queue.move_all("NodeAdd"))
    fail(queue, "pool")
    queue.add(pod("active"))
    queue.add(pod("gated", gated=True))
    in_flight = queue.pop_nowait()
    assert in_flight is not None and in_flight.pod.name == "flight"
    assert queue.counts() == {"active": 1, "backoff": 1, "unschedulable": 1, "gated": 1}
    for name in ["active", "backoff", "pool", "gated", "flight"]:
        queue.delete(key(name))
        assert queue.where(key(name)) in (None, "in_flight")
    assert queue.counts() == {"active": 0, "backoff": 0, "unschedulable": 0, "gated": 0}
    queue.requeue_unschedulable(in_flight, FIT)  # deleted during its attempt: not requeued
    assert queue.where(key("flight")) is None
    assert queue.pop_nowait() is None


def test_an_unschedulable_pod_whose_spec_changed_moves_but_a_status_only_change_does_not(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("p"))
    fail(queue, "p")
    queue.update(pod("p", rv="2", status={"conditions": [{"type": "PodScheduled", "status": "False"}]}))
    assert queue.where(key("p")) == "unschedulable"
    queue.update(pod("p", rv="3", image="nginx:2"))
    assert queue.where(key("p")) == "backoff"
    clock.advance(1)
    queue.flush_backoff_completed()
    assert queue.pop_nowait().pod.spec["containers"][0]["image"] == "nginx:2"  # type: ignore[union-attr]


def test_a_label_change_after_the_backoff_sends_an_unschedulable_pod_straight_to_active(
        queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("p"))
    fail(queue, "p")
    clock.advance(5)
    queue.update(pod("p", rv="2", labels={"app": "web"}))
    assert queue.where(key("p")) == "active"


def test_pod_updated_ignores_status_resource_version_and_managed_fields() -> None:
    old = {"metadata": {"name": "p", "resourceVersion": "1", "managedFields": [1]}, "spec": {"a": 1}, "status": {}}
    same = {"metadata": {"name": "p", "resourceVersion": "2", "managedFields": [2]}, "spec": {"a": 1},
            "status": {"phase": "Pending"}}
    assert not pod_updated(old, same)
    assert pod_updated(old, {**old, "spec": {"a": 2}})
    assert pod_updated(old, {**old, "metadata": {**old["metadata"], "labels": {"x": "y"}}})


def test_an_update_during_the_attempt_sends_the_failed_pod_to_backoff_with_the_new_version(
        queue: SchedulingQueue) -> None:
    queue.add(pod("p"))
    qp = fail(queue, "p", during=lambda: queue.update(pod("p", rv="2", image="nginx:2")))
    assert queue.where(key("p")) == "backoff"
    assert qp.pod.images[0].endswith("nginx:2")


def test_a_status_only_update_during_the_attempt_still_leaves_the_failed_pod_in_the_pool(
        queue: SchedulingQueue) -> None:
    queue.add(pod("p"))
    fail(queue, "p", during=lambda: queue.add(pod("p", rv="2", status={"phase": "Pending"})))
    assert queue.where(key("p")) == "unschedulable"


def test_adding_a_queued_pod_again_updates_it_in_place(queue: SchedulingQueue, clock: FakeClock) -> None:
    queue.add(pod("first"))
    clock.advance(1)
    queue.add(pod("second"))
    queue.add(pod("first", rv="2", labels={"v": "2"}))
    assert queue.counts()["active"] == 2
    first = queue.pop_nowait()
    assert first is not None and first.pod.name == "first" and first.pod.labels == {"v": "2"}


def test_activate_moves_pods_from_the_pool_and_backoff_to_active(queue: SchedulingQueue) -> None:
    queue.add(pod("pool"))
    queue.add(pod("backoff"))
    fail(queue, "pool")
    fail(queue, "backoff", set())
    queue.activate([key("pool"), key("backoff"), key("unknown")])
    assert queue.counts() == {"active": 2, "backoff": 0, "unschedulable": 0, "gated": 0}


def test_counts_report_each_queue_and_leave_out_pods_in_flight(queue: SchedulingQueue) -> None:
    assert queue.counts() == {"active": 0, "backoff": 0, "unschedulable": 0, "gated": 0}
    for name in ["a", "b", "c", "d"]:
        queue.add(pod(name))
    queue.add(pod("g1", gated=True))
    queue.add(pod("g2", gated=True))
    fail(queue, "a")
    fail(queue, "b", set())
    assert queue.pop_nowait() is not None
    assert queue.counts() == {"active": 1, "backoff": 1, "unschedulable": 1, "gated": 2}


async def test_pop_waits_for_a_pod_and_marks_it_in_flight_with_an_attempt(queue: SchedulingQueue) -> None:
    waiter = asyncio.create_task(queue.pop())
    await settle()
    assert not waiter.done()
    queue.add(pod("p"))
    qp = await asyncio.wait_for(waiter, 1)
    assert qp.pod.name == "p" and qp.attempts == 1
    assert queue.where(key("p")) == "in_flight"
    queue.done(qp.key)
    assert queue.where(key("p")) is None


async def test_two_waiting_pops_each_get_one_pod(queue: SchedulingQueue) -> None:
    waiters = [asyncio.create_task(queue.pop()) for _ in range(2)]
    await settle()
    queue.add(pod("a"))
    await settle()
    assert sum(w.done() for w in waiters) == 1
    queue.add(pod("b"))
    got = await asyncio.wait_for(asyncio.gather(*waiters), 1)
    assert sorted(qp.pod.name for qp in got) == ["a", "b"]
