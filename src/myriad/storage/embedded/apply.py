"""Applying transactions and lease operations to the writer's state, one group commit at a time.

Runs only on the writer thread (see :mod:`.writer`). :class:`BatchApplier` mutates the writer's
key index and lease table in place and collects the log rows, events and index changes of the
batch; the writer inserts the rows and commits them, then hands events and index changes to the
event loop. Every request is fully validated before it mutates anything, so a request that fails
(unknown lease, say) leaves no trace and does not disturb the rest of its batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from myriad.storage.embedded.keyindex import KeyIndex
from myriad.storage.embedded.leases import MIN_TTL, LeaseTable
from myriad.storage.embedded.records import MAX_SUB, Meta, Row, kv_from_meta, make_id
from myriad.storage.embedded.schema import insert_rows, select_by_ids
from myriad.storage.embedded.valuecache import ValueCache
from myriad.storage.errors import LeaseNotFoundError, TooManyOpsError
from myriad.storage.interfaces import (
    Compare,
    CompareOp,
    CompareTarget,
    DeleteRange,
    DeleteResult,
    Event,
    EventType,
    KeyValue,
    LeaseGrant,
    LeaseInfo,
    Op,
    OpResult,
    Put,
    PutResult,
    Range,
    RangeResult,
    TxnResult,
)


def keys_in(index: KeyIndex, key: bytes, end: bytes | None) -> list[bytes]:
    """Keys of ``index`` in etcd's ``[key, end)``."""
    if end is None:
        return [key] if key in index else []
    if end == b"\x00":
        return list(index.irange(key))
    return list(index.irange(key, end))


def count_keys(index: KeyIndex, key: bytes, end: bytes | None) -> int:
    if end is None:
        return int(key in index)
    hi = len(index) if end == b"\x00" else index.bisect_left(end)
    return max(0, hi - index.bisect_left(key))


def _compare(meta: Meta | None, c: Compare, value_of) -> bool:
    if c.target is CompareTarget.VALUE:
        if meta is None:
            return False  # etcd: a value comparison on a missing key always fails
        lhs: int | bytes = value_of(meta[1])
    elif meta is None:
        lhs = 0
    elif c.target is CompareTarget.MOD:
        lhs = meta[4]
    elif c.target is CompareTarget.CREATE:
        lhs = meta[0]
    else:
        lhs = meta[2]
    rhs = c.operand
    op = c.op
    if op is CompareOp.EQUAL:
        return lhs == rhs
    if op is CompareOp.NOT_EQUAL:
        return lhs != rhs
    if op is CompareOp.LESS:
        return lhs < rhs  # type: ignore[operator]
    return lhs > rhs  # type: ignore[operator]


