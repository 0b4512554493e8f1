"""The read-path bench's load: what each scenario of :mod:`myriad.bench.reads` sends and measures.

Requests go over the raw keep-alive client of :mod:`myriad.bench.httpclient`; watches over
:mod:`myriad.bench.watchclient`. Open-loop writers (pod updates, lease renewals) issue each
request at its due time from a pool of connections and count latency from that due time, so a
stalled server shows as latency rather than as a lower rate.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from myriad.bench.apiload import Request, run_phase
from myriad.bench.histogram import LatencyHistogram, Percentiles
from myriad.bench.httpclient import Connection
from myriad.bench.readwatchers import SENT
from myriad.bench.watchclient import WatchStream

LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
_RESOURCE_VERSION = re.compile(rb'"resourceVersion":"(\d+)"')
KUBELET = "kubelet/v1.37.0 (myriad bench)"


async def create_namespace(connection: Connection, name: str) -> None:
    body = orjson.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    status, reply = await connection.request(b"POST", b"/api/v1/namespaces", body)
    if status not in (201, 409):
        raise RuntimeError(f"creating namespace {name}: {status} {reply[:300]!r}")


async def create_all(connections: list[Connection], count: int, build: Callable[[int], Request]) -> float:
    """Creates ``count`` objects closed-loop; returns creates per second. Raises on any failure."""
    figures = await run_phase(connections, total=count, build=build, expect=201)
    if figures.errors:
        raise RuntimeError(f"{figures.errors} creates failed: {figures.first_error}")
    return figures.per_second


def configmap_builder(namespace: str, value_size: int) -> Callable[[int], Request]:
    path = f"/api/v1/namespaces/{namespace}/configmaps".encode()
    value = "x" * value_size

    def build(index: int) -> Request:
        body = orjson.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{index:07d}"},
                             "data": {"v": value}})
        return b"POST", path, body, b"application/json"

    return build


def pod_builder(namespace: str, nodes: int) -> Callable[[int], Request]:
    path = f"/api/v1/namespaces/{namespace}/pods".encode()

    def build(index: int) -> Request:
        body = orjson.dumps({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": f"pod-{index:06d}", "labels": {"app": "bench"}},
                             "spec": {"nodeName": f"node-{index % nodes}",
                                      "containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}]}})
        return b"POST", path, body, b"application/json"

    return build


def lease_builder(nodes: int) -> Callable[[int], Request]:
    def build(index: int) -> Request:
        body = orjson.dumps({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                             "metadata": {"name": f"node-{index % nodes}"},
                             "spec": {"holderIdentity": f"node-{index % nodes}", "leaseDurationSeconds": 40}})
        return b"POST", LEASES.encode(), body, b"application/json"

    return build


@dataclass(frozen=True, slots=True)
class ListFigures:
    count: int
    latency: Percentiles
    items: int
    bytes: int


async def time_lists(connection: Connection, path: bytes, count: int, *, expect_items: int) -> ListFigures:
    """``count`` lists one after another, each read into one buffer kept across them (sized and
    paged in by an untimed list first), so the time is the server's and the kernel's, not the
    client's allocations; checks each returned ``expect_items`` items."""
    status, chunks = await connection.request_chunks(b"GET", path)
    buffer = bytearray(sum(map(len, chunks)) + 1024 * 1024)
    del chunks
    await connection.request_into(b"GET", path, buffer)
    histogram = LatencyHistogram()
    size = items = 0
    for _ in range(count):
        started = time.perf_counter()
        status, size = await connection.request_into(b"GET", path, buffer)
        histogram.record_seconds(time.perf_counter() - started)  # to the last byte
        if status != 200:
            raise RuntimeError(f"list {path.decode()} -> {status}: {bytes(buffer[:min(size, 300)])!r}")
        items = buffer.count(b'{"metadata":', 0, size)  # each listed ConfigMap starts so (kind and apiVersion cut)
        if items != expect_items:
            raise RuntimeError(f"list {path.decode()} returned {items} items, expected {expect_items}")
    return ListFigures(count, histogram.percentiles(), items, size)


@dataclass(kw_only=True)
class OpenLoopFigures:
    issued: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)


