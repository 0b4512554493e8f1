"""A lean HTTP/1.1 client for load generation: one keep-alive connection on an asyncio.Protocol,
parsed with httptools, one request in flight at a time.

Requests are plain bytes built by the caller's templates, so a request costs the client little
more than a socket write and a parse; at tens of thousands of requests per second the server,
not the client, is what gets measured. Responses are read whole (``Content-Length`` or chunked);
this client does not stream and so does not watch.

Concurrency: a :class:`Connection` belongs to one task at a time; :meth:`Connection.request`
must not be called again before the previous call has returned.
"""

from __future__ import annotations

import asyncio

import httptools


class ConnectionClosed(ConnectionError):
    """The server closed the connection before the response was complete."""


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection to ``host:port``; open it with :meth:`open`."""

    def __init__(self, host: str) -> None:
        self._host = host.encode()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._chunks: list[bytes] = []
        self._status = 0
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._closed = False
        self._whole = True

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(lambda: cls(f"{host}:{port}"), host, port)
        return connection

    async def request(self, method: bytes, path: bytes, body: bytes = b"", *,
                      content_type: bytes = b"application/json", headers: bytes = b"") -> tuple[int, bytes]:
        """Sends one request and returns the response's status and body; ``headers`` are extra
        header lines, each ending in CRLF."""
        self._whole = True
        return await self._request(method, path, body, content_type=content_type, headers=headers)  # type: ignore[return-value]

    async def request_chunks(self, method: bytes, path: bytes, *, headers: bytes = b"") -> tuple[int, list[bytes]]:
        """:meth:`request`, the body left as the chunks it arrived in: a large answer is timed to
        its last byte without the client's own copy of it."""
        self._whole = False
        return await self._request(method, path, b"", content_type=b"", headers=headers)  # type: ignore[return-value]

    async def _request(self, method: bytes, path: bytes, body: bytes, *, content_type: bytes,
                       headers: bytes) -> tuple[int, bytes | list[bytes]]:
        if self._closed or self._transport is None:
            raise ConnectionClosed("connection is closed")
        head = b"%s %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n%s" % (method, path, self._host,
                                                                                   headers)
        if body:
            head += b"Content-Type: %s\r\nContent-Length: %d\r\n" % (content_type, len(body))
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(head + b"\r\n" + body)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionClosed(f"bad response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._fail(ConnectionClosed(f"connection lost: {exc}" if exc else "connection closed by the server"))

    # httptools callbacks

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        body: bytes | list[bytes] = b"".join(self._chunks) if self._whole else self._chunks
        self._chunks = []
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self._status, body))

    def _fail(self, error: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
