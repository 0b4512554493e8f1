"""The event window's floor: which revisions a watch can resume from (pure logic)."""

from __future__ import annotations

import pytest

from myriad.apiserver.cache.types import CacheEvent, Entry
from myriad.apiserver.cache.window import EventWindow


def event(revision: int) -> CacheEvent:
    return CacheEvent(revision, Entry(f"/k/{revision}", b"{", b"}", revision, None, ()), None)


def window_with(revisions: list[int], *, listed: int = 10, seconds: float = 75, max_events: int = 100) -> EventWindow:
    window = EventWindow(seconds=seconds, max_events=max_events)
    window.reset(listed, now=0.0)
    for i, revision in enumerate(revisions):
        window.append(event(revision), now=float(i))
    return window


@pytest.mark.parametrize(("start", "replayed"), [
    (10, [11, 12, 15]),  # from the list's revision: everything since
    (12, [15]),
    (13, [15]),  # a revision between events
    (15, []),
    (40, []),  # ahead of the cache: nothing yet
])
def test_a_watch_inside_the_window_replays_the_events_after_its_revision(start: int, replayed: list[int]) -> None:
    window = window_with([11, 12, 15])
    since = window.since(start)
    assert since is not None and [e.revision for e in since] == replayed


def test_a_revision_below_the_floor_cannot_be_served() -> None:
    assert window_with([11, 12]).since(9) is None


def test_the_floor_follows_the_revision_seen_window_seconds_ago() -> None:
    window = EventWindow(seconds=75, max_events=100)
    window.reset(10, now=0.0)
    window.append(event(11), now=5.0)
    window.seen(500, now=30.0)  # progress: other resources moved storage on
    window.expire(now=79.0)  # 75 s after t=4 s: the mark at 0 s is gone, 5 s is not
    assert window.floor == 10
    window.expire(now=81.0)
    assert window.floor == 11 and window.since(11) == [] and window.since(10) is None
    window.expire(now=106.0)
    assert window.floor == 500 and window.since(499) is None and window.since(500) == []


def test_a_quiet_window_still_expires_by_time() -> None:
    window = EventWindow(seconds=75, max_events=100)
    window.reset(10, now=0.0)
    window.seen(20, now=1.5)
    window.expire(now=200.0)
    assert window.floor == 20


def test_the_event_cap_drops_the_oldest_events() -> None:
    window = window_with([11, 12, 13, 14], max_events=2)
    assert len(window) == 2 and window.floor == 12
    assert [e.revision for e in window.since(12) or []] == [13, 14]
    assert window.since(11) is None
