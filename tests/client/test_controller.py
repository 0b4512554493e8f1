"""The controller scaffold: retries with backoff, requeue-after, graceful stop, leader election."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable

from prometheus_client import REGISTRY

from myriad.client.controller import Controller, ControllerOptions
from myriad.client.leaderelection import LeaderElectionConfig
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, NAMESPACES
from myriad.client.workqueue.ratelimit import ItemExponentialLimiter


class Recording(Controller):
    """Reconciles ConfigMaps of one namespace; ``behaviour`` scripts what each reconcile does."""

    def __init__(self, client: Client, namespace: str, name: str, *, fail: int = 0, again: float | None = None,
                 slow: float = 0.0, election: LeaderElectionConfig | None = None) -> None:
        self.namespace, self.fail, self.again, self.slow = namespace, fail, again, slow
        self.calls: list[tuple[Hashable, float]] = []
        self.finished: list[Hashable] = []
        super().__init__(client, ControllerOptions(name=name, workers=2, leader_election=election,
                                                   limiter=ItemExponentialLimiter(base_delay=0.05)))

    def setup(self) -> None:
        self.watch(self.factory.informer(CONFIGMAPS, namespace=self.namespace))

    async def reconcile(self, key: Hashable) -> float | None:
        self.calls.append((key, time.monotonic()))
        if self.slow:
            await asyncio.sleep(self.slow)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("not yet")
        self.finished.append(key)
        if self.again is not None:
            again, self.again = self.again, None
            return again
        return None


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def setup_namespace(client: Client, namespace: str) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": namespace}})
    await client.create(CONFIGMAPS, {"metadata": {"name": "x", "namespace": namespace}})


async def test_a_failing_reconcile_is_retried_with_growing_backoff(client: Client) -> None:
    await setup_namespace(client, "ctl-retry")
    controller = Recording(client, "ctl-retry", "ctl-retry", fail=3)
    running = asyncio.create_task(controller.run())
    try:
        await until(lambda: controller.finished == ["ctl-retry/x"])
        gaps = [b[1] - a[1] for a, b in zip(controller.calls, controller.calls[1:], strict=False)]
        assert len(controller.calls) == 4
        assert gaps[0] >= 0.04 and gaps[1] >= 0.09 and gaps[2] >= 0.19  # 50, 100, 200 ms
        assert REGISTRY.get_sample_value("controller_reconciles_total",
                                         {"controller": "ctl-retry", "result": "error"}) == 3
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_a_reconcile_can_ask_to_run_again_later(client: Client) -> None:
    await setup_namespace(client, "ctl-again")
    controller = Recording(client, "ctl-again", "ctl-again", again=0.3)
    running = asyncio.create_task(controller.run())
    try:
        await until(lambda: len(controller.finished) == 2)
        assert controller.calls[1][1] - controller.calls[0][1] >= 0.29
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_a_graceful_stop_lets_the_reconcile_in_hand_finish(client: Client) -> None:
    await setup_namespace(client, "ctl-stop")
    controller = Recording(client, "ctl-stop", "ctl-stop", slow=0.5)
    running = asyncio.create_task(controller.run())
    await until(lambda: len(controller.calls) == 1)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert controller.finished == ["ctl-stop/x"]


async def test_only_the_leader_reconciles_and_a_standby_takes_over_at_once_on_release(client: Client) -> None:
    await setup_namespace(client, "ctl-leader")

    def election(identity: str) -> LeaderElectionConfig:
        return LeaderElectionConfig(name="ctl-leader", namespace="ctl-leader", identity=identity,
                                    lease_duration=3, renew_deadline=2, retry_period=0.3)

    first = Recording(client, "ctl-leader", "ctl-leader-1", election=election("first"))
    second = Recording(client, "ctl-leader", "ctl-leader-2", election=election("second"))
    running_first = asyncio.create_task(first.run())
    await until(lambda: first.finished == ["ctl-leader/x"])
    running_second = asyncio.create_task(second.run())
    await until(lambda: second.factory.informer(CONFIGMAPS, namespace="ctl-leader").has_synced())
    await client.patch(CONFIGMAPS, "x", {"data": {"v": "1"}}, namespace="ctl-leader")
    await until(lambda: len(first.finished) == 2)
    assert second.calls == []  # a hot standby: synced, not acting
    running_first.cancel()
    await asyncio.gather(running_first, return_exceptions=True)
    released = time.monotonic()
    await until(lambda: second.finished == ["ctl-leader/x"])  # the new leader resyncs what it caches
    assert time.monotonic() - released <= 1.0
    running_second.cancel()
    await asyncio.gather(running_second, return_exceptions=True)
