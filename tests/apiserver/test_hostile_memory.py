"""Hostile clients against a real server's memory: a thousand watchers of megabytes that read a
few bytes and vanish must share what they are sent, and give the memory back when they go."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
import urllib.request

import pytest

from tests.apiserver.conftest import RunningServer

NAMESPACE = "watched"
CMS = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
MB = 1024 * 1024
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def _metric(apiserver: RunningServer, prefix: str) -> float:
    _, body = apiserver.get("/metrics")
    line = next(line for line in body.decode().splitlines() if line.startswith(prefix))
    return float(line.rsplit(" ", 1)[1])


def _resident(apiserver: RunningServer) -> float:
    return _metric(apiserver, "process_resident_memory_bytes ")


def _watchers(apiserver: RunningServer) -> float:
    return _metric(apiserver, 'apiserver_registered_watchers{group="",kind="ConfigMap",version="v1"}')


async def _watch_and_reset(apiserver: RunningServer, count: int, *, accept: str) -> float:
    """Opens ``count`` watches of the namespace's ConfigMaps, each read for its first 200 bytes
    only; the server's resident bytes while they are open; then resets each connection (SO_LINGER
    0: a TCP RST, as from a killed client)."""
    host, port = apiserver.url.removeprefix("http://").split(":")

    async def one() -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"GET {CMS}?watch=1 HTTP/1.1\r\nHost: {host}\r\nAccept: {accept}\r\n\r\n".encode())
        await reader.readexactly(200)
        return writer

    writers = await asyncio.gather(*(one() for _ in range(count)))
    await asyncio.sleep(1.0)  # the server writes until every socket's buffers are full
    assert _watchers(apiserver) == count
    resident = _resident(apiserver)
    for writer in writers:
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    await asyncio.sleep(0)
    return resident


def _wait_for_no_watchers(apiserver: RunningServer) -> None:
    deadline = time.monotonic() + 30
    while _watchers(apiserver) > 0:
        assert time.monotonic() < deadline, "watchers still registered 30 s after their clients reset"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def four_megabytes(apiserver: RunningServer) -> RunningServer:
    assert apiserver.send("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                         "metadata": {"name": NAMESPACE}})[0] == 201
    for i in range(4):
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"big-{i}"},
                           "data": {"value": "x" * 1_000_000}}).encode()
        request = urllib.request.Request(apiserver.url + CMS, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
    return apiserver


@pytest.mark.parametrize("accept", ["application/json", TABLE])
def test_a_thousand_watchers_of_four_megabytes_share_them_and_their_memory_comes_back_when_they_reset(
        four_megabytes: RunningServer, accept: str) -> None:
    """Each watcher is sent 4 MB and reads 200 bytes. A copy per watcher would be 4 GB (it was
    2.5 GB, and 1.1 GB more stayed after each round)."""
    apiserver = four_megabytes
    before = _resident(apiserver)
    connected, after = [], []
    for _ in range(4):
        connected.append(asyncio.run(_watch_and_reset(apiserver, 1000, accept=accept)))
        _wait_for_no_watchers(apiserver)
        after.append(_resident(apiserver))
    assert max(connected) - before < 300 * MB, (before, connected)
    assert after[-1] <= after[0] * 1.15, after  # no ratchet from round to round
