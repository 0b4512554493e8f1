"""Feeding a watch cache from storage, as upstream's reflector feeds its cacher.

A loop per cache: list the resource's prefix at the current revision, :meth:`WatchCache.replace`,
then watch from the next revision with progress notifications and apply each batch. When the
watch breaks (storage unavailable, compaction past the cache's revision, a store that closed)
the cache stops serving, ends its watchers, and the loop lists again after ``resync_delay``.
A second task ticks the cache about once a second (window expiry, bookmarks).

Concurrency: one task owns the storage watch; ``request_progress`` may be called from any
request's task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from myriad.apiserver.cache.types import CacheOptions, Entry
from myriad.apiserver.cache.watchcache import WatchCache
from myriad.storage import errors as storage_errors
from myriad.storage.interfaces import Store, Watch, prefix_end

log = logging.getLogger(__name__)
#: Objects read per storage range while (re)listing (upstream's cacher pages by 10,000).
LIST_PAGE = 10_000


class CacheFeeder:
    def __init__(self, cache: WatchCache, storage: Store, options: CacheOptions) -> None:
        self.cache = self._cache = cache
        self._storage = storage
        self._options = options
        self._watch: Watch | None = None
        self._tasks: list[asyncio.Task[None]] = []
        cache.request_progress = self.request_progress

    def start(self) -> None:
        name = f"watch-cache {self._cache.resource.plural}.{self._cache.resource.group}"
        self._tasks = [asyncio.create_task(self._run(), name=name),
                       asyncio.create_task(self._tick(), name=f"{name} tick")]

    def cancel(self) -> None:
        """Stops feeding without waiting for the tasks to finish."""
        for task in self._tasks:
            task.cancel()
        self._cache.invalidate("stopped")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._cache.invalidate("stopped")

    async def request_progress(self) -> None:
        watch = self._watch
        if watch is not None:
            with contextlib.suppress(storage_errors.StorageError):
                await watch.request_progress()

    async def _run(self) -> None:
        cache = self._cache
        prefix = cache.resource.prefix().encode()
        end = prefix_end(prefix)
        while True:
            try:
                entries, revision = await self._list(prefix, end)
                cache.replace(entries, revision)
                self._watch = self._storage.watch(prefix, end, start_revision=revision + 1,
                                                  progress_notify=True)
                try:
                    async for batch in self._watch:
                        if batch.is_progress:
                            cache.progress(batch.revision)
                        else:
                            cache.apply(batch)
                finally:
                    watch, self._watch = self._watch, None
                    await watch.aclose()
                log.info("watch cache %s: storage watch ended; re-listing", cache.resource.plural)
            except storage_errors.CompactedError as exc:
                log.info("watch cache %s: storage watch compacted (%s); re-listing", cache.resource.plural, exc)
            except storage_errors.StoreClosedError:
                cache.invalidate("stopped")
                return
            except storage_errors.StorageError as exc:
                log.warning("watch cache %s: %s; re-listing", cache.resource.plural, exc)
            except Exception:  # an object it cannot take (e.g. garbage another client stored)
                log.exception("watch cache %s failed; re-listing", cache.resource.plural)
            cache.invalidate("resync")
            await asyncio.sleep(self._options.resync_delay)

    async def _list(self, prefix: bytes, end: bytes) -> tuple[list[Entry], int]:
        """Every object under ``prefix`` at one revision, read and decoded a page at a time so
        a large resource does not hold the event loop for the whole list."""
        entries: list[Entry] = []
        key, revision = prefix, None
        while True:
            page = await self._storage.range(key, end, revision=revision, limit=LIST_PAGE)
            revision = page.revision
            entries.extend(map(self._cache.entry, page.kvs))
            if not page.more:
                return entries, revision
            key = page.kvs[-1].key + b"\x00"

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._options.bookmark_tick)
            self._cache.tick()
