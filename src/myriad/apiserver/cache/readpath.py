"""CachedReadPath: lists and watches served from the watch caches, storage as the fallback.

Lists:

* ``resourceVersion=0``: from the cache at once, whatever it holds (``limit`` is ignored, as
  upstream ignores it there: the whole result in one answer).
* unset (a consistent list, KEP-2340): storage's current revision is fetched (one cheap read),
  the cache is waited for until it has applied that revision (asking storage for a progress
  notification while it waits), and the list is served from the cache, paginated if asked. If
  the cache is not there within ``consistent_wait``, or storage cannot answer progress requests
  exactly, the list is read from storage.
* ``resourceVersion=N`` (not older than): from the cache once it reaches N; 504 if it does not
  within ``consistent_wait``.
* Exact revisions and continue tokens: from the cache when its state is the one at that
  revision (nothing changed between the revision and the cache's), from storage otherwise.
  Continue tokens have one format on both paths, so a list may page across them.

Watches are always served from a cache: from the current state (``0`` or unset: synthetic
ADDED events; ``sendInitialEvents``: the same plus the initial-events-end bookmark), or from
the event window (a revision inside it replays the buffered events; an older one gets an ERROR
event carrying 410 Expired).

Before a cache has synced, lists wait ``ready_wait`` and then read storage; watches get 429.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

from myriad.api.errors import BadRequestError, ExpiredError, StatusError, TooManyRequestsError
from myriad.api.errors import TimeoutError as TimeoutError_
from myriad.api.registry import ResourceType
from myriad.apiserver.cache.feeder import CacheFeeder
from myriad.apiserver.cache.types import CacheOptions, Entry
from myriad.apiserver.cache.watchcache import WatchCache
from myriad.apiserver.cache.watchers import CacheWatcher
from myriad.apiserver.rest.conversion import CONVERSIONS
from myriad.apiserver.rest.interfaces import ListOptions, ListResult, Strategy, WatchEvent
from myriad.apiserver.rest.readpath import StorageReadPath, decode_continue, encode_continue, list_prefix
from myriad.storage.interfaces import Store

Matcher = Callable[[Entry], bool]
#: Entries filtered and gathered between two yields to the event loop.
LIST_SLICE = 2000


class CachedReadPath:
    def __init__(self, storage: Store, strategy: Callable[[ResourceType], Strategy], options: CacheOptions) -> None:
        self._storage = storage
        self._strategy = strategy
        self._options = options
        self.fallback = StorageReadPath(storage, strategy)
        self.caches: dict[tuple[str, str, str], WatchCache] = {}
        self._feeders: list[CacheFeeder] = []

    # -- caches --------------------------------------------------------------------------------

    def start(self, resources: list[ResourceType]) -> None:
        """Starts a cache for each resource that has one (more start on first use, e.g. custom
        resources)."""
        for resource in resources:
            if self.cached(resource):
                self.cache(resource)

    def cached(self, resource: ResourceType) -> bool:
        """Whether ``resource`` is served from a cache (else from storage: ``options.uncached``)."""
        return (resource.group, resource.plural) not in self._options.uncached

    async def stop(self) -> None:
        for feeder in self._feeders:
            await feeder.stop()
        self._feeders.clear()

    def cache(self, resource: ResourceType) -> WatchCache:
        """The cache serving ``resource``; resources sharing storage and served form share one."""
        conversion = CONVERSIONS.get((resource.group, resource.version, resource.plural))
        # Custom resources are served in each version's apiVersion, and converted forms differ:
        # those get a cache per version; built-ins share one per storage prefix.
        per_version = conversion is not None or resource.custom
        key = (resource.prefix(), resource.group if per_version else "", resource.version if per_version else "")
        cache = self.caches.get(key)
        if cache is None:
            cache = self.caches[key] = WatchCache(resource, self._strategy(resource), self._options,
                                                  conversion=conversion)
            feeder = CacheFeeder(cache, self._storage, self._options)
            self._feeders.append(feeder)
            feeder.start()
        return cache

    def forget(self, prefix: str) -> None:
        """Stops the caches of the resources stored under ``prefix`` (a custom resource whose
        definition went); a later request starts a new one."""
        for key in [k for k in self.caches if k[0] == prefix]:
            cache = self.caches.pop(key)
            for feeder in [f for f in self._feeders if f.cache is cache]:
                self._feeders.remove(feeder)
                feeder.cancel()
            cache.invalidate("stopped")

    # -- lists ---------------------------------------------------------------------------------

    async def list(self, resource: ResourceType, options: ListOptions) -> ListResult:
        if not self.cached(resource):
            return await self.fallback.list(resource, options)
        cache = self.cache(resource)
        rv, match = options.resource_version, options.resource_version_match
        if options.continue_token:
            revision, start = decode_continue(options.continue_token)
            if _holds(cache, revision):
                return await self._from_cache(cache, resource, options, revision, start=start)
            return await self.fallback.list(resource, options)
        if match == "Exact" or (options.limit and rv not in ("", "0") and not match):
            revision = _revision(rv)
            if _holds(cache, revision):
                return await self._from_cache(cache, resource, options, revision)
            return await self.fallback.list(resource, replace(options, resource_version_match="Exact"))
        if not await cache.wait_ready(self._options.ready_wait):
            return await self.fallback.list(resource, options)
        if rv == "0":
            return await self._from_cache(cache, resource, options, cache.revision, paginate=False)
        if rv == "":
            if not self._storage.progress_requests:
                return await self.fallback.list(resource, options)
            current = await self._storage.current_revision()
            fresh = await cache.wait_fresh(current, self._options.consistent_wait)
            outcome = ("true", "false") if fresh else ("false", "true")
            cache.consistent_reads[outcome] = cache.consistent_reads.get(outcome, 0) + 1
            if not fresh:
                return await self.fallback.list(resource, options)
            return await self._from_cache(cache, resource, options, cache.revision)
        wanted = _revision(rv)
        if not await cache.wait_fresh(wanted, self._options.consistent_wait):
            raise _too_large(wanted, cache.revision)
        return await self._from_cache(cache, resource, options, cache.revision)

    async def _from_cache(self, cache: WatchCache, resource: ResourceType, options: ListOptions, revision: int, *,
                          start: str = "", paginate: bool = True) -> ListResult:
        """The list from ``cache``, which holds the state at ``revision``: the entries are taken
        in one step, then filtered and gathered a slice at a time, yielding to the event loop
        between slices so a large list does not hold up every other request."""
        prefix = list_prefix(resource, options.namespace)
        matches = _matcher(cache, options)
        trigger = cache.dispatcher.trigger_for(options.fields.exact) if not options.fields.empty else None
        index = trigger[0] if trigger is not None else ""
        cache.lists_served[index] = cache.lists_served.get(index, 0) + 1
        limit = options.limit if paginate else 0
        lower = prefix + start if start else ""
        if matches is None and trigger is None and not limit and not cache.converts:  # everything: no per-object work
            return ListResult(None, revision, head=cache.head, list_items=cache.items(prefix=prefix, start=lower))
        entries = cache.snapshot(prefix=prefix, start=lower, trigger=trigger, limit=limit if matches is None else 0)
        # Counted now, with the snapshot: the slices below await, and the cache may move meanwhile.
        available = cache.count_from(prefix, lower or prefix) if matches is None and trigger is None else None
        if matches is None and not limit:
            selected = entries
        else:
            selected = []
            for first in range(0, len(entries), LIST_SLICE):
                if first:
                    await asyncio.sleep(0)
                for entry in entries[first:first + LIST_SLICE]:
                    if matches is None or matches(entry):
                        selected.append(entry)
                        if limit and len(selected) > limit:
                            break
                if limit and len(selected) > limit:
                    break
        more = bool(limit) and len(selected) > limit
        if more:
            del selected[limit:]
        token, remaining = "", None
        if more:
            last = selected[-1].key
            token = encode_continue(revision, last[len(prefix):] + "\x00")
            remaining = available - len(selected) if available is not None else None
        if cache.converts:
            return ListResult([cache.served(entry.raw) for entry in selected], revision, token, remaining)
        return ListResult(None, revision, token, remaining, head=cache.head,
                          list_items=[entry.item for entry in selected])

    # -- watches -------------------------------------------------------------------------------

    async def watch(self, resource: ResourceType, options: ListOptions, *, send_initial: bool,
                    bookmarks: bool, timeout: float | None = None) -> AsyncIterator[WatchEvent]:
        if not self.cached(resource):
            return await self.fallback.watch(resource, options, send_initial=send_initial, bookmarks=bookmarks)
        cache = self.cache(resource)
        if not await cache.wait_ready(self._options.ready_wait):
            raise TooManyRequestsError("storage is (re)initializing", retry_after=1)
        rv = options.resource_version
        if rv == "":
            # The current state, consistently: the cache once it has caught up with storage.
            if self._storage.progress_requests:
                current = await self._storage.current_revision()
                if await cache.wait_fresh(current, self._options.consistent_wait):
                    return self._open(cache, resource, options, send_initial=send_initial, bookmarks=bookmarks,
                                      timeout=timeout)
            return await self.fallback.watch(resource, options, send_initial=send_initial, bookmarks=bookmarks)
        if rv != "0" and send_initial:
            # The state at least as new as ``rv``: wait for the cache to get there.
            wanted = _revision(rv)
            if wanted > cache.revision and not await cache.wait_fresh(wanted, self._options.consistent_wait):
                return _error(_too_large(wanted, cache.revision))
        return self._open(cache, resource, options, send_initial=send_initial, bookmarks=bookmarks,
                          timeout=timeout)

    def _open(self, cache: WatchCache, resource: ResourceType, options: ListOptions, *, send_initial: bool,
              bookmarks: bool, timeout: float | None) -> AsyncIterator[WatchEvent]:
        """Must not await: takes the initial state or the replay and registers the watcher at
        the same revision."""
        rv = options.resource_version
        matches = _matcher(cache, options)
        prefix = list_prefix(resource, options.namespace)
        namespaced = prefix != resource.prefix()
        if namespaced and matches is None:
            matches = _in_prefix(prefix)
        elif namespaced:
            inner = matches
            matches = lambda entry: entry.key.startswith(prefix) and inner(entry)  # noqa: E731
        trigger = cache.dispatcher.trigger_for(options.fields.exact)
        if trigger is None and namespaced and "metadata.namespace" in cache.indexed:
            trigger = ("metadata.namespace", options.namespace)
        deadline = None if timeout is None else time.monotonic() + timeout
        revision = cache.revision
        if not send_initial and rv not in ("", "0"):
            revision = max(revision, _revision(rv))  # a future revision: events after it only
        from_state = send_initial or rv in ("", "0")
        watcher = CacheWatcher(matches=matches, revision=revision, buffer=self._options.watcher_buffer,
                               buffer_bytes=self._options.watcher_buffer_bytes,
                               trigger=trigger, convert=cache.watch_event, bookmarks=bookmarks, deadline=deadline,
                               catch_up_floor=(lambda: cache.window.floor) if from_state else None)
        if from_state:
            initial = [entry for entry in cache.select(prefix=prefix, trigger=trigger)
                       if matches is None or matches(entry)]
            replay: list[WatchEvent] = []
            end = cache.bookmark_event(initial_end=True) if send_initial else None
        else:
            since = cache.window.since(_revision(rv))
            if since is None:
                return _error(ExpiredError(f"too old resource version: {rv} ({cache.window.floor})"))
            initial = []
            replay = []
            for event in since:
                kind = watcher.event_type(event)
                if kind is not None:
                    replay.append(cache.watch_event(event, kind))
            end = None
        cache.register(watcher)
        return _stream(cache, watcher, initial, replay, end, revision)


async def _stream(cache: WatchCache, watcher: CacheWatcher, initial: list[Entry], replay: list[WatchEvent],
                  end: WatchEvent | None, revision: int) -> AsyncIterator[WatchEvent]:
    try:
        for entry in initial:
            yield cache.served_event("ADDED", entry, revision)
        if end is not None:
            yield end
        for event in replay:
            yield event
        while True:
            event = await watcher.next()
            if event is None:
                return
            yield event
    finally:
        cache.unregister(watcher)


async def _error(error: StatusError) -> AsyncIterator[WatchEvent]:
    """A watch that is one ERROR event: upstream answers 200 and the Status as an event."""
    yield WatchEvent("ERROR", error.to_status(), 0)


def _holds(cache: WatchCache, revision: int) -> bool:
    """Whether the cache's state is the state at ``revision``."""
    return cache.ready.is_set() and cache.changed <= revision <= cache.revision


def _revision(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) >= 2**63:
        raise BadRequestError(f"invalid resource version: {text}")
    return int(text)


def _too_large(wanted: int, current: int) -> TimeoutError_:
    return TimeoutError_(f"Too large resource version: {wanted}, current: {current}")


def _in_prefix(prefix: str) -> Matcher:
    return lambda entry: entry.key.startswith(prefix)


def _matcher(cache: WatchCache, options: ListOptions) -> Matcher | None:
    labels, fields = options.labels, options.fields
    if labels.empty and fields.empty:
        return None
    positions = cache.positions

    def matches(entry: Entry) -> bool:
        if not labels.matches(entry.labels):
            return False
        values = entry.fields
        return fields.matches(lambda name: values[positions[name]] if name in positions else None)

    return matches
