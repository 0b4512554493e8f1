"""Which watchers an event reaches and what each is sent (pure logic)."""

from __future__ import annotations

import asyncio

import pytest

from myriad.apiserver.cache.types import CacheEvent, Entry
from myriad.apiserver.cache.watchers import CacheWatcher, Dispatcher
from myriad.apiserver.rest.interfaces import WatchEvent

FIELDS = ("metadata.namespace", "spec.nodeName")
POSITIONS = {name: i for i, name in enumerate(FIELDS)}


def pod(node: str, revision: int, *, namespace: str = "ns", labels: dict[str, str] | None = None) -> Entry:
    return Entry(f"/registry/pods/{namespace}/p", b"{", b'"metadata":{"resourceVersion":"%d"}}' % revision,
                 revision, labels, (namespace, node))


def convert(event: CacheEvent, kind: str) -> WatchEvent:
    return WatchEvent(kind, {"revision": event.revision}, event.revision)


def watcher(trigger: tuple[str, str] | None, *, matches=None, buffer: int = 10,  # noqa: ANN001
            buffer_bytes: int = 1 << 20) -> CacheWatcher:
    return CacheWatcher(matches=matches, revision=0, buffer=buffer, buffer_bytes=buffer_bytes, trigger=trigger,
                        convert=convert, bookmarks=False, deadline=None)


def test_an_update_reaches_its_nodes_watchers_and_the_unfiltered_ones_only() -> None:
    dispatcher = Dispatcher(("spec.nodeName", "metadata.namespace"), POSITIONS)
    node_a, node_b, everything = watcher(("spec.nodeName", "a")), watcher(("spec.nodeName", "b")), watcher(None)
    others = [watcher(("spec.nodeName", f"n{i}")) for i in range(1000)]
    for w in (node_a, node_b, everything, *others):
        dispatcher.add(w)
    assert set(dispatcher.candidates(CacheEvent(5, pod("a", 5), pod("a", 4)))) == {node_a, everything}
    # A pod moving from a to b concerns both nodes.
    assert set(dispatcher.candidates(CacheEvent(6, pod("b", 6), pod("a", 5)))) == {node_a, node_b, everything}
    dispatcher.remove(node_a)
    assert set(dispatcher.candidates(CacheEvent(7, pod("a", 7), None))) == {everything}
    assert dispatcher.count == 1002


@pytest.mark.parametrize(("old_labels", "new_labels", "sent"), [
    (None, {"app": "x"}, "ADDED"),  # created inside the selection
    ({"app": "x"}, {"app": "x"}, "MODIFIED"),
    ({"app": "y"}, {"app": "x"}, "ADDED"),  # moved in
    ({"app": "x"}, {"app": "y"}, "DELETED"),  # moved out
    ({"app": "y"}, {"app": "z"}, None),  # outside before and after
    ({"app": "x"}, None, "DELETED"),  # deleted inside
])
def test_a_filtered_watcher_sees_objects_move_in_and_out(old_labels, new_labels, sent) -> None:  # noqa: ANN001
    w = watcher(None, matches=lambda entry: (entry.labels or {}).get("app") == "x")
    old = pod("a", 4, labels=old_labels) if old_labels is not None else None
    new = pod("a", 5, labels=new_labels) if new_labels is not None else None
    event = CacheEvent(5, new, old)
    assert w.event_type(event) == sent


def test_a_watcher_that_falls_too_far_behind_is_ended_and_the_others_are_not() -> None:
    slow, fast = watcher(None, buffer=3), watcher(None, buffer=100)
    results = []
    for revision in range(1, 6):
        event = CacheEvent(revision, pod("a", revision), pod("a", revision - 1))
        results.append(slow.offer(event))
        fast.offer(event)
    assert results == [True, True, True, False, True] and slow.ended and slow.end_reason == "slow"
    assert asyncio.run(slow.next()) is None
    assert [asyncio.run(fast.next()).resource_version for _ in range(5)] == [1, 2, 3, 4, 5]


def test_a_watcher_is_ended_when_its_unsent_events_pass_the_byte_bound_but_one_large_event_still_goes() -> None:
    def big(event: CacheEvent, kind: str) -> WatchEvent:
        return WatchEvent(kind, raw=b'{"pad":"%s"}' % (b"x" * 390), resource_version=event.revision)  # 400 bytes

    w = CacheWatcher(matches=None, revision=0, buffer=100, buffer_bytes=1000, trigger=None, convert=big,
                     bookmarks=False, deadline=None)
    lone = CacheWatcher(matches=None, revision=0, buffer=100, buffer_bytes=100, trigger=None, convert=big,
                        bookmarks=False, deadline=None)
    assert lone.offer(CacheEvent(1, pod("a", 1), None)) and lone.queued_bytes == 400  # alone, over the bound
    assert [w.offer(CacheEvent(r, pod("a", r), None)) for r in (1, 2)] == [True, True] and w.queued_bytes == 800
    assert asyncio.run(w.next()) is not None and w.queued_bytes == 400  # sending one frees its bytes
    assert w.offer(CacheEvent(3, pod("a", 3), None)) and w.queued_bytes == 800
    assert not w.offer(CacheEvent(4, pod("a", 4), None)) and w.end_reason == "slow"


def test_a_bookmark_goes_only_to_watchers_behind_it() -> None:
    w = watcher(None)
    w.offer(CacheEvent(7, pod("a", 7), None))
    w.offer_bookmark(WatchEvent("BOOKMARK", {}, 7))
    w.offer_bookmark(WatchEvent("BOOKMARK", {}, 9))
    assert [asyncio.run(w.next()).type for _ in range(2)] == ["ADDED", "BOOKMARK"] and w.revision == 9


def test_a_watcher_sending_its_initial_state_is_ended_only_once_the_window_drops_what_it_holds() -> None:
    floor = [0]
    w = CacheWatcher(matches=None, revision=0, buffer=3, buffer_bytes=1 << 20, trigger=None, convert=convert,
                     bookmarks=False, deadline=None, catch_up_floor=lambda: floor[0])
    events = [CacheEvent(r, pod("a", r), pod("a", r - 1)) for r in range(1, 21)]
    assert all(w.offer(e) for e in events[:10]) and not w.ended  # 10 queued, past the buffer of 3
    floor[0] = 1  # the window let revision 1 go, which the watcher still holds
    assert not w.offer(events[10]) and w.ended and w.end_reason == "slow"
    caught_up = CacheWatcher(matches=None, revision=0, buffer=3, buffer_bytes=1 << 20, trigger=None, convert=convert,
                             bookmarks=False, deadline=None, catch_up_floor=lambda: 0)
    for e in events[:5]:
        caught_up.offer(e)

    async def drain() -> list[int]:
        sent = [(await caught_up.next()).resource_version for _ in range(5)]
        waiting = asyncio.ensure_future(caught_up.next())  # finds the queue empty: caught up
        await asyncio.sleep(0)
        waiting.cancel()
        return sent

    assert asyncio.run(drain()) == [1, 2, 3, 4, 5] and not caught_up.catching_up
    assert [caught_up.offer(e) for e in events[5:9]] == [True, True, True, False]  # the buffer of 3 again
