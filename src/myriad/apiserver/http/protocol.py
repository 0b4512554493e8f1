"""One HTTP/1.1 connection: parsing with httptools, pipelined requests served one at a time,
timeouts, size limits, back-pressure and disconnect detection.

Concurrency: every method runs on the event loop. Parser callbacks (``on_*``) run inside
``data_received`` and must not await; they only collect the request and queue it. One handler
task per connection at a time (:meth:`_serve`); the queue holds requests pipelined behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import deque
from typing import TYPE_CHECKING
from urllib.parse import unquote

import httptools

from myriad.api.errors import (
    BadRequestError,
    InternalError,
    RequestEntityTooLargeError,
    StatusError,
)
from myriad.apiserver.http.errors import ClientGoneError
from myriad.apiserver.http.request import Request
from myriad.apiserver.http.response import Responder, head

if TYPE_CHECKING:
    from myriad.apiserver.http.server import HttpServer

log = logging.getLogger(__name__)

#: After an error response to a request whose body is not read, input is discarded this long
#: before the socket closes, so the client reads the response instead of a reset.
_LINGER_SECONDS = 2.0


def _split_target(target: bytes) -> tuple[str, str]:
    """The request target's percent-decoded path and raw query; origin-form (``/path?query``,
    what clients send) is split directly, any other form goes through httptools' URL parser."""
    if target.startswith(b"/"):
        raw_path, _, raw_query = target.partition(b"?")
        path = raw_path.decode("latin-1")
    else:
        parsed = httptools.parse_url(target)
        path = (parsed.path or b"").decode("latin-1")
        raw_query = parsed.query or b""
    return (unquote(path) if "%" in path else path), raw_query.decode("latin-1")


class _Rejected(Exception):
    """A request the edge answers itself, with ``status`` (which may differ from the Status
    code: 408 and 431 carry a BadRequest body), before closing the connection."""

    def __init__(self, status: int, error: StatusError) -> None:
        super().__init__(error.message)
        self.status = status
        self.error = error


