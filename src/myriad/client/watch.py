"""A watch as an async iterator of :class:`~myriad.client.types.WatchEvent`, following the wire protocol.

The stream is newline-delimited JSON, one ``{"type", "object"}`` per line, each made into a
:class:`~myriad.client.types.WatchEvent` by the watch's ``decode`` (the object as a dict by
default; informers make compact Objects, :mod:`myriad.client.objects`). ``BOOKMARK`` events
are yielded like the others (their object carries only the resourceVersion); an ``ERROR``
event raises the error of its Status, so an expired resourceVersion raises
:class:`~myriad.client.errors.Gone`. A non-200 answer raises its Status error before any event.

The iterator ends normally when the stream ends: the server's ``timeoutSeconds`` ran out, the
balancer ended the watch to move it to a less loaded server (:attr:`Watch.ended_by` is
``"rebalanced"``), the connection was lost (``"lost"``, and the endpoint is reported failed), or
:meth:`Watch.close` was called. Callers resume from the last resourceVersion they saw, as
client-go's reflector does. Starting the watch retries like a read: a server that cannot be
reached is skipped, and 429/5xx answers are retried with backoff.

Concurrency: one task iterates a watch; :meth:`Watch.close` may be called from any task.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Literal

import orjson

from myriad.client.connection import Connection
from myriad.client.endpoints import WatchSlot
from myriad.client.errors import ClientError, ConnectionLost, TransportError, api_error
from myriad.client.retry import delay, parse_retry_after
from myriad.client.types import WatchEvent

if TYPE_CHECKING:
    from myriad.client.rest import Client

EndedBy = Literal["server", "rebalanced", "lost", "closed"]


class Watch:
    def __init__(self, client: Client, target: str, *, decode: Callable[[bytes], WatchEvent] | None = None,
                 accept: bytes = b"application/json") -> None:
        self._client = client
        self._target = target.encode()
        self._accept = accept
        self._decode = decode or decode_event
        self._slot: WatchSlot | None = None
        self._connection: Connection | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._buffer = bytearray()
        self._pending: list[bytes] = []
        self._stopping: EndedBy | None = None
        self._reading = False
        #: Why the iteration ended (None while it runs).
        self.ended_by: EndedBy | None = None
        #: The endpoint URL serving the watch, once started.
        self.endpoint: str | None = None

    def __aiter__(self) -> Watch:
        return self

    async def __aenter__(self) -> Watch:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def __anext__(self) -> WatchEvent:
        if self.ended_by is not None:
            raise StopAsyncIteration
        if self._chunks is None:
            await self._start()
        while not self._pending:
            chunk = await self._next_chunk()
            if chunk is None:
                raise StopAsyncIteration
            self._buffer += chunk
            end = self._buffer.rfind(b"\n")
            if end < 0:
                continue
            self._pending = [line for line in bytes(self._buffer[:end]).split(b"\n") if line.strip()]
            del self._buffer[:end + 1]
            self._pending.reverse()
        return self._event(self._pending.pop())

    async def close(self) -> None:
        """Ends the watch; iteration stops with ``ended_by == "closed"``."""
        self._stop("closed")
        if self._chunks is not None and not self._reading:  # a reader wakes to the closed connection
            await self._chunks.aclose()  # type: ignore[attr-defined]

    # -- internals -----------------------------------------------------------------------------

    def _stop(self, reason: EndedBy) -> None:
        if self._stopping is None:
            self._stopping = reason
        if self._connection is not None:
            self._connection.close()

    async def _start(self) -> None:
        client = self._client
        balancer = client.balancer
        retry = client.options.retry
        failed_on = []
        attempt = 0
        while True:
            attempt += 1
            if self._stopping is not None:
                self._finish()
                raise StopAsyncIteration
            slot = balancer.place_watch(lambda: self._stop("rebalanced"), avoid=failed_on)
            endpoint = slot.endpoint
            try:
                self._connection = await endpoint.connection(client.options.clock.monotonic())
                head = client.head(endpoint, b"GET", self._target, self._accept) + b"\r\n"
                response, chunks = await self._connection.stream(head)
            except TransportError:
                balancer.release_watch(slot)
                balancer.failed(endpoint)
                failed_on.append(endpoint)
                if attempt >= retry.attempts:
                    raise
                if len(set(failed_on)) >= len(balancer.endpoints):
                    await client.options.clock.sleep(delay(attempt, retry))
                continue
            balancer.succeeded(endpoint)
            if response.status == 200:
                self._slot, self._chunks, self.endpoint = slot, chunks, endpoint.url
                return
            balancer.release_watch(slot)
            body = b"".join([chunk async for chunk in chunks])
            retry_after = parse_retry_after(response.headers.get(b"retry-after"))
            error = api_error(response.status, body, retry_after=retry_after)
            if attempt >= retry.attempts or not (error.status == 429 or error.status >= 500):
                raise error
            await client.options.clock.sleep(delay(attempt, retry, retry_after=error.retry_after))

    async def _next_chunk(self) -> bytes | None:
        assert self._chunks is not None
        self._reading = True
        try:
            return await anext(self._chunks)
        except StopAsyncIteration:
            self._finish("server")
        except ConnectionLost:
            if self._stopping is None and self._slot is not None:
                self._client.balancer.failed(self._slot.endpoint)
            self._finish("lost")
        finally:
            self._reading = False
        return None

    def _finish(self, reason: EndedBy = "closed") -> None:
        self.ended_by = self._stopping or reason
        if self._slot is not None:
            self._client.balancer.release_watch(self._slot)
            self._slot = None

    def _event(self, line: bytes) -> WatchEvent:
        try:
            event = self._decode(line)
        except (ValueError, KeyError, TypeError) as exc:  # orjson's and msgspec's errors are ValueErrors
            self._stop("lost")
            raise ClientError(f"malformed watch event: {line[:200]!r}") from exc
        if event.type == "ERROR":
            self._stop("server")
            self._finish()
            obj = event.object if isinstance(event.object, dict) else {}
            raise api_error(int(obj.get("code") or 500), obj)
        return event


def decode_event(line: bytes) -> WatchEvent:
    """A watch line with its object decoded to a dict."""
    decoded: Any = orjson.loads(line)
    return WatchEvent(decoded["type"], decoded["object"])
