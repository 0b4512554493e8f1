"""Contracts between the generic REST store and what plugs into it.

A :class:`Strategy` holds everything resource-specific: defaults, validation, what the main
endpoint and ``/status`` may change, graceful deletion, selectable fields. Objects are plain
dicts decoded from JSON; strategies mutate them in place and return field causes, never raise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import orjson

from myriad.api.errors import Cause
from myriad.api.registry import ResourceType
from myriad.api.selectors import FieldSelector, LabelSelector

Obj = dict[str, object]


class Strategy(Protocol):
    #: metadata.generation starts at 1 and moves on spec changes.
    tracks_generation: bool
    #: An update (PUT) of a missing object creates it.
    allow_create_on_update: bool
    #: An update without metadata.resourceVersion applies to whatever is stored.
    allow_unconditional_update: bool

    def prepare_for_create(self, obj: Obj) -> None:
        """Sets what the server owns on a new object (status, generated fields); runs after
        :meth:`default`."""

    def default(self, obj: Obj) -> None:
        """Fills upstream's defaults; runs first on create (upstream defaults while decoding) and
        on every update."""

    def validate(self, obj: Obj) -> list[Cause]: ...

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        """Makes ``new`` keep what the endpoint may not change (status on the main endpoint,
        everything but status on ``/status``)."""

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]: ...

    async def reserve(self, new: Obj, old: Obj | None) -> list[Cause]:
        """Claims what ``new`` needs beyond ``old`` (cluster IPs, node ports) before it is stored."""

    async def release(self, obj: Obj, kept: Obj | None) -> None:
        """Frees what ``obj`` holds and ``kept`` does not."""

    return_deleted_object: bool

    def graceful_period(self, obj: Obj, requested: int | None) -> int:
        """Seconds the object lingers with a deletionTimestamp before it goes; 0 deletes now."""

    def deletion_forbidden(self, name: str) -> str | None:
        """Why the object ``name`` may never be deleted (answered with 403), or None."""

    def holds_deletion(self, obj: Obj) -> bool:
        """True while something besides metadata.finalizers keeps a deleted object stored."""

    def mark_deleting(self, obj: Obj) -> None: ...

    def spec_changed(self, new: Obj, old: Obj) -> bool: ...

    def field(self, obj: Obj, name: str) -> str | None:
        """The value of selectable field ``name`` (``metadata.name``, ``spec.nodeName``…)."""

    def selectable_fields(self) -> frozenset[str]: ...

    def field_label_error(self, name: str) -> str:
        """The 400 message for a field selector on a field this resource does not offer."""


@dataclass(frozen=True, slots=True)
class ListOptions:
    namespace: str = ""
    labels: LabelSelector = LabelSelector()
    fields: FieldSelector = FieldSelector()
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""


@dataclass(frozen=True, slots=True)
class ListResult:
    #: Each item's JSON bytes, with its resourceVersion set (and kind/apiVersion as stored).
    items: list[bytes]
    resource_version: int
    continue_token: str = ""
    remaining: int | None = None

    def objects(self) -> list[Obj]:
        return [orjson.loads(item) for item in self.items]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """``type`` is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."""

    type: str
    object: Obj
    resource_version: int


class ReadPath(Protocol):
    """Lists and watches. This issue reads storage directly; the watch cache replaces it."""

    async def list(self, resource: ResourceType, options: ListOptions) -> ListResult: ...

    def watch(self, resource: ResourceType, options: ListOptions, *, send_initial: bool,
              bookmarks: bool) -> AsyncIterator[WatchEvent]: ...
