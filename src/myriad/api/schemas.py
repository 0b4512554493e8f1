"""The built-in types' schemas, from the JSON schemas bundled in ``kubernetes-validate``
(Kubernetes 1.37, strict variant): definitions by name, kinds by (apiVersion, kind), and the
walk that decodes a body as Go's typed decoder would: it finds and drops fields a schema does not
declare (what Go's decoder drops, and what ``fieldValidation=Strict`` refuses) and raises
:class:`FieldTypeError` for a value of the wrong JSON type (a string where an int32 belongs), an
integer out of its format's range, a time that is not RFC 3339 or bytes that are not base64: Go
fails to decode those, so upstream answers 400 and stores nothing.

The same walk leaves the object as Go's encoder would write the decoded struct back (the layout
comes from :mod:`myriad.api.gotypes`): empty values of ``omitempty`` scalars, slices and maps
are dropped, always-written fields that are missing or ``null`` get their zero value
(``status: {}`` with a DaemonSet's four counts, ``resources: {}``, ``endpoints: null``), other
``null`` fields are dropped, and a ``null`` string in a map or list becomes ``""``.

Loaded once per process, lazily; the file is about 2 MB of JSON.
"""

from __future__ import annotations

import binascii
import functools
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import kubernetes_validate
import orjson

from myriad.api import gotypes, quantity

SCHEMA_VERSION = "v1.37.0-local-strict"
_REF_PREFIX = "#/$defs/"


@functools.cache
def definitions() -> dict[str, Any]:
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / SCHEMA_VERSION
    return orjson.loads((root / "_definitions.json").read_bytes())["$defs"]


@functools.cache
def kinds() -> dict[tuple[str, str], str]:
    """(apiVersion, kind) → definition name, from x-kubernetes-group-version-kind."""
    out: dict[tuple[str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            group, version = gvk.get("group", ""), gvk["version"]
            out[(f"{group}/{version}" if group else version, gvk["kind"])] = name
    return out


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follows a ``$ref`` (possibly wrapped in ``allOf``) to its definition."""
    return _resolve(schema)[0]


def _resolve(schema: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """:func:`resolve`, and the ``$ref`` of the last definition it followed ("" if none)."""
    ref = ""
    while True:
        if "$ref" in schema:
            ref = schema["$ref"]
            schema = definitions()[ref_name(ref)]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema, ref


class FieldTypeError(ValueError):
    """A value Go's decoder would refuse; the message is worded as Go's (``json: cannot
    unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32``)."""


def prune_unknown(obj: Any, api_version: str, kind: str, *, touched: dict[str, Any] | None = None) -> list[str]:
    """Removes, in place, every field the kind's schema does not declare and returns their paths
    (``spec.foo``, ``spec.containers[0].bar``), and leaves the rest as Go would encode it.
    Raises :class:`FieldTypeError` at the first value of the wrong type. Kinds without a schema
    are left alone.

    ``touched``: the merge or strategic merge patch that made ``obj`` from an object already
    pruned. Only what it reaches is walked into (a list it reaches, whole): the rest is the
    stored object's, as Go encoded it already. A status patch then leaves the pod's spec alone."""
    name = kinds().get((api_version, kind))
    if name is None:
        return []
    unknown: list[str] = []
    _walk(obj, _compiled(name), [], unknown, _short(name), _ALL if touched is None else touched)
    return unknown


def zero_field(api_version: str, kind: str, key: str) -> Any:
    """What Go writes for the kind's top-level field ``key`` at its zero value (a new object's
    ``status``): ``{}`` with the struct's always-written fields, or None if Go omits it."""
    name = kinds().get((api_version, kind))
    field = (gotypes.fields(name) or {}).get(key) if name else None
    return gotypes.zero(field) if field is not None and field.always_written else None


#: JSON types as Go's decoder names them in its errors.
_JSON_NAMES = {str: "string", int: "number", float: "number", bool: "bool", list: "array", dict: "object"}
_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_GO_LAYOUT = "2006-01-02T15:04:05Z07:00"
_GO_MICRO_LAYOUT = "2006-01-02T15:04:05.000000Z07:00"
_MICRO_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))", re.ASCII)
_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


