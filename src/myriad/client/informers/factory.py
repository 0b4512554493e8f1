"""The shared informer factory: one informer (one reflector, one cache) per resource and
selector, however many controllers ask for it. A metadata-only request shares a full informer
made before it; otherwise it gets an informer of its own over PartialObjectMetadata. A factory
made with ``compress`` has every informer keep its objects compressed at rest
(:mod:`myriad.client.packing`).

Concurrency: loop only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from myriad.client.informers.informer import SharedInformer
from myriad.client.informers.reflector import ReflectorOptions
from myriad.client.informers.store import IndexFunc, Obj
from myriad.client.rest import Client
from myriad.client.types import Resource


class SharedInformerFactory:
    def __init__(self, client: Client, *, resync_period: float = 0.0, page_size: int = 500,
                 watch_list: bool = False, compress: bool = False, trim_managed_fields: bool = False) -> None:
        """``trim_managed_fields``: every informer keeps objects without ``metadata.managedFields``,
        as kube-scheduler's and kube-controller-manager's informers do (:mod:`myriad.client.trim`)."""
        self._client = client
        self._trim = trim_managed_fields
        self._compress = compress
        self._resync_period = resync_period
        self._page_size = page_size
        self._watch_list = watch_list
        self._informers: dict[tuple, SharedInformer] = {}
        self._started = False

    def informer(self, resource: Resource, *, namespace: str | None = None, label_selector: str | None = None,
                 field_selector: str | None = None, indexers: dict[str, IndexFunc] | None = None,
                 metadata_only: bool = False, keep_whole: Callable[[Obj], bool] | None = None) -> SharedInformer:
        """The informer for this resource and selection, made on first request. ``indexers``
        apply only when it is made (the built-in namespace and nodeName indexes by default).
        ``metadata_only`` asks for objects' metadata alone (upstream's metadata informers),
        unless a full informer of that selection exists already: then that one is shared.
        ``keep_whole``, like ``indexers``, applies when it is made (see :class:`SharedInformer`)."""
        key: tuple = (resource, namespace, label_selector, field_selector)
        informer = self._informers.get(key)
        if informer is None and metadata_only:
            key = (*key, "metadata")
            informer = self._informers.get(key)
        if informer is None:
            options = ReflectorOptions(namespace=namespace, label_selector=label_selector,
                                       field_selector=field_selector, page_size=self._page_size,
                                       watch_list=self._watch_list, metadata_only=metadata_only,
                                       trim_managed_fields=self._trim)
            informer = SharedInformer(self._client, resource, options=options, indexers=indexers,
                                      resync_period=self._resync_period, keep_whole=keep_whole,
                                      compress=self._compress)
            self._informers[key] = informer
            if self._started:
                informer.start()
        return informer

    def informers(self) -> list[SharedInformer]:
        """Every informer made so far."""
        return list(self._informers.values())

    def start(self) -> None:
        """Starts every informer made so far, and any made later."""
        self._started = True
        for informer in self._informers.values():
            informer.start()

    async def wait_for_sync(self, timeout: float | None = None) -> bool:
        """Waits until every informer has synced; False if ``timeout`` passed first."""
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(i.wait_for_sync() for i in self._informers.values()))
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        await asyncio.gather(*(i.stop() for i in self._informers.values()))
        self._started = False
