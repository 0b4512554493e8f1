"""Kubernetes protobuf objects to JSON-shaped dicts, driven by ``schema.json``.

``schema.json`` is a table of every message, field number → ``[name, kind, type, repeated]``, as
upstream's ``generated.proto`` files have it (its ``source`` says where each part came from).
Field names there are the JSON names, so a decoded message is the object as its JSON would carry
it, with these translations of Go's JSON encoding:

* ``bytes`` become base64 text (Go encodes ``[]byte`` so);
* ``Time`` becomes RFC 3339 in whole seconds, ``MicroTime`` with microseconds, ``Duration`` Go's
  duration text, ``Quantity`` its string, ``IntOrString`` an int or a string, and raw JSON
  (``RawExtension``, ``FieldsV1``, apiextensions ``JSON``) the JSON it holds;
* a struct Go embeds inline (``Volume.VolumeSource``, ``Probe.ProbeHandler``, the
  ``LocalObjectReference`` of ``configMapKeyRef``…: :func:`myriad.api.gotypes.inlined`) is a
  field of its own in protobuf and its fields are the parent's in JSON, so it is merged into the
  parent;
* zero times are left out. Go's protobuf encoder writes every non-pointer field, zero or not,
  where its JSON encoder omits the empty ``omitempty`` ones; the JSON path drops those
  (:func:`myriad.api.schemas.prune_unknown`), knowing which fields are pointers, so a decoded
  body keeps its zeros (``replicas: 0`` and ``minReadySeconds: 0`` alike) and its empty
  strings. Messages of types Go's layout is not known of (apiextensions) leave out empty
  strings and keep zero numbers;
* a Go named slice (``Verbs``, ``ExtraValue``) is a message of its ``items`` in protobuf and the
  list itself in JSON;
* fields the table does not know are dropped, as Go's protobuf decoder drops them.

The table itself is read out of kubectl's type descriptors (``tools/derive_protobuf.py``).
"""

from __future__ import annotations

import base64
import functools
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from myriad.api import gojson, gotypes
from myriad.api.protobuf import wire

MAGIC = b"k8s\x00"
_UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
_META = "k8s.io.apimachinery.pkg.apis.meta.v1"
#: Kinds in meta.k8s.io that any group version may carry in a body.
_META_KINDS = frozenset({"DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "ListOptions",
                         "GetOptions", "Status"})
_APIEXTENSIONS = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1"
_NUMERIC = frozenset({"bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64",
                      "double", "float"})

#: name, kind, type, repeated, inline (an embedded struct whose fields are the parent's in JSON)
Field = tuple[str, str, Any, bool, bool]


class ProtobufError(ValueError):
    """The body is not a Kubernetes protobuf object this server can read."""


@functools.cache
def _schema() -> dict[str, dict[int, Field]]:
    table = orjson.loads((Path(__file__).parent / "schema.json").read_bytes())["messages"]
    out: dict[str, dict[int, Field]] = {}
    for name, message in table.items():
        inline = gotypes.inlined(_openapi_name(name))
        out[name] = {int(number): (field_name, kind, type_, repeated,
                                   kind == "message" and _openapi_name(type_) in inline)
                     for number, (field_name, kind, type_, repeated) in message.items()}
    return out


@functools.cache
def _slices() -> frozenset[str]:
    """Messages standing for a Go named slice (``Verbs``, ``ExtraValue``): one repeated field
    ``items``. Their JSON is the list itself."""
    return frozenset(name for name, fields in _schema().items()
                     if len(fields) == 1 and fields.get(1, ("",))[0] == "items" and fields[1][3])


@functools.cache
def _keeps_empty(name: str) -> bool:
    """Whether a message's empty strings stay for the JSON path to sort out (Go's layout is known)."""
    return gotypes.fields(_openapi_name(name)) is not None


def _openapi_name(name: str) -> str:
    """``k8s.io.api.core.v1.Volume`` → ``io.k8s.api.core.v1.Volume``."""
    return "io.k8s." + name.removeprefix("k8s.io.")


def message_name(api_version: str, kind: str) -> str:
    """The protobuf message of a (apiVersion, kind): ``apps/v1`` ``Deployment`` →
    ``k8s.io.api.apps.v1.Deployment``."""
    group, _, version = api_version.rpartition("/")
    if kind in _META_KINDS:
        return f"{_META}.{kind}"
    if group == "apiextensions.k8s.io":
        return f"{_APIEXTENSIONS}.{kind}"
    return f"k8s.io.api.{group.split('.')[0] if group else 'core'}.{version}.{kind}"


