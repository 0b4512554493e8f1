"""One ``myriad bench nodes`` session: a fresh ``myriad apiserver`` (pinned to the server CPU) and a
``myriad nodes`` process (pinned to the nodes CPU) against it, and what the bench reads of them.

The nodes run as a supervisor's worker would (``--worker``): their figures
(:mod:`myriad.nodes.figures`) arrive as a line a second on stdout, read by a thread of this
process. CPU and memory come from ``/proc`` (utime + stime, VmRSS); the bytes the server wrote
to its storage from ``/proc/<server>/io`` (``write_bytes``: what reached the disk, the WAL and
checkpoints included).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import uvloop
from hdrh.histogram import HdrHistogram

from myriad.bench.apiserver_process import server_cpu_seconds, start_apiserver, stop_process
from myriad.bench.diskprobe import DiskProbe
from myriad.bench.httpclient import Connection
from myriad.bench.readreport import server_memory
from myriad.bench.watchclient import WatchStream
from myriad.nodes.figures import LINE_PREFIX

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Session:
    url: str
    data_dir: Path
    server: subprocess.Popen[bytes]
    nodes: subprocess.Popen[bytes]
    started: float
    latest: dict[str, Any] = field(default_factory=dict)
    #: Lease renewal latencies of the window being measured (None: no window open).
    window: HdrHistogram | None = None

    def ready(self) -> int:
        return int((self.latest.get("nodes") or {}).get("ready", 0))

    def wait_ready(self, count: int, *, timeout: float) -> float:
        """Seconds from the nodes' start until ``count`` are registered and Ready."""
        deadline = time.monotonic() + timeout
        while self.ready() < count:
            if self.nodes.poll() is not None:
                raise RuntimeError(f"myriad nodes exited ({self.nodes.returncode})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.ready()}/{count} nodes Ready after {timeout} s")
            time.sleep(0.05)
        return time.monotonic() - self.started

    def sample(self) -> dict[str, float]:
        """CPU seconds and RSS of both processes, the server's storage writes, the wall time."""
        return {"wall": time.monotonic(), "nodes_cpu": cpu_seconds(self.nodes.pid),
                "nodes_rss": rss_bytes(self.nodes.pid), "server_cpu": server_cpu_seconds(self.url) or 0.0,
                "server_rss": float(server_memory(self.url) or 0), "server_writes": write_bytes(self.server.pid)}


@contextmanager
def session(scratch: Path, *, server_cpu: int | None, nodes_cpu: int | None, count: int,
            args: tuple[str, ...] = ()) -> Iterator[Session]:
    """A server on a fresh data dir under ``scratch`` and ``count`` hollow nodes against it."""
    server, url = start_apiserver(data_dir=scratch, cpu=server_cpu)
    pin = (lambda: os.sched_setaffinity(0, {nodes_cpu})) if nodes_cpu is not None else None
    try:
        nodes = subprocess.Popen([sys.executable, "-m", "myriad", "nodes", "--count", str(count), "--server", url,
                                  "--worker", *args], stdout=subprocess.PIPE, preexec_fn=pin)
        current = Session(url, scratch, server, nodes, time.monotonic())
        reader = threading.Thread(target=_read, args=(current,), daemon=True)
        reader.start()
        try:
            yield current
        finally:
            stop_process(nodes)
            reader.join(timeout=5)
    finally:
        stop_process(server)


def _read(current: Session) -> None:
    assert current.nodes.stdout is not None
    prefix = LINE_PREFIX.encode()
    for line in current.nodes.stdout:
        if line.startswith(prefix):
            current.latest = figures = orjson.loads(line[len(prefix):])
            encoded = (figures.get("histograms") or {}).get("lease_renewal")
            window = current.window
            if window is not None and encoded:
                window.add(HdrHistogram.decode(encoded.encode()))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def rss_bytes(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) * 1024
    return 0.0


def write_bytes(pid: int) -> float:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return float(line.split()[1])
    return 0.0


def steady(current: Session, seconds: float) -> dict[str, Any]:
    """What the session costs over ``seconds`` of doing nothing but heartbeats, the objects it
    writes (bytes of Leases and Nodes, as watched) included, and the disk's own sync latency and
    commit floor over the same seconds (:mod:`.diskprobe`)."""
    before = current.sample()
    renewals = (current.latest.get("counters") or {}).get("lease_renewals", 0)
    reports = (current.latest.get("counters") or {}).get("status_reports", 0)
    current.window = window = HdrHistogram(1, 60_000_000, 3)
    probe = DiskProbe(current.data_dir.parent)  # renewals are durable writes: the disk's floor beside them
    probe.start()
    try:
        written = uvloop.run(_objects_written(current.url, seconds))
    finally:
        disk = probe.stop()
        current.window = None
    after = current.sample()
    counters = current.latest.get("counters") or {}
    wall = after["wall"] - before["wall"]
    return {"seconds": wall, "nodes_cores": (after["nodes_cpu"] - before["nodes_cpu"]) / wall,
            "server_cores": (after["server_cpu"] - before["server_cpu"]) / wall,
            "nodes_rss_bytes": after["nodes_rss"], "server_rss_bytes": after["server_rss"],
            "storage_bytes_per_min": (after["server_writes"] - before["server_writes"]) / wall * 60,
            "object_bytes_per_min": sum(written.values()) / wall * 60,
            "lease_bytes_per_min": written["leases"] / wall * 60, "node_bytes_per_min": written["nodes"] / wall * 60,
            "renewals_per_s": (counters.get("lease_renewals", 0) - renewals) / wall,
            "disk_sync_latency": disk.sync.to_json(), "disk_commit_floor": disk.commit_floor.to_json(),
            "lease_latency": {"count": window.get_total_count(), "p50_ms": window.get_value_at_percentile(50) / 1000,
                              "p99_ms": window.get_value_at_percentile(99) / 1000,
                              "max_ms": window.get_max_value() / 1000},
            "status_reports_per_s": (counters.get("status_reports", 0) - reports) / wall}


async def _objects_written(url: str, seconds: float) -> dict[str, int]:
    """Bytes of the Lease and Node objects written over ``seconds``, from a watch of each: each
    write is one event, and the object in it is what was stored (KEP-589's measure)."""
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    written = {"leases": 0, "nodes": 0}
    streams = []
    for kind, path in (("leases", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"),
                       ("nodes", "/api/v1/nodes")):
        connection = await Connection.open(host, port)
        status, body = await connection.request(b"GET", f"{path}?limit=1".encode())
        connection.close()
        version = orjson.loads(body)["metadata"]["resourceVersion"]

        def count(_stream: WatchStream, line: bytes, kind: str = kind) -> None:
            written[kind] += len(line) - _ENVELOPE

        streams.append(await WatchStream.open(host, port, f"{path}?watch=1&resourceVersion={version}", count))
    await asyncio.sleep(seconds)
    for stream in streams:
        stream.close()
    return written


#: ``{"type":"MODIFIED","object":`` and the closing brace around each watched object.
_ENVELOPE = len(b'{"type":"MODIFIED","object":}')
