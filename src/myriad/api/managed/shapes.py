"""How a type's fields merge and are owned: structured-merge-diff's element relationships, read
from the schemas the server already has.

A :class:`Shape` is one node of a type:

- ``scalar``: owned and merged whole (strings, numbers, int-or-string, quantities, times);
- ``struct``: declared fields, each its own path (``atomic``: owned whole, ``x-kubernetes-map-type:
  atomic``);
- ``map``: string keys, each its own path unless ``atomic``;
- ``list``: ``list_type`` ``atomic`` (owned whole), ``set`` (items by value) or ``map`` (items by
  ``keys``); built-in lists without ``x-kubernetes-list-type`` follow their strategic-merge tags
  (``merge`` with a merge key: keyed by it; ``merge`` alone: a set; otherwise atomic), as
  kube-openapi converts them;
- ``deduced``: no schema (``x-kubernetes-preserve-unknown-fields``, a CRD without one, raw
  extensions): maps granular all the way down, lists atomic.

Shapes are built lazily (schemas are recursive) and cached per schema dict, which live as long
as the process (:func:`myriad.api.schemas.definitions`, a CRD's cached structural schema).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from myriad.api import schemas

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
#: Defaults of key fields the bundled schemas do not carry (upstream's ``+default`` markers),
#: by definition: a port without a protocol is the same item as one with ``TCP``.
_KEY_DEFAULTS = {
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "TCP"},
    "io.k8s.api.core.v1.ServicePort": {"protocol": "TCP"},
}
_SCALARS = {"string", "integer", "number", "boolean"}


class Shape:
    __slots__ = ("kind", "atomic", "list_type", "keys", "key_defaults", "whole", "_schema", "_fields", "_element",
                 "_unknown")

    def __init__(self, kind: str, *, atomic: bool = False, list_type: str = "", keys: tuple[str, ...] = (),
                 key_defaults: Mapping[str, Any] | None = None, schema: Mapping[str, Any] | None = None) -> None:
        self.kind = kind
        self.atomic = atomic
        self.list_type = list_type
        self.keys = keys
        self.key_defaults = key_defaults or {}
        self._schema = schema
        self._fields: dict[str, Shape] = {}
        self._element: Shape | None = None
        #: Fields a struct does not declare: deduced if it preserves unknown fields, else None.
        self._unknown: Shape | None = None
        #: Owned and compared as one value: a scalar, or anything atomic.
        self.whole = kind == "scalar" or atomic or (kind == "list" and list_type == "atomic")

    def field(self, name: str) -> Shape | None:
        """A struct's field (None if undeclared), a map's or deduced node's value."""
        if self.kind in ("map", "deduced"):
            return self.element()
        found = self._fields.get(name)
        if found is None and self._schema is not None:
            props = self._schema.get("properties") or {}
            if name in props:
                found = self._fields[name] = compile_schema(props[name])
            elif name == "metadata" and self._schema.get("x-kubernetes-embedded-resource"):
                found = self._fields[name] = built_in(OBJECT_META)
            else:
                return self._unknown
        return found

    def element(self) -> Shape:
        """A list's item, a map's value."""
        if self._element is None:
            if self.kind == "deduced" or self._schema is None:
                self._element = DEDUCED
            else:
                inner = self._schema.get("items") if self.kind == "list" else self._schema.get("additionalProperties")
                self._element = compile_schema(inner) if isinstance(inner, dict) else DEDUCED
        return self._element

    def __repr__(self) -> str:
        extra = f" {self.list_type}{list(self.keys) if self.keys else ''}" if self.kind == "list" else ""
        return f"<Shape {self.kind}{' atomic' if self.atomic else ''}{extra}>"


#: The shape of anything without a schema.
DEDUCED = Shape("deduced")
SCALAR = Shape("scalar")
DEDUCED._element = DEDUCED
_CACHE: dict[int, Shape] = {}


def compile_schema(schema: Mapping[str, Any]) -> Shape:
    """The shape of a JSON/OpenAPI schema (built-in definitions' ``$ref`` followed)."""
    found = _CACHE.get(id(schema))
    if found is None:
        found = _CACHE[id(schema)] = _compile(schema)
    return found


def built_in(definition: str) -> Shape:
    return compile_schema(schemas.definitions()[definition])


def for_kind(api_version: str, kind: str) -> Shape:
    """A built-in kind's shape; deduced for a kind the bundled schemas do not have."""
    name = schemas.kinds().get((api_version, kind))
    return built_in(name) if name else DEDUCED


def for_custom(schema: Mapping[str, Any] | None) -> Shape:
    """A custom resource's shape from its version's ``openAPIV3Schema`` (deduced without one),
    with ``metadata`` as ObjectMeta."""
    if not schema:
        return DEDUCED
    shape = compile_schema(schema)
    if shape.kind == "struct":
        shape._fields.setdefault("metadata", built_in(OBJECT_META))
    return shape


def _compile(schema: Mapping[str, Any]) -> Shape:
    resolved = schemas.resolve(dict(schema)) if ("$ref" in schema or "allOf" in schema) else schema
    types = resolved.get("type")
    types = {types} if isinstance(types, str) else set(types or ())
    types.discard("null")
    if resolved.get("x-kubernetes-int-or-string") or "oneOf" in resolved or "anyOf" in resolved:
        return SCALAR
    if types and types <= _SCALARS:
        return SCALAR
    if "array" in types or "items" in resolved:
        list_type, keys = _list_relationship(schema, resolved)
        items = resolved.get("items")
        defaults: dict[str, Any] = {}
        if keys and isinstance(items, dict):
            item, item_ref = schemas._resolve(dict(items)) if "$ref" in items or "allOf" in items else (items, "")
            defaults = dict(_KEY_DEFAULTS.get(schemas.ref_name(item_ref), {})) if item_ref else {}
            for key in keys:
                prop = (item.get("properties") or {}).get(key) or {}
                if "default" in prop:
                    defaults[key] = prop["default"]
        return Shape("list", list_type=list_type, keys=keys, key_defaults=defaults, schema=resolved)
    atomic = resolved.get("x-kubernetes-map-type") == "atomic"
    if resolved.get("properties"):
        shape = Shape("struct", atomic=atomic, schema=resolved)
        if resolved.get("x-kubernetes-preserve-unknown-fields"):
            shape._unknown = DEDUCED
        return shape
    if isinstance(resolved.get("additionalProperties"), dict):
        return Shape("map", atomic=atomic, schema=resolved)
    return Shape("scalar") if atomic else DEDUCED


def _list_relationship(schema: Mapping[str, Any], resolved: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(list type, keys); the extensions may sit on the property beside its ``$ref``."""
    def ext(name: str) -> Any:
        return schema.get(name, resolved.get(name))
    list_type = ext("x-kubernetes-list-type")
    if list_type == "map":
        return "map", tuple(ext("x-kubernetes-list-map-keys") or ())
    if list_type in ("set", "atomic"):
        return list_type, ()
    strategy = str(ext("x-kubernetes-patch-strategy") or "").split(",")
    if "merge" in strategy:
        key = ext("x-kubernetes-patch-merge-key")
        return ("map", (key,)) if key else ("set", ())
    return "atomic", ()
