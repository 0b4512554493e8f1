"""One HTTP/1.1 keep-alive connection: whole answers, or a streamed body for watches.

An :class:`asyncio.Protocol` fed by httptools; on uvloop a request costs a socket write and a
parse. A connection carries one request at a time. After a whole answer it can be reused
(:attr:`Connection.reusable`); a streamed answer owns the connection until it ends or is closed,
after which the connection is closed, since a watch ends only when the server stops it.

Whether a request reached the server is tracked exactly enough for retries: a request on a
connection already known to be closed is never written (:class:`~myriad.client.errors.ConnectFailed`),
and one that was written and then lost raises :class:`~myriad.client.errors.ConnectionLost`.

Concurrency: a connection belongs to one task at a time (the pool hands it out). Protocol
callbacks run on the loop and only complete futures or append to the stream buffer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httptools

from myriad.client.errors import ConnectFailed, ConnectionLost

#: Headers a caller may read from an answer (lower case); the rest are not kept.
KEPT_HEADERS = frozenset({b"content-type", b"retry-after", b"connection", b"audit-id"})
#: A streamed body pauses the socket when this many bytes are waiting to be read.
STREAM_HIGH_WATER = 4 * 1024 * 1024


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""


class Connection(asyncio.Protocol):
    """A connection to ``host:port``; make one with :meth:`open`."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.last_used = 0.0
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._closed = False
        self._response: Response | None = None
        self._chunks: list[bytes] = []
        self._headers_done: asyncio.Future[Response] | None = None
        self._done: asyncio.Future[Response] | None = None
        self._keep_alive = True
        # streaming
        self._streaming = False
        self._stream: deque[bytes] = deque()
        self._stream_bytes = 0
        self._stream_ended = False
        self._stream_error: Exception | None = None
        self._stream_wakeup: asyncio.Future[None] | None = None
        self._paused = False

    @classmethod
    async def open(cls, host: str, port: int, *, timeout: float) -> Connection:
        """Connects; raises ConnectFailed when it cannot within ``timeout``."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(lambda: cls(host, port), host, port)
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"cannot connect to {host}:{port}: {exc or 'timed out'}") from exc
        return connection

    @property
    def reusable(self) -> bool:
        """Open, idle and allowed to carry another request."""
        return not self._closed and self._keep_alive and self._done is None and not self._streaming

    async def request(self, head: bytes, body: bytes = b"") -> Response:
        """Writes a request (``head`` ends with the blank line) and returns the whole answer."""
        self._begin()
        done = self._done = asyncio.get_running_loop().create_future()
        self._write(head, body)
        return await done

    async def stream(self, head: bytes) -> tuple[Response, AsyncIterator[bytes]]:
        """Writes a request and returns once the answer's headers are in: the response (no
        body) and an iterator of the body's chunks as they arrive. The connection is closed
        when the iterator ends or is closed, so a stream always ends with its connection."""
        self._begin()
        self._streaming = True
        headers_done = self._headers_done = asyncio.get_running_loop().create_future()
        self._write(head, b"")
        response = await headers_done
        return response, self._chunks_iter()

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    def _begin(self) -> None:
        if not self.reusable:
            raise ConnectFailed(f"connection to {self.host}:{self.port} is closed")  # nothing was written
        self._response = Response(0)

    def _write(self, head: bytes, body: bytes) -> None:
        assert self._transport is not None
        self._transport.write(head + body if body else head)

    async def _chunks_iter(self) -> AsyncIterator[bytes]:
        try:
            while True:
                while self._stream:
                    chunk = self._stream.popleft()
                    self._stream_bytes -= len(chunk)
                    if self._paused and self._stream_bytes < STREAM_HIGH_WATER // 2 and self._transport:
                        self._paused = False
                        self._transport.resume_reading()
                    yield chunk
                if self._stream_error is not None:
                    raise self._stream_error
                if self._stream_ended:
                    return
                self._stream_wakeup = asyncio.get_running_loop().create_future()
                await self._stream_wakeup
        finally:
            self.close()

    def _wake(self) -> None:
        wakeup, self._stream_wakeup = self._stream_wakeup, None
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ConnectionLost("unexpected protocol upgrade"))
            self.close()
        except httptools.HttpParserError as exc:
            self._fail(ConnectionLost(f"bad answer from {self.host}:{self.port}: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._fail(ConnectionLost(f"connection to {self.host}:{self.port} lost: {exc or 'closed by the server'}"))
        # The parser and the transport each point back at this protocol: break both cycles, so
        # a closed connection is freed by reference counting even in a process whose collector
        # is frozen (myriad.gcfreeze), where a cycle would never be collected.
        self._parser = None  # type: ignore[assignment]
        self._transport = None

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in KEPT_HEADERS and self._response is not None:
            self._response.headers[name] = value

    def on_headers_complete(self) -> None:
        response = self._response
        if response is None:
            return
        response.status = self._parser.get_status_code()
        self._keep_alive = self._parser.should_keep_alive()
        headers_done, self._headers_done = self._headers_done, None
        if headers_done is not None and not headers_done.done():
            headers_done.set_result(response)

    def on_body(self, body: bytes) -> None:
        if not self._streaming:
            self._chunks.append(body)
            return
        self._stream.append(body)
        self._stream_bytes += len(body)
        if self._stream_bytes >= STREAM_HIGH_WATER and not self._paused and self._transport:
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        response, self._response = self._response, None
        if self._streaming:
            self._stream_ended = True
            self._wake()
            return
        if response is not None:
            response.body = b"".join(self._chunks)
        self._chunks = []
        done, self._done = self._done, None
        if done is not None and not done.done() and response is not None:
            done.set_result(response)

    def _fail(self, error: Exception) -> None:
        for name in ("_headers_done", "_done"):
            future = getattr(self, name)
            setattr(self, name, None)
            if future is not None and not future.done():
                future.set_exception(error)
        if self._streaming and not self._stream_ended and self._stream_error is None:
            self._stream_error = error
            self._wake()
