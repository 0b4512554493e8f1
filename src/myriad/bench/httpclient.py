"""A lean HTTP/1.1 client for load generation: one keep-alive connection on an asyncio.Protocol,
parsed with httptools, one request in flight at a time.

Requests are plain bytes built by the caller's templates, so a request costs the client little
more than a socket write and a parse; at tens of thousands of requests per second the server,
not the client, is what gets measured. Responses are read whole (``Content-Length`` or chunked);
this client does not stream and so does not watch. A very large answer can be read straight into
a caller's buffer (:meth:`Connection.request_into`): the socket is read into it with no copy
and no allocation, so timing a 350 MiB list measures the server and the kernel, not the client.

Concurrency: a :class:`Connection` belongs to one task at a time; :meth:`Connection.request`
must not be called again before the previous call has returned.
"""

from __future__ import annotations

import asyncio

import httptools


class ConnectionClosed(ConnectionError):
    """The server closed the connection before the response was complete."""


#: Bytes read from the socket at a time, outside :meth:`Connection.request_into` bodies.
READ_SIZE = 256 * 1024


class Connection(asyncio.BufferedProtocol):
    """One HTTP/1.1 connection to ``host:port``; open it with :meth:`open`."""

    def __init__(self, host: str) -> None:
        self._host = host.encode()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._scratch = memoryview(bytearray(READ_SIZE))
        self._chunks: list[bytes] = []
        self._status = 0
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._closed = False
        self._whole = True
        # request_into: the caller's buffer, bytes written to it, the answer's Content-Length
        # (-1 unknown), and body bytes still to be read straight into it (0 while parsing).
        self._into: memoryview | None = None
        self._into_length = 0
        self._content_length = -1
        self._raw_remaining = 0

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

    async def request_into(self, method: bytes, path: bytes, into: bytearray, *,
                           headers: bytes = b"") -> tuple[int, int]:
        """:meth:`request`, the body written into ``into``; returns the status and the body's
        length. Past the headers, a ``Content-Length`` body is read from the socket directly into
        ``into``. A body longer than ``into`` closes the connection and raises ValueError."""
        self._into, self._into_length, self._content_length = memoryview(into), 0, -1
        try:
            status, _ = await self._request(method, path, b"", content_type=b"", headers=headers)
            return status, self._into_length
        finally:
            self._into = None

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

    # asyncio.BufferedProtocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport is not a subclass

    def get_buffer(self, sizehint: int) -> memoryview:
        if self._raw_remaining and self._into is not None:
            return self._into[self._into_length:self._into_length + self._raw_remaining]
        return self._scratch

    def buffer_updated(self, nbytes: int) -> None:
        if self._raw_remaining:
            self._into_length += nbytes
            self._raw_remaining -= nbytes
            if not self._raw_remaining:
                self._parser = httptools.HttpResponseParser(self)  # it was bypassed for the body
                self._complete(b"")
            return
        try:
            self._parser.feed_data(self._scratch[:nbytes])
        except httptools.HttpParserError as exc:
            self._fail(ConnectionClosed(f"bad response: {exc}"))
            self.close()
            return
        if self._into is not None and self._waiter is not None and self._content_length > self._into_length:
            self._raw_remaining = self._content_length - self._into_length  # the rest skips the parser

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._fail(ConnectionClosed(f"connection lost: {exc}" if exc else "connection closed by the server"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._into is not None and name.lower() == b"content-length":
            self._content_length = int(value)
            if self._content_length > len(self._into):
                self._fail(ValueError(f"a {self._content_length}-byte answer does not fit {len(self._into)} bytes"))
                self.close()

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        into = self._into
        if into is None:
            self._chunks.append(body)
            return
        end = self._into_length + len(body)
        if end > len(into):
            self._fail(ValueError(f"the answer does not fit {len(into)} bytes"))
            self.close()
            return
        into[self._into_length:end] = body
        self._into_length = end

    def on_message_complete(self) -> None:
        body: bytes | list[bytes] = b"".join(self._chunks) if self._whole else self._chunks
        self._chunks = []
        self._complete(body)

    def _complete(self, body: bytes | list[bytes]) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((self._status, body))

    def _fail(self, error: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