class BatchApplier:
    """Accumulates one group commit. Not thread-safe: writer thread only."""

    def __init__(
        self, conn: sqlite3.Connection, index: KeyIndex, leases: LeaseTable, cache: ValueCache, revision: int,
        *, with_prev: bool = True,
    ) -> None:
        #: Whether events carry previous values. Without a watcher that wants them, reading each
        #: overwritten value (mostly from disk, for keys written long ago) is the writer's single
        #: largest cost; the commit then says its events lack them (``Commit.prev_complete``).
        self.with_prev = with_prev
        self.conn = conn
        self.cache = cache
        self.start_revision = revision
        self.index = index
        self.leases = leases
        self.revision = revision
        self.rows: list[Row] = []
        self.events: list[tuple[int, tuple[Event, ...]]] = []
        self.changes: list[tuple[bytes, Meta | None]] = []
        #: ``(key, mod_revision, value)`` of every put, for the loop's cache of current values.
        self.written: list[tuple[bytes, int, bytes]] = []
        #: ``(slot, revision)``: rows this batch superseded, and the revision that did it.
        self.superseded: list[tuple[int, int]] = []
        self.lease_upserts: dict[int, tuple[int, float]] = {}
        self.lease_deletes: set[int] = set()
        self.bytes_written = 0

    # -- reads of current state, including this batch's writes --------------------------------

    def value_of(self, row_id: int) -> bytes:
        value = self.cache.get(row_id)
        if value is not None:
            return value
        return self.conn.execute("SELECT value FROM log WHERE id = ?", (row_id,)).fetchone()[0]

    def prefetch(self, txns: Sequence[tuple[Sequence[Compare], Sequence[Op], Sequence[Op]]]) -> None:
        """Loads, in one query, the current values a batch of transactions may need as previous
        values; one round trip instead of one per key keeps the writer off the GIL's slow path."""
        index, cache = self.index, self.cache
        wanted = set()
        for compares, success, failure in txns:
            for op in (*success, *failure):
                if not (self.with_prev or getattr(op, "prev_kv", False)):
                    continue
                if isinstance(op, Put):
                    keys = (op.key,)
                elif isinstance(op, DeleteRange):
                    keys = keys_in(index, op.key, op.range_end)
                else:
                    continue
                for key in keys:
                    meta = index.get(key)
                    if meta is not None and cache.get(meta[1]) is None:
                        wanted.add(meta[1])
            for c in compares:
                meta = index.get(c.key)
                if c.target is CompareTarget.VALUE and meta is not None and cache.get(meta[1]) is None:
                    wanted.add(meta[1])
        for row_id, value in select_by_ids(self.conn, "id, value", list(wanted)):
            cache.add(row_id, value)

    def kv(self, key: bytes, meta: Meta) -> KeyValue:
        return kv_from_meta(key, meta, self.value_of(meta[1]))

    # -- transactions --------------------------------------------------------------------------

    def txn(self, compares: Sequence[Compare], on_success: Sequence[Op], on_failure: Sequence[Op]) -> TxnResult:
        index = self.index
        succeeded = True
        for c in compares:
            if not _compare(index.get(c.key), c, self.value_of):
                succeeded = False
                break
        ops = on_success if succeeded else on_failure
        if len(ops) == 1 and type(ops[0]) is Put:
            return self._single_put(succeeded, ops[0])
        self._validate(ops)
        revision = self.revision + 1
        sub = 0
        events: list[Event] = []
        built: list[OpResult] = []  # revision 0 until the transaction's revision is known
        for op in ops:
            if isinstance(op, Put):
                event = self._put(op.key, op.value, op.lease, index.get(op.key), make_id(revision, sub),
                                  with_prev=self.with_prev or op.prev_kv)
                sub += 1
                events.append(event)
                built.append(PutResult(0, event.prev_kv if op.prev_kv else None))
            elif isinstance(op, DeleteRange):
                deleted = self._delete(keys_in(index, op.key, op.range_end), revision, sub,
                                       with_prev=self.with_prev or op.prev_kv)
                sub += len(deleted)
                events.extend(deleted)
                built.append(DeleteResult(0, len(deleted), tuple(e.prev_kv for e in deleted) if op.prev_kv else ()))
            else:
                built.append(self._range(op))
        if events:
            self.revision = revision
            self.events.append((revision, tuple(events)))
        final = self.revision
        results = tuple(replace(r, revision=final) for r in built)
        return TxnResult(succeeded, final, results)

    def _single_put(self, succeeded: bool, op: Put) -> TxnResult:
        """The shape of nearly every write (a put, perhaps behind a compare), without the
        general path's bookkeeping."""
        if op.lease and op.lease not in self.leases:
            raise LeaseNotFoundError(op.lease)
        revision = self.revision + 1
        event = self._put(op.key, op.value, op.lease, self.index.get(op.key), revision << 24,
                          with_prev=self.with_prev or op.prev_kv)
        self.revision = revision
        self.events.append((revision, (event,)))
        return TxnResult(succeeded, revision, (PutResult(revision, event.prev_kv if op.prev_kv else None),))

    def _validate(self, ops: Sequence[Op]) -> None:
        """Everything that can fail is checked here, before the transaction mutates anything."""
        rows = 0
        for op in ops:
            if isinstance(op, Put):
                if op.lease and op.lease not in self.leases:
                    raise LeaseNotFoundError(op.lease)
                rows += 2  # its row, and its key may swell a later delete-range
            elif isinstance(op, DeleteRange):
                rows += count_keys(self.index, op.key, op.range_end)
        if rows > MAX_SUB:
            raise TooManyOpsError(rows, MAX_SUB)

    def _put(self, key: bytes, value: bytes, lease: int, prev: Meta | None, row_id: int, *,
             with_prev: bool) -> Event:
        revision = row_id >> 24
        if prev is None:
            meta = (revision, row_id, 1, lease, revision)
            prev_kv = None
            prev_id = 0
        else:
            meta = (prev[0], row_id, prev[2] + 1, lease, revision)
            prev_kv = self.kv(key, prev) if with_prev else None
            prev_id = prev[1]
            self.superseded.append((prev_id, revision))
            if prev[3] and prev[3] != lease:
                self.leases.detach(prev[3], key)
        if lease:
            self.leases.attach(lease, key)
        self.index[key] = meta
        self.rows.append((row_id, key, 0, meta[0], meta[2], lease, prev_id, value))
        self.cache.add(row_id, value)
        self.changes.append((key, meta))
        self.written.append((key, revision, value))
        return Event(EventType.PUT, KeyValue(key, value, meta[0], revision, meta[2], lease), prev_kv)

    def _delete(self, keys: list[bytes], revision: int, sub: int, *, with_prev: bool) -> list[Event]:
        events = []
        index = self.index
        for key in keys:
            meta = index.pop(key)
            row_id = make_id(revision, sub)
            sub += 1
            if meta[3]:
                self.leases.detach(meta[3], key)
            prev_kv = self.kv(key, meta) if with_prev else None
            self.superseded.append((meta[1], revision))
            self.rows.append((row_id, key, 1, 0, 0, 0, meta[1], b""))
            self.changes.append((key, None))
            events.append(Event(EventType.DELETE, KeyValue(key, b"", 0, revision, 0, 0), prev_kv))
        return events

    def _range(self, op: Range) -> RangeResult:
        """The read, with revision 0: the caller stamps the transaction's revision."""
        keys = keys_in(self.index, op.key, op.range_end)
        count = len(keys)
        if op.count_only:
            return RangeResult((), 0, False, count)
        more = bool(op.limit) and count > op.limit
        if more:
            keys = keys[: op.limit]
        index = self.index
        if op.keys_only:
            kvs = tuple(kv_from_meta(k, index[k], b"") for k in keys)
        else:
            kvs = tuple(self.kv(k, index[k]) for k in keys)
        return RangeResult(kvs, 0, more, count)

    # -- leases --------------------------------------------------------------------------------

    def grant(self, ttl: int, now: float) -> LeaseGrant:
        ttl = max(int(ttl), MIN_TTL)
        lease_id = self.leases.new_id()
        expiry = now + ttl
        self.leases.grant(lease_id, ttl, expiry)
        self.lease_upserts[lease_id] = (ttl, expiry)
        self.lease_deletes.discard(lease_id)
        return LeaseGrant(lease_id, ttl)

    def keepalive(self, lease_id: int, now: float) -> int:
        state = self.leases.get(lease_id)
        if state is None or state.expiry <= now:
            raise LeaseNotFoundError(lease_id)
        expiry = now + state.ttl
        self.leases.renew(lease_id, expiry)
        self.lease_upserts[lease_id] = (state.ttl, expiry)
        return state.ttl

    def revoke(self, lease_id: int) -> int:
        """Deletes the lease and, in one revision, every key attached to it."""
        state = self.leases.get(lease_id)
        if state is None:
            raise LeaseNotFoundError(lease_id)
        self.leases.remove(lease_id)
        self.lease_upserts.pop(lease_id, None)
        self.lease_deletes.add(lease_id)
        keys = sorted(k for k in state.keys if k in self.index)
        if keys:
            revision = self.revision + 1
            self.revision = revision
            self.events.append((revision, tuple(self._delete(keys, revision, 0, with_prev=self.with_prev))))
        return self.revision

    def lease_info(self, lease_id: int, now: float) -> LeaseInfo:
        state = self.leases.get(lease_id)
        if state is None or state.expiry <= now:
            raise LeaseNotFoundError(lease_id)
        return LeaseInfo(lease_id, state.ttl, LeaseTable.remaining(state, now), tuple(sorted(state.keys)))

    # -- persistence ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Writes the batch's rows, lease changes and revision inside the open transaction."""
        conn = self.conn
        if self.rows:
            insert_rows(conn, self.rows)
            self.bytes_written = sum(len(r[1]) + len(r[7]) + 64 for r in self.rows)
        if self.lease_upserts:
            conn.executemany(
                "INSERT OR REPLACE INTO leases VALUES (?, ?, ?)",
                [(i, ttl, exp) for i, (ttl, exp) in self.lease_upserts.items()],
            )
        if self.lease_deletes:
            conn.executemany("DELETE FROM leases WHERE id = ?", [(i,) for i in self.lease_deletes])
        if self.revision != self.start_revision:
            conn.execute("UPDATE meta SET value = ? WHERE name = 'revision'", (self.revision,))
