"""``myriad controller-manager`` as processes: bad flags, metrics, and a hot standby that takes
over when the leader stops."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from myriad.client.rest import Client
from myriad.client.types import NAMESPACES, PODS, REPLICASETS
from tests.controllers.test_command import MYRIAD, free_port


@pytest.mark.parametrize(("flags", "message"), [
    (["--controllers", "*,bogus"], '--controllers: "bogus" is not in the list of known controllers'),
    (["--concurrent-replicaset-syncs", "0"], "--concurrent-replicaset-syncs: must be at least 1"),
    (["--kube-api-qps", "5"], "--kube-api-burst: must be at least 1 when --kube-api-qps is set"),
    (["--kube-api-qps", "-1"], "--kube-api-qps: must not be negative"),
])
def test_a_flag_that_cannot_be_used_is_named_and_the_command_exits_1(flags: list[str], message: str) -> None:
    done = subprocess.run([str(MYRIAD), "controller-manager", "--server", "http://127.0.0.1:1", *flags],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and message in done.stderr


def start(url: str, identity: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([str(MYRIAD), "controller-manager", "--server", url, "--leader-elect", "true",
                                "--identity", identity, "--metrics-port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None and b"leader election on" in process.stdout.readline()
    return process


def writes(port: int) -> dict[str, float]:
    """The manager's non-GET API calls, Leases left out, from its metrics."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    found = {}
    for method, resource, count in re.findall(
            r'rest_client_requests_total\{code="\d+",method="(\w+)",resource="([\w/]+)"\} (\S+)', text):
        if method not in ("GET",) and resource != "leases":
            found[f"{method} {resource}"] = float(count)
    return found


async def pods_made(client: Client, ns: str, selector: str, count: int, timeout: float) -> float:
    began = time.monotonic()
    while len((await client.list(PODS, namespace=ns, label_selector=selector))["items"]) < count:
        assert time.monotonic() - began < timeout, f"no {count} pods for {selector} in {timeout} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - began


def replicaset(name: str, replicas: int) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}


async def test_the_standby_writes_nothing_and_takes_over_at_once_when_the_leader_stops(client: Client) -> None:
    url = client.options.endpoints[0]
    ns = "failover"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    first_port, second_port = free_port(), free_port()
    first = start(url, "first", first_port)
    await asyncio.sleep(1.0)  # let the first take the lease
    second = start(url, "second", second_port)
    try:
        await client.create(REPLICASETS, replicaset("one", 3), namespace=ns)
        await pods_made(client, ns, "app=one", 3, timeout=30)
        await asyncio.sleep(1.0)
        assert await asyncio.to_thread(writes, second_port) == {}
        assert "POST pods" in await asyncio.to_thread(writes, first_port)
        first.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(first.wait, 20) == 0
        await client.create(REPLICASETS, replicaset("two", 2), namespace=ns)
        assert await pods_made(client, ns, "app=two", 2, timeout=10) < 5.0  # the lease was released: no wait
        assert "POST pods" in await asyncio.to_thread(writes, second_port)
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)
