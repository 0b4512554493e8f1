"""Cache watchers and the index that decides which of them an event can concern.

A :class:`CacheWatcher` is one watch request's place in a cache: its filter, the revision it has
been sent up to, and a bounded queue of WatchEvents not yet written. The cache offers it events
synchronously; the request's task drains the queue. A watcher whose queue passes its bound, in
events or in the bytes of their objects, is ended (its stream closes, as upstream closes an
unresponsive watcher) so it never holds up the others; the client re-watches from the last
revision it got. The events are shared with every other watcher and the cache's window, so the
byte bound caps what one stalled client can keep alive after the window has let it go. A watcher
that starts by sending the current state (a watch-list's initial events, which can take a
client minutes to read for a large resource) is not stalled while it does: until it has sent
them and then emptied its queue once, it is ended only when the window has dropped an event it
still holds. Until then everything it queues is the window's own, so it costs references only,
and a busy resource does not end every long watch-list before its initial-events-end bookmark.

The :class:`Dispatcher` files each watcher under one trigger: an exact value its selector
requires of an indexed field (``spec.nodeName=node-7``, ``metadata.namespace=ns``) or, failing
that, "unfiltered". An event reaches the watchers filed under the values its old and new object
have for each indexed field, plus the unfiltered ones; a pod update on one node never touches
the other nodes' watchers.

Event loop only; nothing here awaits except :meth:`CacheWatcher.next`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from myriad.apiserver.cache.types import CacheEvent, Entry
from myriad.apiserver.rest.interfaces import WatchEvent

#: ``(field, value)`` a watcher is filed under; None for unfiltered.
Trigger = tuple[str, str] | None
Matcher = Callable[[Entry], bool]
#: Makes the WatchEvent of one type for an event (cached on it by the cache).
Convert = Callable[[CacheEvent, str], WatchEvent]


class CacheWatcher:
    def __init__(self, *, matches: Matcher | None, revision: int, buffer: int, buffer_bytes: int,
                 trigger: Trigger, convert: Convert, bookmarks: bool, deadline: float | None,
                 catch_up_floor: Callable[[], int] | None = None) -> None:
        """``catch_up_floor``: the watcher starts by sending the current state (not queued
        here); until it has caught up it is ended only once an event it holds is at or below
        this floor (the window's: the event has left the window)."""
        self.matches = matches
        #: Events at or below this were covered by the initial state or the replay.
        self.start = revision
        #: The newest revision this watcher has been sent (or skipped, filtered out).
        self.revision = revision
        self.trigger = trigger
        self.bookmarks = bookmarks
        #: Monotonic time its watch ends, for the bookmark just before; None if unknown.
        self.deadline = deadline
        self._convert = convert
        self._buffer = buffer
        self._buffer_bytes = buffer_bytes
        self._catch_up_floor = catch_up_floor
        #: Sending its initial state, or the events queued meanwhile (the queue not yet empty).
        self.catching_up = catch_up_floor is not None
        self._queue: deque[WatchEvent] = deque()
        #: Bytes of the queued events' objects.
        self.queued_bytes = 0
        self._wakeup = asyncio.Event()
        self.ended = False
        #: Why it ended: "slow", "resync" or "stopped" (None while open).
        self.end_reason: str | None = None

    def offer(self, event: CacheEvent) -> bool:
        """Queues what ``event`` means to this watcher, if anything. False if the watcher was
        just ended for being too far behind."""
        if self.ended or event.revision <= self.start:
            return True  # (a revision may carry several events: only ``start`` marks what was sent)
        kind = self.event_type(event)
        self.revision = event.revision
        if kind is None:
            return True
        made = self._convert(event, kind)
        size = made.size
        queue = self._queue
        if queue and self._full(size):
            self.end("slow")
            return False
        queue.append(made)
        self.queued_bytes += size
        self._wakeup.set()
        return True

    def _full(self, size: int) -> bool:
        """Whether one more event of ``size`` bytes passes the watcher's bound (its queue is
        not empty)."""
        if self.catching_up:
            assert self._catch_up_floor is not None
            return self._queue[0].resource_version <= self._catch_up_floor()
        return len(self._queue) >= self._buffer or self.queued_bytes + size > self._buffer_bytes

    def event_type(self, event: CacheEvent) -> str | None:
        """ADDED, MODIFIED or DELETED as this watcher sees ``event``; None if outside its
        selection before and after. Objects moving into the selection are ADDED, objects moving
        out DELETED, as upstream's filtered watches report them."""
        new, old, matches = event.new, event.old, self.matches
        if matches is None:
            return "DELETED" if new is None else ("ADDED" if old is None else "MODIFIED")
        now = new is not None and matches(new)
        before = old is not None and matches(old)
        if now:
            return "MODIFIED" if before else "ADDED"
        return "DELETED" if before else None

    def offer_bookmark(self, event: WatchEvent) -> None:
        """Queues a bookmark at ``event.resource_version`` if that is news to this watcher; a
        full queue just skips it (the next one will do)."""
        if self.ended or event.resource_version <= self.revision or len(self._queue) >= self._buffer:
            return
        self.revision = event.resource_version
        self._queue.append(event)
        self.queued_bytes += event.size
        self._wakeup.set()

    def end(self, reason: str) -> None:
        if not self.ended:
            self.ended = True
            self.end_reason = reason
            self._wakeup.set()

    async def next(self) -> WatchEvent | None:
        """The next queued event; None once the watcher has ended (queued events are dropped:
        an ended watch's client re-watches from the last revision it received)."""
        while True:
            if self.ended:
                return None
            if self._queue:
                event = self._queue.popleft()
                self.queued_bytes -= event.size
                return event
            self.catching_up = False  # (called only once the initial state has been sent)
            self._wakeup.clear()
            await self._wakeup.wait()


class Dispatcher:
    def __init__(self, indexed_fields: tuple[str, ...], positions: dict[str, int]) -> None:
        """``indexed_fields``: selectable fields watchers can be filed under, most selective
        first; ``positions``: where each field's value sits in an entry's ``fields``."""
        self._fields = indexed_fields
        self._positions = [positions[f] for f in indexed_fields]
        self._by_trigger: dict[tuple[str, str], set[CacheWatcher]] = {}
        self._unfiltered: set[CacheWatcher] = set()
        self.count = 0

    def trigger_for(self, exact: Callable[[str], str | None]) -> Trigger:
        """The trigger for a selector whose required value of a field is ``exact(field)``."""
        for name in self._fields:
            value = exact(name)
            if value is not None:
                return (name, value)
        return None

    def add(self, watcher: CacheWatcher) -> None:
        if watcher.trigger is None:
            self._unfiltered.add(watcher)
        else:
            self._by_trigger.setdefault(watcher.trigger, set()).add(watcher)
        self.count += 1

    def remove(self, watcher: CacheWatcher) -> None:
        trigger = watcher.trigger
        if trigger is None:
            bucket: set[CacheWatcher] | None = self._unfiltered
        else:
            bucket = self._by_trigger.get(trigger)
        if bucket is None or watcher not in bucket:
            return
        bucket.discard(watcher)
        if trigger is not None and not bucket:
            del self._by_trigger[trigger]
        self.count -= 1

    def all(self) -> list[CacheWatcher]:
        watchers = list(self._unfiltered)
        for bucket in self._by_trigger.values():
            watchers.extend(bucket)
        return watchers

    def candidates(self, event: CacheEvent) -> list[CacheWatcher]:
        """The watchers ``event`` may concern: the unfiltered ones and those filed under a value
        its old or new object has."""
        found = list(self._unfiltered)
        by_trigger = self._by_trigger
        if not by_trigger:
            return found
        for name, position in zip(self._fields, self._positions, strict=True):
            values = set()
            if event.new is not None:
                values.add(event.new.fields[position])
            if event.old is not None:
                values.add(event.old.fields[position])
            for value in values:
                bucket = by_trigger.get((name, value))
                if bucket:
                    found.extend(bucket)
        return found
