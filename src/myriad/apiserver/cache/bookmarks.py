"""When each watcher that asked for bookmarks gets its next one.

A min-heap of ``(due, sequence, watcher)``: a watcher is due every ``interval`` seconds and
``before_deadline`` seconds before its watch times out, whichever comes first (upstream's
``nextBookmarkTime``). The cache pops the due watchers on each tick and files them again.
Removal is lazy: an ended watcher is dropped when it comes up, or when ended watchers may be
half the heap, which is then rebuilt without them (so a thousand watches that come and go
within the interval do not stay filed for it; each rebuild is paid for by as many removals).

Event loop only, never awaits.
"""

from __future__ import annotations

import heapq
import itertools

from myriad.apiserver.cache.watchers import CacheWatcher


class BookmarkSchedule:
    def __init__(self, *, interval: float, before_deadline: float) -> None:
        self._interval = interval
        self._before = before_deadline
        self._heap: list[tuple[float, int, CacheWatcher]] = []
        self._sequence = itertools.count()
        #: Watchers removed since the heap was last rebuilt (some may have left it already).
        self._removed = 0

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, watcher: CacheWatcher, now: float) -> None:
        due = now + self._interval
        if watcher.deadline is not None:
            last_call = watcher.deadline - self._before
            if last_call > now:
                due = min(due, last_call)
            elif due > watcher.deadline:
                return  # it ends before another bookmark could help
        heapq.heappush(self._heap, (due, next(self._sequence), watcher))

    def due(self, now: float) -> list[CacheWatcher]:
        """The open watchers due by ``now``, removed from the schedule."""
        heap = self._heap
        out = []
        while heap and heap[0][0] <= now:
            watcher = heapq.heappop(heap)[2]
            if not watcher.ended:
                out.append(watcher)
        return out

    def remove(self, watcher: CacheWatcher) -> None:
        """Notes that ``watcher`` (ended) is to go; rebuilds the heap once the removed may be half of it."""
        self._removed += 1
        if self._removed * 2 >= len(self._heap):
            self._heap = [item for item in self._heap if not item[2].ended]
            heapq.heapify(self._heap)
            self._removed = 0

    def clear(self) -> None:
        self._heap.clear()
        self._removed = 0
