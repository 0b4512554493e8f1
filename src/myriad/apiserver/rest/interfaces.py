"""Contracts between the generic REST store and what plugs into it.

A :class:`Strategy` holds everything resource-specific: defaults, validation, what the main
endpoint and ``/status`` may change, graceful deletion, selectable fields. Objects are plain
dicts decoded from JSON; strategies mutate them in place and return field causes, never raise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from myriad.api import gojson
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

    def admit(self, obj: Obj, old: Obj | None) -> None:
        """Upstream's built-in mutating admission that needs nothing but the object (a pod's
        service account and default tolerations); runs after :meth:`default` and after the
        write's managedFields are worked out, on creates and main-resource updates (``old``
        None on create), so what it sets belongs to no manager, as upstream's admission runs
        after the field manager."""

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

    def field_paths(self, name: str) -> tuple[str, ...]:
        """The dotted paths of the stored object that :meth:`field` reads for ``name``."""

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


class ListResult:
    """A list's items and its revision. Items are each object's JSON bytes with its
    resourceVersion set (and kind/apiVersion as stored). A watch cache may give them as ``head``
    (``{"kind":"…","apiVersion":"…",``, shared) and ``list_items``: each object as a built-in
    list's later items go out, ``,{`` + its JSON after the head. A large list then goes out
    without an item being copied; ``items`` is made on first use."""

    __slots__ = ("_items", "resource_version", "continue_token", "remaining", "head", "list_items")

    def __init__(self, items: list[bytes] | None, resource_version: int, continue_token: str = "",
                 remaining: int | None = None, *, head: bytes = b"", list_items: list[bytes] | None = None) -> None:
        assert items is not None or list_items is not None
        self._items = items
        self.resource_version = resource_version
        self.continue_token = continue_token
        self.remaining = remaining
        self.head = head
        self.list_items = list_items

    @property
    def items(self) -> list[bytes]:
        if self._items is None:
            head = self.head
            self._items = [b"".join((head, memoryview(item)[2:])) for item in self.list_items or ()]
        return self._items

    def objects(self) -> list[Obj]:
        return [gojson.loads(item) for item in self.items]


class WatchEvent:
    """``type`` is ADDED, MODIFIED, DELETED, BOOKMARK or ERROR. Made from the decoded object or
    from its JSON bytes (``raw``, or ``parts`` that join to them); either form is made from the
    other on first use. One event may go to many watchers, so what is encoded from it is kept in
    ``encoded`` (keyed by the form) and every watcher that wants the same form shares the bytes.

    A stream writes :meth:`line_parts`, which share the object's bytes: a thousand watchers of a
    1 MB object hold a thousand references to it, not a thousand copies."""

    __slots__ = ("type", "resource_version", "_object", "_raw", "_parts", "_size", "encoded")

    def __init__(self, type: str, object: Obj | None = None, resource_version: int = 0, *,  # noqa: A002
                 raw: bytes | None = None, parts: tuple[bytes | memoryview, ...] | None = None) -> None:
        assert object is not None or raw is not None or parts is not None
        self.type = type
        self.resource_version = resource_version
        self._object = object
        self._raw = raw
        self._parts = parts
        self._size = -1
        self.encoded: dict[object, bytes] = {}

    @property
    def object(self) -> Obj:
        if self._object is None:
            self._object = gojson.loads(self.raw)
        return self._object

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = b"".join(self._parts) if self._parts is not None else gojson.dumps(self._object)
        return self._raw

    @property
    def size(self) -> int:
        """Bytes of the object's JSON (counted once: every watcher it is queued for asks)."""
        if self._size < 0:
            self._size = sum(map(len, self._parts)) if self._raw is None and self._parts is not None else len(self.raw)
        return self._size

    def line_parts(self) -> tuple[bytes | memoryview, ...]:
        """The event as one line of a JSON watch stream: one bytes object, made once and shared,
        when the object is small; parts that share the object's bytes when it is large."""
        line = self.encoded.get("json")
        if line is not None:
            return (line,)
        start = _LINE_STARTS.get(self.type) or b'{"type":"%s","object":' % self.type.encode()
        if self._raw is None and self._parts is not None:
            parts: tuple[bytes | memoryview, ...] = (start, *self._parts, b"}\n")
        else:
            parts = (start, self.raw, b"}\n")
        if self.size < SHARE_ABOVE:
            line = self.encoded["json"] = b"".join(parts)
            return (line,)
        return parts


#: Objects of at least this many bytes go to a watch stream as parts that share their bytes.
SHARE_ABOVE = 16 * 1024
_LINE_STARTS = {kind: b'{"type":"%s","object":' % kind.encode()
                for kind in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")}


class ReadPath(Protocol):
    """Lists and watches: from storage (:mod:`.readpath`) or the watch cache (:mod:`myriad.apiserver.cache`)."""

    async def list(self, resource: ResourceType, options: ListOptions) -> ListResult: ...

    async def watch(self, resource: ResourceType, options: ListOptions, *, send_initial: bool,
                    bookmarks: bool, timeout: float | None = None) -> AsyncIterator[WatchEvent]:
        """Opens a watch; errors found before it starts raise (a Status answer), later ones are
        ERROR events. ``timeout``: seconds until the server ends it (a bookmark goes out just
        before)."""
