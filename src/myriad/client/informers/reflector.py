"""The reflector: keeps a sink in step with the API server by listing once and then watching.

1. List with ``resourceVersion=0`` (served from the API server's watch cache), ``page_size``
   items a page, following ``continue`` tokens; the sink's contents are replaced by the result.
   With ``watch_list`` the list is replaced by a watch with ``sendInitialEvents=true``: the
   initial ADDED events are gathered and replace the contents when the bookmark marked
   ``k8s.io/initial-events-end`` arrives, and the same watch goes on as step 2's (as
   client-go's reflector keeps its watch-list stream): however long the initial events and the
   sink's replace took, no event falls between them, and the watch has no resourceVersion that
   could have left the server's window meanwhile (a list's must still be current when its watch
   starts, after the replace).
2. Watch from the list's resourceVersion with ``allowWatchBookmarks``, for a random timeout in
   [``min_watch_timeout``, 2 × that), so a fleet of reflectors does not reconnect in step.
3. When the watch ends (timeout, rebalancing, a lost connection), watch again from the last
   resourceVersion seen: that of the last event or bookmark. No re-list.
4. Re-list only when the server answers 410 Gone (the resourceVersion left its window).

Objects arrive as compact :class:`~myriad.client.objects.Object` values (their JSON plus the
resource's view, see :mod:`myriad.client.views`), decoded straight from the list pages and
watch lines.

Other failures (the servers unreachable, 429s beyond the client's retries) back off
exponentially, up to ``max_backoff``, and retry the step that failed; so does a watch that
ended within a second having delivered nothing, so that a server accepting and dropping
watches is not hammered. :attr:`Reflector.stats`
counts lists, watches and 410s so tests and benchmarks can see what a run cost.

Concurrency: one task runs :meth:`Reflector.run`; the sink is called from it, between awaits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from myriad.client.errors import ClientError, Gone
from myriad.client.objects import Object, ObjectCodec
from myriad.client.packing import Packer
from myriad.client.rest import JSON_BYTES, METADATA, METADATA_LIST, Client
from myriad.client.types import Resource, WatchEvent
from myriad.client.views import View, view_for

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


class ReflectorSink(Protocol):
    def replace(self, objects: list[Object], resource_version: str) -> None: ...

    def apply(self, event: WatchEvent) -> None: ...


@dataclass(frozen=True, kw_only=True)
class ReflectorOptions:
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    page_size: int = 500
    #: Seconds; each watch asks for a timeout in [this, 2 × this).
    min_watch_timeout: float = 300.0
    #: Use a streaming watch-list (``sendInitialEvents``) instead of a list.
    watch_list: bool = False
    base_backoff: float = 0.1
    max_backoff: float = 30.0
    #: The view decoded for each object (:func:`myriad.client.views.view_for` the resource's by default).
    view: type[View] | None = None
    #: Ask for PartialObjectMetadata: objects hold only ``kind``, ``apiVersion`` and ``metadata``.
    metadata_only: bool = False
    #: Keep objects without ``metadata.managedFields`` (:mod:`myriad.client.trim`).
    trim_managed_fields: bool = False


@dataclass
class ReflectorStats:
    lists: int = 0
    watches: int = 0
    gone: int = 0
    events: int = 0
    bookmarks: int = 0
    errors: int = 0
    last_error: str = ""


@dataclass
class Reflector:
    client: Client
    resource: Resource
    sink: ReflectorSink
    options: ReflectorOptions = field(default_factory=ReflectorOptions)
    stats: ReflectorStats = field(default_factory=ReflectorStats)
    #: The last resourceVersion seen; "" until the first list completes.
    resource_version: str = ""
    #: An informer that compresses its cache gives its packer: a list's objects are then packed
    #: straight from the list's body, so that a long list never holds them all uncompressed.
    packer: Packer | None = None

    def __post_init__(self) -> None:
        options = self.options
        view = options.view or (View if options.metadata_only else view_for(self.resource.api_version,
                                                                              self.resource.plural))
        self.codec = ObjectCodec(view, trim_managed_fields=options.trim_managed_fields)
        self._accept, self._accept_list = (METADATA, METADATA_LIST) if options.metadata_only else (JSON_BYTES,) * 2

    async def run(self) -> None:
        """Lists and watches until cancelled."""
        failures = 0
        clock = self.client.options.clock
        while True:
            try:
                if not self.resource_version and not self.options.watch_list:
                    await self._list()
                started, progress = clock.monotonic(), self._progress()
                await self._watch()  # a watch-list while there is no resourceVersion
                if clock.monotonic() - started >= 1.0 or self._progress() > progress:
                    failures = 0
                    continue
                failures += 1
                await clock.sleep(self._backoff(failures))
            except Gone:
                self.stats.gone += 1
                self.resource_version = ""  # re-list
            except ClientError as exc:
                self.stats.errors += 1
                self.stats.last_error = str(exc)
                failures += 1
                await clock.sleep(self._backoff(failures))

    async def _list(self) -> None:
        options = self.options
        items: list[Object] = []
        version = ""
        token = None
        while True:
            body = await self.client.list_body(self.resource, namespace=options.namespace,
                                               label_selector=options.label_selector,
                                               field_selector=options.field_selector, limit=options.page_size,
                                               continue_=token, resource_version=None if token else "0",
                                               accept=self._accept_list)
            try:
                page = self.codec.page(body, pack=None if self.packer is None else self.packer.pack_json)
            except msgspec.DecodeError as exc:
                raise ClientError(f"malformed list of {self.resource.plural}: {exc}") from exc
            items.extend(page.items)
            version = version or page.resource_version
            token = page.continue_
            if not token:
                break
        self.stats.lists += 1
        self.sink.replace(items, version)
        self.resource_version = version

    async def _watch(self) -> None:
        """Watches from :attr:`resource_version`; without one, a watch-list whose initial events
        replace the sink's contents, and which then goes on as any watch."""
        options = self.options
        initial: list[Object] | None = None if self.resource_version else []
        self.stats.watches += 1
        async with self.client.watch(self.resource, namespace=options.namespace,
                                     resource_version=self.resource_version or None, allow_bookmarks=True,
                                     send_initial_events=initial is not None or None,
                                     label_selector=options.label_selector, field_selector=options.field_selector,
                                     timeout_seconds=self._timeout(), decode=self.codec.event,
                                     accept=self._accept) as watch:
            async for event in watch:
                if initial is not None:
                    if event.type == "ADDED":
                        initial.append(event.object if self.packer is None else self.packer.pack(event.object))
                    elif event.type == "BOOKMARK" and _ends_initial_events(event):
                        self.stats.lists += 1
                        self.sink.replace(initial, event.resource_version)
                        self.resource_version = event.resource_version
                        initial = None
                    continue
                if event.type == "BOOKMARK":
                    self.stats.bookmarks += 1
                else:
                    self.stats.events += 1
                    self.sink.apply(event)
                if event.resource_version:
                    self.resource_version = event.resource_version
        if initial is not None:
            raise ClientError("the watch-list ended before its initial events did")

    def _progress(self) -> int:
        """Grows whenever a watch delivers something (a watch-list's initial events included)."""
        stats = self.stats
        return stats.lists + stats.events + stats.bookmarks

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.options.max_backoff, self.options.base_backoff * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _timeout(self) -> int:
        minimum = self.options.min_watch_timeout
        return max(1, int(random.uniform(minimum, 2 * minimum)))


def _ends_initial_events(event: WatchEvent) -> bool:
    annotations = event.object.get("metadata", {}).get("annotations") or {}
    return annotations.get(INITIAL_EVENTS_END) == "true"
