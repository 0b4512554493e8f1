"""Cleaning reclaims whole log segments: current rows are relocated, the rest dropped, and no read
at or above the compacted revision, no watch replay and no restart can tell."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from myriad.storage import EmbeddedOptions, open_store
from myriad.storage.embedded.cleaning import SEGMENT_ROWS
from myriad.storage.embedded.records import RELOCATED_BASE
from myriad.storage.errors import CompactedError
from myriad.storage.interfaces import EventType, prefix_end

from ..conftest import FAST, collect_events


def _log_rows(data_dir) -> tuple[int, int]:
    """(rows in the log, of which relocated), read from the file by a foreign connection."""
    conn = sqlite3.connect(f"file:{data_dir / 'myriad.db'}?mode=ro", uri=True)
    try:
        total, relocated = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE id >= ?) FROM log", (RELOCATED_BASE,)
        ).fetchone()
        return total, relocated
    finally:
        conn.close()


async def _until(predicate, store, *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "cleaning did not get there in time"
        await store.put(b"/tick", b"t")  # gives the writer turns
        await asyncio.sleep(0.02)


async def test_relocated_rows_keep_their_revisions_across_reads_watches_and_a_restart(tmp_path):
    data = tmp_path / "data"
    store = await open_store(EmbeddedOptions(data_dir=data, **FAST))
    static = {}
    try:
        for i in range(40):
            static[b"/s/%02d" % i] = (await store.put(b"/s/%02d" % i, b"static-%d" % i)).revision
        for n in range(3 * SEGMENT_ROWS):  # churn: each /c/ key rewritten ~30 times
            await store.put(b"/c/%03d" % (n % 100), b"churn-%d" % n)
        compacted = await store.current_revision()
        await store.compact(compacted)
        written = 40 + 3 * SEGMENT_ROWS
        await _until(lambda: _log_rows(data)[1] >= 40 and _log_rows(data)[0] < written // 2, store)

        deleted = (await store.delete(b"/s/00")).revision
        updated = (await store.put(b"/s/01", b"new", prev_kv=True))
        assert updated.prev_kv.value == b"static-1" and updated.prev_kv.mod_revision == static[b"/s/01"]

        now = await store.range(b"/s/", prefix_end(b"/s/"))
        assert [kv.key for kv in now.kvs] == [b"/s/%02d" % i for i in range(1, 40)]
        assert {kv.key: kv.mod_revision for kv in now.kvs[1:]} == {k: r for k, r in static.items() if k > b"/s/01"}
        then = await store.range(b"/s/", prefix_end(b"/s/"), revision=compacted)
        assert [(kv.key, kv.value, kv.mod_revision) for kv in then.kvs] == [
            (k, b"static-%d" % i, static[k]) for i, k in enumerate(sorted(static))
        ]
        watch = store.watch(b"/s/", prefix_end(b"/s/"), start_revision=compacted + 1, prev_kv=True)
        events = await collect_events(watch, 2, timeout=5)
        await watch.aclose()
        assert [(e.type, e.kv.mod_revision, e.prev_kv.value, e.prev_kv.mod_revision) for e in events] == [
            (EventType.DELETE, deleted, b"static-0", static[b"/s/00"]),
            (EventType.PUT, updated.revision, b"static-1", static[b"/s/01"]),
        ]
    finally:
        await store.close()

    store = await open_store(EmbeddedOptions(data_dir=data, **FAST))
    try:
        after = await store.range(b"/s/", prefix_end(b"/s/"))
        assert [kv.key for kv in after.kvs] == [b"/s/%02d" % i for i in range(1, 40)]
        assert after.kvs[0].value == b"new" and after.kvs[0].version == 2
        assert {kv.key: kv.mod_revision for kv in after.kvs[1:]} == {k: r for k, r in static.items() if k > b"/s/01"}
        assert (await store.range(b"/c/", prefix_end(b"/c/"), count_only=True)).count == 100
        await store.put(b"/s/05", b"again")  # writes still find every relocated row
        assert (await store.get(b"/s/05")).version == 2
    finally:
        await store.close()


async def test_a_row_superseded_after_the_compacted_revision_stays_readable_until_compaction_passes(tmp_path):
    data = tmp_path / "data"
    store = await open_store(EmbeddedOptions(data_dir=data, **FAST))
    try:
        await store.put(b"/k", b"old")  # shares the first segment with filler that dies at once
        for n in range(2 * SEGMENT_ROWS):
            await store.put(b"/f/%02d" % (n % 10), b"filler")
        compacted = await store.current_revision()
        newer = (await store.put(b"/k", b"new")).revision
        await store.compact(compacted)
        # the second segment goes (its live filler relocated); the first must wait for /k's successor
        await _until(lambda: _log_rows(data)[1] >= 5 and _log_rows(data)[0] < SEGMENT_ROWS * 3 // 2, store)
        assert _log_rows(data)[0] > SEGMENT_ROWS
        assert (await store.range(b"/k", revision=compacted)).kvs[0].value == b"old"
        await store.compact(newer)
        await _until(lambda: _log_rows(data)[0] < SEGMENT_ROWS, store)
        with pytest.raises(CompactedError):
            await store.range(b"/k", revision=compacted)
        assert (await store.get(b"/k")).value == b"new"
    finally:
        await store.close()
