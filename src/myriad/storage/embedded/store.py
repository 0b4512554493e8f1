"""The embedded backend: etcd v3 semantics over one SQLite file, with no server process.

Layout (see ARCHITECTURE.md for the reasoning and figures):

* the **log** table on disk holds every change, keyed by revision (:mod:`.records`);
* the **writer thread** applies transactions against its own key index and commits in groups
  (:mod:`.writer`);
* the **published index** lives on the event loop: key → metadata of the newest committed
  state, updated only after a commit is durable. Current reads take a slice of it synchronously,
  take what values they can from the loop's cache of current values (:mod:`.readcache`, filled
  by commits) and fetch the rest by row id on a reader thread (:mod:`.reader`);
* the **watch hub** fans committed events out to watchers (:mod:`.watch`).

Concurrency rules: every public method must be called from the event loop the store was opened
on. The published index, the current-values cache, the hub, ``published_revision`` and
``compacted`` are touched only on
that loop; ``_on_commit`` runs there (scheduled by the writer) and must not await.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Sequence
from itertools import islice

from myriad.storage.compaction import compact_periodically
from myriad.storage.embedded.apply import count_keys
from myriad.storage.embedded.cleaning import Cleaner
from myriad.storage.embedded.keyindex import KeyIndex
from myriad.storage.embedded.leases import LeaseTable
from myriad.storage.embedded.options import EmbeddedOptions
from myriad.storage.embedded.readcache import CurrentValues
from myriad.storage.embedded.reader import ReaderPool, RowsMoved, fetch_values, history
from myriad.storage.embedded.records import RELOCATED_BASE, SUB_BITS, Meta, kv_from_meta, kv_from_row, original_id
from myriad.storage.embedded.schema import db_path, open_writer, read_meta
from myriad.storage.embedded.watch import EmbeddedWatch, WatchHub
from myriad.storage.embedded.writer import WAL_HARD_LIMIT_FACTOR, Commit, Request, Writer
from myriad.storage.errors import (
    CompactedError,
    CorruptStoreError,
    FutureRevisionError,
    KeyTooLargeError,
    StorageError,
    StoreClosedError,
)
from myriad.storage.interfaces import (
    MAX_KEY_BYTES,
    Compare,
    KeyValue,
    LeaseGrant,
    LeaseInfo,
    Op,
    Put,
    PutResult,
    RangeResult,
    TxnResult,
    check_ops,
    check_put,
)
from myriad.storage.kvops import KVOps

_RETRIES = 8  # a read retries when cleaning moved a row it was about to fetch


def _rebuild(conn: sqlite3.Connection, revision: int) -> tuple[dict[bytes, Meta], Cleaner]:
    """The newest version of every key, and the cleaner's segments, from one scan of the log.
    A relocated copy shares its original's mod revision and wins over it; a newer revision wins
    over both."""
    latest: dict[bytes, Meta] = {}
    cleaner = Cleaner()
    next_relocated = RELOCATED_BASE
    for row_id, key, deleted, create, version, lease, prev_id in conn.execute(
        "SELECT id, key, deleted, create_rev, version, lease, prev_id FROM log ORDER BY id"
    ):
        orig = original_id(row_id, prev_id)
        cleaner.region(row_id).append(row_id, orig >> SUB_BITS, True)
        if row_id >= RELOCATED_BASE:
            next_relocated = row_id + 1
        held = latest.get(key)
        if held is None or held[4] <= orig >> SUB_BITS:
            # a tombstone stays as version 0 until the end, so an older relocated copy can't revive its key
            latest[key] = (0, row_id, 0, 0, orig >> SUB_BITS) if deleted else (
                create, row_id, version, lease, orig >> SUB_BITS)
    latest = {key: meta for key, meta in latest.items() if meta[2]}
    for meta in latest.values():
        segment = cleaner.region(meta[1]).find(meta[1])
        segment.dead -= 1  # every row was counted dead above; the current ones are not
    cleaner.start_relocating_at(next_relocated)
    cleaner.loaded(revision)
    return latest, cleaner


class EmbeddedStore(KVOps):
    progress_requests = True

    def __init__(self, options: EmbeddedOptions) -> None:
        self.options = options
        self.hub = WatchHub()
        self.published_revision = 1
        self.compacted = 0
        self.reads: ReaderPool
        self._index: KeyIndex
        self._writer: Writer
        self._conn: sqlite3.Connection
        self._loop: asyncio.AbstractEventLoop
        self._tasks: list[asyncio.Task] = []
        #: Writes waiting for :meth:`_hand_over` (loop only).
        self._outbox: list[Request] = []
        self._closed = False

    @classmethod
    async def open(cls, options: EmbeddedOptions) -> EmbeddedStore:
        """Opens or creates the store in ``options.data_dir``; rebuilds in-memory state from disk."""
        store = cls(options)
        store._loop = asyncio.get_running_loop()
        await store._loop.run_in_executor(None, store._load)
        store._writer.start()
        store._tasks.append(asyncio.create_task(store._expire_leases(), name="myriad-lease-expiry"))
        if options.compaction_retention > 0:
            policy = compact_periodically(current=store.current_revision, compacted=store.compacted_revision,
                                          compact=store.compact, clock=options.clock,
                                          retention=options.compaction_retention,
                                          interval=options.compaction_interval)
            store._tasks.append(asyncio.create_task(policy, name="myriad-auto-compact"))
        return store

    def _load(self) -> None:
        data_dir = self.options.data_dir
        conn = open_writer(data_dir, wal_limit=WAL_HARD_LIMIT_FACTOR * self.options.wal_checkpoint_bytes,
                           cache_bytes=self.options.writer_cache_bytes)
        try:
            meta = read_meta(conn)
            latest, cleaner = _rebuild(conn, meta["revision"])
            leases = LeaseTable()
            for lease_id, ttl, expiry in conn.execute("SELECT id, ttl, expiry FROM leases"):
                leases.grant(lease_id, ttl, expiry)
        except sqlite3.DatabaseError as e:
            conn.close()
            raise CorruptStoreError(str(db_path(data_dir)), f"unreadable database: {e}") from e
        for key, m in latest.items():
            if m[3] in leases:
                leases.attach(m[3], key)
        self._conn = conn
        self._index = KeyIndex(latest)
        self._values = CurrentValues(self.options.read_cache_bytes)
        self.published_revision = meta["revision"]
        self.compacted = meta["compact_rev"]
        self.reads = ReaderPool(data_dir, self.options.reader_threads, cache_bytes=self.options.reader_cache_bytes)
        self._writer = Writer(
            conn=conn,
            wal_path=str(db_path(data_dir)) + "-wal",
            index=KeyIndex(latest),
            leases=leases,
            meta=meta,
            cleaner=cleaner,
            options=self.options,
            deliver=lambda commit: self._loop.call_soon_threadsafe(self._on_commit, commit),
            wants_prev=lambda: self.hub.prev_watchers > 0,
        )

    # -- the writer's results, on the loop (must not await) ------------------------------------

    def _on_commit(self, commit: Commit) -> None:
        index, values = self._index, self._values
        for key, meta in commit.changes:
            if meta is None:
                index.pop(key)
                values.discard(key)
            else:
                index[key] = meta
        for key, revision, value in commit.written:
            values.put(key, revision, value)
        self.published_revision = commit.revision
        self.compacted = commit.compacted
        # Callers first, watchers second: the loop runs what these schedule in this order, so
        # the writers' answers (a lease renewal's, say) do not queue behind the watch fan-out.
        for future, value, error in commit.outcomes:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
        if commit.events:
            self.hub.publish(commit.events, prev_complete=commit.prev_complete)

    async def _submit(self, kind: str, *args):
        """Queues a write for the writer. Writes submitted in one loop iteration are handed over
        together at the start of the next, so concurrent requests share a batch (and an fsync)
        instead of each waking the writer for a commit of its own."""
        if self._closed:
            raise StoreClosedError("store is closed")
        future = self._loop.create_future()
        self._outbox.append(Request(kind, args, future))
        if len(self._outbox) == 1:
            self._loop.call_soon(self._hand_over)
        return await future

    def _hand_over(self) -> None:
        requests, self._outbox = self._outbox, []
        try:
            self._writer.submit(requests)
        except StoreClosedError as error:
            for request in requests:
                if not request.token.done():
                    request.token.set_exception(error)

    # -- KV ------------------------------------------------------------------------------------

    async def txn(
        self, compares: Sequence[Compare], on_success: Sequence[Op], on_failure: Sequence[Op] = ()
    ) -> TxnResult:
        check_ops(compares, on_success, on_failure)
        return await self._submit("txn", tuple(compares), tuple(on_success), tuple(on_failure))

    async def put(self, key: bytes, value: bytes, *, lease: int = 0, prev_kv: bool = False) -> PutResult:
        check_put(key, value)
        result = await self._submit("txn", (), (Put(key, value, lease=lease, prev_kv=prev_kv),), ())
        return PutResult(result.revision, result.results[0].prev_kv)

    async def range(
        self,
        key: bytes,
        range_end: bytes | None = None,
        *,
        revision: int | None = None,
        limit: int = 0,
        keys_only: bool = False,
        count_only: bool = False,
    ) -> RangeResult:
        if self._closed:
            raise StoreClosedError("store is closed")
        if len(key) > MAX_KEY_BYTES:
            raise KeyTooLargeError(len(key), MAX_KEY_BYTES)
        for _ in range(_RETRIES):
            try:
                published = self.published_revision
                if revision and revision != published:
                    return await self._range_at(key, range_end, revision, published, limit, keys_only, count_only)
                return await self._range_now(key, range_end, published, limit, keys_only, count_only)
            except RowsMoved:
                continue
        raise StorageError("range kept racing cleaning; retry")

    async def get(self, key: bytes) -> KeyValue | None:
        """The current value of one key; from the loop's cache when it holds it, with no reader
        thread and no range bookkeeping, and then without suspending the caller."""
        if self._closed:
            raise StoreClosedError("store is closed")
        meta = self._index.get(key)
        if meta is None:
            if len(key) > MAX_KEY_BYTES:
                raise KeyTooLargeError(len(key), MAX_KEY_BYTES)
            return None
        value = self._values.get(key, meta[4])
        if value is not None:
            return kv_from_meta(key, meta, value)
        return await super().get(key)

    def _slice(self, key: bytes, end: bytes | None, limit: int) -> list[tuple[bytes, Meta]]:
        index = self._index
        if end is None:
            meta = index.get(key)
            return [] if meta is None else [(key, meta)]
        keys = index.irange(key, None if end == b"\x00" else end)
        if limit:
            keys = islice(keys, limit)
        return [(k, index[k]) for k in keys]

    async def _range_now(self, key, end, published, limit, keys_only, count_only) -> RangeResult:
        count = count_keys(self._index, key, end)
        if count_only:
            return RangeResult((), published, False, count)
        items = self._slice(key, end, limit)
        more = bool(limit) and count > limit
        if keys_only:
            return RangeResult(tuple(kv_from_meta(k, m, b"") for k, m in items), published, more, count)
        if not items:
            return RangeResult((), published, False, count)
        if end is None:  # one key: the loop's cache first (see get)
            value = self._values.get(key, items[0][1][4])
            if value is None:
                value = (await self.reads.run(fetch_values, [items[0][1][1]]))[items[0][1][1]]
                self._values.put(key, items[0][1][4], value)
            found = [value]
        else:
            # Many keys: always on a reader thread. Served from the cache, a caller ranging in a
            # loop would keep the event loop busy without ever waiting, and the writer thread,
            # which needs the GIL between its SQLite calls, would hardly ever get it.
            fetched = await self.reads.run(fetch_values, [m[1] for _, m in items])
            found = [fetched[m[1]] for _, m in items]
        kvs = tuple(kv_from_meta(k, m, value) for (k, m), value in zip(items, found, strict=True))
        return RangeResult(kvs, published, more, count)

    async def _range_at(self, key, end, revision, published, limit, keys_only, count_only) -> RangeResult:
        if revision > published:
            raise FutureRevisionError(revision, published)
        if revision < self.compacted:
            raise CompactedError(self.compacted, revision)
        rows = await self.reads.run(history, key, end, revision, published, self._slice(key, end, 0))
        count = len(rows)
        if count_only:
            return RangeResult((), published, False, count)
        more = bool(limit) and count > limit
        if more:
            rows = rows[:limit]
        kvs = tuple(kv_from_row(r) for r in rows)
        if keys_only:
            kvs = tuple(kv._replace(value=b"") for kv in kvs)
        return RangeResult(kvs, published, more, count)

    def watch(
        self,
        key: bytes,
        range_end: bytes | None = None,
        *,
        start_revision: int,
        prev_kv: bool = False,
        progress_notify: bool = False,
    ) -> EmbeddedWatch:
        if self._closed:
            raise StoreClosedError("store is closed")
        return EmbeddedWatch(
            self, key, range_end, start_revision=start_revision, prev_kv=prev_kv, progress_notify=progress_notify
        )

    # -- revisions and compaction --------------------------------------------------------------

    async def current_revision(self) -> int:
        return self.published_revision

    async def compacted_revision(self) -> int:
        return self.compacted

    async def compact(self, revision: int) -> None:
        await self._submit("compact", revision)

    # -- leases --------------------------------------------------------------------------------

    async def grant(self, ttl: int) -> LeaseGrant:
        return await self._submit("grant", ttl)

    async def keepalive(self, lease_id: int) -> int:
        return await self._submit("keepalive", lease_id)

    async def revoke(self, lease_id: int) -> None:
        await self._submit("revoke", lease_id)

    async def lease_info(self, lease_id: int) -> LeaseInfo:
        return await self._submit("lease_info", lease_id)

    async def _expire_leases(self) -> None:
        while True:
            await asyncio.sleep(self.options.lease_check_interval)
            with contextlib.suppress(StoreClosedError):
                await self._submit("expire")

    # -- lifecycle -----------------------------------------------------------------------------

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, StorageError):
                await task
        self.hub.close_all()
        await self._loop.run_in_executor(None, self._shutdown)

    def _shutdown(self) -> None:
        self._writer.close()
        self.reads.close()
        if self._writer.failed is None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._conn.close()
