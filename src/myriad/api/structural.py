"""Custom resources against their CRD's ``openAPIV3Schema``: defaulting, pruning and
validation, as the apiextensions server applies them.

* :func:`apply_defaults` fills ``default`` values where a field is missing.
* :func:`prune` drops fields the schema does not declare, except under
  ``x-kubernetes-preserve-unknown-fields: true`` and inside ``metadata`` (validated as ObjectMeta).
* :func:`validate` returns field causes for wrong types, missing ``required`` fields, ``enum``,
  ``minimum``/``maximum``, string lengths and patterns, and item counts.

Paths are upstream's: ``spec.replicas``, ``spec.items[0].name``. Messages follow kube-openapi's.
"""

from __future__ import annotations

import re
from typing import Any

from myriad.api import gojson
from myriad.api.errors import Cause
from myriad.api.meta import quote, required

Schema = dict[str, Any]

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def apply_defaults(value: Any, schema: Schema) -> None:
    if isinstance(value, dict):
        for key, child in (schema.get("properties") or {}).items():
            if key not in value and "default" in child:
                value[key] = gojson.clone(child["default"])
            if key in value:
                apply_defaults(value[key], child)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for item in value.values():
                apply_defaults(item, extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])


def prune(value: Any, schema: Schema, path: str = "", *, root: bool = True) -> list[str]:
    """Removes undeclared fields in place; returns their paths."""
    unknown: list[str] = []
    _prune(value, schema, path, unknown, root)
    return unknown


def _prune(value: Any, schema: Schema, path: str, unknown: list[str], root: bool) -> None:
    if isinstance(value, dict):
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key in list(value):
            if root and key in ("apiVersion", "kind", "metadata"):
                continue
            child = properties.get(key)
            if child is not None:
                _prune(value[key], child, _join(path, key), unknown, False)
            elif isinstance(extra, dict):
                _prune(value[key], extra, _join(path, key), unknown, False)
            elif not preserve and extra is not True:
                unknown.append(_join(path, key))
                del value[key]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _prune(item, schema["items"], f"{path}[{i}]", unknown, False)


def validate(value: Any, schema: Schema, path: str = "") -> list[Cause]:
    causes: list[Cause] = []
    _validate(value, schema, path, causes, root=not path)
    return causes


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and value.is_integer()
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = _TYPES.get(kind)
    return expected is None or isinstance(value, expected)


def _type_error(path: str, value: Any, kind: str) -> Cause:
    shown = quote(_go_type(value))
    return Cause("FieldValueTypeInvalid", f"Invalid value: {shown}: {path or 'body'} in body must be of type {kind}: "
                 f"{shown}", path)


def _go_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _validate(value: Any, schema: Schema, path: str, causes: list[Cause], *, root: bool = False) -> None:
    if value is None:
        if not schema.get("nullable") and schema.get("type"):
            causes.append(_type_error(path, value, schema["type"]))
        return
    kind = schema.get("type")
    int_or_string = schema.get("x-kubernetes-int-or-string") and isinstance(value, (int, str))
    if kind and not int_or_string and not _type_ok(value, kind):
        causes.append(_type_error(path, value, kind))
        return
    where = path or "body"
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        causes.append(Cause("FieldValueNotSupported", f"Unsupported value: {quote(value)}: supported values: "
                            + ", ".join(quote(v) for v in enum), path))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "maximum" in schema and (value >= schema["maximum"] if schema.get("exclusiveMaximum")
                                    else value > schema["maximum"]):
            bound = "less than" if schema.get("exclusiveMaximum") else "less than or equal to"
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {quote(value)}: {where} in body should be "
                                f"{bound} {schema['maximum']}", path))
        if "minimum" in schema and (value <= schema["minimum"] if schema.get("exclusiveMinimum")
                                    else value < schema["minimum"]):
            bound = "greater than" if schema.get("exclusiveMinimum") else "greater than or equal to"
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {quote(value)}: {where} in body should be "
                                f"{bound} {schema['minimum']}", path))
    elif isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            causes.append(Cause("FieldValueTooLong", f"Too long: may not be more than {schema['maxLength']} bytes",
                                path))
        if "minLength" in schema and len(value) < schema["minLength"]:
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {quote(value)}: {where} in body should be at "
                                f"least {schema['minLength']} chars long", path))
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, value):
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {quote(value)}: {where} in body should match "
                                f"'{pattern}'", path))
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            causes.append(Cause("FieldValueTooMany", f"Too many: {len(value)}: must have at most "
                                f"{schema['maxItems']} items", path))
        if "minItems" in schema and len(value) < schema["minItems"]:
            causes.append(Cause("FieldValueInvalid", f"Invalid value: {len(value)}: {where} in body should have at "
                                f"least {schema['minItems']} items", path))
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                _validate(item, items, f"{path}[{i}]", causes)
    elif isinstance(value, dict):
        for name in schema.get("required") or ():
            if name not in value:
                causes.append(required(_join(path, name)))
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if root and key in ("apiVersion", "kind", "metadata"):
                continue
            child = properties.get(key)
            if child is None and isinstance(extra, dict):
                child = extra
            if child is not None:
                _validate(item, child, _join(path, key), causes)
