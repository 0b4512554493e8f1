"""Which failures the client retries, how long it waits, and which it surfaces, over real sockets."""

from __future__ import annotations

import asyncio

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, ClientOptions, RetryOptions
from myriad.clock import SystemClock
from tests.client.scripted import DROP, ScriptedServer, answer

OK = answer(200, b'{"kind":"ConfigMap","metadata":{"name":"a"}}')
CREATED = answer(201, b'{"kind":"ConfigMap","metadata":{"name":"a"}}')
BUSY = answer(429, b'{"kind":"Status","reason":"TooManyRequests","code":429}', headers="Retry-After: 0\r\n")
DOWN = answer(503, b'{"kind":"Status","reason":"ServiceUnavailable","code":503}')


class RecordingClock(SystemClock):
    """Real time, but the calling task's sleeps are recorded and skipped (the balancer's own
    background tasks sleep for real)."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name().startswith("myriad-client-"):
            await asyncio.sleep(seconds)
        else:
            self.sleeps.append(seconds)


def client_for(url: str, clock: RecordingClock | None = None, attempts: int = 5) -> Client:
    return Client(ClientOptions(endpoints=(url,), clock=clock or RecordingClock(),
                                retry=RetryOptions(attempts=attempts, base_delay=0.1, max_delay=5.0)))


async def get(client: Client) -> object:
    return await client.get(CONFIGMAPS, "a", namespace="default")


async def create(client: Client) -> object:
    return await client.create(CONFIGMAPS, {"metadata": {"name": "a"}}, namespace="default")


@pytest.mark.parametrize(("call", "script", "outcome", "requests"), [
    (get, [BUSY, OK], "ok", 2),
    (create, [BUSY, CREATED], "ok", 2),           # 429: rejected before execution, so writes retry too
    (get, [DOWN, DOWN, OK], "ok", 3),
    (create, [DOWN, CREATED], errors.ServiceUnavailable, 1),   # a write the server may have executed
    (get, [DROP, OK], "ok", 2),
    (create, [DROP, CREATED], errors.ConnectionLost, 1),      # written, then lost: not provably unsent
    (get, [BUSY] * 5, errors.TooManyRequests, 5),             # attempts run out
])
async def test_the_client_retries_only_what_is_safe_to_retry(call, script, outcome, requests) -> None:
    async with ScriptedServer(list(script)) as server:
        client = client_for(server.url)
        try:
            if outcome == "ok":
                assert (await call(client))["metadata"]["name"] == "a"
            else:
                with pytest.raises(outcome):
                    await call(client)
        finally:
            await client.close()
        assert len(server.requests) == requests


async def test_retry_after_replaces_the_backoff_and_is_capped() -> None:
    clock = RecordingClock()
    later = answer(429, b"{}", headers="Retry-After: 2\r\n")
    much_later = answer(429, b"{}", headers="Retry-After: 60\r\n")
    async with ScriptedServer([later, much_later, DOWN, OK]) as server:
        client = client_for(server.url, clock)
        try:
            await get(client)
        finally:
            await client.close()
    assert clock.sleeps[:2] == [2.0, 5.0]
    assert 0 <= clock.sleeps[2] <= 0.4  # jittered: uniform in [0, 0.1 * 2^2]


async def test_a_refused_connection_moves_to_the_next_endpoint_without_waiting() -> None:
    async with ScriptedServer([]) as dead:
        dead_url = dead.url
    # ``dead`` has stopped listening; its port now refuses connections.
    async with ScriptedServer([OK, OK]) as live:
        clock = RecordingClock()
        client = Client(ClientOptions(endpoints=(dead_url, live.url), clock=clock,
                                      retry=RetryOptions(attempts=3, base_delay=0.1)))
        try:
            for _ in range(2):
                await get(client)
            healthy = {e.url: e.healthy for e in client.balancer.endpoints}
        finally:
            await client.close()
    assert clock.sleeps == []
    assert healthy == {dead_url: False, live.url: True}  # ejected after its first failure


async def test_a_non_status_error_body_still_maps_by_http_code() -> None:
    async with ScriptedServer([answer(404, b"404 page not found")]) as server:
        client = client_for(server.url)
        try:
            with pytest.raises(errors.NotFound, match="404 page not found"):
                await get(client)
        finally:
            await client.close()


async def test_requests_in_flight_per_endpoint_are_capped() -> None:
    async with ScriptedServer([OK] * 12, delay=0.05) as server:
        client = Client(ClientOptions(endpoints=(server.url,), max_requests_per_endpoint=3))
        try:
            await asyncio.gather(*(get(client) for _ in range(12)))
        finally:
            await client.close()
    assert len(server.requests) == 12 and server.peak_connections == 3
