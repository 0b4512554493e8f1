"""Watches of the embedded backend.

Everything here runs on the event loop thread, and the blocks that switch a watcher between
modes must not ``await``; they are marked.

A watcher is in one of two modes:

* **catching up**: it pulls events from the log on disk (``reader.replay``), a chunk per
  ``__anext__``, starting after ``enqueued`` (the highest revision it has queued). When a read
  comes back short, everything up to that read's snapshot is queued; if that covers the
  published revision it turns live in the same synchronous step, so no event can slip between
  the two modes.
* **live**: :class:`WatchHub` pushes it each published revision's matching events. A pushed
  revision at or below ``enqueued`` is dropped, which removes any overlap with the catch-up.
  A live watcher whose consumer falls more than ``watch_buffer`` batches behind drops its queue
  and goes back to catching up from the last revision it handed out, so a slow consumer costs
  disk reads, not unbounded memory. A watcher that wants previous values and is pushed a batch
  built without them (the writer builds them only while such a watcher is live) goes back to
  catching up from that revision.

The hub indexes exact-key watchers by key and prefix watchers whose prefix ends in ``/`` (the
API server's watch caches, one per resource: ``/registry/pods/``) by prefix, so an event finds
them with one dict lookup per ``/`` in its key, however many resources are watched; other range
watchers are checked per event.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from myriad.storage.embedded.reader import replay
from myriad.storage.embedded.records import event_from_row, first_id, kv_from_row
from myriad.storage.errors import CompactedError, StoreClosedError
from myriad.storage.interfaces import Event, WatchBatch, in_range, prefix_end

if TYPE_CHECKING:
    from myriad.storage.embedded.store import EmbeddedStore


class WatchHub:
    def __init__(self) -> None:
        self._exact: dict[bytes, set[EmbeddedWatch]] = {}
        self._prefixes: dict[bytes, set[EmbeddedWatch]] = {}
        self._ranges: set[EmbeddedWatch] = set()
        self._all: set[EmbeddedWatch] = set()
        #: Open watchers (live or catching up) that asked for previous values. The writer thread
        #: reads it (a plain int read) to decide whether a batch's events carry them; counting
        #: the ones catching up too means a watcher that turns live finds them there.
        self.prev_watchers = 0

    def _index(self, watch: EmbeddedWatch) -> dict[bytes, set[EmbeddedWatch]] | None:
        """The index ``watch`` is filed in, by its key (None: the unindexed ranges)."""
        if watch.end is None:
            return self._exact
        if watch.key.endswith(b"/") and watch.end == prefix_end(watch.key):
            return self._prefixes
        return None

    def add(self, watch: EmbeddedWatch) -> None:
        index = self._index(watch)
        if index is None:
            self._ranges.add(watch)
        else:
            index.setdefault(watch.key, set()).add(watch)

    def remove(self, watch: EmbeddedWatch) -> None:
        index = self._index(watch)
        if index is None:
            self._ranges.discard(watch)
            return
        group = index.get(watch.key)
        if group is not None:
            group.discard(watch)
            if not group:
                del index[watch.key]

    def track(self, watch: EmbeddedWatch) -> None:
        if watch not in self._all:
            self._all.add(watch)
            self.prev_watchers += watch.prev_kv

    def untrack(self, watch: EmbeddedWatch) -> None:
        if watch in self._all:
            self._all.discard(watch)
            self.prev_watchers -= watch.prev_kv
        self.remove(watch)

    def publish(self, events: list[tuple[int, tuple[Event, ...]]], *, prev_complete: bool = True) -> None:
        """Pushes each revision's events to the live watchers they match; ``prev_complete`` False
        says the events were built without previous values."""
        exact, prefixes, ranges = self._exact, self._prefixes, self._ranges
        if not exact and not prefixes and not ranges:
            return
        for revision, revision_events in events:
            targets: dict[EmbeddedWatch, list[Event]] = {}
            for event in revision_events:
                key = event.kv.key
                group = exact.get(key)
                if group:
                    for w in group:
                        targets.setdefault(w, []).append(event)
                if prefixes:
                    end = key.find(b"/") + 1
                    while end:  # every prefix of the key that ends in "/"
                        group = prefixes.get(key[:end])
                        if group:
                            for w in group:
                                targets.setdefault(w, []).append(event)
                        end = key.find(b"/", end) + 1
                for w in ranges:
                    if in_range(key, w.key, w.end):
                        targets.setdefault(w, []).append(event)
            for w, matched in targets.items():
                w.push(revision, matched, prev_complete)

    def close_all(self) -> None:
        for w in list(self._all):
            w.store_closed()


class EmbeddedWatch:
    def __init__(
        self,
        store: EmbeddedStore,
        key: bytes,
        end: bytes | None,
        *,
        start_revision: int,
        prev_kv: bool,
        progress_notify: bool,
    ) -> None:
        self.store = store
        self.key = key
        self.end = end
        self._start_revision = start_revision
        self.prev_kv = prev_kv
        self._progress = progress_notify
        self._queue: deque[WatchBatch] = deque()
        self._enqueued = 0  # every matching event up to this revision is queued or handed out
        self._delivered = 0  # every matching event up to this revision has been handed out
        self._live = False
        self._started = False
        self._closed = False
        self._error: BaseException | None = None
        self._progress_requested = False
        self._wakeup = asyncio.Event()
        #: Progress notification timing: one timer per idle interval, not one per wait (a
        #: ``wait_for`` makes a task and a timer each time; a busy cache's watch waits thousands
        #: of times a second). ``_waiting_since``: loop time the current wait began.
        self._waiting = False
        self._waiting_since = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._progress_due = False

    def __aiter__(self) -> EmbeddedWatch:
        return self

    async def __anext__(self) -> WatchBatch:
        if not self._started:
            self._start()
        opts = self.store.options
        while True:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise StopAsyncIteration
            if self._queue:
                return self._take()
            if not self._live:
                await self._catch_up(opts.replay_chunk)
                continue
            if self._progress_requested or self._progress_due:
                return self._progress_batch()
            self._wakeup.clear()
            if self._progress:
                self._arm(opts.progress_notify_interval)
            self._waiting = True
            try:
                await self._wakeup.wait()
            finally:
                self._waiting = False

    def _progress_batch(self) -> WatchBatch:
        """Live with nothing queued: every matching event up to the published revision is out."""
        self._progress_requested = self._progress_due = False
        revision = max(self.store.published_revision, self._enqueued)
        self._delivered = revision
        return WatchBatch(revision, ())

    async def request_progress(self) -> None:
        """Answered once the watch is live and has handed out what it holds."""
        self._progress_requested = True
        self._wakeup.set()

    async def aclose(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.store.hub.untrack(self)
        self._queue.clear()
        self._wakeup.set()

    # -- event loop callbacks (must not await) -------------------------------------------------

    def push(self, revision: int, events: list[Event], prev_complete: bool = True) -> None:
        if revision <= self._enqueued or self._closed:
            return
        if self.prev_kv and not prev_complete:
            # Built before this watcher went live, without the previous values it needs: read
            # this revision and what follows from disk instead (the queue so far stays valid).
            self._live = False
            self.store.hub.remove(self)
            self._wakeup.set()
            return
        if not self.prev_kv:
            events = [Event(e.type, e.kv) if e.prev_kv is not None else e for e in events]
        self._queue.append(WatchBatch(revision, tuple(events)))
        self._enqueued = revision
        if len(self._queue) > self.store.options.watch_buffer:
            # Too slow a consumer: forget the queue, catch up from disk later.
            self._queue.clear()
            self._enqueued = self._delivered
            self._live = False
            self.store.hub.remove(self)
        self._wakeup.set()

    def _arm(self, interval: float) -> None:
        """A wait begins: a progress notification is due once it has lasted ``interval``."""
        loop = asyncio.get_running_loop()
        self._waiting_since = loop.time()
        if self._timer is None:
            self._timer = loop.call_at(self._waiting_since + interval, self._on_timer, interval)

    def _on_timer(self, interval: float) -> None:
        self._timer = None
        if self._closed or not self._waiting:
            return  # the next wait arms it again
        loop = asyncio.get_running_loop()
        due = self._waiting_since + interval
        if loop.time() >= due:
            self._progress_due = True
            self._wakeup.set()
        else:
            self._timer = loop.call_at(due, self._on_timer, interval)

    def store_closed(self) -> None:
        self._error = StoreClosedError("store closed")
        self.store.hub.remove(self)
        self._wakeup.set()

    # -- internals -----------------------------------------------------------------------------

    def _start(self) -> None:
        self._started = True
        store = self.store
        start = self._start_revision
        if start <= 0:
            start = store.published_revision + 1
        elif start <= store.compacted:
            raise CompactedError(store.compacted, start)
        self._enqueued = self._delivered = start - 1
        store.hub.track(self)

    def _take(self) -> WatchBatch:
        self._progress_due = False  # events go out instead: not idle
        first = self._queue.popleft()
        if not self._queue:
            self._delivered = first.revision
            return first
        events = list(first.events)
        while self._queue and len(events) < 1000:
            batch = self._queue.popleft()
            events.extend(batch.events)
            last = batch.revision
        self._delivered = last
        return WatchBatch(last, tuple(events))

    async def _catch_up(self, chunk: int) -> None:
        store = self.store
        from_revision = self._enqueued + 1
        if from_revision <= store.compacted:
            raise CompactedError(store.compacted, from_revision)
        rows, prevs, snapshot, compacted = await store.reads.run(
            replay, first_id(from_revision), self.key, self.end, chunk, self.prev_kv
        )
        if from_revision <= compacted:
            raise CompactedError(compacted, from_revision)
        # --- must not await from here on: the switch to live has to be atomic -----------------
        if self._closed or self._error is not None or self._enqueued + 1 != from_revision:
            return
        if rows:
            events = []
            for row in rows:
                prev = prevs.get(row[6])
                prev_kv = kv_from_row(prev) if prev is not None and not prev[2] else None
                events.append(event_from_row(row, prev_kv))
            self._queue.append(WatchBatch(rows[-1][0] >> 24, tuple(events)))
            self._enqueued = rows[-1][0] >> 24
        if len(rows) < chunk:
            self._enqueued = max(self._enqueued, snapshot)
            if self._enqueued >= store.published_revision:
                self._live = True
                store.hub.add(self)
