"""WatchCache as pure logic: a re-list (its storage watch broke or was compacted past) ends its
watchers and only the revisions the new list covers can be resumed from; an event is encoded
once for all its watchers."""

from __future__ import annotations

import asyncio

from myriad.api.builtin import BUILTIN
from myriad.api.registry import ResourceRegistry
from myriad.apiserver.cache.types import CacheOptions
from myriad.apiserver.cache.watchcache import WatchCache
from myriad.apiserver.cache.watchers import CacheWatcher
from myriad.apiserver.strategies.table import StrategyTable
from myriad.clock import FakeClock
from myriad.storage.interfaces import Event, EventType, KeyValue, WatchBatch


def configmap(name: str, revision: int, *, data: bytes = b"") -> KeyValue:
    metadata = b'"metadata":{"name":"%s","namespace":"ns","resourceVersion":""}' % name.encode()
    value = b'{"kind":"ConfigMap","apiVersion":"v1",%s%s}' % (metadata, b',"data":{"k":"%s"}' % data if data else b"")
    return KeyValue(f"/registry/configmaps/ns/{name}".encode(), value, revision, revision, 1, 0)


def configmap_cache(clock: FakeClock) -> WatchCache:
    resource = ResourceRegistry(BUILTIN).get("", "v1", "configmaps")
    assert resource is not None
    return WatchCache(resource, StrategyTable(clock=clock)(resource), CacheOptions(clock=clock))


def test_a_relist_ends_open_watchers_and_moves_the_window_to_the_list() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        cache = configmap_cache(clock)
        cache.replace([cache.entry(configmap("a", 5))], 5)
        cache.apply(WatchBatch(6, (Event(EventType.PUT, configmap("b", 6)),)))
        watcher = CacheWatcher(matches=None, revision=6, buffer=10, buffer_bytes=1 << 20, trigger=None,
                               convert=cache.watch_event, bookmarks=False, deadline=None)
        cache.register(watcher)
        assert cache.window.since(5) is not None
        # The storage watch broke; storage moved on to 20 meanwhile and the cache listed again.
        cache.invalidate("resync")
        assert not cache.ready.is_set() and watcher.ended and watcher.end_reason == "resync"
        assert await watcher.next() is None
        cache.replace([cache.entry(configmap("a", 5)), cache.entry(configmap("c", 20))], 20)
        assert cache.ready.is_set() and cache.dispatcher.count == 0
        assert cache.window.since(6) is None  # 410 for a watcher that was at 6
        assert cache.window.since(20) == []
        assert [e.key for e in cache.snapshot(prefix="/registry/configmaps/")] == [
            "/registry/configmaps/ns/a", "/registry/configmaps/ns/c"]

    asyncio.run(scenario())


def test_an_event_is_encoded_once_for_every_watcher_that_sees_it_alike() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        cache = configmap_cache(clock)
        cache.replace([], 1)
        watchers = [CacheWatcher(matches=None, revision=1, buffer=10, buffer_bytes=1 << 20, trigger=None,
                                 convert=cache.watch_event, bookmarks=False, deadline=None) for _ in range(3)]
        for watcher in watchers:
            cache.register(watcher)
        cache.apply(WatchBatch(2, (Event(EventType.PUT, configmap("a", 2)),)))
        events = [await watcher.next() for watcher in watchers]
        assert events[0] is events[1] is events[2] and events[0] is not None
        lines = [event.line_parts() for event in events if event is not None]
        assert lines[0][0] is lines[1][0] is lines[2][0]  # one line, encoded once
        line = b"".join(lines[0])
        assert line.startswith(b'{"type":"ADDED","object":{"kind":"ConfigMap"') and line.endswith(b"}\n")
        assert b'"resourceVersion":"2"' in line
        assert cache.events_dispatched == 1

    asyncio.run(scenario())


def test_a_large_objects_event_goes_out_as_parts_of_the_cached_bytes_not_a_copy() -> None:
    async def scenario() -> None:
        cache = configmap_cache(FakeClock())
        cache.replace([], 1)
        watchers = [CacheWatcher(matches=None, revision=1, buffer=10, buffer_bytes=1 << 20, trigger=None,
                                 convert=cache.watch_event, bookmarks=False, deadline=None) for _ in range(2)]
        for watcher in watchers:
            cache.register(watcher)
        cache.apply(WatchBatch(2, (Event(EventType.PUT, configmap("big", 2, data=b"x" * 100_000)),)))
        entry = cache.objects["/registry/configmaps/ns/big"]
        stored = entry.item
        for watcher in watchers:
            event = await watcher.next()
            assert event is not None
            parts = event.line_parts()
            assert any(isinstance(p, memoryview) and p.obj is stored for p in parts)
            assert sum(map(len, parts)) < len(stored) + 100 and "json" not in event.encoded
            assert b"".join(parts) == b'{"type":"ADDED","object":%s}\n' % entry.raw

    asyncio.run(scenario())