async def open_loop(connections: list[Connection], *, rate: float, duration: float,
                    build: Callable[[int], Request], figures: OpenLoopFigures, user_agent: str = "",
                    answered: Callable[[int, int, bytes], None] | None = None) -> None:
    """Issues ``build(n)`` at ``rate`` per second for ``duration`` seconds from a pool of idle
    connections; latency runs from each request's due time to its answer. ``answered(n,
    status, body)`` is told each answer."""
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in connections:
        idle.put_nowait(connection)
    start = time.perf_counter()
    interval = 1.0 / rate
    pending: set[asyncio.Task[None]] = set()
    extra = f"User-Agent: {user_agent}\r\n".encode() if user_agent else b""

    async def one(connection: Connection, index: int, due: float) -> None:
        method, path, body, content_type = build(index)
        status, reply = await connection.request(method, path, body, content_type=content_type, headers=extra)
        figures.histogram.record_seconds(time.perf_counter() - due)
        if answered is not None:
            answered(index, status, reply)
        if status >= 300:
            figures.errors[status] = figures.errors.get(status, 0) + 1
        idle.put_nowait(connection)

    index = 0
    while True:
        due = start + index * interval
        if due - start >= duration:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        connection = await idle.get()
        task = asyncio.create_task(one(connection, index, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        index += 1
        figures.issued = index
    if pending:
        await asyncio.gather(*pending)


def pod_update_builder(namespace: str, pods: int, *, keys: list[int] | None = None) -> Callable[[int], Request]:
    """Merge patches that stamp ``bench/sent`` with the wall-clock time of sending, round-robin
    over the pods (or over ``keys``)."""

    def build(index: int) -> Request:
        number = keys[index % len(keys)] if keys else index % pods
        body = b'{"metadata":{"annotations":{"%s":"%.6f"}}}' % (SENT.encode(), time.time())
        return (b"PATCH", f"/api/v1/namespaces/{namespace}/pods/pod-{number:06d}".encode(), body,
                b"application/merge-patch+json")

    return build


class LeaseRenewals:
    """PUTs of each node's Lease in turn with a new renewTime, each conditional on the
    resourceVersion its last answer carried, as a kubelet renews its Lease (upstream refuses a
    Lease update without one). :meth:`build` and :meth:`answered` go to :func:`open_loop`."""

    def __init__(self, versions: dict[str, str]) -> None:
        """``versions``: each node's Lease resourceVersion (node name → version), as listed."""
        self._nodes = sorted(versions)
        self._versions = versions

    def build(self, index: int) -> Request:
        node = self._nodes[index % len(self._nodes)]
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        body = orjson.dumps({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                             "metadata": {"name": node, "resourceVersion": self._versions[node]},
                             "spec": {"holderIdentity": node, "leaseDurationSeconds": 40, "renewTime": now}})
        return b"PUT", f"{LEASES}/{node}".encode(), body, b"application/json"

    def answered(self, index: int, status: int, body: bytes) -> None:
        if status == 200:
            match = _RESOURCE_VERSION.search(body)
            if match is not None:
                self._versions[self._nodes[index % len(self._nodes)]] = match.group(1).decode()


async def lease_versions(connection: Connection) -> dict[str, str]:
    """Every Lease in kube-node-lease: name → resourceVersion."""
    status, body = await connection.request(b"GET", LEASES.encode())
    if status != 200:
        raise RuntimeError(f"listing leases: {status} {body[:300]!r}")
    return {item["metadata"]["name"]: item["metadata"]["resourceVersion"] for item in orjson.loads(body)["items"]}


@dataclass(frozen=True, slots=True)
class RestartFigures:
    """Per watcher, what recovering after its watch timed out took."""

    watchers: int
    expired: int  # restarts answered 410 (a re-list followed)
    events_to_recover: float  # mean events + re-listed objects processed per watcher


async def restart_cost(host: str, port: int, namespace: str, *, watchers: int, revision: int, timeout: int,
                       bookmarks: bool, objects: int) -> RestartFigures:
    """``watchers`` watches on the quiet ``namespace``'s configmaps from ``revision`` that time
    out after ``timeout`` seconds; each then resumes from the last revision it saw (a bookmark's,
    if it got one) and counts what it must process until it is live again: the events replayed,
    or, on 410, the ERROR plus every object of the re-list."""
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    flag = "&allowWatchBookmarks=true" if bookmarks else ""
    last: dict[WatchStream, int] = {}

    def remember(stream: WatchStream, line: bytes) -> None:
        event = orjson.loads(line)
        rv = event["object"].get("metadata", {}).get("resourceVersion")
        if rv:
            last[stream] = int(rv)

    streams = [await WatchStream.open(host, port, f"{base}?watch=1&resourceVersion={revision}"
                                      f"&timeoutSeconds={timeout}{flag}", remember) for _ in range(watchers)]
    await asyncio.gather(*(stream.ended for stream in streams))
    connections = [await Connection.open(host, port) for _ in range(8)]
    gate = asyncio.Semaphore(200)
    processed = expired = 0

    async def recover(stream: WatchStream, connection: Connection) -> None:
        nonlocal processed, expired
        lines: list[bytes] = []
        async with gate:
            again = await WatchStream.open(host, port, f"{base}?watch=1&resourceVersion={last.get(stream, revision)}"
                                           "&timeoutSeconds=1", lambda _s, line: lines.append(line))
            await again.ended
        processed += len(lines)
        if any(b'"ERROR"' in line and b'"code":410' in line for line in lines):
            expired += 1
            async with locks[connection]:
                status, body = await connection.request(b"GET", base.encode())
            processed += len(orjson.loads(body)["items"]) if status == 200 else objects

    locks = {connection: asyncio.Lock() for connection in connections}
    try:
        await asyncio.gather(*(recover(stream, connections[i % len(connections)]) for i, stream in enumerate(streams)))
    finally:
        for connection in connections:
            connection.close()
    return RestartFigures(watchers, expired, processed / watchers)
