"""Strategic merge patch for the built-in types: JSON merge patch, except that lists the schema
marks ``x-kubernetes-patch-strategy: merge`` merge element by element (by their
``x-kubernetes-patch-merge-key``, or as sets for primitives), plus the directives ``$patch``
(replace, delete; in a list also merge), ``$retainKeys``, ``$setElementOrder/<list>`` and
``$deleteFromPrimitiveList/<list>``.

Malformed directives are refused as upstream's ``strategicpatch`` refuses them, with its
messages (:class:`PatchFormatError`): a ``$retainKeys`` that is not a list or leaves out a key
the patch sets, a ``$setElementOrder`` that is not a list, and an unknown ``$patch``. A
``$deleteFromPrimitiveList`` that is not a list deletes nothing, as upstream's does. A map's
``$patch: delete`` leaves an empty map and ``$patch: replace`` the patch itself, at the top too
(an object left without its name is then refused by the endpoint, as upstream's checkName does).
"""

from __future__ import annotations

from typing import Any

from myriad.api import gojson, schemas
from myriad.api.patch.errors import PatchError, PatchFormatError

_SET_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def apply_strategic_patch(doc: Any, patch: Any, api_version: str, kind: str, *, in_place: bool = False) -> Any:
    """The patched copy of ``doc``; ``(api_version, kind)`` picks the schema. With ``in_place``
    the caller hands ``doc`` over (a decoding of its own) and it is patched rather than copied.
    ``patch`` is never changed, nor shared with the result: a patch can be applied again."""
    name = schemas.kinds().get((api_version, kind))
    schema = schemas.definitions()[name] if name else {}
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    if not isinstance(doc, dict):
        doc = {}
    elif not in_place:
        doc = gojson.clone(doc)
    return _merge_map(doc, patch, schema)


#: Schemas resolved (``$ref`` followed), by the id of the schema: every schema met is part of
#: :func:`schemas.definitions`, which lives as long as the process, so ids are never reused.
_RESOLVED: dict[int, dict[str, Any]] = {}
_EMPTY: dict[str, Any] = {}


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return _EMPTY
    found = _RESOLVED.get(id(schema))
    if found is None:
        found = _RESOLVED[id(schema)] = schemas.resolve(schema)
    return found


def _child(schema: dict[str, Any], key: str) -> dict[str, Any]:
    schema = _resolved(schema)
    properties = schema.get("properties")
    if properties is not None:
        return properties.get(key) or _EMPTY
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else _EMPTY


def _copy(value: Any) -> Any:
    """``value`` for the result: containers copied (the patch stays as it was), scalars as they are."""
    return gojson.clone(value) if isinstance(value, (dict, list)) else value


def _merge_map(doc: dict[str, Any], patch: dict[str, Any], schema: dict[str, Any]) -> Any:
    if "$patch" in patch:  # upstream's handleDirectiveInMergeMap
        directive = patch["$patch"]
        if directive == "replace":
            return {k: _copy(v) for k, v in patch.items() if k != "$patch"}
        if directive == "delete":
            return {}
        raise PatchFormatError(f"unknown patch type: {go_text(directive)} in map: {go_text(patch)}")
    if "$retainKeys" in patch:
        _retain_keys(doc, patch)
    for key, value in patch.items():
        if key == "$retainKeys" or key.startswith(_SET_ORDER):
            continue
        if key.startswith(_DELETE_PRIMITIVE):
            field = key[len(_DELETE_PRIMITIVE):]
            if isinstance(doc.get(field), list) and isinstance(value, list):
                doc[field] = [item for item in doc[field] if item not in value]
            continue
        if value is None:
            doc.pop(key, None)
            continue
        child = _child(schema, key)
        if isinstance(value, dict):
            doc[key] = _merge_map(doc[key] if isinstance(doc.get(key), dict) else {}, value, child)
        elif isinstance(value, list):
            doc[key] = _merge_list(doc.get(key), value, child)
        else:
            doc[key] = value  # a scalar: nothing to copy
    for key, order in patch.items():
        if key.startswith(_SET_ORDER):
            if not isinstance(order, list):
                raise PatchFormatError("invalid patch format of setElementOrder list")
            field = key[len(_SET_ORDER):]
            if isinstance(doc.get(field), list):
                doc[field] = _reorder(doc[field], order, _child(schema, field))
    return doc


def _retain_keys(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    """Drops the keys of ``doc`` that ``$retainKeys`` does not list; every key the patch sets
    must be listed (upstream's applyRetainKeysDirective)."""
    retain = patch["$retainKeys"]
    if not isinstance(retain, list):
        raise PatchFormatError("invalid patch format of retainKeys")
    kept = {item for item in retain if isinstance(item, str)}
    for key, value in patch.items():
        if value is None or key in ("$patch", "$retainKeys") or key.startswith((_DELETE_PRIMITIVE, _SET_ORDER)):
            continue
        if key not in kept:
            raise PatchFormatError("invalid patch format of retainKeys")
    for key in [key for key in doc if key not in kept]:
        del doc[key]


def go_text(value: Any) -> str:
    """``value`` as Go's ``%v`` prints a decoded JSON value (maps with sorted keys)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_text(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_text(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def _merge_list(current: Any, patch: list[Any], schema: dict[str, Any]) -> list[Any]:
    schema = _resolved(schema)
    strategy = str(schema.get("x-kubernetes-patch-strategy", ""))
    if "merge" not in strategy.split(","):
        return gojson.clone([item for item in patch if not (isinstance(item, dict) and "$patch" in item)])
    base = list(current) if isinstance(current, list) else []
    for item in patch:  # upstream's mergeSliceWithSpecialElements
        directive = item.get("$patch", "delete") if isinstance(item, dict) else "delete"
        if directive == "merge":
            raise PatchFormatError("merging lists cannot yet be specified in the patch")
        if directive not in ("delete", "replace"):
            raise PatchFormatError(f"unknown patch type: {go_text(directive)} in map: {go_text(item)}")
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return gojson.clone([item for item in patch if not (isinstance(item, dict) and "$patch" in item)])
    key = schema.get("x-kubernetes-patch-merge-key")
    if not key:
        for item in patch:
            if item not in base:
                base.append(_copy(item))
        return base
    items = schema.get("items") or {}
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise PatchError(f"map: {item} does not contain declared merge key: {key}")
        index = next((i for i, existing in enumerate(base)
                      if isinstance(existing, dict) and existing.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                base.pop(index)
            continue
        if index is None:
            base.append(_merge_map({}, item, items))
        else:
            base[index] = _merge_map(base[index], item, items)
    return base


def _reorder(current: list[Any], order: Any, schema: dict[str, Any]) -> list[Any]:
    if not isinstance(order, list):
        return current
    key = _resolved(schema).get("x-kubernetes-patch-merge-key")

    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(item) for item in order]
    rank = {value: i for i, value in enumerate(wanted) if not isinstance(value, (dict, list))}
    listed = sorted((item for item in current if ident(item) in rank), key=lambda item: rank[ident(item)])
    rest = [item for item in current if ident(item) not in rank]
    return listed + rest
