"""The informers' compact objects: an object's JSON bytes as the server sent them, plus a typed
view of the fields components read in bulk, decoded once with msgspec.

An :class:`Object` holds

* ``raw``: the object's JSON, exactly as it came off the wire (nothing is lost), or in a
  :class:`~myriad.client.packing.Packed` object that JSON compressed;
* ``view``: a :mod:`myriad.client.views` Struct of the few fields read on every event (name,
  namespace, labels, owners; a pod's node name, phase and container requests...), decoded
  with msgspec in one pass that skips every other field, repeated strings interned.

Reading a view field costs an attribute access. Everything else is reached through the
read-only Mapping protocol (``obj["spec"]``, ``obj.get("status")``), which decodes the whole
object with orjson on first use and keeps it in a bounded, process-wide FIFO
(:func:`set_decoded_budget`), so a burst of handlers reading the same new object decodes it
once and the cache never holds more than the budget of decoded objects. :meth:`Object.decode`
returns a fresh dict the caller owns (``copy.deepcopy`` does the same).

Contract: an Object is immutable; so are the dicts and lists reached through it (they may be
shared with other readers). ``orjson.dumps(obj, default=to_json)`` encodes one (the client's
request bodies do).

Concurrency: loop only (the FIFO is not locked).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import msgspec
import orjson

from myriad.client.errors import ViewOnly
from myriad.client.trim import without_managed_fields
from myriad.client.types import WatchEvent
from myriad.client.views import NO_JSON, View

#: JSON bytes of whole-decoded objects kept decoded, process-wide.
DEFAULT_DECODED_BUDGET = 2 << 20


class Object(msgspec.Struct, gc=False):
    raw: bytes
    view: View
    _decoded: dict[str, Any] | None = None

    # -- the view ------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.view.metadata.name

    @property
    def namespace(self) -> str:
        return self.view.metadata.namespace

    @property
    def uid(self) -> str:
        return self.view.metadata.uid

    @property
    def resource_version(self) -> str:
        return self.view.metadata.resource_version

    @property
    def labels(self) -> Mapping[str, str]:
        return self.view.metadata.labels or _EMPTY

    @property
    def annotations(self) -> Mapping[str, str]:
        """``metadata.annotations``, decoded on each call from the view's slice of the JSON."""
        raw = self.view.metadata.annotations_json
        return _ANNOTATIONS.decode(raw) or _EMPTY if raw else _EMPTY

    @property
    def key(self) -> str:
        """``namespace/name``, or ``name`` for a cluster-scoped object."""
        meta = self.view.metadata
        return f"{meta.namespace}/{meta.name}" if meta.namespace else meta.name

    # -- the whole object ----------------------------------------------------------------------

    def whole(self) -> dict[str, Any]:
        """The whole object, decoded once and shared: read it, never change it. Raises
        :class:`~myriad.client.errors.ViewOnly` for an object kept as its view alone."""
        decoded = self._decoded
        if decoded is None:
            raw = self._json()
            decoded = self._decoded = orjson.loads(raw)
            _DECODED.kept(self, len(raw))
        return decoded

    def decode(self) -> dict[str, Any]:
        """A fresh decoded copy the caller owns."""
        return orjson.loads(self._json())

    def view_only(self) -> Object:
        """This object without its JSON (nor the annotations' slice of it): what an informer
        keeps of objects its ``keep_whole`` leaves out."""
        return Object(b"", detached(self.view, annotations=False))

    def _json(self) -> bytes:
        """The object's JSON (a :class:`~myriad.client.packing.Packed` object decompresses it)."""
        if not self.raw:
            raise ViewOnly(f"{self.key} is kept as its view alone: its informer keeps whole objects "
                           f"only where its keep_whole says so")
        return self.raw

    def __getitem__(self, key: str) -> Any:
        return self.whole()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.whole().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.whole()

    def __iter__(self) -> Iterator[str]:
        return iter(self.whole())

    def __len__(self) -> int:
        return len(self.whole())

    def keys(self) -> Any:
        return self.whole().keys()

    def items(self) -> Any:
        return self.whole().items()

    def values(self) -> Any:
        return self.whole().values()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Object):  # by their JSON; two views alone by their views
            if self.raw and other.raw:
                return other.raw == self.raw if type(other) is type(self) is Object else other._json() == self._json()
            return not self.raw and not other.raw and other.view == self.view
        return isinstance(other, Mapping) and self.whole() == other

    __hash__ = None  # type: ignore[assignment]  # like the dicts it stands for

    def __copy__(self) -> dict[str, Any]:
        return dict(self.whole())

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return self.decode()

    def __repr__(self) -> str:
        return f"Object({self.key!r}, resourceVersion={self.resource_version!r}, {len(self.raw)} bytes)"


Mapping.register(Object)

_EMPTY: Mapping[str, str] = {}


