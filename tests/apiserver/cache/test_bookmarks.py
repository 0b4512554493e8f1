"""When watchers are due a bookmark (pure logic)."""

from __future__ import annotations

import pytest

from myriad.apiserver.cache.bookmarks import BookmarkSchedule
from myriad.apiserver.cache.watchers import CacheWatcher


def watcher(deadline: float | None) -> CacheWatcher:
    return CacheWatcher(matches=None, revision=0, buffer=10, buffer_bytes=1 << 20, trigger=None,
                        convert=lambda e, k: None, bookmarks=True, deadline=deadline)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(("deadline", "due_at"), [
    (None, 60.0),  # every minute
    (1800.0, 60.0),  # a long watch: the minute comes first
    (30.0, 28.0),  # a short watch: two seconds before it times out
    (1.0, None),  # ends before any bookmark could go out
])
def test_a_watcher_is_due_every_minute_or_two_seconds_before_its_deadline(deadline, due_at) -> None:  # noqa: ANN001
    schedule = BookmarkSchedule(interval=60.0, before_deadline=2.0)
    w = watcher(deadline)
    schedule.add(w, now=0.0)
    if due_at is None:
        assert len(schedule) == 0
        return
    assert schedule.due(due_at - 0.01) == []
    assert schedule.due(due_at) == [w] and len(schedule) == 0


def test_ended_watchers_drop_out_of_the_schedule() -> None:
    schedule = BookmarkSchedule(interval=60.0, before_deadline=2.0)
    kept, ended = watcher(None), watcher(None)
    schedule.add(kept, now=0.0)
    schedule.add(ended, now=0.0)
    ended.end("slow")
    assert schedule.due(61.0) == [kept]


def test_watchers_that_come_and_go_within_the_interval_do_not_stay_filed_for_it() -> None:
    schedule = BookmarkSchedule(interval=60.0, before_deadline=2.0)
    kept = [watcher(None) for _ in range(10)]
    for w in kept:
        schedule.add(w, now=0.0)
    for _ in range(100):  # rounds of a thousand watches that open and close within a second
        gone = [watcher(None) for _ in range(1000)]
        for w in gone:
            schedule.add(w, now=0.0)
        for w in gone:
            w.end("stopped")
            schedule.remove(w)
        assert len(schedule) <= 2 * (len(kept) + 1)
    assert set(schedule.due(61.0)) == set(kept)
