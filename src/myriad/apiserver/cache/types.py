"""The watch cache's vocabulary: options, entries and events.

An :class:`Entry` is one object as the cache holds it: its JSON bytes with ``resourceVersion``
filled in (encoded once, at the storage edge, and served as they are) and what filtering needs
decoded: its labels and the values of the resource's selectable fields. The full object is
decoded only when a request needs it (Table output, a served form other than the stored one).

A :class:`CacheEvent` is one change to one object, shared by every watcher it reaches. What a
watcher is sent (ADDED, MODIFIED or DELETED, depending on its selector) is a
:class:`~myriad.apiserver.rest.interfaces.WatchEvent` made once per type and cached on the
event, so its encodings are made once too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from myriad.apiserver.rest.interfaces import WatchEvent
from myriad.clock import Clock, SystemClock


@dataclass(frozen=True, kw_only=True)
class CacheOptions:
    clock: Clock = field(default_factory=SystemClock)
    #: A watch may resume from any revision the cache saw within about this many seconds
    #: (upstream's 75 s: a minute of bookmarks plus slack).
    window_seconds: float = 75.0
    #: ...and from at most this many events back (upstream's upper bound, 100 × 1024).
    window_events: int = 100 * 1024
    #: Events a watcher may hold unsent; one more ends its watch, and the client re-watches.
    watcher_buffer: int = 1000
    #: ...or whose unsent events' objects pass this many bytes (one event larger than this is
    #: still sent).
    watcher_buffer_bytes: int = 64 * 1024 * 1024
    #: A watcher that asked for bookmarks gets one about this often...
    bookmark_interval: float = 60.0
    #: ...and this long before its watch times out.
    bookmark_before_deadline: float = 2.0
    #: How often bookmark times are checked (upstream ticks every 1–1.25 s).
    bookmark_tick: float = 1.0
    #: A consistent read waits this long for the cache to reach storage's revision, then reads
    #: storage (KEP-2340).
    consistent_wait: float = 3.0
    #: While a read waits for the cache, storage is asked for a progress notification this often.
    progress_request_interval: float = 0.1
    #: A request that finds its cache not yet synced waits this long, then lists from storage
    #: (a watch gets 429 instead: watches are only served from the cache).
    ready_wait: float = 1.0
    #: Pause before re-listing after the cache's storage watch broke or hit compaction.
    resync_delay: float = 1.0
    #: Resources, as (group, plural), served from storage without a cache: upstream's
    #: ``DefaultWatchCacheSizes`` (events, in both groups: many, written once, rarely listed).
    uncached: frozenset[tuple[str, str]] = frozenset({("", "events"), ("events.k8s.io", "events")})


#: How :attr:`Entry.item` starts: the comma between list items, then the object's brace.
ITEM_START = b",{"


class Entry:
    """One cached object. Immutable once made; ``fields`` follows the cache's field layout. Its
    JSON is ``head`` (``{"kind":"…","apiVersion":"…",``, one bytes object per cache) followed by
    ``item[2:]``. ``item`` is the object as a built-in list's second and later items go out,
    ``,{`` + the rest without kind and apiVersion, so a list sends the items themselves, one part
    each."""

    __slots__ = ("key", "head", "item", "revision", "labels", "fields")

    def __init__(self, key: str, head: bytes, item: bytes, revision: int, labels: dict[str, str] | None,
                 fields: tuple[str, ...]) -> None:
        self.key = key
        self.head = head
        self.item = item
        self.revision = revision
        self.labels = labels
        self.fields = fields

    @property
    def raw(self) -> bytes:
        return b"".join(self.parts)

    @property
    def parts(self) -> tuple[bytes, memoryview]:
        """The object's JSON as two parts that share the entry's bytes."""
        return (self.head, memoryview(self.item)[2:])

    def at(self, revision: int) -> Entry:
        """The same object reported at ``revision`` (a deletion's): only resourceVersion changes."""
        old = b'"resourceVersion":"%d"' % self.revision
        item = self.item.replace(old, b'"resourceVersion":"%d"' % revision, 1)
        return Entry(self.key, self.head, item, revision, self.labels, self.fields)


class CacheEvent:
    """A change at ``revision``: ``new`` is None for a deletion, ``old`` None for a creation.
    ``watch_events`` caches the WatchEvent sent for each type."""

    __slots__ = ("revision", "new", "old", "watch_events")

    def __init__(self, revision: int, new: Entry | None, old: Entry | None) -> None:
        self.revision = revision
        self.new = new
        self.old = old
        self.watch_events: dict[str, WatchEvent] = {}

    @property
    def key(self) -> str:
        entry = self.new if self.new is not None else self.old
        assert entry is not None
        return entry.key