def decode_body(body: bytes) -> dict[str, Any]:
    """A protobuf request body (the ``k8s\\0`` magic, then a ``runtime.Unknown`` holding the
    object) as the object's JSON-shaped dict, ``apiVersion`` and ``kind`` included."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf prefix")
    try:
        envelope = decode_message(body[len(MAGIC):], _UNKNOWN, raw_bytes=True)
        type_meta = envelope.get("typeMeta") or {}
        api_version, kind = str(type_meta.get("apiVersion") or ""), str(type_meta.get("kind") or "")
        if envelope.get("contentEncoding"):
            raise ProtobufError(f"unsupported content encoding {envelope['contentEncoding']!r}")
        if not api_version or not kind:
            raise ProtobufError("the protobuf envelope names no apiVersion and kind")
        name = message_name(api_version, kind)
        if name not in _schema():
            raise ProtobufError(f"no protobuf schema for {kind} in {api_version}")
        obj = decode_message(envelope.get("raw") or b"", name)
    except wire.WireError as exc:
        raise ProtobufError(f"malformed protobuf: {exc}") from exc
    return {"kind": kind, "apiVersion": api_version, **obj}


def decode_message(data: bytes, name: str, *, raw_bytes: bool = False) -> dict[str, Any]:
    """One message of type ``name``; with ``raw_bytes``, bytes fields stay bytes (the envelope)."""
    spec = _schema()[name]
    out: dict[str, Any] = {}
    for number, wire_type, value in wire.fields(data):
        field = spec.get(number)
        if field is None:
            continue
        field_name, kind, type_, repeated, inline = field
        if inline:
            out.update(_value(kind, type_, wire_type, value, raw_bytes))
        elif kind == "map":
            if not isinstance(value, bytes):
                raise wire.WireError(f"{name}.{field_name}: map entry is not length-delimited")
            key, item = _map_entry(value, type_)
            out.setdefault(field_name, {})[key] = item
        elif repeated and kind in _NUMERIC and wire_type == wire.LENGTH:
            out.setdefault(field_name, []).extend(_packed(kind, value))  # type: ignore[arg-type]
        elif repeated:
            out.setdefault(field_name, []).append(_value(kind, type_, wire_type, value, raw_bytes))
        else:
            out[field_name] = _value(kind, type_, wire_type, value, raw_bytes)
    if _keeps_empty(name):
        return {k: v for k, v in out.items() if v is not None}
    return {k: v for k, v in out.items() if v is not None and v != ""}


def _map_entry(data: bytes, types: list[str]) -> tuple[Any, Any]:
    key_kind, value_type = types
    value_kind = value_type if value_type in _NUMERIC or value_type in ("string", "bytes") else "message"
    key: Any = "" if key_kind == "string" else 0
    item: Any = {} if value_kind == "message" else ("" if value_kind == "string" else None)
    for number, wire_type, value in wire.fields(data):
        if number == 1:
            key = _value(key_kind, None, wire_type, value, False)
        elif number == 2:
            item = _value(value_kind, value_type, wire_type, value, False)
    if value_kind == "bytes" and item is None:
        item = ""
    return key, item


def _value(kind: str, type_: Any, wire_type: int, value: int | bytes, raw_bytes: bool) -> Any:
    if kind == "message":
        if not isinstance(value, bytes):
            raise wire.WireError(f"{type_} is not length-delimited")
        special = _SPECIAL.get(type_)
        if special is not None:
            return special(value)
        if type_ in _slices():
            return decode_message(value, type_).get("items", [])
        return decode_message(value, type_)
    if kind == "string":
        if not isinstance(value, bytes):
            raise wire.WireError("string is not length-delimited")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise wire.WireError(f"string is not UTF-8: {exc}") from exc
    if kind == "bytes":
        if not isinstance(value, bytes):
            raise wire.WireError("bytes field is not length-delimited")
        return value if raw_bytes else base64.b64encode(value).decode()
    return _scalar(kind, wire_type, value)


def _scalar(kind: str, wire_type: int, value: int | bytes) -> Any:
    if isinstance(value, bytes):
        if kind in ("double", "fixed64") and wire_type == wire.FIXED64:
            return struct.unpack("<d" if kind == "double" else "<Q", value)[0]
        if kind in ("float", "fixed32") and wire_type == wire.FIXED32:
            return struct.unpack("<f" if kind == "float" else "<I", value)[0]
        raise wire.WireError(f"{kind} has the wrong wire type {wire_type}")
    if kind == "bool":
        return value != 0
    if kind in ("int32", "int64"):
        return wire.signed(value, 32 if kind == "int32" else 64)
    if kind in ("sint32", "sint64"):
        return wire.zigzag(value)
    if kind in ("uint32", "uint64"):
        return value
    raise wire.WireError(f"{kind} has the wrong wire type {wire_type}")


def _packed(kind: str, data: bytes) -> list[Any]:
    out: list[Any] = []
    pos = 0
    if kind in ("double", "fixed64", "float", "fixed32"):
        size = 8 if kind in ("double", "fixed64") else 4
        wire_type = wire.FIXED64 if size == 8 else wire.FIXED32
        for start in range(0, len(data) - len(data) % size, size):
            out.append(_scalar(kind, wire_type, data[start:start + size]))
        return out
    while pos < len(data):
        value, pos = wire.read_varint(data, pos)
        out.append(_scalar(kind, wire.VARINT, value))
    return out


# -- types whose JSON is not their message --------------------------------------------------------

def _ints(data: bytes) -> dict[int, int | bytes]:
    return {number: value for number, _, value in wire.fields(data)}


def _time(data: bytes) -> str | None:
    parts = _ints(data)
    seconds = wire.signed(int(parts.get(1, 0)), 64)  # type: ignore[arg-type]
    if seconds == 0 and not parts.get(2):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _micro_time(data: bytes) -> str | None:
    parts = _ints(data)
    seconds = wire.signed(int(parts.get(1, 0)), 64)  # type: ignore[arg-type]
    nanos = wire.signed(int(parts.get(2, 0)), 32)  # type: ignore[arg-type]
    if seconds == 0 and nanos == 0:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos // 1000:06d}Z"


def go_duration(nanos: int) -> str:
    """``time.Duration.String()``: ``1h2m3.5s``, ``150ms``, ``0s``."""
    if nanos == 0:
        return "0s"
    sign, rest = ("-" if nanos < 0 else ""), abs(nanos)

    def scaled(value: int, unit: int, digits: int) -> str:
        whole, fraction = divmod(value, unit)
        return str(whole) + (("." + str(fraction).rjust(digits, "0").rstrip("0")) if fraction else "")

    if rest < 1_000:
        return f"{sign}{rest}ns"
    if rest < 1_000_000:
        return f"{sign}{scaled(rest, 1_000, 3)}µs"
    if rest < 1_000_000_000:
        return f"{sign}{scaled(rest, 1_000_000, 6)}ms"
    hours, rest = divmod(rest, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "")
    return f"{sign}{text}{scaled(rest, 1_000_000_000, 9)}s"


def _duration(data: bytes) -> str:
    return go_duration(wire.signed(int(_ints(data).get(1, 0)), 64))  # type: ignore[arg-type]


def _quantity(data: bytes) -> str:
    value = _ints(data).get(1, b"")
    return value.decode() if isinstance(value, bytes) else str(value)


def _int_or_string(data: bytes) -> int | str:
    parts = _ints(data)
    if parts.get(1, 0) == 1:
        value = parts.get(3, b"")
        return value.decode() if isinstance(value, bytes) else str(value)
    return wire.signed(int(parts.get(2, 0)), 32)  # type: ignore[arg-type]


def _raw_json(data: bytes) -> Any:
    raw = _ints(data).get(1, b"")
    if not raw:
        return None
    if not isinstance(raw, bytes):
        raise wire.WireError("raw JSON is not length-delimited")
    try:
        return gojson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise wire.WireError(f"embedded raw object is not JSON: {exc}") from exc


_SPECIAL: dict[str, Callable[[bytes], Any]] = {
    f"{_META}.Time": _time,
    f"{_META}.MicroTime": _micro_time,
    f"{_META}.Duration": _duration,
    f"{_META}.FieldsV1": _raw_json,
    "k8s.io.apimachinery.pkg.api.resource.Quantity": _quantity,
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": _int_or_string,
    "k8s.io.apimachinery.pkg.runtime.RawExtension": _raw_json,
    f"{_APIEXTENSIONS}.JSON": _raw_json,
}
