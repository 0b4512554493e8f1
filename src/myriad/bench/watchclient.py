"""A lean streaming watch client for load generation: one connection per watch, parsed with
httptools, each event line handed to a callback as bytes. Thousands fit in one process.

Concurrency: the callbacks run on the event loop inside ``data_received`` and must not block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httptools


class WatchStream(asyncio.Protocol):
    """One watch; ``on_line(stream, line)`` for each event line, ``ended`` resolves with the HTTP
    status once the response ends or the connection drops."""

    def __init__(self, host: str, path: str, on_line: Callable[[WatchStream, bytes], None], *,
                 headers: dict[str, str] | None = None) -> None:
        self._request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n" +
                         "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()) + "\r\n").encode()
        self._on_line = on_line
        self._parser = httptools.HttpResponseParser(self)
        self._partial = b""
        self.status = 0
        self.ended: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None

    @classmethod
    async def open(cls, host: str, port: int, path: str, on_line: Callable[[WatchStream, bytes], None], *,
                   headers: dict[str, str] | None = None) -> WatchStream:
        loop = asyncio.get_running_loop()
        _, stream = await loop.create_connection(lambda: cls(f"{host}:{port}", path, on_line, headers=headers),
                                                 host, port)
        return stream

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        transport.write(self._request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._finish(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(exc)

    # httptools callbacks

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        data = self._partial + body
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if line:
                self._on_line(self, line)

    def on_message_complete(self) -> None:
        self._finish(None)
        if self._transport is not None:
            self._transport.close()

    def _finish(self, error: Exception | None) -> None:
        if not self.ended.done():
            if error is not None and self.status == 0:
                self.ended.set_exception(ConnectionError(str(error)))
            else:
                self.ended.set_result(self.status)
