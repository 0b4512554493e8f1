"""``myriad controller namespace-counts`` as a process: it acts, and serves its metrics."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS

MYRIAD = Path(sys.executable).with_name("myriad")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(url: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([str(MYRIAD), "controller", "namespace-counts", "--server", url, "--namespace",
                                "default", "--leader-elect", "true", "--metrics-port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None and b"leader election on" in process.stdout.readline()
    return process


async def test_the_controller_command_keeps_the_configmap_and_serves_workqueue_metrics(client: Client) -> None:
    url = client.options.endpoints[0]
    port = free_port()
    process = start(url, port)
    try:
        for _ in range(200):
            try:
                held = await client.get(CONFIGMAPS, "namespace-counts", namespace="default")
                if "default" in held.get("data", {}):
                    break
            except Exception:
                pass
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the controller never wrote its ConfigMap")
        metrics = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read())
        assert b'workqueue_adds_total{name="namespace-counts"}' in metrics
        assert b'controller_reconciles_total{controller="namespace-counts",result="success"}' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
