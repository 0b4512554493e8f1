"""Field sets as upstream's structured-merge-diff serialises them (``FieldsV1``), operated on in
that form: a set *is* its JSON trie, so reading ``managedFields`` decodes nothing and writing them
encodes nothing but the keys a change added.

A set is a dict whose keys are path elements and whose values are sets:

- ``"f:name"``: a struct field or a map key;
- ``"k:{...}"``: an item of a keyed list, its key fields as compact JSON sorted by name;
- ``"v:..."``: an item of a set (a list of scalars), as JSON;
- ``"i:N"``: an item of a positional list;
- ``"."``: the node itself is in the set (only beside children).

A child that is ``{}`` is a member with nothing under it; a child with children but no ``"."``
is only a way through. So ``{"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}`` holds
``.metadata.labels`` and ``.metadata.labels.app``, not ``.metadata``.

Functions return new dicts where they change something and share unchanged subtrees with their
inputs; nothing here mutates an argument. :func:`canonical` sorts keys as upstream writes them:
``"."`` first, then ``f:`` (by name), ``k:`` (by key fields, values compared by type then value),
``v:`` (likewise), ``i:`` (numerically).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

FieldSet = dict[str, Any]
SELF = "."


def is_member(node: Mapping[str, Any]) -> bool:
    return not node or SELF in node


def children(node: Mapping[str, Any]) -> Iterator[tuple[str, FieldSet]]:
    return ((k, v) for k, v in node.items() if k != SELF)


def _node(member: bool, kids: FieldSet) -> FieldSet | None:
    """A node from its membership and children (no ``"."`` among them); None when it holds nothing."""
    if not kids:
        return {} if member else None
    return {SELF: {}, **kids} if member else kids


def _kids(node: FieldSet) -> FieldSet:
    return {k: v for k, v in node.items() if k != SELF} if SELF in node else node


def union(a: FieldSet, b: FieldSet) -> FieldSet:
    """Every path of ``a`` or ``b`` (top-level sets: no ``"."``)."""
    if not b:
        return a
    if not a:
        return b
    kids = dict(a)
    for key, sub in b.items():
        mine = kids.get(key)
        if mine is None:
            kids[key] = sub
        elif mine is not sub:
            kids[key] = _node(is_member(mine) or is_member(sub), union(_kids(mine), _kids(sub))) or {}
    return kids


def ordered_union(a: FieldSet, b: FieldSet) -> FieldSet:
    """:func:`union` of two canonical sets, in canonical order: only the levels ``b`` adds keys
    to are sorted again."""
    if not b:
        return a
    if not a:
        return b
    kids = dict(a)
    added = False
    for key, sub in b.items():
        mine = kids.get(key)
        if mine is None:
            kids[key] = sub
            added = True
        elif mine is not sub:
            kids[key] = _node(is_member(mine) or is_member(sub), ordered_union(_kids(mine), _kids(sub))) or {}
    if added:
        kids = dict(sorted(kids.items(), key=lambda kv: element_order(kv[0])))
    return kids


def difference(a: FieldSet, b: FieldSet) -> FieldSet:
    """The paths of ``a`` that are not in ``b`` (top-level sets: no ``"."``)."""
    if not a or not b:
        return a
    out: FieldSet = {}
    changed = False
    for key, sub in a.items():
        other = b.get(key)
        if other is None:
            out[key] = sub
            continue
        changed = True
        node = _node(is_member(sub) and not is_member(other), difference(_kids(sub), _kids(other)))
        if node is not None:
            out[key] = node
    return out if changed else a


def intersection(a: FieldSet, b: FieldSet) -> FieldSet:
    """The paths in both ``a`` and ``b`` (top-level sets: no ``"."``)."""
    out: FieldSet = {}
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    for key, sub in small.items():
        other = large.get(key)
        if other is None:
            continue
        node = _node(is_member(sub) and is_member(other), intersection(_kids(sub), _kids(other)))
        if node is not None:
            out[key] = node
    return out


def paths(node: FieldSet, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every member's path, in upstream's order: a node's members before its children's."""
    ordered = sorted(children(node), key=lambda kv: element_order(kv[0]))
    for key, sub in ordered:
        if is_member(sub):
            yield (*prefix, key)
    for key, sub in ordered:
        if any(True for _ in children(sub)):
            yield from paths(sub, (*prefix, key))


