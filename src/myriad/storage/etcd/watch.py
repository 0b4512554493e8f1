"""A watch over etcd: one bidirectional Watch stream, resumed on another endpoint when it breaks.

Ordering. The watch remembers ``next``, the first revision it has not delivered, and drops every
event below it; a batch is delivered whole and then moves ``next`` past it. etcd never splits a
revision across responses (we do not ask for fragments), so a batch's last event revision is a
valid "everything up to here" mark. On connection loss the stream is re-created on the next
endpoint from ``next``: no gap, no duplicate.

Compaction. etcd refuses a watch only when its start lies *below* the compacted revision, but a
compaction at ``c`` may already have dropped the deletions made at ``c``, so the contract refuses
a start *at or below* it. The stream is therefore created one revision early (at ``next - 1``)
and etcd's compaction answer is reported as :class:`CompactedError`; the extra revision's events
are dropped by the ``next`` filter. A start at 1 cannot be checked that way and relies on the
compaction the store already knows of.

Progress. An etcd response without events, other than the ``created`` reply, is a progress
notification: its header revision has been fully delivered. One below ``next - 1`` (from a
member that lags the one we watched before) is dropped.

Concurrency: one task consumes the watch (``__anext__`` calls do not overlap); ``aclose()`` may
come from any task at any time and makes a pending ``__anext__`` raise ``StopAsyncIteration``.
Cancelling a pending ``__anext__`` (e.g. by a timeout) is safe: the next call resumes the stream
from ``next``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc
from aetcd import rpc

from myriad.storage.errors import CompactedError, StorageError
from myriad.storage.etcd.convert import event, range_key, storage_error, stream_broken
from myriad.storage.etcd.endpoints import REQUIRE_LEADER, Endpoints, Retry
from myriad.storage.interfaces import WatchBatch


class EtcdWatch:
    def __init__(
        self,
        endpoints: Endpoints,
        key: bytes,
        range_end: bytes | None,
        *,
        start_revision: int,
        prev_kv: bool,
        progress_notify: bool,
        compacted: int,
        on_compacted: Callable[[int], None],
        on_close: Callable[[EtcdWatch], None],
    ) -> None:
        """``compacted``: a revision the store knows is compacted; ``on_compacted`` hears of
        compactions the watch discovers, ``on_close`` of the watch closing."""
        self._endpoints = endpoints
        self._key = range_key(key, range_end)
        self._range_end = range_end or b""
        self._prev_kv = prev_kv
        self._progress_notify = progress_notify
        self._start_revision = start_revision
        self._compacted = compacted
        self._on_compacted = on_compacted
        self._on_close = on_close
        #: First revision not yet delivered; None until the first stream says where "now" is.
        self._next: int | None = start_revision if start_revision > 0 else None
        self._call: grpc.aio.StreamStreamCall | None = None
        self._index = 0
        self._created_sent = False
        self._retry: Retry | None = None
        self._started = False
        self._closed = asyncio.Event()

    def __aiter__(self) -> EtcdWatch:
        return self

    async def __anext__(self) -> WatchBatch:
        if self._closed.is_set():
            raise StopAsyncIteration
        if not self._started:
            self._started = True
            if 0 < self._start_revision <= self._compacted:
                await self.aclose()
                raise CompactedError(self._compacted, self._start_revision)
        while True:
            try:
                response = await self._receive()
            except grpc.aio.AioRpcError as error:
                if not stream_broken(error):
                    await self.aclose()
                    raise storage_error(error) from error
                await self._fail_over(error)
                continue
            except asyncio.CancelledError:
                if self._closed.is_set():
                    raise StopAsyncIteration from None
                self._drop_stream()  # a half-read stream is useless; the next call resumes at next
                raise
            if response is grpc.aio.EOF:
                await self._fail_over(None)
                continue
            batch = await self._accept(response)
            if batch is not None:
                return batch

    async def _receive(self) -> rpc.WatchResponse:
        if self._call is None:
            self._index, endpoint = self._endpoints.pick()
            self._call = endpoint.watch.Watch(metadata=REQUIRE_LEADER)
            self._created_sent = False
        if not self._created_sent:
            self._created_sent = True
            try:
                await self._call.write(rpc.WatchRequest(create_request=self._create_request()))
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
                pass  # the stream ended before the request went out; read() raises why
        return await self._call.read()

    def _create_request(self) -> rpc.WatchCreateRequest:
        start = 0 if self._next is None else max(self._next - 1, 1)
        return rpc.WatchCreateRequest(
            key=self._key,
            range_end=self._range_end,
            start_revision=start,
            progress_notify=self._progress_notify,
            prev_kv=self._prev_kv,
        )

    async def _accept(self, response: rpc.WatchResponse) -> WatchBatch | None:
        """The batch ``response`` delivers, if any."""
        if response.compact_revision:
            self._on_compacted(response.compact_revision)
            requested = self._next
            await self.aclose()
            raise CompactedError(response.compact_revision, requested)
        if response.canceled:
            await self.aclose()
            raise StorageError(f"etcd canceled the watch: {response.cancel_reason}")
        self._retry = None
        if response.created:
            if self._next is None:
                self._next = response.header.revision + 1
            return None
        assert self._next is not None
        if response.events:
            events = tuple(event(e) for e in response.events if e.kv.mod_revision >= self._next)
            if not events:
                return None
            revision = events[-1].kv.mod_revision
            self._next = revision + 1
            return WatchBatch(revision, events)
        revision = response.header.revision
        if revision < self._next - 1:
            return None
        self._next = revision + 1
        return WatchBatch(revision, ())

    async def _fail_over(self, error: grpc.aio.AioRpcError | None) -> None:
        """Drops the broken stream and waits before the next attempt; raises UnavailableError
        once ``failover_timeout`` has passed without a response from any endpoint."""
        self._drop_stream()
        self._endpoints.failed(self._index, error)
        self._retry = self._retry or self._endpoints.retry()
        try:
            delay = self._retry.delay(error)
        except StorageError:
            await self.aclose()
            raise
        if delay:
            try:
                await asyncio.wait_for(self._closed.wait(), delay)
            except TimeoutError:
                pass
        if self._closed.is_set():
            raise StopAsyncIteration

    def _drop_stream(self) -> None:
        if self._call is not None:
            self._call.cancel()
            self._call = None

    async def request_progress(self) -> None:
        """Sends etcd a ``WatchProgressRequest`` on the current stream (none yet: nothing to ask)."""
        call = self._call
        if call is None or not self._created_sent:
            return
        try:
            await call.write(rpc.WatchRequest(progress_request=rpc.WatchProgressRequest()))
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            pass  # the stream broke; the next read fails over and the asker asks again

    async def aclose(self) -> None:
        """Cancels the stream; the watch then ends (``StopAsyncIteration``)."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._drop_stream()
        self._on_close(self)