def detached(view: View, *, annotations: bool = True) -> View:
    """``view`` holding no slice of the JSON it was decoded from, which the slice would keep
    whole in memory: its annotations' slice copied, or dropped without ``annotations``."""
    kept = view.metadata.annotations_json
    if not kept:
        return view
    kept = kept.copy() if annotations else NO_JSON
    return msgspec.structs.replace(view, metadata=msgspec.structs.replace(view.metadata, annotations_json=kept))


_ANNOTATIONS = msgspec.json.Decoder(dict[str, str] | None)


def to_json(value: Any) -> Any:
    """orjson's ``default``: an :class:`Object` encodes as the object it holds."""
    if isinstance(value, Object):
        return value.whole()
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


class _DecodedFifo:
    """Which Objects hold their whole decoded form: the most recently decoded, up to a budget
    counted in bytes of their JSON; the oldest are dropped first."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self._order: deque[tuple[Object, int]] = deque()

    def kept(self, obj: Object, size: int) -> None:
        self._order.append((obj, size))
        self.held += size
        while self.held > self.budget and self._order:
            oldest, size = self._order.popleft()
            self.held -= size
            oldest._decoded = None

    def clear(self) -> None:
        while self._order:
            self._order.popleft()[0]._decoded = None
        self.held = 0


_DECODED = _DecodedFifo(DEFAULT_DECODED_BUDGET)


def set_decoded_budget(budget: int) -> None:
    """How many JSON bytes' worth of Objects may keep their whole decoded form (0: none)."""
    _DECODED.budget = budget
    _DECODED.clear()


def decoded_bytes() -> int:
    """JSON bytes of the Objects holding their decoded form now."""
    return _DECODED.held


class _ListMeta(msgspec.Struct):
    resourceVersion: str = ""  # noqa: N815 (the JSON name)
    continue_: str | None = msgspec.field(default=None, name="continue")


class _Page(msgspec.Struct):
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)
    items: list[msgspec.Raw] | None = None


class _Event(msgspec.Struct):
    type: str
    object: msgspec.Raw


class Page(msgspec.Struct, frozen=True):
    """One page of a list: its items as Objects, the list's resourceVersion and ``continue``."""

    items: list[Object]
    resource_version: str
    continue_: str | None


_OBJECT_EVENTS = frozenset((b"ADDED", b"MODIFIED", b"DELETED"))


def _kept(raw: Any) -> Any:
    return raw


class ObjectCodec:
    """Makes Objects with one view type from list bodies and watch lines; raises
    :class:`msgspec.DecodeError` for JSON that is malformed or does not fit the view."""

    _pages = msgspec.json.Decoder(_Page)
    _events = msgspec.json.Decoder(_Event)

    def __init__(self, view: type[View], *, trim_managed_fields: bool = False) -> None:
        """``trim_managed_fields``: objects are kept without ``metadata.managedFields``
        (:mod:`myriad.client.trim`)."""
        self._decoder = msgspec.json.Decoder(view)
        self._trim = without_managed_fields if trim_managed_fields else _kept

    def object(self, raw: bytes) -> Object:
        raw = self._trim(raw)
        return Object(raw, self._decoder.decode(raw))

    def from_dict(self, decoded: Mapping[str, Any]) -> Object:
        """The Object of a decoded object (encoded again: for tests and objects made locally)."""
        return self.object(orjson.dumps(decoded, default=to_json))

    def page(self, body: bytes, *, pack: Callable[[msgspec.Raw, View], Object] | None = None) -> Page:
        """A list body's items as Objects, each with a copy of its JSON; ``pack``, if given,
        makes each Object from its slice of the body and its view instead (see
        :meth:`myriad.client.packing.Packer.pack_json`)."""
        page = self._pages.decode(body)
        decode, trim = self._decoder.decode, self._trim
        if pack is None:
            items = [Object(raw, decode(raw)) for raw in (bytes(trim(item)) for item in page.items or ())]
        else:
            items = [pack(raw, decode(raw)) for raw in map(trim, page.items or ())]
        return Page(items, page.metadata.resourceVersion, page.metadata.continue_)

    def event(self, line: bytes) -> WatchEvent:
        """A watch line: ADDED, MODIFIED and DELETED carry an Object; BOOKMARK and ERROR the
        decoded dict. A line laid out as API servers write it (``{"type":"…","object":{…}}``)
        is sliced rather than parsed twice."""
        if line.startswith(b'{"type":"'):
            end = line.find(b'"', 9)
            kind = line[9:end]
            if kind in _OBJECT_EVENTS and line.startswith(b'","object":', end) and line.endswith(b"}"):
                raw = self._trim(line[end + 11:-1])
                try:
                    return WatchEvent(kind.decode(), Object(raw, self._decoder.decode(raw)))  # type: ignore[arg-type]
                except msgspec.DecodeError:
                    pass  # laid out otherwise after all: parse it properly below
        event = self._events.decode(line)
        raw = bytes(event.object)
        if event.type in ("ADDED", "MODIFIED", "DELETED"):
            raw = self._trim(raw)
            return WatchEvent(event.type, Object(raw, self._decoder.decode(raw)))  # type: ignore[arg-type]
        return WatchEvent(event.type, orjson.loads(raw))  # type: ignore[arg-type]
