"""``myriad nodes --processes P``: workers over shards of the nodes, a killed worker restarted
and resuming its own nodes and pods, /metrics summed over the workers, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from myriad.nodes.supervisor import shards
from tests.apiserver.conftest import RunningServer


def test_shards_are_contiguous_even_and_never_empty() -> None:
    assert shards(0, 10, 3) == [(0, 4), (4, 3), (7, 3)]
    assert shards(100, 2, 5) == [(100, 1), (101, 1)]
    assert shards(0, 7, 1) == [(0, 7)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _until(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out: {check.__code__.co_consts}"
        time.sleep(0.1)


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return -1.0


def test_a_killed_worker_is_restarted_and_resumes_its_nodes_and_pods(apiserver: RunningServer) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "myriad", "nodes", "--count", "6", "--prefix", "sharded-", "--processes", "2",
               "--server", apiserver.url, "--metrics-port", str(port)]
    supervisor = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _until(lambda: len(_children(supervisor.pid)) == 2)
        _until(lambda: apiserver.kubectl("get", "nodes", "--no-headers").stdout.count("sharded-") == 6)
        _until(lambda: _metric(port, 'myriad_hollow_nodes{state="ready"}') == 6.0)

        def phase(name: str) -> str:
            result = apiserver.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}", check=False)
            return result.stdout

        apiserver.kubectl("run", "before", "--image=x", '--overrides={"spec":{"nodeName":"sharded-4"}}')
        _until(lambda: phase("before") == "Running")
        _until(lambda: _metric(port, "myriad_hollow_pods_admitted_total") == 1.0)  # reported before the kill
        worker = next(pid for pid in _children(supervisor.pid)
                      if "--first 3 " in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "))
        os.kill(worker, signal.SIGKILL)
        apiserver.kubectl("run", "meanwhile", "--image=x", '--overrides={"spec":{"nodeName":"sharded-5"}}')
        apiserver.kubectl("delete", "pod", "before", "--wait=false")
        _until(lambda: phase("meanwhile") == "Running")
        _until(lambda: apiserver.kubectl("get", "pod", "before", check=False).returncode != 0)  # not stuck
        assert worker not in _children(supervisor.pid) and len(_children(supervisor.pid)) == 2
        assert apiserver.kubectl("get", "nodes", "--no-headers").stdout.count("sharded-") == 6  # no duplicates
        # The killed worker's count is kept: totals never go down.
        _until(lambda: _metric(port, "myriad_hollow_pods_admitted_total") == 2.0)
        _until(lambda: _metric(port, "myriad_hollow_pod_deletions_total") == 1.0)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        out, err = supervisor.communicate(timeout=30)
    assert supervisor.returncode == 0, err
    assert "exited (-9); restarting it" in err
    assert "2 workers, 1 restarts" in out
