"""The HTTP edge over real loopback sockets, with a small handler standing in for the API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from myriad.apiserver.http import HttpOptions, HttpServer, Request, Responder

pytestmark = pytest.mark.timeout(30)


class Recorder:
    def __init__(self) -> None:
        self.stream_ended = asyncio.Event()

    async def __call__(self, request: Request, responder: Responder) -> None:
        if request.path == "/stream":
            stream = responder.stream(200, content_type="application/json")
            try:
                for i in range(1000):
                    await stream.write(b'{"n":%d}\n' % i)
                    await asyncio.sleep(0.01)
            finally:
                self.stream_ended.set()
            return
        responder.send(200, b"%s %s %d" % (request.method.encode(), request.path.encode(), len(request.body)),
                       content_type="text/plain")


@pytest.fixture
async def edge() -> AsyncIterator[tuple[HttpServer, Recorder, int]]:
    recorder = Recorder()
    server = HttpServer(recorder, options=HttpOptions(max_body_bytes=1024, idle_timeout=0.5, request_read_timeout=0.5,
                                                      shutdown_grace=1))
    port = await server.start("127.0.0.1", 0)
    yield server, recorder, port
    await server.shutdown()


async def _read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = int(next(line.split(b":")[1] for line in lines if line.lower().startswith(b"content-length")))
    return head, await reader.readexactly(length)


async def test_keep_alive_serves_several_requests_on_one_connection(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for path in (b"/a", b"/b"):
        writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        head, body = await _read_response(reader)
        assert head.startswith(b"HTTP/1.1 200 OK") and body == b"GET " + path + b" 0"
    writer.close()


async def test_chunked_request_bodies_are_reassembled(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    writer.write(b"5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n")
    _, body = await _read_response(reader)
    assert body == b"POST /c 8"
    writer.close()


async def test_oversized_bodies_get_413_with_a_status(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
    head, body = await _read_response(reader)
    assert head.startswith(b"HTTP/1.1 413") and b'"reason":"RequestEntityTooLarge"' in body
    writer.close()


async def test_malformed_requests_get_400(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    head, _ = await _read_response(reader)
    assert head.startswith(b"HTTP/1.1 400")
    writer.close()


@pytest.mark.parametrize(("request_head", "status", "message"), [
    (b"GET /a HTTP/1.1\r\n\r\n", b"400", b"missing required Host header"),
    (b"GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", b"400", b"too many Host headers"),
    (b"GET /a HTTP/2.0\r\nHost: x\r\n\r\n", b"505", b"unsupported protocol version"),
    (b"GET /a\r\n\r\n", b"400", b"malformed HTTP request"),
])
async def test_requests_go_refuses_get_its_status_and_close_the_connection(
        edge, request_head: bytes, status: bytes, message: bytes) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_head)
    head, body = await _read_response(reader)
    assert head.startswith(b"HTTP/1.1 " + status) and message in body
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""
    writer.close()


async def test_an_http_1_0_request_needs_no_host(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /old HTTP/1.0\r\n\r\n")
    head, body = await _read_response(reader)
    assert head.startswith(b"HTTP/1.1 200") and body == b"GET /old 0"
    writer.close()


async def test_an_h2c_upgrade_is_answered_once_as_http_1_1_and_the_connection_goes_on(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                 b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
    answers = [await _read_response(reader) for _ in range(2)]
    assert [(head[:12], body) for head, body in answers] == [(b"HTTP/1.1 200", b"GET /up 0"),
                                                             (b"HTTP/1.1 200", b"GET /next 0")]
    with pytest.raises(asyncio.TimeoutError):  # nothing unsolicited follows
        await asyncio.wait_for(reader.read(1), timeout=0.2)
    writer.close()


async def test_idle_connections_are_closed(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""
    writer.close()


async def test_a_request_that_stops_arriving_gets_408_and_the_connection_closes(edge) -> None:  # noqa: ANN001
    _, _, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    head, body = await asyncio.wait_for(_read_response(reader), timeout=5)
    assert head.startswith(b"HTTP/1.1 408 ")
    assert b'"reason":"BadRequest"' in body and b"timed out reading the request" in body
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""
    writer.close()


async def test_a_disconnecting_client_ends_its_stream(edge) -> None:  # noqa: ANN001
    _, recorder, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert await reader.readuntil(b"\r\n") == b"8\r\n"
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    await asyncio.wait_for(recorder.stream_ended.wait(), timeout=5)


async def test_shutdown_ends_open_streams(edge) -> None:  # noqa: ANN001
    server, recorder, port = edge
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    await reader.readuntil(b"\r\n\r\n")
    await server.shutdown()
    data = await asyncio.wait_for(reader.read(), timeout=5)
    assert data.endswith(b"0\r\n\r\n")
    await asyncio.wait_for(recorder.stream_ended.wait(), timeout=5)
    writer.close()
