"""Engine properties of the embedded backend: reads never wait on writes, disk stays bounded,
slow watchers cost disk reads rather than memory."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time

from myriad.storage import EmbeddedOptions, open_store
from myriad.storage.interfaces import prefix_end

from ..conftest import FAST, collect_events


async def test_reads_and_watch_replays_do_not_wait_behind_a_stalled_write(tmp_path):
    store = await open_store(EmbeddedOptions(data_dir=tmp_path / "data", **FAST))
    try:
        for i in range(50):
            await store.put(b"/s/%02d" % i, b"v%d" % i)
        blocker = sqlite3.connect(tmp_path / "data" / "myriad.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # holds the write lock: our writer must wait
        stalled = asyncio.ensure_future(store.put(b"/s/stalled", b"x"))
        await asyncio.sleep(0.2)
        assert not stalled.done()
        t0 = time.perf_counter()
        result = await asyncio.wait_for(store.range(b"/s/", prefix_end(b"/s/")), 2)
        history = await asyncio.wait_for(store.range(b"/s/00", revision=3), 2)
        watch = store.watch(b"/s/", prefix_end(b"/s/"), start_revision=2)
        replayed = await collect_events(watch, 50, timeout=2)
        await watch.aclose()
        elapsed = time.perf_counter() - t0
        assert result.count == 50 and history.kvs[0].value == b"v0" and len(replayed) == 50
        assert elapsed < 1.0
        blocker.execute("ROLLBACK")
        blocker.close()
        assert (await asyncio.wait_for(stalled, 10)).revision == 52
    finally:
        await store.close()


def _sizes(data_dir) -> tuple[int, int]:
    db = os.path.getsize(data_dir / "myriad.db")
    wal = data_dir / "myriad.db-wal"
    return db, (os.path.getsize(wal) if wal.exists() else 0)


async def test_wal_stays_bounded_and_disk_returns_near_live_size_after_compaction(tmp_path):
    data = tmp_path / "data"
    limit = 1 << 20
    store = await open_store(
        EmbeddedOptions(data_dir=data, wal_checkpoint_bytes=limit, compaction_chunk=500, **FAST)
    )
    try:
        value = os.urandom(16 * 1024)
        keys = 50
        largest_wal = 0

        async def client(c: int) -> None:
            nonlocal largest_wal
            for n in range(80):
                await store.put(b"/d/%02d" % ((c * 7 + n) % keys), value)
                largest_wal = max(largest_wal, _sizes(data)[1])

        await asyncio.gather(*(client(c) for c in range(25)))  # 2000 puts, ~32 MB of values
        grown, _ = _sizes(data)
        assert grown > 20 * 1024 * 1024
        await store.compact(await store.current_revision())
        live = keys * len(value)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            await store.put(b"/d/tick", b"t")  # gives the writer turns to finish compaction and vacuum
            db, wal = _sizes(data)
            if db < 2 * live + (1 << 20):
                break
            await asyncio.sleep(0.02)
        db, wal = _sizes(data)
        assert db < 2 * live + (1 << 20), f"db {db} bytes for {live} live bytes"
        assert largest_wal < 4 * limit, f"WAL reached {largest_wal} bytes with a {limit}-byte limit"
        assert (await store.range(b"/d/", prefix_end(b"/d/"), count_only=True)).count == keys + 1
    finally:
        await store.close()


async def test_a_watcher_that_falls_behind_its_buffer_catches_up_from_disk_without_gaps(tmp_path):
    store = await open_store(EmbeddedOptions(data_dir=tmp_path / "data", watch_buffer=4, **FAST))
    try:
        start = await store.current_revision() + 1
        watch = store.watch(b"/slow/", prefix_end(b"/slow/"), start_revision=start, prev_kv=True)
        first = await asyncio.gather(store.put(b"/slow/k", b"0"), collect_events(watch, 1))
        revs = [first[0].revision]
        for i in range(1, 60):  # nobody reads: the watcher overflows and drops to catch-up mode
            revs.append((await store.put(b"/slow/k", b"%d" % i)).revision)
        events = await collect_events(watch, 59)
        await watch.aclose()
        assert [e.revision for e in events] == revs[1:]
        assert [e.prev_kv.value for e in events] == [b"%d" % i for i in range(59)]
    finally:
        await store.close()


async def test_a_writer_with_time_to_spare_commits_each_write_without_lingering(tmp_path):
    # A linger of a second would show in every put if the writer waited for company; writes a
    # few milliseconds apart keep the writer mostly idle, so it must not.
    store = await open_store(EmbeddedOptions(data_dir=tmp_path / "data", **FAST, commit_linger=1.0))
    try:
        latencies = []
        for i in range(20):
            await asyncio.sleep(0.01)
            t0 = time.perf_counter()
            await store.put(b"/l/%02d" % i, b"v")
            latencies.append(time.perf_counter() - t0)
        latencies.sort()
        assert latencies[len(latencies) // 2] < 0.25, latencies  # the median: a disk stall may hit one
    finally:
        await store.close()


async def test_the_page_caches_are_as_large_as_the_options_say(tmp_path):
    store = await open_store(EmbeddedOptions(data_dir=tmp_path / "data", writer_cache_bytes=8 << 20,
                                             reader_cache_bytes=2 << 20, **FAST))
    try:
        await store.put(b"/p/a", b"v")
        writer = store._writer._conn.execute("PRAGMA cache_size").fetchone()[0]
        reader = await store.reads.run(lambda conn: conn.execute("PRAGMA cache_size").fetchone()[0])
        assert (writer, reader) == (-8192, -2048)
    finally:
        await store.close()