@dataclass(slots=True)
class _Node:
    """A schema reduced to what the walk needs; ``leaf`` nodes (scalars, free-form values) are
    never walked into, only checked."""

    properties: dict[str, _Node] | None = None
    #: ``additionalProperties: false``: undeclared properties are unknown fields.
    closed: bool = False
    #: The schema of a map's values.
    values: _Node | None = None
    items: _Node | None = None
    leaf: bool = True
    #: The Python types a value may have (besides None); None: any.
    accepts: tuple[type, ...] | None = None
    #: A further check of the value: "int32", "int64", "date-time", "micro-time", "byte" or
    #: "quantity" (which the walk also writes back in canonical form).
    format: str = ""
    #: The Go type, for messages (``int32``, ``v1.PodSpec``, ``[]v1.Container``).
    go_type: str = ""
    #: For a struct: its Go name (``PodSpec``), which prefixes the path of a bad field in it.
    struct: str = ""
    #: For a struct Go's layout is known of: fields whose empty value Go leaves out, and fields
    #: Go always writes (filled in at their zero when missing or null).
    empties: frozenset[str] = frozenset()
    fills: dict[str, gotypes.GoField] | None = None


@functools.cache
def _compiled(name: str) -> _Node:
    return _compile({"$ref": _REF_PREFIX + name}, {})


def _short(ref: str) -> str:
    return ref_name(ref).rsplit(".", 1)[-1]


def _go_name(ref: str) -> str:
    """``io.k8s.api.core.v1.PodSpec`` → ``v1.PodSpec``, as Go prints a type."""
    return ".".join(ref_name(ref).rsplit(".", 2)[-2:])


def _compile(schema: dict[str, Any], memo: dict[int, _Node]) -> _Node:
    schema, ref = _resolve(schema)
    node = memo.get(id(schema))
    if node is not None:
        return node
    node = memo[id(schema)] = _Node()
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    items = schema.get("items")
    if properties is not None:
        node.leaf = False  # before the children, which may lead back here
        node.closed = extra is False
        node.struct = _short(ref) if ref else ""
        node.properties = {key: _compile(child, memo) for key, child in properties.items()}
        go = gotypes.fields(ref_name(ref)) if ref else None
        if go is not None:
            node.empties = frozenset(key for key, field in go.items() if field.drops_empty)
            node.fills = {key: field for key, field in go.items() if field.always_written}
    elif isinstance(extra, dict):
        node.leaf = False
        node.values = _compile(extra, memo)
    if isinstance(items, dict):
        node.leaf = False
        node.items = _compile(items, memo)
    _type(node, schema, ref)
    return node


def _type(node: _Node, schema: dict[str, Any], ref: str) -> None:
    """Fills in what values ``node`` accepts, from the schema's ``type``/``format`` (or a
    ``oneOf`` of plain types: IntOrString, Quantity)."""
    types: set[str] = set()
    for option in schema.get("oneOf") or [schema]:
        declared = option.get("type")
        types.update([declared] if isinstance(declared, str) else declared or ())
    types.discard("null")
    if not types:
        return
    accepts: list[type] = []
    for name in types:
        accepts += {"string": [str], "integer": [int], "number": [int, float], "boolean": [bool],
                    "object": [dict], "array": [list]}.get(name, [])
    node.accepts = tuple(accepts)
    node.format = schema.get("format", "") if len(types) == 1 else ""
    if node.format not in ("int32", "int64", "date-time", "byte"):
        node.format = ""
    elif node.format == "date-time" and ref_name(ref) == _MICRO_TIME:
        node.format = "micro-time"  # metav1.MicroTime parses with RFC3339Micro: exactly six fractional digits
    if ref_name(ref) == _QUANTITY:
        node.format = "quantity"  # decoded, then written back in canonical form
    if ref and ("object" in types or len(types) > 1):
        node.go_type = _go_name(ref)
    elif "integer" in types:
        node.go_type = node.format or "int"
    elif "number" in types:
        node.go_type = "float64"
    elif "boolean" in types:
        node.go_type = "bool"
    elif "string" in types:
        node.go_type = "[]uint8" if node.format == "byte" else "string"
    elif "array" in types:
        node.go_type = "[]" + (node.items.go_type if node.items is not None and node.items.go_type else "interface {}")
    else:
        node.go_type = "map[string]" + (node.values.go_type if node.values is not None and node.values.go_type
                                        else "interface {}")