class HttpProtocol(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._options = server.options
        self._loop = server.loop
        #: None once the connection is gone (as is the transport): both point back at the
        #: protocol, so dropping them lets reference counting free the connection, even when
        #: the collector's freezer (:mod:`myriad.gcfreeze`) froze it while it was open.
        self._parser: httptools.HttpRequestParser | None = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        #: Resolves when the connection is gone; see :attr:`Responder.gone`.
        self.gone: asyncio.Future[None] = self._loop.create_future()
        self.paused = False
        self._writable: asyncio.Future[None] | None = None
        self._queue: deque[Request | _Rejected] = deque()
        self._task: asyncio.Task[None] | None = None
        self._keep_alive = True
        self._streaming = False
        self._reading_paused = False
        self._discarding = False
        # the message being parsed
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._body_len = 0
        self._header_bytes = 0
        self._host_headers = 0
        #: Loop times after which the request being read, or the idle connection, is given up;
        #: the server's sweep (:meth:`check_deadlines`) enforces them, so a request arms no timer.
        self._read_deadline: float | None = None
        self._idle_deadline: float | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport
        peer = transport.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        transport.set_write_buffer_limits(high=self._options.write_buffer_high)
        self._server.connections.add(self)
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._cancel_timers()
        self._transport = self._parser = None
        if not self.gone.done():
            self.gone.set_result(None)
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._discarding or self._parser is None:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__ or exc.__cause__
            self._reject(cause if isinstance(cause, _Rejected) else
                         _Rejected(400, BadRequestError("malformed HTTP request")))
        except httptools.HttpParserUpgrade as upgrade:
            # Go's server answers a request asking for an upgrade it does not serve (h2c, a
            # websocket) as plain HTTP/1.1: that request is already queued, and what follows it
            # is parsed as the next request.
            self._parser = httptools.HttpRequestParser(self)
            rest = data[upgrade.args[0]:]
            if rest:
                self.data_received(rest)
        except httptools.HttpParserError as exc:
            self._reject(_Rejected(400, BadRequestError(f"malformed HTTP request: {exc}")))

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    # -- httptools callbacks (no awaiting) -----------------------------------------------------

    def on_message_begin(self) -> None:
        self._cancel_idle()
        self._url = b""
        self._headers = {}
        self._body = []
        self._body_len = 0
        self._header_bytes = 0
        self._host_headers = 0
        self._read_deadline = self._loop.time() + self._options.request_read_timeout

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._count_header_bytes(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        key = name.decode("latin-1").lower()
        if key == "host":
            self._host_headers += 1
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"

    def on_headers_complete(self) -> None:
        version = self._parser.get_http_version()
        if version not in ("1.1", "1.0"):  # Go's http1ServerSupportsRequest; 0.9 has no version
            raise (_Rejected(505, BadRequestError("unsupported protocol version")) if version != "0.9" else
                   _Rejected(400, BadRequestError("malformed HTTP request")))
        if version == "1.1" and self._host_headers != 1:
            raise _Rejected(400, BadRequestError("missing required Host header" if not self._host_headers else
                                                 "too many Host headers"))
        length = self._headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._options.max_body_bytes:
            raise self._too_large()
        if self._headers.get("expect", "").lower() == "100-continue" and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body_len += len(body)
        if self._body_len > self._options.max_body_bytes:
            raise self._too_large()
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._read_deadline = None
        path, query = _split_target(self._url)
        request = Request(
            method=self._parser.get_method().decode("ascii"),
            path=path,
            raw_query=query,
            headers=self._headers,
            body=b"".join(self._body),
            peer=self._peer,
            keep_alive=self._parser.should_keep_alive(),
        )
        self._body = []
        self._queue.append(request)
        if len(self._queue) >= self._options.max_pipelined and self._transport is not None:
            self._transport.pause_reading()
            self._reading_paused = True
        self._next()

    def _too_large(self) -> _Rejected:
        limit = self._options.max_body_bytes
        return _Rejected(413, RequestEntityTooLargeError(f"Request entity too large: limit is {limit}"))

    def _count_header_bytes(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > self._options.max_header_bytes:
            raise _Rejected(431, BadRequestError("request headers too large"))

    # -- serving -------------------------------------------------------------------------------

    @property
    def closing_after_response(self) -> bool:
        """True when the response being written is this connection's last."""
        return not self._keep_alive or self._server.shutting_down

    def write(self, data: bytes) -> None:
        if self._transport is not None and not self.gone.done():
            self._transport.write(data)

    def writelines(self, parts: list[bytes | memoryview]) -> None:
        if self._transport is not None and not self.gone.done():
            self._transport.writelines(parts)

    async def wait_writable(self) -> None:
        """Waits until the client drains the output; raises :class:`ClientGoneError` if it leaves."""
        while self.paused and not self.gone.done():
            self._writable = self._loop.create_future()
            await self._writable
        if self.gone.done():
            raise ClientGoneError()

    def shutdown(self) -> None:
        """Server shutdown: idle connections close now, busy ones after their response; a
        streaming response ends at once with its last chunk."""
        if self._task is None and not self._queue:
            self._close()
        elif self._streaming:
            self.write(b"0\r\n\r\n")
            self._close()

    def _next(self) -> None:
        if self._task is not None or not self._queue or self.gone.done():
            return
        item = self._queue.popleft()
        if self._reading_paused and self._transport is not None and len(self._queue) < self._options.max_pipelined:
            self._transport.resume_reading()
            self._reading_paused = False
        if isinstance(item, _Rejected):
            self._send_rejection(item)
            return
        self._keep_alive = item.keep_alive
        self._task = self._loop.create_task(self._serve(item))

    async def _serve(self, request: Request) -> None:
        responder = Responder(self, head_only=request.method == "HEAD")
        self._streaming = False
        try:
            await self._server.handler(request, responder)
        except ClientGoneError:
            pass
        except Exception:
            log.exception("handler failed: %s %s", request.method, request.path)
            if not responder.started:
                responder.send(500, InternalError.of("the handler failed").encode())
        if not responder.started:
            responder.send(500, InternalError.of("the handler sent no response").encode())
        self._task = None
        if self.gone.done():
            return
        if self.closing_after_response:
            self._close()
            return
        self._next()
        if self._task is None:
            self._arm_idle()

    def mark_streaming(self) -> None:
        self._streaming = True
        size = self._options.stream_send_buffer
        if size and self._transport is not None:
            sock = self._transport.get_extra_info("socket")
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)

    def _reject(self, rejection: _Rejected) -> None:
        """Stops parsing: the rejection is answered in turn, then the connection closes."""
        self._discarding = True
        self._read_deadline = None
        self._queue.append(rejection)
        self._next()

    def _send_rejection(self, rejection: _Rejected) -> None:
        body = rejection.error.encode()
        self.write(head(rejection.status, [("Content-Type", "application/json")], close=True, length=len(body)) + body)
        transport = self._transport
        if transport is None or self.gone.done():
            return
        if transport.can_write_eof():
            transport.write_eof()
        self._loop.call_later(_LINGER_SECONDS, self._close)

    def check_deadlines(self, now: float) -> None:
        """Called by the server's periodic sweep: acts on a read or idle deadline that passed."""
        if self._read_deadline is not None and now >= self._read_deadline:
            self._read_deadline = None
            self._read_timed_out()
        if self._idle_deadline is not None and now >= self._idle_deadline:
            self._close()

    def _read_timed_out(self) -> None:
        if self._task is None:
            self._reject(_Rejected(408, BadRequestError("timed out reading the request")))
        else:
            self._close()

    def _arm_idle(self) -> None:
        self._cancel_idle()
        if self._server.shutting_down:
            self._close()
            return
        self._idle_deadline = self._loop.time() + self._options.idle_timeout

    def _cancel_idle(self) -> None:
        self._idle_deadline = None

    def _cancel_timers(self) -> None:
        self._idle_deadline = self._read_deadline = None

    def abort(self) -> None:
        self._cancel_timers()
        if self._transport is not None:
            self._transport.abort()

    def _close(self) -> None:
        self._cancel_timers()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
