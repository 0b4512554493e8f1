"""The event window: a cache's recent events, from which watches resume.

The window holds every event after its ``floor`` revision, so a watch from revision R can be
served from it exactly when R >= floor; older starts get 410 Expired. It is sized by time: the
floor follows the revision the cache had reached ``seconds`` ago, counting progress
notifications as well as events, so a watch can always resume from a revision the cache saw in
the last ``seconds`` (and from none older). That is what makes bookmarks pay off: a watcher
whose bookmarks kept its revision recent resumes with nothing to replay, one without them
(on a quiet resource, or with a selector matching little of a busy one) holds a revision that
has left the window and must list again. A cap on the event count bounds memory under bursts.

Event loop only, never awaits.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque

from myriad.apiserver.cache.types import CacheEvent

#: Revisions seen are remembered at this granularity (seconds).
_MARK_EVERY = 1.0


class EventWindow:
    def __init__(self, *, seconds: float, max_events: int) -> None:
        self._seconds = seconds
        self._max = max_events
        self._events: list[CacheEvent] = []
        self._revisions: list[int] = []
        self._head = 0  # events before this index are gone
        self._marks: deque[tuple[float, int]] = deque()  # (time seen, revision), oldest first
        self.floor = 0

    def reset(self, revision: int, now: float) -> None:
        """After a (re)list at ``revision``: empty, serving watches from ``revision`` on."""
        self._events.clear()
        self._revisions.clear()
        self._head = 0
        self._marks.clear()
        self._marks.append((now, revision))
        self.floor = revision

    def __len__(self) -> int:
        return len(self._events) - self._head

    def append(self, event: CacheEvent, now: float) -> None:
        self._events.append(event)
        self._revisions.append(event.revision)
        self.seen(event.revision, now)
        if len(self) > self._max:
            self._drop_through(self._revisions[self._head])

    def seen(self, revision: int, now: float) -> None:
        """The cache has everything up to ``revision`` (an event's or a progress notification's)."""
        marks = self._marks
        if marks and now - marks[-1][0] < _MARK_EVERY:
            marks[-1] = (marks[-1][0], revision)
        else:
            marks.append((now, revision))

    def expire(self, now: float) -> None:
        """Moves the floor to the revision the cache had ``seconds`` ago, dropping older events."""
        marks = self._marks
        cutoff = now - self._seconds
        floor = self.floor
        while len(marks) > 1 and marks[1][0] <= cutoff:
            marks.popleft()
            floor = marks[0][1]
        if marks and marks[0][0] <= cutoff:
            floor = max(floor, marks[0][1])
        if floor > self.floor:
            self._drop_through(floor)

    def _drop_through(self, revision: int) -> None:
        self.floor = max(self.floor, revision)
        head = bisect_right(self._revisions, revision, lo=self._head)
        self._head = head
        if head > 4096 and head * 2 > len(self._events):
            del self._events[:head]
            del self._revisions[:head]
            self._head = 0

    def since(self, revision: int) -> list[CacheEvent] | None:
        """The events after ``revision``, or None when some of them have left the window."""
        if revision < self.floor:
            return None
        start = bisect_right(self._revisions, revision, lo=self._head)
        return self._events[start:]
