"""One resource's watch cache: its objects, indexes, event window and watchers.

A :class:`~myriad.apiserver.cache.feeder.CacheFeeder` fills it: :meth:`WatchCache.replace` after
each (re)list, :meth:`WatchCache.apply` for each storage watch batch, :meth:`WatchCache.progress`
for progress notifications. Everything it holds moves only in those calls.

Concurrency: event loop only. Every method but :meth:`wait_fresh` and :meth:`wait_ready` runs
without awaiting, so a request that reads the objects and registers a watcher in one call sees a
state and a revision that no event can split.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from operator import attrgetter
from sys import intern as _intern

from sortedcontainers import SortedDict

from myriad.api import gojson
from myriad.api.registry import ResourceType
from myriad.apiserver.cache.bookmarks import BookmarkSchedule
from myriad.apiserver.cache.partial import PartialDecoder
from myriad.apiserver.cache.types import ITEM_START, CacheEvent, CacheOptions, Entry
from myriad.apiserver.cache.watchers import CacheWatcher, Dispatcher
from myriad.apiserver.cache.window import EventWindow
from myriad.apiserver.rest.codec import raw as raw_bytes
from myriad.apiserver.rest.conversion import Conversion
from myriad.apiserver.rest.interfaces import Strategy, WatchEvent
from myriad.storage.interfaces import EventType, KeyValue, WatchBatch

#: Fields indexed beyond ``metadata.namespace`` (every namespaced resource), by (group, plural).
#: Lists and watches whose field selector requires one exact value of an indexed field touch
#: only the objects and watchers with that value.
INDEXED_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {("", "pods"): ("spec.nodeName",)}


class WatchCache:
    def __init__(self, resource: ResourceType, strategy: Strategy, options: CacheOptions, *,
                 conversion: Conversion | None = None) -> None:
        self.resource = resource
        self._strategy = strategy
        self._options = options
        self._clock = options.clock
        self._conversion = conversion
        #: Serves a form other than the stored one (items are converted one by one).
        self.converts = conversion is not None
        self.field_names = tuple(sorted(strategy.selectable_fields()))
        self._partial = PartialDecoder(path for name in self.field_names for path in strategy.field_paths(name))
        #: How every object's JSON starts: kind and apiVersion first, as stored; a cache serving
        #: a converted form (whose stored kind differs) splits after the brace only.
        self.head = b"{" if conversion is not None else b'{"kind":"%s","apiVersion":"%s",' % (
            resource.kind.encode(), resource.api_version.encode())
        self.positions = {name: i for i, name in enumerate(self.field_names)}
        indexed = INDEXED_FIELDS.get((resource.group, resource.plural), ())
        if resource.namespaced:
            indexed = (*indexed, "metadata.namespace")
        self.indexed = tuple(f for f in indexed if f in self.positions)
        self.objects: SortedDict = SortedDict()  # key -> Entry
        #: The encoded bytes of the objects held (their items), for /metrics.
        self.object_bytes = 0
        #: Every object's ``item`` in key order, or None until the next list needs it: kept in
        #: step on updates, dropped on creations and deletions (they shift positions).
        self._items: list[bytes] | None = None
        self._index: dict[str, dict[str, set[str]]] = {name: {} for name in self.indexed}
        self.window = EventWindow(seconds=options.window_seconds, max_events=options.window_events)
        self.dispatcher = Dispatcher(self.indexed, self.positions)
        self._bookmarks = BookmarkSchedule(interval=options.bookmark_interval,
                                           before_deadline=options.bookmark_before_deadline)
        self._bookmark: WatchEvent | None = None
        #: Everything up to this revision is applied (events or progress notifications).
        self.revision = 0
        #: The revision of the newest change applied: the state is the same at every revision
        #: from here to ``revision``.
        self.changed = 0
        self.ready = asyncio.Event()
        self._advanced = asyncio.Event()
        #: Set by the feeder: asks storage for a progress notification on the cache's watch.
        self.request_progress: Callable[[], Awaitable[None]] | None = None
        self.events_dispatched = 0
        self.bookmarks_sent = 0
        self.terminated_slow = 0
        self.initializations = 0
        #: Lists served, by the index that narrowed them ("" for none).
        self.lists_served: dict[str, int] = {}
        #: Consistent lists by (served from the cache, fell back to storage): "true"/"false".
        self.consistent_reads: dict[tuple[str, str], int] = {}

    # -- feeding (called by the feeder) --------------------------------------------------------

    def entry(self, kv: KeyValue) -> Entry:
        """The entry of a stored object. Label keys and values and field values are interned: a
        node name, a namespace or ``app=web`` is held once however many objects carry it."""
        obj = self._partial.decode(kv.value)
        metadata = obj.get("metadata") or {}
        field = self._strategy.field
        raw = raw_bytes(kv)
        head = self.head
        if raw.startswith(head):
            item = ITEM_START + memoryview(raw)[len(head):]
        else:  # stored without kind/apiVersion first (an older layout): served with them
            rest = {k: v for k, v in gojson.loads(raw).items() if k not in ("kind", "apiVersion")}
            item = ITEM_START + (gojson.dumps(rest)[1:] if rest else b"}")
        labels = metadata.get("labels")
        if labels:
            labels = {_intern(k): _intern(v) if type(v) is str else v for k, v in labels.items()}
        # field() answers text, so every value can be interned
        return Entry(kv.key.decode(), head, item, kv.mod_revision, labels,
                     tuple(map(_intern, [field(obj, name) or "" for name in self.field_names])))

    def replace(self, entries: Iterable[Entry], revision: int) -> None:
        """The state as a list at ``revision`` returned it. Open watchers are ended (their
        clients re-watch; those whose revision the new window cannot serve get 410)."""
        self.invalidate("resync")
        self.objects = SortedDict((entry.key, entry) for entry in entries)
        self.object_bytes = sum(len(entry.item) for entry in self.objects.values())
        self._items = None
        self._index = {name: {} for name in self.indexed}
        for entry in self.objects.values():
            self._index_add(entry)
        self.window.reset(revision, self._clock.monotonic())
        self.revision = self.changed = revision
        self.initializations += 1
        self.ready.set()
        self._advance()

    def invalidate(self, reason: str) -> None:
        """Not serving until the next :meth:`replace`: watchers are ended."""
        self.ready.clear()
        for watcher in self.dispatcher.all():
            watcher.end(reason)
            self.dispatcher.remove(watcher)
        self._bookmarks.clear()

    def apply(self, batch: WatchBatch) -> None:
        now = self._clock.monotonic()
        objects = self.objects
        for event in batch.events:
            key = event.kv.key.decode()
            old = objects.get(key)
            revision = event.kv.mod_revision
            if event.type is EventType.DELETE:
                if old is None:
                    continue
                del objects[key]
                self.object_bytes -= len(old.item)
                self._items = None
                self._index_remove(old)
                change = CacheEvent(revision, None, old.at(revision))
            else:
                new = self.entry(event.kv)
                objects[key] = new
                self.object_bytes += len(new.item) - (len(old.item) if old is not None else 0)
                if old is None:
                    self._items = None
                else:
                    if self._items is not None:
                        self._items[objects.index(key)] = new.item
                    self._index_remove(old)
                self._index_add(new)
                change = CacheEvent(revision, new, old)
            self.window.append(change, now)
            self._dispatch(change)
            self.changed = revision
        self.revision = max(self.revision, batch.revision)
        self.window.seen(self.revision, now)
        self._advance()

    def progress(self, revision: int) -> None:
        if revision > self.revision:
            self.revision = revision
            self.window.seen(revision, self._clock.monotonic())
            self._advance()

    def _advance(self) -> None:
        self._advanced.set()
        self._advanced = asyncio.Event()

    def _dispatch(self, event: CacheEvent) -> None:
        for watcher in self.dispatcher.candidates(event):
            if not watcher.offer(event):
                self.dispatcher.remove(watcher)
                self.terminated_slow += 1
        self.events_dispatched += 1

    def _index_add(self, entry: Entry) -> None:
        for name in self.indexed:
            value = entry.fields[self.positions[name]]
            self._index[name].setdefault(value, set()).add(entry.key)

    def _index_remove(self, entry: Entry) -> None:
        for name in self.indexed:
            bucket = self._index[name].get(entry.fields[self.positions[name]])
            if bucket is not None:
                bucket.discard(entry.key)
                if not bucket:
                    del self._index[name][entry.fields[self.positions[name]]]

    # -- periodic ------------------------------------------------------------------------------

    def tick(self) -> None:
        """Moves the window on and sends the bookmarks that are due."""
        now = self._clock.monotonic()
        self.window.expire(now)
        due = self._bookmarks.due(now)
        if not due:
            return
        bookmark = self.bookmark_event()
        for watcher in due:
            before = watcher.revision
            watcher.offer_bookmark(bookmark)
            self.bookmarks_sent += watcher.revision != before
            self._bookmarks.add(watcher, now)

    def bookmark_event(self, *, initial_end: bool = False) -> WatchEvent:
        """A BOOKMARK at the cache's revision: the resource's kind and apiVersion and
        ``metadata.resourceVersion`` (plus the initial-events-end annotation when asked)."""
        if not initial_end and self._bookmark is not None and self._bookmark.resource_version == self.revision:
            return self._bookmark
        metadata: dict[str, object] = {"resourceVersion": str(self.revision)}
        if initial_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        event = WatchEvent("BOOKMARK", {"kind": self.resource.kind, "apiVersion": self.resource.api_version,
                                        "metadata": metadata}, self.revision)
        if not initial_end:
            self._bookmark = event
        return event

    # -- serving -------------------------------------------------------------------------------

    def select(self, *, prefix: str, start: str = "", trigger: tuple[str, str] | None = None) -> Iterator[Entry]:
        """Entries under ``prefix`` from key ``start`` on, in key order; with ``trigger``
        (an indexed field and the value a selector requires) only those the index lists."""
        return iter(self.snapshot(prefix=prefix, start=start, trigger=trigger))

    def snapshot(self, *, prefix: str, start: str = "", trigger: tuple[str, str] | None = None,
                 limit: int = 0) -> list[Entry]:
        """:meth:`select` as a list, taken in one step (entries never change, so the list stays
        the state of this moment); ``limit`` > 0 takes one more than that many at most."""
        objects = self.objects
        lower = max(prefix, start) if start else prefix
        if trigger is not None:
            keys = sorted(k for k in self._index[trigger[0]].get(trigger[1], ()) if k >= lower and
                          k.startswith(prefix))
            return [objects[k] for k in keys]
        first = objects.bisect_left(lower)
        last = objects.bisect_left(prefix + "\xff")
        if limit:
            last = min(last, first + limit + 1)
        return objects.values()[first:last]

    def items(self, *, prefix: str, start: str = "") -> list[bytes]:
        """The ``item`` of every object under ``prefix`` from key ``start`` on, in key order: a
        slice of a list kept with the objects, so a large list costs no work per object (reaching
        300,000 scattered entries one by one took 70 ms, the slice 3 ms). While that list is
        stale, a range under half the objects is gathered on its own, so a namespace's list
        never pays for rebuilding the whole resource's."""
        objects = self.objects
        first, last = objects.bisect_left(start or prefix), objects.bisect_left(prefix + "\xff")
        if self._items is None:
            if 2 * (last - first) < len(objects):
                return list(map(attrgetter("item"), objects.values()[first:last]))
            self._items = list(map(attrgetter("item"), objects.values()))
        return self._items[first:last]

    def count_from(self, prefix: str, lower: str) -> int:
        """Objects under ``prefix`` from key ``lower`` on."""
        objects = self.objects
        return objects.bisect_left(prefix + "\xff") - objects.bisect_left(lower)

    def watch_event(self, event: CacheEvent, kind: str) -> WatchEvent:
        """What a watcher that sees ``event`` as ``kind`` is sent, made once per kind."""
        made = event.watch_events.get(kind)
        if made is None:
            if kind == "DELETED":
                entry = event.old
                assert entry is not None
                if entry.revision != event.revision:
                    entry = entry.at(event.revision)
            else:
                entry = event.new
                assert entry is not None
            made = event.watch_events[kind] = self.served_event(kind, entry, event.revision)
        return made

    def served_event(self, kind: str, entry: Entry, revision: int) -> WatchEvent:
        """``entry`` as a watch event of ``kind``; unconverted, it shares the entry's bytes."""
        if self._conversion is None:
            return WatchEvent(kind, parts=entry.parts, resource_version=revision)
        return WatchEvent(kind, raw=self.served(entry.raw), resource_version=revision)

    def served(self, raw: bytes) -> bytes:
        """An object's JSON in the form this cache's resource is served in."""
        if self._conversion is None:
            return raw
        return gojson.dumps(self._conversion.from_storage(gojson.loads(raw)))

    def register(self, watcher: CacheWatcher) -> None:
        self.dispatcher.add(watcher)
        if watcher.bookmarks:
            self._bookmarks.add(watcher, self._clock.monotonic())

    def unregister(self, watcher: CacheWatcher) -> None:
        watcher.end("stopped")
        self.dispatcher.remove(watcher)
        if watcher.bookmarks:
            self._bookmarks.remove(watcher)

    async def wait_ready(self, timeout: float) -> bool:
        if self.ready.is_set():
            return True
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_fresh(self, revision: int, timeout: float) -> bool:
        """Waits until the cache has applied ``revision``, asking storage for progress
        notifications meanwhile (a quiet resource has no events to get there with). False if
        ``timeout`` passes first or the cache stops serving."""
        deadline = time.monotonic() + timeout
        interval = self._options.progress_request_interval
        while self.revision < revision or not self.ready.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.ready.is_set() and self.request_progress is not None:
                await self.request_progress()
            advanced = self._advanced if self.ready.is_set() else self.ready
            try:
                await asyncio.wait_for(advanced.wait(), min(interval, remaining))
            except TimeoutError:
                pass
        return True
