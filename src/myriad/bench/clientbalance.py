"""``bench client`` (balance): watches spread over three API servers on one etcd, one of them
down while the watches start and then restarted.

One client is given all three endpoints; ``watchers`` tasks each follow a watch on ConfigMaps,
re-watching whenever it ends (as a reflector does). The third server is not running when they
start, so the client ejects it and the watches land on the other two. Then it starts; the
balancer's probe brings it back and rebalancing ends the excess watches, whose owners re-watch
on the least-loaded server. Watchers per server are read from the balancer before and after,
and confirmed from each server's own ``apiserver_registered_watchers`` metric.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
import urllib.request
from pathlib import Path

from myriad.bench.apiserver_process import start_apiserver, stop_process
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, BalancerOptions, ClientOptions
from myriad.storage.etcd.launcher import LocalEtcd

_WATCHERS = re.compile(rb'^apiserver_registered_watchers\{[^}]*kind="ConfigMap"[^}]*\}\s+(\S+)$', re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_watchers(url: str) -> int | None:
    """The server's own count of ConfigMap watchers (None when it does not say)."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        found = _WATCHERS.findall(response.read())
    return sum(int(float(v)) for v in found) if found else None


async def rebalance(data_dir: Path, *, watchers: int, server_cpu: int | None,
                    settle_timeout: float = 120.0) -> dict[str, object]:
    etcd = LocalEtcd(data_dir=data_dir / "etcd")
    await etcd.start()
    ports = [_free_port() for _ in range(3)]
    args = ("--storage", "etcd", "--etcd-endpoints", etcd.endpoint)
    processes = []
    try:
        for n, port in enumerate(ports[:2]):
            processes.append(start_apiserver(data_dir=data_dir / f"server-{n}", cpu=server_cpu,
                                             args=(*args, "--port", str(port)))[0])
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        options = ClientOptions(endpoints=tuple(urls), user_agent="myriad-bench-balance",
                                balancer=BalancerOptions(probe_interval=0.5, rebalance_interval=0))
        async with Client(options) as client:
            stop = asyncio.Event()

            async def follow() -> None:
                while not stop.is_set():
                    try:
                        # From "0", as a reflector after its list: served by the watch cache (an
                        # unset version on etcd would be served by etcd itself, unseen by the cache).
                        async with client.watch(CONFIGMAPS, namespace="default", resource_version="0",
                                                timeout_seconds=1800) as watch:
                            async for _ in watch:
                                pass
                    except Exception:
                        await asyncio.sleep(0.5)

            followers = [asyncio.create_task(follow()) for _ in range(watchers)]
            try:
                await _until(lambda: sum(client.balancer.watches_per_endpoint().values()) == watchers,
                             settle_timeout)
                await asyncio.sleep(2.0)
                before = list(client.balancer.watches_per_endpoint().values())
                seen_before = [await asyncio.to_thread(server_watchers, u) for u in urls[:2]] + [None]
                restarted = time.perf_counter()
                processes.append(start_apiserver(data_dir=data_dir / "server-2", cpu=server_cpu,
                                                 args=(*args, "--port", str(ports[2])))[0])
                counts = client.balancer.watches_per_endpoint
                await _until(lambda: client.balancer.endpoints[2].healthy, settle_timeout)
                await _until(lambda: sum(counts().values()) == watchers and min(counts().values()) > 0,
                             settle_timeout)
                took = time.perf_counter() - restarted
                await asyncio.sleep(2.0)
                after = list(counts().values())
                seen_after = [await asyncio.to_thread(server_watchers, u) for u in urls]
            finally:
                stop.set()
                for task in followers:
                    task.cancel()
                await asyncio.gather(*followers, return_exceptions=True)
    finally:
        for process in processes:
            stop_process(process)
        await etcd.stop()
    even = watchers / 3
    return {"watchers": watchers, "before": before, "after": after, "server_reported_before": seen_before,
            "server_reported_after": seen_after, "rebalanced_in_s": took,
            "max_deviation_after": max(abs(n - even) / even for n in after)}


async def _until(condition, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the watchers did not settle in time")
        await asyncio.sleep(0.1)
