"""Client-side load balancing: choosing endpoints, ejection, and spreading watches evenly,
first as pure logic, then across two real API servers, one of them restarted."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from myriad.bench.apiserver_process import running_apiserver
from myriad.client.balancer import Balancer
from myriad.client.endpoints import Endpoint
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, BalancerOptions, ClientOptions
from myriad.clock import FakeClock


def balancer(count: int, **options: object) -> Balancer:
    endpoints = [Endpoint.parse(f"http://127.0.0.1:{1 + n}", max_idle=1, connect_timeout=0.1, idle_timeout=1)
                 for n in range(count)]
    return Balancer(endpoints, options=BalancerOptions(rebalance_interval=0, **options), clock=FakeClock())


def test_least_outstanding_prefers_the_idle_endpoint_and_round_robins_ties() -> None:
    b = balancer(3)
    b.endpoints[0].outstanding = 5
    picks = [b.pick().url for _ in range(4)]
    assert b.endpoints[0].url not in picks
    assert set(picks) == {b.endpoints[1].url, b.endpoints[2].url}


def test_round_robin_ignores_load() -> None:
    b = balancer(3, policy="round-robin")
    b.endpoints[0].outstanding = 5
    assert len({b.pick().url for _ in range(3)}) == 3


async def test_a_failed_endpoint_is_ejected_and_skipped_until_every_endpoint_failed() -> None:
    b = balancer(2)
    try:
        b.failed(b.endpoints[0])
        assert not b.endpoints[0].healthy
        assert {b.pick().url for _ in range(4)} == {b.endpoints[1].url}
        b.failed(b.endpoints[1])
        assert b.pick() is b.endpoints[0]  # all ejected: the one whose ejection ends first
        b.succeeded(b.endpoints[0])
        assert b.endpoints[0].healthy
    finally:
        await b.close()


async def test_watches_are_placed_evenly_and_rebalanced_when_an_endpoint_returns() -> None:
    b = balancer(3)
    stopped: list[int] = []
    try:
        b.failed(b.endpoints[2])
        slots = [b.place_watch(lambda n=n: stopped.append(n)) for n in range(300)]
        assert sorted(b.watches_per_endpoint().values()) == [0, 150, 150]
        b.succeeded(b.endpoints[2])  # back: everything above the even share is ended
        assert len(stopped) == 100
        for n in stopped:
            b.release_watch(slots[n])
            b.place_watch(lambda: None)  # each owner re-watches
        assert sorted(b.watches_per_endpoint().values()) == [100, 100, 100]
        assert b.rebalance() == 0  # even: nothing to move
    finally:
        await b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def follow(client: Client, stop: asyncio.Event) -> None:
    """A reflector's watch loop in miniature: re-watch whenever a watch ends."""
    while not stop.is_set():
        async with client.watch(CONFIGMAPS, namespace="default", timeout_seconds=60) as watch:
            async for _ in watch:
                pass
        await asyncio.sleep(0.05)


async def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


@pytest.mark.timeout(120)
async def test_watches_spread_over_servers_move_off_a_stopped_one_and_return_after_its_restart(
        tmp_path: Path) -> None:
    port_a, port_b = free_port(), free_port()
    with running_apiserver(data_dir=tmp_path / "a", cpu=None, args=("--port", str(port_a))) as url_a:
        server_b = running_apiserver(data_dir=tmp_path / "b", cpu=None, args=("--port", str(port_b)))
        url_b = server_b.__enter__()
        options = ClientOptions(endpoints=(url_a, url_b),
                                balancer=BalancerOptions(probe_interval=0.1, ejection=0.2, rebalance_interval=0))
        stop = asyncio.Event()
        async with Client(options) as client:
            followers = [asyncio.create_task(follow(client, stop)) for _ in range(40)]
            counts = client.balancer.watches_per_endpoint
            try:
                await wait_for(lambda: counts() == {url_a: 20, url_b: 20})
                server_b.__exit__(None, None, None)
                await wait_for(lambda: counts() == {url_a: 40, url_b: 0})
                with running_apiserver(data_dir=tmp_path / "b", cpu=None, args=("--port", str(port_b))):
                    await wait_for(lambda: client.balancer.endpoints[1].healthy)
                    await wait_for(lambda: counts() == {url_a: 20, url_b: 20})
                    stop.set()
                    for watch_task in followers:
                        watch_task.cancel()
                    await asyncio.gather(*followers, return_exceptions=True)
            finally:
                for watch_task in followers:
                    watch_task.cancel()