def _check(value: Any, node: _Node, path: list[str], struct: str) -> None:
    """Raises FieldTypeError unless ``value`` (not None) is what ``node`` accepts."""
    accepts = node.accepts
    if accepts is not None and type(value) not in accepts:
        fraction = f" {value}" if type(value) is float and int in accepts else ""
        raise FieldTypeError(f"json: cannot unmarshal {_JSON_NAMES.get(type(value), 'value')}{fraction} into Go "
                             f"struct field {_field(struct, path)} of type {node.go_type}")
    fmt = node.format
    if not fmt:
        return
    if fmt in _RANGES:
        low, high = _RANGES[fmt]
        if not low <= value <= high:
            raise FieldTypeError(f"json: cannot unmarshal number {value} into Go struct field "
                                 f"{_field(struct, path)} of type {fmt}")
    elif fmt == "date-time":
        if not _is_rfc3339(value):
            raise FieldTypeError(f'parsing time "{value}" as "{_GO_LAYOUT}": cannot parse "{value}" as "2006"')
    elif fmt == "quantity":
        if not quantity.valid(value):
            raise FieldTypeError(quantity.FORMAT_ERROR)
    elif fmt == "micro-time":
        error = _micro_time_error(value)
        if error is not None:
            raise FieldTypeError(error)
    elif fmt == "byte":
        error = _base64_error(value)
        if error is not None:
            raise FieldTypeError(error)


def _is_rfc3339(text: str) -> bool:
    """Whether Go's time.Parse(time.RFC3339, text) succeeds: a date, ``T``, a time with an
    optional fraction of any length, and ``Z`` or a ``±hh:mm`` offset, each in range."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return False
    _, _, _, hour, minute, second, offset_hour, offset_minute = match.groups()
    # ASCII digits only (as Go reads them), two each, so comparing the strings compares the
    # numbers; the date, the costly part, is looked up among those seen before.
    return hour < "24" and minute < "60" and second < "60" and \
        (offset_hour is None or (offset_hour < "24" and offset_minute < "60")) and _is_date(text[:10])


@functools.lru_cache(maxsize=4096)
def _is_date(text: str) -> bool:
    """Whether ``yyyy-mm-dd`` (already of that shape) names a day of the calendar."""
    try:
        datetime(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return False
    return True


def _micro_time_error(text: str) -> str | None:
    """Go's error parsing ``text`` with RFC3339Micro (``2006-01-02T15:04:05.000000Z07:00``), whose
    zeros demand exactly six fractional digits, or None."""
    prefix = f'parsing time "{text}" as "{_GO_MICRO_LAYOUT}": cannot parse '
    if not _is_rfc3339(text):
        return prefix + f'"{text}" as "2006"'
    rest = text[19:]  # after the seconds
    fraction = rest[1:] if rest.startswith(".") else ""
    digits = len(fraction) - len(fraction.lstrip("0123456789"))
    if digits < 6:
        return prefix + f'"{rest}" as ".000000"'
    if digits > 6:
        return prefix + f'"{rest[7:]}" as "Z07:00"'
    return None


def _base64_error(text: str) -> str | None:
    """Go's error for ``text`` as standard base64 (``illegal base64 data at input byte 3``), or None."""
    try:
        binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        bad = next((i for i, c in enumerate(text) if c not in _BASE64), None)
        return f"illegal base64 data at input byte {bad if bad is not None else max(0, len(text) - 1)}"
    return None


def _field(struct: str, path: list[str]) -> str:
    """Go's ``Struct.dotted.path``: field names only, without list indices or map keys."""
    names = [part[1:] for part in path if part[0] == "."]
    return ".".join([struct, *names] if struct else names)


