"""Watch semantics every backend must share: exact replay, order, no gaps, compaction, progress."""

from __future__ import annotations

import asyncio

import pytest

from myriad.storage.errors import CompactedError
from myriad.storage.interfaces import EventType, prefix_end

from .conftest import collect_events, next_batch

P = b"/w/"
END = prefix_end(P)


async def test_a_watch_from_a_past_revision_replays_the_exact_history(store):
    r1 = (await store.put(P + b"a", b"1")).revision
    r2 = (await store.put(P + b"a", b"2")).revision
    await store.put(b"/elsewhere", b"x")
    r4 = (await store.delete(P + b"a")).revision
    r5 = await store.create(P + b"b", b"3")
    watch = store.watch(P, END, start_revision=r1, prev_kv=True)
    try:
        events = await collect_events(watch, 4)
    finally:
        await watch.aclose()
    assert [(e.type, e.kv.key, e.revision) for e in events] == [
        (EventType.PUT, P + b"a", r1),
        (EventType.PUT, P + b"a", r2),
        (EventType.DELETE, P + b"a", r4),
        (EventType.PUT, P + b"b", r5),
    ]
    assert [e.kv.value for e in events] == [b"1", b"2", b"", b"3"]
    assert [e.prev_kv.value if e.prev_kv else None for e in events] == [None, b"1", b"2", None]
    assert (events[1].kv.version, events[1].kv.create_revision) == (2, r1)


async def test_a_watch_without_prev_kv_gets_no_previous_values(store):
    await store.put(P + b"a", b"1")
    rev = (await store.put(P + b"a", b"2")).revision
    watch = store.watch(P, END, start_revision=rev)
    try:
        (event,) = await collect_events(watch, 1)
    finally:
        await watch.aclose()
    assert event.prev_kv is None and event.kv.value == b"2"


async def test_live_events_from_concurrent_writers_arrive_in_order_without_gaps_or_duplicates(store):
    start = await store.current_revision() + 1
    watch = store.watch(P, END, start_revision=start, prev_kv=True)
    first = asyncio.ensure_future(watch.__anext__())  # the watch is established while writes run

    async def writer(i: int) -> list[int]:
        revs = []
        for j in range(25):
            revs.append((await store.put(P + b"%d/%d" % (i, j % 5), b"v%d" % j)).revision)
            await store.put(b"/noise/%d" % i, b"n")
        return revs

    written = sorted(r for revs in await asyncio.gather(*(writer(i) for i in range(8))) for r in revs)
    try:
        events = list((await asyncio.wait_for(first, 10)).events)
        events += await collect_events(watch, len(written) - len(events))
    finally:
        await watch.aclose()
    assert [e.revision for e in events] == written
    for e in events:
        assert (e.prev_kv is None) == (e.kv.version == 1)


async def test_watch_batches_promise_that_everything_up_to_their_revision_was_delivered(store):
    start = await store.current_revision() + 1
    watch = store.watch(P, END, start_revision=start)
    try:
        await store.put(P + b"x", b"1")
        batch = await next_batch(watch)
        assert batch.events and batch.revision >= max(e.revision for e in batch.events)
    finally:
        await watch.aclose()


async def test_a_single_key_watch_sees_only_that_key(store):
    start = await store.current_revision() + 1
    watch = store.watch(P + b"one", start_revision=start)
    try:
        await store.put(P + b"one-more", b"no")
        await store.put(P + b"on", b"no")
        rev = (await store.put(P + b"one", b"yes")).revision
        (event,) = await collect_events(watch, 1)
        assert (event.kv.key, event.revision) == (P + b"one", rev)
    finally:
        await watch.aclose()


async def test_start_revision_zero_watches_only_future_events(store):
    await store.put(P + b"old", b"1")
    watch = store.watch(P, END, start_revision=0)
    try:
        pending = asyncio.ensure_future(collect_events(watch, 1))
        await asyncio.sleep(0.3)
        rev = (await store.put(P + b"new", b"2")).revision
        (event,) = await pending
        assert (event.kv.key, event.revision) == (P + b"new", rev)
    finally:
        await watch.aclose()


