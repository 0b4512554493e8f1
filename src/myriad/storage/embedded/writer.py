"""The writer thread: the only code that writes the database.

Concurrency rules:

* One thread owns the writer connection, the writer's key index (a :class:`KeyIndex` of key →
  :data:`Meta`, the authority for compare-and-swap), the :class:`LeaseTable` and the revision.
* Requests arrive through :meth:`Writer.submit` from the event loop. Each turn the thread takes
  everything queued (up to ``max_batch``; while it is saturated it first lingers for more),
  applies it, inserts the rows, runs one bounded cleaning step (:mod:`.cleaning`), and commits
  once: concurrent writers share one fsync (group commit).
* Only after the commit is durable does it hand the outcome to the event loop, with one
  ``call_soon_threadsafe`` per batch; the loop then publishes index changes, resolves the
  callers' futures and publishes the events. An acknowledged write is therefore always on disk.
* The WAL is kept bounded by the writer alone: between commits, once ``checkpoint_after_bytes``
  were written since its last checkpoint, it runs a PASSIVE checkpoint. No write can slip in
  meanwhile, so it copies everything (unless a reader's snapshot still needs frames), and the next
  commit restarts the WAL from its beginning. Should the WAL file still pass four times
  ``wal_checkpoint_bytes`` (readers holding old snapshots), the writer runs a blocking TRUNCATE
  checkpoint. SQLite's own auto-checkpoint is off (it runs inside a commit). There is no
  background checkpointer: measured, commits waited for its passes (a pass holds the WAL's
  read-lock 0 through its copy and database sync); see ARCHITECTURE.md.
* A failed commit (disk full, I/O error) fails the whole batch and stops the writer: every
  later request raises :class:`StoreClosedError`. In-memory state may be ahead of disk then,
  so the store must be reopened, which rebuilds it from the file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

from myriad.clock import Clock
from myriad.storage.embedded.apply import BatchApplier
from myriad.storage.embedded.busy import BusyMeter
from myriad.storage.embedded.cleaning import Cleaner
from myriad.storage.embedded.keyindex import KeyIndex
from myriad.storage.embedded.leases import LeaseTable
from myriad.storage.embedded.options import EmbeddedOptions
from myriad.storage.embedded.records import Meta
from myriad.storage.embedded.valuecache import ValueCache
from myriad.storage.errors import (
    CompactedError,
    FutureRevisionError,
    StorageError,
    StoreClosedError,
)
from myriad.storage.interfaces import Compare, Event, Op

log = logging.getLogger(__name__)

#: A cleaning step stops after this long, so it never holds a commit back for more.
CLEANING_STEP_SECONDS = 0.003
#: A turn that carried writes gives cleaning this many times the rows it wrote (see _clean).
CLEANING_BUDGET_FACTOR = 4
#: The store counts as idle, for cleaning, once nothing was written for this long.
IDLE_AFTER_SECONDS = 1.0
#: Incremental vacuum runs once free pages exceed this share of the file.
VACUUM_FREE_RATIO = 0.25
VACUUM_PAGES_PER_STEP = 512
#: Past this many times ``wal_checkpoint_bytes`` the writer stops and truncates the WAL itself.
WAL_HARD_LIMIT_FACTOR = 4


@dataclass(slots=True)
class Request:
    kind: str  # txn | grant | keepalive | revoke | lease_info | compact | expire
    args: tuple
    token: Any  # opaque to the writer; handed back with the outcome


@dataclass(slots=True)
class Commit:
    """What one durable commit changed, for the event loop to publish."""

    revision: int
    compacted: int
    changes: list[tuple[bytes, Meta | None]]
    events: list[tuple[int, tuple[Event, ...]]]
    _: KW_ONLY
    #: ``(key, mod_revision, value)`` of the batch's puts.
    written: list[tuple[bytes, int, bytes]] = field(default_factory=list)
    #: False when the events were built without previous values (no watcher wanted them).
    prev_complete: bool = True
    outcomes: list[tuple[Any, Any, BaseException | None]] = field(default_factory=list)


class Writer:
    def __init__(
        self,
        *,
        conn: sqlite3.Connection,
        wal_path: str,
        index: KeyIndex,
        leases: LeaseTable,
        meta: dict[str, int],
        cleaner: Cleaner,
        options: EmbeddedOptions,
        deliver: Callable[[Commit], None],
        wants_prev: Callable[[], bool] = lambda: True,
    ) -> None:
        #: Asked at the start of each turn (from this thread; it reads a counter the loop keeps):
        #: whether a live watcher wants previous values in its events.
        self._wants_prev = wants_prev
        self._conn = conn
        self._wal_path = wal_path
        self._index = index
        self._leases = leases
        self._cache = ValueCache(options.value_cache_bytes)
        self._revision = meta["revision"]
        self._compact_rev = meta["compact_rev"]
        self._cleaner = cleaner
        self._last_write = float("-inf")
        #: Turns that carried writes (commit and fsync included), as a share of the writer's time.
        self._busy = BusyMeter()
        cleaner.compacted(self._compact_rev)
        self._options = options
        self._clock: Clock = options.clock
        self._deliver = deliver
        self._queue: deque[Request] = deque()
        self._cond = threading.Condition()
        self._closing = False
        self._vacuum_pending = False
        self._dirty_bytes = 0  # written since the last checkpoint
        self._cleaned_since_vacuum = False
        self.failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="myriad-writer", daemon=True)

    # -- called from the event loop ------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, requests: list[Request]) -> None:
        """Queues requests for the next turn, waking the thread once."""
        if self.failed is not None or self._closing:
            raise StoreClosedError("store is closed" if self.failed is None else f"store failed: {self.failed}")
        with self._cond:
            self._queue.extend(requests)
            self._cond.notify()

    def close(self) -> None:
        """Finishes the queued work, then stops the thread (blocking; call via an executor)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()

    # -- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                batch = self._take()
                if batch is None:
                    return
                started = time.monotonic()
                self._turn(batch)
                if batch:
                    self._busy.record(started, time.monotonic())
                try:
                    self._maintain()
                except sqlite3.OperationalError as e:  # busy or interrupted upkeep: retried next turn
                    log.warning("embedded store upkeep skipped: %s", e)
        except BaseException as e:  # the store cannot continue safely; surface to every caller
            log.exception("embedded store writer failed")
            self.failed = e
            self._fail_queued(e)

    def _take(self) -> list[Request] | None:
        """The next batch: queued requests, or an empty batch when there is upkeep to do; None
        once closing with nothing queued. Waits with a timeout, so cleaning that only an idle
        store does starts after IDLE_AFTER_SECONDS without a request to wake the thread."""
        while True:
            busy = self._vacuum_pending or self._cleaner.pending(idle=self._idle())
            with self._cond:
                if self._queue and self._saturated():
                    self._linger()
                if self._queue or (busy and not self._closing):
                    n = min(len(self._queue), self._options.max_batch)
                    return [self._queue.popleft() for _ in range(n)]
                if self._closing:
                    return None
                self._cond.wait(timeout=IDLE_AFTER_SECONDS)

    def _saturated(self) -> bool:
        """Whether the writer is what writes wait for: turns follow each other back to back and
        took at least ``linger_when_busy`` of its time lately. Only then does a larger batch
        (fewer BEGIN/COMMITs and fsyncs for the same writes) buy it time; otherwise lingering
        would only add its wait to every write."""
        opts = self._options
        busy = self._busy
        return busy.share >= opts.linger_when_busy and time.monotonic() - busy.ended < opts.commit_linger

    def _linger(self) -> None:
        """Holding ``self._cond``: waits up to ``commit_linger`` for the queue to reach
        ``commit_batch_target``, so a saturated store commits (and fsyncs) fewer, larger batches.
        Measured: at 5,000 puts/s the writer had been committing 7–20 writes a turn, 700 turns a
        second, and spent half its time beginning and committing them. At 1,500 writes/s it was
        busy ~10% of the time and lingering only delayed each write by up to 2 ms."""
        opts = self._options
        deadline = time.monotonic() + opts.commit_linger
        while len(self._queue) < opts.commit_batch_target and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._cond.wait(timeout=remaining)

    def _idle(self) -> bool:
        return time.monotonic() - self._last_write >= IDLE_AFTER_SECONDS

    def _turn(self, batch: list[Request]) -> None:
        conn = self._conn
        applier = BatchApplier(conn, self._index, self._leases, self._cache, self._revision,
                               with_prev=self._wants_prev())
        outcomes: list[tuple[Any, Any, BaseException | None]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            applier.prefetch([req.args for req in batch if req.kind == "txn"])
            for req in batch:
                try:
                    outcomes.append((req.token, self._apply(applier, req), None))
                except StorageError as e:
                    outcomes.append((req.token, None, e))
            applier.flush()
            if applier.rows:
                self._last_write = time.monotonic()
            self._clean(applier, idle=self._idle())
            conn.execute("COMMIT")
        except BaseException as e:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.failed = e
            error = StoreClosedError(f"commit failed, store stopped: {e}")
            error.__cause__ = e
            self._deliver(Commit(self._revision, self._compact_rev, [], [],
                                 outcomes=[(r.token, None, error) for r in batch]))
            raise
        self._revision = applier.revision
        self._dirty_bytes += applier.bytes_written
        self._deliver(Commit(self._revision, self._compact_rev, applier.changes, applier.events,
                             written=applier.written, outcomes=outcomes, prev_complete=applier.with_prev))

    def _apply(self, applier: BatchApplier, req: Request) -> Any:
        kind, args = req.kind, req.args
        if kind == "txn":
            compares: tuple[Compare, ...]
            success: tuple[Op, ...]
            failure: tuple[Op, ...]
            compares, success, failure = args
            return applier.txn(compares, success, failure)
        now = self._clock.now()
        if kind == "grant":
            return applier.grant(args[0], now)
        if kind == "keepalive":
            return applier.keepalive(args[0], now)
        if kind == "revoke":
            return applier.revoke(args[0])
        if kind == "lease_info":
            return applier.lease_info(args[0], now)
        if kind == "expire":
            for lease_id in self._leases.expired(now):
                applier.revoke(lease_id)
            return applier.revision
        if kind == "compact":
            return self._schedule_compaction(args[0], applier.revision)
        raise ValueError(f"unknown request {kind!r}")

    # -- compaction ----------------------------------------------------------------------------

    def _schedule_compaction(self, revision: int, current: int) -> int:
        if revision <= self._compact_rev:
            raise CompactedError(self._compact_rev, revision)
        if revision > current:
            raise FutureRevisionError(revision, current)
        self._compact_rev = revision
        self._conn.execute("UPDATE meta SET value = ? WHERE name = 'compact_rev'", (revision,))
        self._cleaner.compacted(revision)
        return revision

    def _clean(self, applier: BatchApplier, *, idle: bool) -> None:
        """Records the batch's rows with the cleaner and lets it work. While writes flow, a turn
        gives it CLEANING_BUDGET_FACTOR times the rows it wrote (at least 64), so cleaning outpaces
        any sustained write rate while each commit pays only in proportion to its own size; once
        the store is idle a turn gives it ``compaction_chunk`` rows. Either way it stops after
        CLEANING_STEP_SECONDS."""
        cleaner = self._cleaner
        cleaner.stored(applier.rows)
        cleaner.superseded(applier.superseded)
        if not cleaner.pending(idle=idle):
            return
        budget = self._options.compaction_chunk if idle else max(64, CLEANING_BUDGET_FACTOR * len(applier.rows))
        if cleaner.step(self._conn, self._index, revision=applier.revision, budget=budget,
                        deadline=time.monotonic() + CLEANING_STEP_SECONDS, idle=idle, changes=applier.changes):
            self._cleaned_since_vacuum = True

    # -- disk upkeep ---------------------------------------------------------------------------

    def _maintain(self) -> None:
        """Checkpoints once enough was written since the last checkpoint; shrinks the file after
        cleaning freed pages."""
        if self._dirty_bytes >= self._options.checkpoint_after_bytes:
            self._dirty_bytes = 0
            try:
                wal = os.path.getsize(self._wal_path)
            except FileNotFoundError:
                wal = 0
            if wal > WAL_HARD_LIMIT_FACTOR * self._options.wal_checkpoint_bytes:
                self._checkpoint()
            else:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if self._cleaner.pending(idle=True) or not (self._cleaned_since_vacuum or self._vacuum_pending):
            return
        self._cleaned_since_vacuum = False
        vacuumed = self._vacuum_pending
        self._vacuum_pending = self._vacuum_step()
        if vacuumed and not self._vacuum_pending:
            self._checkpoint()  # the file shrinks only when the vacuumed pages are checkpointed

    def _vacuum_step(self) -> bool:
        """Frees up to VACUUM_PAGES_PER_STEP pages at the end of the file; True if more remain."""
        conn = self._conn
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        if free <= VACUUM_PAGES_PER_STEP:
            return False
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        if free <= pages * VACUUM_FREE_RATIO:
            return False
        # executescript steps the pragma to completion; execute() would free a single page.
        conn.executescript(f"PRAGMA incremental_vacuum({VACUUM_PAGES_PER_STEP})")
        return True

    def _checkpoint(self) -> None:
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def _fail_queued(self, error: BaseException) -> None:
        with self._cond:
            queued = list(self._queue)
            self._queue.clear()
        if queued:
            closed = StoreClosedError(f"store failed: {error}")
            self._deliver(Commit(self._revision, self._compact_rev, [], [],
                                outcomes=[(r.token, None, closed) for r in queued]))
