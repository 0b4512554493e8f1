"""The recorder against a real API server, on a fake clock: exactly which API calls 1,000
repeated events cause, heartbeats, back-off on 429, and the Event objects written."""

from __future__ import annotations

import asyncio

import pytest

from myriad.client.errors import TooManyRequests
from myriad.client.events.recorder import ClientSink, EventRecorder, RecorderOptions
from myriad.client.rest import Client
from myriad.client.types import EVENTS, PODS, ClientOptions
from myriad.clock import FakeClock


class CountingSink(ClientSink):
    """The real sink, with each call noted."""

    def __init__(self, client: Client, *, busy: int = 0) -> None:
        super().__init__(client)
        self.calls: list[str] = []
        self._busy = busy

    async def create(self, event: dict) -> object:
        created = await super().create(event)
        self.calls.append("create")  # noted once the server has answered
        return created

    async def patch(self, event: dict) -> object:
        if self._busy:
            self._busy -= 1
            self.calls.append("patch:429")
            raise TooManyRequests(429, {"reason": "TooManyRequests"})
        patched = await super().patch(event)
        self.calls.append(f"patch:{event['series']['count']}")
        return patched


async def settle(recorder: EventRecorder) -> None:
    """Lets the writer finish what it was handed: queued occurrences and ticks' writes (real
    round trips to the server take a few milliseconds)."""
    await recorder.flush()
    await asyncio.sleep(0.1)


async def calls(sink: CountingSink, count: int) -> list[str]:
    """The sink's calls once there are ``count`` of them, waiting up to 5 s: each is a real
    round trip, which a loaded machine can slow well past a fixed pause."""
    for _ in range(100):
        if len(sink.calls) >= count:
            break
        await asyncio.sleep(0.05)
    return sink.calls


@pytest.fixture
async def pod(url: str, request: pytest.FixtureRequest) -> dict:
    name = request.node.name.removeprefix("test_")[:40].replace("_", "-").strip("-")
    async with Client(ClientOptions(endpoints=(url,))) as client:
        return await client.create(PODS, {"metadata": {"name": name, "namespace": "default"},
                                          "spec": {"containers": [{"name": "c", "image": "i"}]}})


@pytest.fixture
def url(server: tuple) -> str:
    return server[0]


async def test_a_thousand_repeats_cost_one_create_and_one_patch_then_a_final_patch(url: str, pod: dict) -> None:
    clock = FakeClock()
    async with Client(ClientOptions(endpoints=(url,), clock=clock)) as client:
        sink = CountingSink(client)
        recorder = EventRecorder(sink, RecorderOptions(controller="test-controller", instance="i-1", clock=clock))
        recorder.start()
        try:
            for _ in range(1000):
                recorder.event(pod, type="Warning", reason="BackOff", action="Restart", note="restarting")
            await settle(recorder)
            assert await calls(sink, 2) == ["create", "patch:2"]
            clock.advance(6 * 60)
            await settle(recorder)
            assert sink.calls == ["create", "patch:2"]  # the first check: idle for 6 min, not more
            clock.advance(6 * 60)  # the next check finds it idle for over 6 min
            await settle(recorder)
            assert await calls(sink, 3) == ["create", "patch:2", "patch:1000"]
            events = (await client.list(EVENTS, namespace="default"))["items"]
            mine = [e for e in events if e["reportingController"] == "test-controller"]
            assert len(mine) == 1
            event = mine[0]
            assert event["series"]["count"] == 1000 and event["reason"] == "BackOff"
            assert event["regarding"] == {"apiVersion": "v1", "kind": "Pod", "name": pod["metadata"]["name"],
                                          "namespace": "default", "uid": pod["metadata"]["uid"]}
            assert event["type"] == "Warning" and event["reportingInstance"] == "i-1"
        finally:
            await recorder.stop()


async def test_open_series_get_a_heartbeat_every_thirty_minutes(url: str, pod: dict) -> None:
    clock = FakeClock()
    async with Client(ClientOptions(endpoints=(url,), clock=clock)) as client:
        sink = CountingSink(client)
        recorder = EventRecorder(sink, RecorderOptions(controller="heartbeat-test", clock=clock))
        recorder.start()
        try:
            for _ in range(31):  # an occurrence a minute keeps the series open
                recorder.event(pod, reason="Probe", action="Check")
                await settle(recorder)
                clock.advance(60)
                await settle(recorder)
            assert await calls(sink, 3) == ["create", "patch:2", "patch:30"]  # the heartbeat at 30 min
        finally:
            await recorder.stop()


async def test_a_429_pauses_the_writer_and_the_series_keeps_counting(url: str, pod: dict) -> None:
    clock = FakeClock()
    async with Client(ClientOptions(endpoints=(url,), clock=clock)) as client:
        sink = CountingSink(client, busy=1)
        recorder = EventRecorder(sink, RecorderOptions(controller="busy-test", clock=clock))
        recorder.start()
        try:
            for _ in range(3):
                recorder.event(pod, reason="Busy", action="Try")
            await settle(recorder)
            assert await calls(sink, 2) == ["create", "patch:429"]
            clock.advance(12 * 60)  # the second finish check writes the series, after the writer's pause
            await settle(recorder)
            clock.advance(1)
            await settle(recorder)
            assert await calls(sink, 3) == ["create", "patch:429", "patch:3"]
            assert recorder.failed_writes == 1
        finally:
            await recorder.stop()


async def test_writes_beyond_the_sources_rate_wait_for_their_token(url: str, pod: dict) -> None:
    clock = FakeClock()
    async with Client(ClientOptions(endpoints=(url,), clock=clock)) as client:
        sink = CountingSink(client)
        recorder = EventRecorder(sink, RecorderOptions(controller="rate-test", qps=1, burst=1, clock=clock))
        recorder.start()
        try:
            for reason in ("First", "Second", "Third"):  # three classes: three creates
                recorder.event(pod, reason=reason, action="Act")
            assert await calls(sink, 1) == ["create"]
            await asyncio.sleep(0.2)
            assert sink.calls == ["create"]  # the burst of one is spent; the next waits a second
            clock.advance(1)
            assert await calls(sink, 2) == ["create", "create"]
            await asyncio.sleep(0.2)
            assert sink.calls == ["create", "create"]
            clock.advance(1)
            assert await calls(sink, 3) == ["create", "create", "create"]
        finally:
            await recorder.stop()
