"""A shared informer: one reflector, one indexed cache, any number of handlers.

Handlers are plain callables run on the event loop as each change lands, in order; they must
not block (enqueue a key and return). ``on_add(obj)``, ``on_update(old, new)``,
``on_delete(obj)``. A handler added after the cache has synced first receives an add for every
cached object, as client-go's do.

After a re-list the informer diffs the new contents against the cache: objects that vanished
get ``on_delete`` (their last known state), new ones ``on_add``, and ones whose resourceVersion
changed ``on_update``. A periodic resync (off by default) calls ``on_update(obj, obj)`` for every
cached object; a controller tells it from a real update by the unchanged resourceVersion.

Concurrency: loop only. The reflector task is the only writer of the cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from myriad.client.informers.reflector import Reflector, ReflectorOptions
from myriad.client.informers.store import BUILTIN_INDEXERS, Indexer, IndexFunc, Obj
from myriad.client.packing import Packer
from myriad.client.rest import Client
from myriad.client.tasks import cancel_and_wait
from myriad.client.types import Resource, WatchEvent


@dataclass(frozen=True, kw_only=True)
class Handler:
    on_add: Callable[[Obj], Any] | None = None
    on_update: Callable[[Obj, Obj], Any] | None = None
    on_delete: Callable[[Obj], Any] | None = None


class SharedInformer:
    def __init__(self, client: Client, resource: Resource, *, options: ReflectorOptions | None = None,
                 indexers: dict[str, IndexFunc] | None = None, resync_period: float = 0.0,
                 keep_whole: Callable[[Obj], bool] | None = None, compress: bool = False) -> None:
        """``keep_whole``, if given, says which objects the cache keeps whole; the others it
        keeps as their views alone (:meth:`~myriad.client.objects.Object.view_only`).
        ``compress``: the cache keeps whole objects compressed (:mod:`myriad.client.packing`),
        a list's objects packed straight from its pages. Handlers get each object a
        watch brings whole and uncompressed; the adds of a list may be compressed, and an
        ``old`` object, a resync's or a late handler's adds may be views alone or compressed."""
        self.resource = resource
        self._keep_whole = keep_whole
        self._packer = Packer() if compress else None
        self._transform = keep_whole is not None or compress
        self.indexer = Indexer(BUILTIN_INDEXERS if indexers is None else indexers)
        self.reflector = Reflector(client, resource, self, options or ReflectorOptions(),
                                   packer=self._packer)
        self._clock = client.options.clock
        self._handlers: list[Handler] = []
        self._synced = asyncio.Event()
        self._resync_period = resync_period
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the reflector (and the resync timer) on the running loop; idempotent."""
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self.reflector.run(), name=f"myriad-reflector-{self.resource.plural}"))
        if self._resync_period > 0:
            self._tasks.append(loop.create_task(self._resync_loop(), name=f"myriad-resync-{self.resource.plural}"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(tasks)

    def has_synced(self) -> bool:
        """True once the first list (or watch-list) has filled the cache."""
        return self._synced.is_set()

    async def wait_for_sync(self) -> None:
        await self._synced.wait()

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)
        if handler.on_add is not None and self.has_synced():
            for obj in self.indexer.list():
                handler.on_add(obj)

    # -- the reflector's sink ------------------------------------------------------------------

    def replace(self, objects: list[Obj], resource_version: str) -> None:
        old = self.indexer.snapshot()
        self.indexer.replace(map(self._kept, objects) if self._transform else objects)
        for obj in objects:
            previous = old.pop(obj.key, None)
            if previous is None:
                self._notify_add(obj)
            elif previous.resource_version != obj.resource_version:
                self._notify_update(previous, obj)
        for gone in old.values():
            self._notify_delete(gone)
        self._synced.set()

    def apply(self, event: WatchEvent) -> None:
        obj = event.object
        if event.type == "DELETED":
            self.indexer.remove(obj.key)
            self._notify_delete(obj)  # the event carries the object's final state
            return
        previous = self.indexer.put(self._kept(obj) if self._transform else obj)
        if previous is None:
            self._notify_add(obj)
        else:
            self._notify_update(previous, obj)

    def _kept(self, obj: Obj) -> Obj:
        """What the cache holds of ``obj``."""
        if self._keep_whole is not None and not self._keep_whole(obj):
            return obj.view_only()
        return obj if self._packer is None else self._packer.pack(obj)

    # -- handlers ------------------------------------------------------------------------------

    def _notify_add(self, obj: Obj) -> None:
        for handler in self._handlers:
            if handler.on_add is not None:
                handler.on_add(obj)

    def _notify_update(self, old: Obj, new: Obj) -> None:
        for handler in self._handlers:
            if handler.on_update is not None:
                handler.on_update(old, new)

    def _notify_delete(self, obj: Obj) -> None:
        for handler in self._handlers:
            if handler.on_delete is not None:
                handler.on_delete(obj)

    async def _resync_loop(self) -> None:
        await self._synced.wait()
        while True:
            await self._clock.sleep(self._resync_period)
            for obj in self.indexer.list():
                self._notify_update(obj, obj)

