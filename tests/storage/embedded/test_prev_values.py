"""Previous values are built only while a watcher wants them, yet such a watcher never misses one."""

from __future__ import annotations

import asyncio

from myriad.storage import EmbeddedOptions, open_store
from myriad.storage.interfaces import EventType, prefix_end
from tests.storage.conftest import collect_events


async def test_without_prev_watchers_events_carry_no_previous_values(tmp_path) -> None:  # noqa: ANN001
    store = await open_store(EmbeddedOptions(data_dir=tmp_path))
    try:
        await store.put(b"/k", b"1")
        watch = store.watch(b"/k", start_revision=0)  # no prev_kv
        pending = asyncio.ensure_future(collect_events(watch, 1))
        await asyncio.sleep(0.05)
        await store.put(b"/k", b"2")
        [event] = await pending
        assert event.kv.value == b"2" and event.prev_kv is None
        assert store.hub.prev_watchers == 0
        await watch.aclose()
        result = await store.put(b"/k", b"3", prev_kv=True)  # asked for by the request itself
        assert result.prev_kv is not None and result.prev_kv.value == b"2"
    finally:
        await store.close()


async def test_a_prev_watcher_joining_under_constant_writes_gets_every_previous_value(tmp_path) -> None:  # noqa: ANN001
    store = await open_store(EmbeddedOptions(data_dir=tmp_path))
    stop = asyncio.Event()

    async def writer(key: bytes) -> None:
        n = 0
        while not stop.is_set():
            await store.put(key, b"%d" % n)
            n += 1

    try:
        tasks = [asyncio.create_task(writer(b"/p/%d" % i)) for i in range(8)]
        await asyncio.sleep(0.2)
        # The race, made certain: batches decided before the watcher was counted (the writer asks
        # at the start of each turn) reach it without previous values for a while.
        wants_prev = store._writer._wants_prev
        store._writer._wants_prev = lambda: False
        watch = store.watch(b"/p/", prefix_end(b"/p/"), start_revision=0, prev_kv=True)
        first = asyncio.ensure_future(collect_events(watch, 100, timeout=20))
        await asyncio.sleep(0.3)
        store._writer._wants_prev = wants_prev
        events = await first + await collect_events(watch, 300, timeout=20)
        stop.set()
        await asyncio.gather(*tasks)
        await watch.aclose()
        assert store.hub.prev_watchers == 0
        for event in events:
            assert event.type is EventType.PUT
            assert event.prev_kv is not None, f"no previous value at revision {event.kv.mod_revision}"
            assert int(event.prev_kv.value) == int(event.kv.value) - 1
            assert event.prev_kv.mod_revision < event.kv.mod_revision
    finally:
        stop.set()
        await store.close()
