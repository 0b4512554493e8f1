"""Writing responses: whole bodies with Content-Length, or chunked streams flushed per write.

Concurrency: a :class:`Responder` belongs to one request and is used by that request's handler
task only; everything runs on the event loop, and nothing here blocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING

from myriad.apiserver.http.errors import ClientGoneError

if TYPE_CHECKING:
    from myriad.apiserver.http.protocol import HttpProtocol

_REASONS = {status.value: status.phrase for status in HTTPStatus}
#: The headers of nearly every response, encoded once.
_JSON_HEADERS = b"Content-Type: application/json\r\nCache-Control: no-cache, private\r\n"
_STATUS_LINES: dict[int, bytes] = {}


_NEWLINES_TO_SPACES = str.maketrans("\r\n", "  ")


def status_line(status: int) -> bytes:
    line = _STATUS_LINES.get(status)
    if line is None:
        line = _STATUS_LINES[status] = f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n".encode()
    return line


def head(status: int, headers: Iterable[tuple[str, str]], *, close: bool, length: int | None) -> bytes:
    """The status line and headers; ``length=None`` means a chunked body. Values go out as UTF-8
    with CR and LF made spaces, as Go's server writes them (a value quoting a client's text,
    such as a Warning naming an unknown field, can never add a header)."""
    parts = [status_line(status)]
    parts.extend(f"{name}: {value.translate(_NEWLINES_TO_SPACES)}\r\n".encode("utf-8", "replace")
                 for name, value in headers)
    parts.append(b"Transfer-Encoding: chunked\r\n" if length is None else b"Content-Length: %d\r\n" % length)
    if close:
        parts.append(b"Connection: close\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)


#: Bodies under this size are sent in one write with their head; larger ones are not copied.
_JOIN_BELOW = 64 * 1024


#: A stream chunk smaller than this is joined into one buffer (one small copy beats a vectored
#: write); a larger one is written as its parts.
JOIN_BELOW = 16 * 1024


class Responder:
    """Answers one request exactly once, by :meth:`send` or by :meth:`stream`."""

    __slots__ = ("_protocol", "_head_only", "started", "status")

    def __init__(self, protocol: HttpProtocol, *, head_only: bool) -> None:
        self._protocol = protocol
        self._head_only = head_only
        self.started = False
        #: The status sent (0 until then); handlers' metrics read it.
        self.status = 0

    @property
    def gone(self) -> asyncio.Future[None]:
        """Resolves when the client disconnects or the server closes the connection."""
        return self._protocol.gone

    def send(self, status: int, body: bytes, *, content_type: str = "application/json",
             headers: Iterable[tuple[str, str]] = ()) -> None:
        self._start(status)
        close = self._protocol.closing_after_response
        if content_type == "application/json" and not headers:
            data = b"%s%sContent-Length: %d\r\n%s\r\n" % (status_line(status), _JSON_HEADERS, len(body),
                                                           b"Connection: close\r\n" if close else b"")
        else:
            all_headers = [("Content-Type", content_type), ("Cache-Control", "no-cache, private"), *headers]
            data = head(status, all_headers, close=close, length=len(body))
        if self._head_only:
            self._protocol.write(data)
        elif len(body) < _JOIN_BELOW:
            self._protocol.write(data + body)
        else:  # a large body (a big list) goes out as it is, not copied behind its head
            self._protocol.write(data)
            self._protocol.write(body)

    async def drained(self, limit: float) -> None:
        """Waits until the client has read the response down to the write buffer's high-water
        mark, for at most ``limit`` seconds (at once when it is not above it; on disconnect too)."""
        if not self._protocol.paused:
            return
        try:
            await asyncio.wait_for(self._protocol.wait_writable(), limit)
        except (ClientGoneError, TimeoutError):
            pass

    def send_parts(self, status: int, parts: list[bytes | memoryview], *, content_type: str = "application/json",
                   headers: Iterable[tuple[str, str]] = ()) -> None:
        """:meth:`send` of the concatenation of ``parts``, handed to the transport as they are
        (one vectored write, no joined copy)."""
        self._start(status)
        all_headers = [("Content-Type", content_type), ("Cache-Control", "no-cache, private"), *headers]
        length = sum(map(len, parts))
        self._protocol.write(head(status, all_headers, close=self._protocol.closing_after_response, length=length))
        if not self._head_only:
            self._protocol.writelines(parts)

    def stream(self, status: int, *, content_type: str, headers: Iterable[tuple[str, str]] = ()) -> Stream:
        """Starts a chunked response; the handler then writes to and ends the returned stream."""
        self._start(status)
        all_headers = [("Content-Type", content_type), ("Cache-Control", "no-cache, private"), *headers]
        self._protocol.write(head(status, all_headers, close=self._protocol.closing_after_response, length=None))
        self._protocol.mark_streaming()
        return Stream(self._protocol)

    def _start(self, status: int) -> None:
        if self.started:
            raise RuntimeError("response already started")
        self.started = True
        self.status = status


class Stream:
    """A chunked response body. Each :meth:`write` is sent as one chunk at once (watch events
    must not sit in a buffer); it waits while the client is not reading, and raises
    :class:`ClientGoneError` once the connection is gone.

    A large chunk goes to the transport as the parts it was given, so the transport's buffer
    holds references to shared bytes (an object many watchers are sent), never a copy."""

    __slots__ = ("_protocol", "ended")

    def __init__(self, protocol: HttpProtocol) -> None:
        self._protocol = protocol
        self.ended = False

    async def write(self, *parts: bytes | memoryview) -> None:
        size = len(parts[0]) if len(parts) == 1 else sum(map(len, parts))
        if not size:
            return
        protocol = self._protocol
        if protocol.gone.done():
            raise ClientGoneError()
        if size >= JOIN_BELOW:
            protocol.writelines([b"%x\r\n" % size, *parts, b"\r\n"])
        elif len(parts) == 1:
            protocol.write(b"%x\r\n%s\r\n" % (size, parts[0]))
        else:
            protocol.write(b"".join((b"%x\r\n" % size, *parts, b"\r\n")))
        if protocol.paused:
            await protocol.wait_writable()

    def end(self) -> None:
        """Writes the last chunk; the connection then serves its next request."""
        if not self.ended:
            self.ended = True
            if not self._protocol.gone.done():
                self._protocol.write(b"0\r\n\r\n")