def canonical(node: FieldSet) -> FieldSet:
    """``node`` with every level's keys in upstream's order (``"."`` first)."""
    if not node:
        return node
    out: FieldSet = {SELF: {}} if SELF in node else {}
    for key, sub in sorted(children(node), key=lambda kv: element_order(kv[0])):
        out[key] = canonical(sub)
    return out


# -- path elements ----------------------------------------------------------------------------

def field(name: str) -> str:
    return "f:" + name


def keyed(fields: Mapping[str, Any]) -> str:
    """A keyed list item's element: its key fields, sorted by name, as Go writes JSON."""
    return "k:{" + ",".join(_pair(n, fields[n]) for n in sorted(fields)) + "}"


def _pair(name: str, item: Any) -> str:
    try:
        return _scalar_pair(name, item)
    except TypeError:  # an unhashable value: not cached
        return f"{go_json(name)}:{go_json(item)}"


@functools.lru_cache(maxsize=65_536)
def _scalar_pair(name: str, item: Any) -> str:
    return f"{go_json(name)}:{go_json(item)}"


def value(item: Any) -> str:
    try:
        return _scalar_value(item)
    except TypeError:
        return "v:" + go_json(item)


@functools.lru_cache(maxsize=65_536)
def _scalar_value(item: Any) -> str:
    return "v:" + go_json(item)


def go_json(value: Any) -> str:
    """Compact JSON with Go's escaping of ``<``, ``>``, ``&``, U+2028 and U+2029."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if any(c in text for c in "<>&\u2028\u2029"):
        text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
                .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return text


_RANK = {"f": 0, "k": 1, "v": 2, "i": 3}


@functools.lru_cache(maxsize=65_536)
def element_order(element: str) -> tuple[Any, ...]:
    """A sort key putting elements in structured-merge-diff's ``PathElement.Compare`` order."""
    kind, _, rest = element.partition(":")
    rank = _RANK.get(kind, 4)
    if rank == 0:
        return (0, rest)
    if rank == 3:
        return (3, int(rest) if rest.lstrip("-").isdigit() else 0)
    try:
        parsed = json.loads(rest)
    except ValueError:
        return (rank, (9, rest))
    if rank == 1 and isinstance(parsed, dict):
        return (1, tuple((k, value_order(v)) for k, v in sorted(parsed.items())))
    return (rank, value_order(parsed))


def value_order(item: Any) -> tuple[Any, ...]:
    """structured-merge-diff's ``value.Compare``: numbers < strings < booleans < lists < maps < null."""
    if isinstance(item, bool):
        return (2, item)
    if isinstance(item, int | float):
        return (0, item)
    if isinstance(item, str):
        return (1, item)
    if isinstance(item, list):
        return (3, tuple(value_order(v) for v in item))
    if isinstance(item, dict):
        return (4, tuple((k, value_order(v)) for k, v in sorted(item.items())))
    return (5,)


def describe(path: tuple[str, ...]) -> str:
    """A path as upstream prints it in conflicts: ``.spec.containers[name="app"].image``."""
    out = []
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            out.append("." + rest)
        elif kind == "k":
            fields = json.loads(rest)
            out.append("[" + ",".join(f"{k}={_printed(v)}" for k, v in sorted(fields.items())) + "]")
        elif kind == "v":
            out.append(f"[={_printed(json.loads(rest))}]")
        else:
            out.append(f"[{rest}]")
    return "".join(out)


def _printed(item: Any) -> str:
    if isinstance(item, str):
        return json.dumps(item, ensure_ascii=False)
    if isinstance(item, bool):
        return "true" if item else "false"
    if item is None:
        return "null"
    return go_json(item)