def test_a_live_watcher_gets_every_event_of_a_revision_that_carries_several() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        cache = configmap_cache(clock)
        cache.replace([cache.entry(configmap("a", 2)), cache.entry(configmap("b", 3))], 3)
        watcher = CacheWatcher(matches=None, revision=3, buffer=10, buffer_bytes=1 << 20, trigger=None,
                               convert=cache.watch_event, bookmarks=True, deadline=None)
        cache.register(watcher)
        deleted = KeyValue(b"/registry/configmaps/ns/a", b"", 0, 4, 0, 0), KeyValue(
            b"/registry/configmaps/ns/b", b"", 0, 4, 0, 0)
        cache.apply(WatchBatch(4, tuple(Event(EventType.DELETE, kv) for kv in deleted)))
        events = [await watcher.next(), await watcher.next()]
        assert [(e.type, e.object["metadata"]["name"]) for e in events if e] == [("DELETED", "a"), ("DELETED", "b")]
        cache.unregister(watcher)
        assert watcher.ended  # and so leaves the bookmark schedule
        assert cache._bookmarks.due(clock.monotonic() + 3600) == []

    asyncio.run(scenario())


def test_list_items_stay_in_step_with_updates_creations_and_deletions() -> None:
    async def scenario() -> None:
        cache = configmap_cache(FakeClock())
        cache.replace([cache.entry(configmap(name, 2)) for name in "bdf"], 2)
        prefix = "/registry/configmaps/"

        def expected(start: str = "") -> list[bytes]:
            return [entry.item for entry in cache.snapshot(prefix=prefix, start=start)]

        assert cache.items(prefix=prefix) == expected()
        steps = [Event(EventType.PUT, configmap("d", 3)),  # an update, patched in place
                 Event(EventType.PUT, configmap("a", 4)),  # a creation before the others
                 Event(EventType.PUT, configmap("f", 5)),
                 Event(EventType.DELETE, configmap("b", 6))]
        for revision, event in enumerate(steps, start=3):
            cache.apply(WatchBatch(revision, (event,)))
            assert cache.items(prefix=prefix) == expected()
        assert cache.items(prefix=prefix, start=prefix + "ns/d") == expected(prefix + "ns/d")
        assert [item[:2] for item in cache.items(prefix=prefix)] == [b",{"] * 3
        entry = cache.objects[prefix + "ns/f"]
        assert entry.raw == b"".join((cache.head, entry.item[2:])) and entry.raw.startswith(b'{"kind":"ConfigMap"')
        assert b'"resourceVersion":"5"' in entry.item
        assert cache.items(prefix="/registry/configmaps/other/") == []
        cache.apply(WatchBatch(7, (Event(EventType.PUT, configmap("c", 7)),)))  # list stale again
        assert cache.items(prefix=prefix, start=prefix + "ns/f") == expected(prefix + "ns/f")  # a small range
        assert cache.items(prefix=prefix) == expected()

    asyncio.run(scenario())


def labelled(name: str, revision: int, *, app: str, data: bytes = b"") -> KeyValue:
    metadata = b'"metadata":{"name":"%s","namespace":"ns","labels":{"app":"%s"},"resourceVersion":""}' % (
        name.encode(), app.encode())
    value = b'{"kind":"ConfigMap","apiVersion":"v1",%s%s}' % (metadata, b',"data":{"k":"%s"}' % data if data else b"")
    return KeyValue(f"/registry/configmaps/ns/{name}".encode(), value, revision, revision, 1, 0)


def test_entries_share_one_string_for_each_label_and_field_value() -> None:
    cache = configmap_cache(FakeClock())
    a, b = cache.entry(labelled("a", 2, app="web")), cache.entry(labelled("b", 3, app="web"))
    assert a.labels == b.labels == {"app": "web"}
    assert a.labels is not None and b.labels is not None
    (key_a, value_a), (key_b, value_b) = next(iter(a.labels.items())), next(iter(b.labels.items()))
    assert key_a is key_b and value_a is value_b
    namespace = cache.positions["metadata.namespace"]
    assert a.fields[namespace] == "ns" and a.fields[namespace] is b.fields[namespace]


def test_the_cache_counts_the_encoded_bytes_it_holds_through_every_change() -> None:
    cache = configmap_cache(FakeClock())
    cache.replace([cache.entry(configmap("a", 5))], 5)
    held = lambda: sum(len(e.item) for e in cache.objects.values())  # noqa: E731
    assert cache.object_bytes == held() > 0
    cache.apply(WatchBatch(6, (Event(EventType.PUT, configmap("b", 6, data=b"x" * 100)),)))
    assert cache.object_bytes == held()
    cache.apply(WatchBatch(7, (Event(EventType.PUT, configmap("b", 7, data=b"y" * 10)),)))
    assert cache.object_bytes == held()
    cache.apply(WatchBatch(8, (Event(EventType.DELETE, KeyValue(b"/registry/configmaps/ns/a", b"", 0, 8, 0, 0)),)))
    assert cache.object_bytes == held() and len(cache.objects) == 1
