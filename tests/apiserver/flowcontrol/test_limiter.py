"""Priority levels: classification, seats, queueing and rejection (pure logic)."""

from __future__ import annotations

import asyncio

import pytest

from myriad.apiserver.flowcontrol.classify import classify
from myriad.apiserver.flowcontrol.limiter import FlowController, Rejected
from myriad.apiserver.flowcontrol.types import FlowControlOptions, LevelConfig
from myriad.apiserver.requestinfo import RequestInfo

LEVELS = frozenset({"leader-election", "node-high", "workload-high", "workload-low", "catch-all"})


def info(verb: str, resource: str, *, group: str = "", namespace: str = "") -> RequestInfo:
    return RequestInfo(is_resource=True, path="/", verb=verb, group=group, resource=resource, namespace=namespace)


@pytest.mark.parametrize(("request_info", "agent", "header", "level"), [
    (info("update", "leases", group="coordination.k8s.io", namespace="kube-node-lease"), "kubelet/v1.30", "",
     "node-high"),
    (info("patch", "nodes"), "myriad-node/0.1", "", "node-high"),
    (info("list", "pods"), "kubelet/v1.30", "", "workload-high"),
    (info("update", "leases", group="coordination.k8s.io", namespace="kube-system"), "kube-scheduler/v1.30", "",
     "leader-election"),
    (info("get", "configmaps", namespace="kube-system"), "myriad-controller-manager/0.1", "", "leader-election"),
    (info("list", "pods"), "myriad-scheduler/0.1", "", "workload-high"),
    (info("list", "pods"), "kubectl/v1.37", "", "catch-all"),
    (info("list", "pods"), "python-requests", "workload-low", "workload-low"),
    (info("list", "pods"), "kubelet/v1.30", "no-such-level", "workload-high"),
])
def test_requests_are_classified_by_what_the_client_says_about_itself(request_info, agent, header, level) -> None:  # noqa: ANN001
    assert classify(request_info, agent, header, LEVELS)[0] == level


def controller(*, seats: int = 10, queue: int = 2, wait: float = 0.05, objects: int = 1) -> FlowController:
    options = FlowControlOptions(max_readonly=seats, max_mutating=0, queue_wait=wait,
                                 levels=(LevelConfig("catch-all", 1, queue_length=queue),))
    return FlowController(options, count_objects=lambda _: objects)


def test_seats_are_shared_out_by_shares() -> None:
    flow = FlowController(FlowControlOptions(), count_objects=lambda _: 1)
    seats = {name: level.seats for name, level in flow.levels.items()}
    assert seats == {"leader-election": 29, "node-high": 115, "workload-high": 115, "workload-low": 286,
                     "catch-all": 58}


def test_a_list_takes_a_seat_per_hundred_objects_up_to_ten() -> None:
    for objects, seats in ((1, 1), (250, 3), (100_000, 10)):
        flow = controller(seats=20, objects=objects)
        ticket = asyncio.run(flow.admit(info("list", "pods"), user_agent="", headers={}))
        assert ticket is not None and ticket.seats == seats


def test_over_its_seats_a_request_queues_then_is_rejected_when_the_queue_is_full() -> None:
    async def scenario() -> list[str]:
        flow = controller(seats=1, queue=1, wait=5)
        first = await flow.admit(info("get", "pods"), user_agent="", headers={})
        queued = asyncio.create_task(flow.admit(info("get", "pods"), user_agent="", headers={}))
        await asyncio.sleep(0)
        outcome = []
        try:
            await flow.admit(info("get", "pods"), user_agent="", headers={})
        except Rejected as rejected:
            outcome.append(rejected.reason)
        assert first is not None and not queued.done()
        first.release()
        second = await queued
        assert second is not None
        outcome.append("queued request ran")
        return outcome

    assert asyncio.run(scenario()) == ["queue-full", "queued request ran"]


def test_a_queued_request_that_waits_too_long_is_rejected_and_counted() -> None:
    async def scenario() -> FlowController:
        flow = controller(seats=1, queue=5, wait=0.05)
        await flow.admit(info("get", "pods"), user_agent="", headers={})
        with pytest.raises(Rejected) as rejected:
            await flow.admit(info("get", "pods"), user_agent="", headers={})
        assert rejected.value.reason == "time-out"
        return flow

    flow = asyncio.run(scenario())
    assert flow.rejected == {("catch-all", "catch-all", "time-out"): 1} and flow.levels["catch-all"].queued == 0


def test_watches_take_no_seats_but_have_their_own_cap() -> None:
    flow = FlowController(FlowControlOptions(max_watches=2), count_objects=lambda _: 1)

    async def scenario() -> None:
        for _ in range(2):
            assert await flow.admit(info("watch", "pods"), user_agent="", headers={}) is None
        with pytest.raises(Rejected):
            await flow.admit(info("watch", "pods"), user_agent="", headers={})
        flow.watch_ended()
        assert await flow.admit(info("watch", "pods"), user_agent="", headers={}) is None

    asyncio.run(scenario())
    assert all(level.executing == 0 for level in flow.levels.values())


def test_a_background_level_gets_its_share_of_the_loop_while_others_are_busy() -> None:
    from myriad.clock import FakeClock

    clock = FakeClock()
    flow = FlowController(FlowControlOptions(clock=clock), count_objects=lambda _: 1)
    low = {"x-myriad-priority-level": "workload-low"}

    async def scenario() -> None:
        lease = await flow.admit(info("update", "leases", group="coordination.k8s.io"),
                                 user_agent="kubelet/v1", headers={})
        first = await flow.admit(info("list", "pods"), user_agent="", headers=low)
        assert first is not None and lease is not None
        # One background request at a time while the foreground is busy...
        second = asyncio.create_task(flow.admit(info("list", "pods"), user_agent="", headers=low))
        await asyncio.sleep(0.02)
        assert not second.done()
        clock.advance(0.1)
        first.release()  # ran 0.1 s: at a 20% share the next waits 0.4 s
        await asyncio.sleep(0.1)
        assert not second.done()
        clock.advance(0.41)
        assert (await asyncio.wait_for(second, 1)) is not None
        # ...and unthrottled once the foreground has been idle for a moment.
        lease.release()
        clock.advance(1.0)
        third = await asyncio.wait_for(flow.admit(info("list", "pods"), user_agent="", headers=low), 0.05)
        assert third is not None

    asyncio.run(scenario())
