"""The built-in types as Go lays them out: which fields are pointers, ``omitempty``,
``omitzero`` or embedded inline. The OpenAPI schemas do not say; Go's JSON encoder acts on it.

``gotypes.json`` beside this module is derived from kubectl 1.37.1's own type descriptors by
``tools/derive_gotypes.py`` (its docstring says how). Each struct, by OpenAPI name
(``io.k8s.api.core.v1.Volume``), lists its fields in Go order as ``[json name, flags, type]``:
flags ``i`` (embedded inline: the json name is empty and the type's fields are the parent's),
``o`` (omitempty), ``z`` (omitzero); the type is ``string``, ``bool``, ``int32``…, ``*T`` (a
pointer), ``[]T``, ``map[K]V`` or a struct's OpenAPI name. Structs with a JSON form of their own
(``Time``, ``Quantity``, ``IntOrString``…) are not listed; :data:`CUSTOM_ZEROS` gives their zero.

What Go's encoder writes, and so what upstream stores and serves, follows from that:

* a pointer, slice or map field is written unless it is nil and ``omitempty`` (a nil one
  without ``omitempty`` is written as ``null``); a pointer to a zero value is written;
* a scalar field is written unless it is zero and ``omitempty`` or ``omitzero``;
* a struct field is always written (``omitempty`` does not apply to structs), unless it is zero
  and ``omitzero``: a zero struct is ``{}`` with its own always-written fields, a zero ``Time``
  is ``null``, a zero ``Quantity`` is ``"0"``.

Kinds kubectl does not link (apiextensions, apiregistration) are absent: callers leave them as
they are.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_SCALARS = {"string": "", "bool": False, "float32": 0.0, "float64": 0.0}
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
#: The zero JSON of the structs that encode themselves.
CUSTOM_ZEROS: dict[str, Any] = {
    _META + "Time": None,
    _META + "MicroTime": None,
    _META + "Duration": "0s",
    _META + "FieldsV1": None,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "0",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": 0,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": None,
}


@dataclass(frozen=True, slots=True)
class GoField:
    name: str
    type: str
    omitempty: bool = False
    omitzero: bool = False
    inline: bool = False

    @property
    def is_struct(self) -> bool:
        """A struct held by value (``Time``, ``Quantity`` and the like included)."""
        return self.type.startswith("io.")

    @property
    def is_scalar(self) -> bool:
        return self.type in _SCALARS or self.type.startswith(("int", "uint"))

    @property
    def drops_empty(self) -> bool:
        """Go leaves the field out when its value is empty (0, false, "", [] or {}): a scalar,
        slice or map with ``omitempty``, or a scalar with ``omitzero``."""
        if self.type.startswith("*") or self.is_struct:
            return False
        return self.omitempty or (self.omitzero and self.is_scalar)

    @property
    def always_written(self) -> bool:
        """Go writes the field even when it is zero (or nil)."""
        if self.is_struct:
            return not self.omitzero
        return not (self.omitempty or self.omitzero)


@functools.cache
def _table() -> dict[str, list[list[str]]]:
    return orjson.loads((Path(__file__).parent / "gotypes.json").read_bytes())["types"]


@functools.cache
def fields(name: str) -> dict[str, GoField] | None:
    """The struct's fields by JSON name, inline members' fields included; None if not listed."""
    raw = _table().get(name)
    if raw is None:
        return None
    out: dict[str, GoField] = {}
    for json_name, flags, type_ in raw:
        if "i" in flags:
            out.update(fields(type_) or {})
        else:
            out[json_name] = GoField(json_name, type_, omitempty="o" in flags, omitzero="z" in flags)
    return out


@functools.cache
def inlined(name: str) -> frozenset[str]:
    """The structs ``name`` embeds inline (``io.k8s.api.core.v1.VolumeSource`` for a Volume)."""
    return frozenset(type_ for _, flags, type_ in _table().get(name, ()) if "i" in flags)


def zero(field: GoField) -> Any:
    """The JSON Go writes for ``field`` at its zero value (call only if it is always written):
    ``{}`` filled in with what Go writes of the zero struct, ``null`` for nil or a zero time."""
    type_ = field.type
    if type_ in CUSTOM_ZEROS:
        return CUSTOM_ZEROS[type_]
    if field.is_struct:
        return zero_struct(type_)
    if type_ in _SCALARS:
        return _SCALARS[type_]
    if field.is_scalar:
        return 0
    return None


def zero_struct(name: str) -> dict[str, Any]:
    """A zero struct as Go's encoder writes it: only its always-written fields, at their zeros."""
    return {f.name: zero(f) for f in _always_written(name)}


@functools.cache
def _always_written(name: str) -> tuple[GoField, ...]:
    return tuple(f for f in (fields(name) or {}).values() if f.always_written)