@pytest.mark.parametrize("offset", [0, -1])
async def test_a_watch_starting_at_or_below_the_compacted_revision_is_refused(store, offset):
    await store.put(P + b"a", b"1")
    await store.put(P + b"a", b"2")
    compacted = (await store.put(P + b"a", b"3")).revision
    await store.compact(compacted)
    watch = store.watch(P, END, start_revision=compacted + offset)
    try:
        with pytest.raises(CompactedError) as info:
            await next_batch(watch)
        assert info.value.compacted_revision == compacted
    finally:
        await watch.aclose()


async def test_a_watch_just_after_the_compacted_revision_replays_from_there(store):
    await store.put(P + b"a", b"1")
    compacted = (await store.put(P + b"a", b"2")).revision
    after = (await store.put(P + b"a", b"3")).revision
    await store.compact(compacted)
    watch = store.watch(P, END, start_revision=compacted + 1, prev_kv=True)
    try:
        (event,) = await collect_events(watch, 1)
    finally:
        await watch.aclose()
    assert (event.revision, event.kv.value, event.prev_kv.value) == (after, b"3", b"2")


async def test_a_live_watch_keeps_delivering_across_a_compaction(store):
    start = (await store.put(P + b"a", b"0")).revision
    watch = store.watch(P, END, start_revision=start)
    try:
        assert [e.revision for e in await collect_events(watch, 1)] == [start]
        revs = [(await store.put(P + b"a", b"%d" % i)).revision for i in range(1, 4)]
        await store.compact(revs[-1])
        revs.append((await store.put(P + b"b", b"after")).revision)
        assert [e.revision for e in await collect_events(watch, 4)] == revs
    finally:
        await watch.aclose()


async def test_a_quiet_watch_gets_progress_notifications_carrying_the_current_revision(store):
    start = await store.current_revision() + 1
    watch = store.watch(P, END, start_revision=start, progress_notify=True)
    try:
        pending = asyncio.ensure_future(next_batch(watch, timeout=10))
        await asyncio.sleep(0.2)
        rev = (await store.put(b"/elsewhere", b"busy")).revision
        batch = await pending
        while batch.revision < rev:
            batch = await next_batch(watch, timeout=10)
        assert batch.is_progress and batch.events == ()
        assert batch.revision >= rev
    finally:
        await watch.aclose()


async def test_a_delete_event_carries_the_key_and_the_deletion_revision(store):
    await store.put(P + b"gone", b"v")
    start = await store.current_revision() + 1
    watch = store.watch(P, END, start_revision=start, prev_kv=True)
    try:
        rev = (await store.delete(P + b"gone")).revision
        (event,) = await collect_events(watch, 1)
    finally:
        await watch.aclose()
    assert event.type is EventType.DELETE
    assert (event.kv.key, event.kv.mod_revision, event.kv.value) == (P + b"gone", rev, b"")
    assert event.prev_kv.value == b"v"


async def test_live_prefix_watches_see_exactly_the_keys_under_their_prefix(store):
    start = await store.current_revision() + 1
    slash = store.watch(b"/p/a/", prefix_end(b"/p/a/"), start_revision=start)
    bare = store.watch(b"/p/a", prefix_end(b"/p/a"), start_revision=start)
    outer = store.watch(b"/p/", prefix_end(b"/p/"), start_revision=start)
    try:
        for key in (b"/p/a/x", b"/p/ab", b"/p/a/deep/y", b"/q/a/x", b"/p/b"):
            await store.put(key, b"v")
        got = {name: [e.kv.key for e in await collect_events(w, count)]
               for name, w, count in (("slash", slash, 2), ("bare", bare, 3), ("outer", outer, 4))}
    finally:
        for w in (slash, bare, outer):
            await w.aclose()
    assert got == {"slash": [b"/p/a/x", b"/p/a/deep/y"], "bare": [b"/p/a/x", b"/p/ab", b"/p/a/deep/y"],
                   "outer": [b"/p/a/x", b"/p/ab", b"/p/a/deep/y", b"/p/b"]}
