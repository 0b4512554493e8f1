"""The embedded backend recovers everything from disk and refuses files that are not its own."""

from __future__ import annotations

import sqlite3

import pytest

from myriad.clock import FakeClock
from myriad.storage import EmbeddedOptions, open_store
from myriad.storage.errors import CompactedError, CorruptStoreError
from myriad.storage.interfaces import prefix_end

from ..conftest import FAST, collect_events


def options(tmp_path, clock=None, **kw) -> EmbeddedOptions:
    extra = dict(FAST, **kw)
    if clock is not None:
        extra["clock"] = clock
    return EmbeddedOptions(data_dir=tmp_path / "data", **extra)


async def test_a_restart_recovers_keys_revisions_compaction_and_lease_ttls(tmp_path):
    clock = FakeClock()
    store = await open_store(options(tmp_path, clock))
    lease = await store.grant(60)
    await store.put(b"/r/a", b"1")
    await store.put(b"/r/a", b"2", lease=lease.id)
    await store.put(b"/r/b", b"3")
    await store.delete(b"/r/b")
    compact_at = (await store.put(b"/r/c", b"4")).revision
    await store.compact(compact_at)
    last = (await store.put(b"/r/c", b"5")).revision
    before = await store.range(b"/r/", prefix_end(b"/r/"))
    await store.close()

    clock.advance(20)
    store = await open_store(options(tmp_path, clock))
    try:
        assert await store.current_revision() == last
        assert await store.compacted_revision() == compact_at
        after = await store.range(b"/r/", prefix_end(b"/r/"))
        assert after.kvs == before.kvs
        a = after.kvs[0]
        assert (a.version, a.lease, a.value) == (2, lease.id, b"2")
        info = await store.lease_info(lease.id)
        assert info.ttl == 40 and info.keys == (b"/r/a",)
        with pytest.raises(CompactedError):
            await store.range(b"/r/a", revision=compact_at - 1)
        watch = store.watch(b"/r/", prefix_end(b"/r/"), start_revision=compact_at + 1, prev_kv=True)
        (event,) = await collect_events(watch, 1)
        await watch.aclose()
        assert (event.revision, event.kv.value, event.prev_kv.value) == (last, b"5", b"4")
        assert await store.create(b"/r/new", b"6") == last + 1
    finally:
        await store.close()


async def test_a_lease_that_expired_while_the_store_was_down_deletes_its_keys_after_restart(tmp_path):
    clock = FakeClock()
    store = await open_store(options(tmp_path, clock))
    lease = await store.grant(10)
    await store.put(b"/e/k", b"1", lease=lease.id)
    await store.close()
    clock.advance(11)
    store = await open_store(options(tmp_path, clock))
    try:
        start = await store.current_revision() + 1
        watch = store.watch(b"/e/", prefix_end(b"/e/"), start_revision=start)
        (event,) = await collect_events(watch, 1)
        await watch.aclose()
        assert event.kv.key == b"/e/k" and await store.get(b"/e/k") is None
    finally:
        await store.close()


async def test_a_file_that_is_not_sqlite_is_refused_naming_its_path(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "myriad.db").write_bytes(b"this is not a database, it is somebody's notes\n" * 100)
    with pytest.raises(CorruptStoreError) as info:
        await open_store(EmbeddedOptions(data_dir=data))
    assert str(data / "myriad.db") in str(info.value)
    assert (data / "myriad.db").read_bytes().startswith(b"this is not a database")


async def test_a_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    conn = sqlite3.connect(data / "myriad.db")
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    with pytest.raises(CorruptStoreError, match="foreign SQLite database") as info:
        await open_store(EmbeddedOptions(data_dir=data))
    assert info.value.path == str(data / "myriad.db")
    conn = sqlite3.connect(data / "myriad.db")
    assert conn.execute("SELECT body FROM notes").fetchall() == [("keep me",)]
    conn.close()


async def test_a_damaged_database_page_is_reported_as_corrupt(tmp_path):
    store = await open_store(options(tmp_path))
    for i in range(300):
        await store.put(b"/c/%04d" % i, b"x" * 2000)
    await store.close()
    path = tmp_path / "data" / "myriad.db"
    raw = bytearray(path.read_bytes())
    raw[4096 * 3 : 4096 * 40] = b"\xa5" * (4096 * 37)
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptStoreError) as info:
        await open_store(options(tmp_path))
    assert str(path) in str(info.value)
