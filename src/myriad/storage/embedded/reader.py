"""Reads of the embedded backend's log, on a small pool of reader threads.

Each reader thread has its own read-only connection. WAL mode gives each read transaction a
snapshot, so reads never wait for the writer, a commit, a cleaning step or a checkpoint.
Every function here runs one read transaction and reads ``meta`` inside it, so the revision and
compacted revision it reports belong to the same snapshot as the rows it returns.

Nothing here touches in-memory state: callers pass in what they took from the published index.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from myriad.storage.embedded.records import RELOCATED_BASE, ROW_COLUMNS, SUB_BITS, Meta, Row, first_id
from myriad.storage.embedded.schema import open_reader, select_by_ids
from myriad.storage.errors import CompactedError

T = TypeVar("T")


class RowsMoved(Exception):
    """A row named by the published index was relocated or dropped by cleaning meanwhile; re-snapshot and retry."""


class ReaderPool:
    def __init__(self, data_dir: Path, threads: int, *, cache_bytes: int) -> None:
        self._data_dir = data_dir
        self._cache_bytes = cache_bytes
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="myriad-reader")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_reader(self._data_dir, cache_bytes=self._cache_bytes)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    async def run(self, fn: Callable[..., T], *args) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn, args)

    def _call(self, fn: Callable[..., T], args: tuple) -> T:
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            return fn(conn, *args)
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()


def _meta(conn: sqlite3.Connection) -> tuple[int, int]:
    rows = dict(conn.execute("SELECT name, value FROM meta WHERE name IN ('revision', 'compact_rev')"))
    return rows["revision"], rows["compact_rev"]


def _key_filter(key: bytes, end: bytes | None) -> tuple[str, tuple]:
    if end is None:
        return "key = ?", (key,)
    if end == b"\x00":
        return "key >= ?", (key,)
    return "key >= ? AND key < ?", (key, end)


def _rows_by_id(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Row]:
    return {row[0]: row for row in select_by_ids(conn, ROW_COLUMNS, list(ids))}


def fetch_values(conn: sqlite3.Connection, ids: list[int]) -> dict[int, bytes]:
    """Values of the given rows; raises :class:`RowsMoved` if any is gone."""
    out = dict(select_by_ids(conn, "id, value", ids))
    if len(out) != len(set(ids)):
        raise RowsMoved
    return out


def history(
    conn: sqlite3.Connection,
    key: bytes,
    end: bytes | None,
    revision: int,
    published: int,
    current: list[tuple[bytes, Meta]],
) -> list[Row]:
    """The rows visible at ``revision`` for keys in ``[key, end)``, sorted by key.

    ``current`` is the published index's slice of the range at revision ``published``. A key
    changed after ``revision`` is resolved through the ``prev_id`` of its first later row; any
    other key is as ``current`` shows it. Costs O(changes since ``revision``).
    """
    _, compacted = _meta(conn)
    if revision < compacted:
        raise CompactedError(compacted, revision)
    where, params = _key_filter(key, end)
    touched: dict[bytes, int] = {}
    for k, prev_id in conn.execute(
        f"SELECT key, prev_id FROM log WHERE id >= ? AND id < ? AND {where} ORDER BY id",
        (first_id(revision + 1), first_id(published + 1), *params),
    ):
        touched.setdefault(k, prev_id)
    wanted = [m[1] for k, m in current if k not in touched]
    wanted.extend(p for p in touched.values() if p)
    rows = _rows_by_id(conn, wanted)
    if len(rows) != len(wanted):
        raise RowsMoved
    return sorted(rows.values(), key=lambda r: r[1])


def replay(
    conn: sqlite3.Connection,
    from_id: int,
    key: bytes,
    end: bytes | None,
    limit: int,
    with_prev: bool,
) -> tuple[list[Row], dict[int, Row], int, int]:
    """Log rows in ``[key, end)`` from ``from_id`` on, in revision order, ending on a whole
    revision; with the rows their ``prev_id`` points to (if asked), the snapshot's revision and
    its compacted revision."""
    revision, compacted = _meta(conn)
    where, params = _key_filter(key, end)
    rows = conn.execute(
        f"SELECT {ROW_COLUMNS} FROM log WHERE id >= ? AND id < ? AND {where} ORDER BY id LIMIT ?",
        (from_id, RELOCATED_BASE, *params, limit),
    ).fetchall()
    if len(rows) == limit:
        last = rows[-1][0]
        rows.extend(
            conn.execute(
                f"SELECT {ROW_COLUMNS} FROM log WHERE id > ? AND id < ? AND {where} ORDER BY id",
                (last, first_id((last >> SUB_BITS) + 1), *params),
            )
        )
    prevs = _rows_by_id(conn, (r[6] for r in rows if r[6])) if with_prev else {}
    return rows, prevs, revision, compacted