#: The guide of a walk into everything below (see :func:`_walk`).
_ALL: dict[str, Any] = {}


def _walk(value: Any, node: _Node, path: list[str], unknown: list[str], struct: str, guide: dict[str, Any]) -> None:
    """``path`` holds the parts leading to ``value`` (``.key``, ``[i]``, ``[key]``); it is joined
    into a string only for an unknown field or a bad value. ``struct`` is the Go struct the value
    is a field of. ``value`` is not None. ``guide``: :data:`_ALL`, or the part of a patch at
    ``value``, whose keys alone are walked into (:func:`prune_unknown`'s ``touched``)."""
    if node.accepts is not None and type(value) not in node.accepts:
        _check(value, node, path, struct)
    if type(value) is dict:
        properties = node.properties
        if properties is not None:
            inner = node.struct or struct
            undeclared = None
            fills, empties = node.fills, node.empties
            empty: list[str] | None = None
            for key, item in value.items():
                child = properties.get(key)
                if child is None:
                    if node.closed:
                        undeclared = [key] if undeclared is None else [*undeclared, key]
                    continue
                if item is None:
                    if fills is not None:
                        empty = [key] if empty is None else [*empty, key]
                    continue
                if not child.leaf:
                    inside = guide if guide is _ALL else _inside(guide, key)
                    if inside is not None:
                        path.append("." + key)
                        _walk(item, child, path, unknown, inner, inside)
                        path.pop()
                elif child.accepts is not None and (child.format or type(item) not in child.accepts):
                    path.append("." + key)
                    _check(item, child, path, inner)
                    path.pop()
                    if child.format == "quantity":
                        value[key] = quantity.canonical(item)
                if not item and key in empties:
                    empty = [key] if empty is None else [*empty, key]
            if undeclared:
                for key in undeclared:
                    unknown.append(("".join(path) + "." + key).removeprefix("."))
                    del value[key]
            if fills is not None:
                _encode_as_go(value, fills, empty)
        elif node.values is not None:
            values = node.values
            for key, item in value.items():
                if item is None:
                    if values.accepts == (str,) and not values.format:
                        value[key] = ""
                    continue
                path.append(f"[{key}]")
                if values.leaf:
                    if values.accepts is not None and (values.format or type(item) not in values.accepts):
                        _check(item, values, path, struct)
                        if values.format == "quantity":
                            value[key] = quantity.canonical(item)
                else:
                    inside = guide if guide is _ALL else _inside(guide, key)
                    if inside is not None:
                        _walk(item, values, path, unknown, struct, inside)
                path.pop()
    elif type(value) is list and node.items is not None:
        items = node.items
        for i, item in enumerate(value):
            if item is None:
                if items.accepts == (str,) and not items.format:
                    value[i] = ""
                continue
            path.append(f"[{i}]")
            if items.leaf:
                if items.accepts is not None and (items.format or type(item) not in items.accepts):
                    _check(item, items, path, struct)
                    if items.format == "quantity":
                        value[i] = quantity.canonical(item)
            else:
                _walk(item, items, path, unknown, struct, _ALL)
            path.pop()


def _inside(guide: dict[str, Any], key: str) -> dict[str, Any] | None:
    """A patch's guide below ``key``: None where the patch did not reach (nothing to walk)."""
    below = guide.get(key, _ABSENT)
    if below is _ABSENT:
        return None
    return below if type(below) is dict else _ALL


_ABSENT = object()


def _encode_as_go(value: dict[str, Any], fills: dict[str, gotypes.GoField], empty: list[str] | None) -> None:
    """Leaves a struct's fields as Go's encoder writes them: ``empty`` (null values, and empty
    ones Go omits) are dropped or, if Go always writes them, set to their zero, as are the
    always-written fields that are missing."""
    if empty is not None:
        for key in empty:
            field = fills.get(key)
            if field is None:
                del value[key]
            else:
                value[key] = gotypes.zero(field)
    for key, field in fills.items():
        if key not in value:
            value[key] = gotypes.zero(field)
