"""Field sets of objects, along their :class:`~myriad.api.managed.shapes.Shape`: the set a value
holds (:func:`to_set`, what an apply owns) and what changed between two values (:func:`compare`,
what an update takes over).

Paths follow structured-merge-diff: a struct's or map's entries are ``f:`` elements, a keyed
list's items ``k:`` elements (key fields missing from an item take the shape's key defaults), a
set's items ``v:`` elements; scalars and atomic values are leaves. A list item is itself a member
(``"."``); a struct or map is a member only where it is a leaf (empty, null or atomic), or, in a
comparison, where it is new. A keyed list whose items cannot all be told apart (a key field
missing, a duplicate key) and a set of non-scalars are treated as atomic, so every object has a
set.

``compare`` walks only what differs: equal subtrees are skipped by one ``==`` (C speed), so an
update that changes a pod's status walks the status. Every set these build has its keys in
canonical order already (see :func:`~myriad.api.managed.fieldset.canonical`), so it is written
as it is. A subtree that appears whole (a new container) has its set remembered by its JSON: pods
made from one template share their containers' sets. Sets returned are shared: never mutated.
"""

from __future__ import annotations

from typing import Any

import orjson

from myriad.api.managed.fieldset import SELF, FieldSet, element_order, field, keyed, union, value
from myriad.api.managed.shapes import DEDUCED, SCALAR, Shape

_ABSENT: Any = object()
#: What nobody owns, as paths to leave out (upstream's StripMeta): ``apiVersion``, ``kind``,
#: metadata's system fields, and ``metadata`` itself (``"."``: its children are owned, not it).
UNOWNED_PATHS: FieldSet = {"f:apiVersion": {}, "f:kind": {}, "f:metadata": {SELF: {}, **{
    field(name): {} for name in sorted(("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
                                        "generation", "managedFields", "resourceVersion"))}}}


class Ignored:
    """Fields left out of sets and comparisons, from a set of field paths: each path with all
    under it, except where its node holds ``"."`` and children: then only those children, and
    the node is never recorded itself (only what is under it)."""

    __slots__ = ("skip", "into", "itself")

    def __init__(self, paths: FieldSet) -> None:
        #: Names left out whole.
        self.skip = frozenset(key[2:] for key, sub in paths.items() if key != SELF and not sub)
        #: Names walked into, with what is left out under them.
        self.into = {key[2:]: Ignored(sub) for key, sub in paths.items() if key != SELF and sub}
        #: The node is not recorded itself.
        self.itself = SELF in paths


UNOWNED = Ignored(UNOWNED_PATHS)


def ignoring(reset: FieldSet | None) -> Ignored:
    """What a write through an endpoint with these reset fields neither owns nor changes:
    :data:`UNOWNED` and ``reset``."""
    return Ignored(union(UNOWNED_PATHS, reset)) if reset else UNOWNED


def object_set(obj: dict[str, Any], shape: Shape, ignored: Ignored = UNOWNED) -> FieldSet:
    """What applying ``obj`` owns: the paths it holds less ``ignored``."""
    return to_set(obj, shape, ignored)


def to_set(val: Any, shape: Shape, ignored: Ignored | None = None) -> FieldSet:
    """The paths ``val`` holds under its node (the node itself excluded), less ``ignored``."""
    if shape.whole or val is None:
        return {}
    kind = shape.kind
    if kind in ("struct", "map", "deduced"):
        if not isinstance(val, dict):
            return {}
        out: FieldSet = {}
        for key in sorted(val):
            inner_ignored = None
            if ignored is not None:
                if key in ignored.skip:
                    continue
                inner_ignored = ignored.into.get(key)
            sub = val[key]
            inner = {}
            if sub and isinstance(sub, dict | list):  # a scalar is a leaf, whatever its shape
                child = shape.field(key)
                inner = to_set(sub, child if child is not None else DEDUCED, inner_ignored)
            if inner or inner_ignored is None or not inner_ignored.itself:
                out[field(key)] = inner
        return out
    if not isinstance(val, list):
        return {}
    elements = _elements(val, shape)
    if elements is None:
        return {}
    item_shape = shape.element()
    out = {}
    for element, item in _in_order(elements, val):
        inner = to_set(item, item_shape) if shape.list_type == "map" else {}
        out[element] = {SELF: {}, **inner} if inner else {}
    return out


def _elements(items: list[Any], shape: Shape) -> list[str] | None:
    """Each item's path element; None when they cannot all be told apart (then atomic)."""
    if shape.list_type == "set":
        if any(isinstance(i, dict | list) for i in items):
            return None
        elements = [value(i) for i in items]
    else:
        keys, defaults = shape.keys, shape.key_defaults
        if not keys:
            return None
        elements = []
        for item in items:
            if not isinstance(item, dict):
                return None
            fields = {}
            for key in keys:
                found = item.get(key, defaults.get(key, _ABSENT))
                if found is _ABSENT:
                    return None
                fields[key] = found
            elements.append(keyed(fields))
    return elements if len(set(elements)) == len(elements) else None


def _in_order(elements: list[str], items: list[Any]) -> list[tuple[str, Any]]:
    """(element, item) pairs in canonical order."""
    return sorted(zip(elements, items, strict=True), key=lambda pair: element_order(pair[0]))


def _atomic_list(shape: Shape, *lists: Any) -> bool:
    return shape.whole or any(isinstance(x, list) and _elements(x, shape) is None for x in lists)


def compare(live: Any, new: Any, shape: Shape, ignored: Ignored | None = None) -> tuple[FieldSet, FieldSet]:
    """(added or modified, removed) going from ``live`` to ``new``, paths under their node.
    A struct, map or list absent from ``live`` is added as a member with all it holds; one
    removed is removed likewise. ``ignored`` is neither compared nor recorded."""
    changed: FieldSet = {}
    removed: FieldSet = {}
    _compare_into(live, new, shape, changed, removed, ignored)
    return changed, removed


def _compare_into(live: Any, new: Any, shape: Shape, changed: FieldSet, removed: FieldSet,
                  ignored: Ignored | None) -> None:
    kind = shape.kind
    if kind in ("struct", "map", "deduced") and not shape.atomic:
        live_d = live if isinstance(live, dict) else {}
        new_d = new if isinstance(new, dict) else {}
        # a subtree shared by both sides (an apply's merge shares what it left alone) is not walked
        if ignored is None:
            differ = [key for key in new_d if (old := live_d.get(key, _ABSENT)) is not new_d[key] and old != new_d[key]]
        else:  # what is walked into is not compared first: what it leaves out may be large
            skip, into = ignored.skip, ignored.into
            differ = [key for key in new_d if key not in skip and (old := live_d.get(key, _ABSENT)) is not new_d[key]
                      and (key in into or old != new_d[key])]
        added = 0
        for key in differ if len(differ) < 2 else sorted(differ):
            old, sub = live_d.get(key, _ABSENT), new_d[key]
            added += old is _ABSENT
            inner_ignored = ignored.into.get(key) if ignored is not None else None
            if not isinstance(sub, dict | list) and not isinstance(old, dict | list):
                if inner_ignored is None or not inner_ignored.itself:  # a leaf, whatever its shape
                    changed[field(key)] = {}
                continue
            child = shape.field(key)
            _child(field(key), old, sub, child if child is not None else DEDUCED, changed, removed, inner_ignored)
        if len(live_d) + added > len(new_d):  # some keys went
            gone = live_d.keys() - new_d.keys()
            for key in sorted(gone - ignored.skip if ignored is not None else gone):
                child = shape.field(key)
                _child(field(key), live_d[key], _ABSENT, child if child is not None else DEDUCED, changed, removed,
                       ignored.into.get(key) if ignored is not None else None)
        return
    if kind == "list" and not _atomic_list(shape, live, new):
        live_l = live if isinstance(live, list) else []
        new_l = new if isinstance(new, list) else []
        live_items = dict(zip(_elements(live_l, shape) or (), live_l, strict=True))
        new_items = dict(zip(_elements(new_l, shape) or (), new_l, strict=True))
        item_shape = shape.element() if shape.list_type == "map" else SCALAR
        for element in sorted(new_items, key=element_order):
            item = new_items[element]
            old = live_items.get(element, _ABSENT)
            if old is _ABSENT or old != item:
                _child(element, old, item, item_shape, changed, removed, None)
        for element in sorted(live_items, key=element_order):
            if element not in new_items:
                _child(element, live_items[element], _ABSENT, item_shape, changed, removed, None)


def _child(element: str, old: Any, new: Any, shape: Shape, changed: FieldSet, removed: FieldSet,
           ignored: Ignored | None) -> None:
    """One entry of a struct or map, or item of a list, that differs between the two sides. A ``null`` composite is
    there but empty (a Go nil slice or map that is written): what fills it is added item by item,
    not as a new node."""
    if new is _ABSENT:
        _record(removed, element, _member(old, shape, ignored))
        return
    if old is _ABSENT:
        _record(changed, element, _member(new, shape, ignored))
        return
    if shape.whole or not _composite_or_null(old) or not _composite_or_null(new) or (not old and not new):
        # a leaf that changed (or both empty and unequal, null and {}: compared as leaves)
        if ignored is None or not ignored.itself:
            changed[element] = {}
        return
    sub_changed: FieldSet = {}
    sub_removed: FieldSet = {}
    _compare_into(old, new, shape, sub_changed, sub_removed, ignored)
    if sub_changed:
        changed[element] = sub_changed
    if sub_removed:
        removed[element] = sub_removed


def _record(into: FieldSet, element: str, node: FieldSet | None) -> None:
    if node is not None:
        into[element] = node


def _composite_or_null(val: Any) -> bool:
    return val is None or isinstance(val, dict | list)


def _member(val: Any, shape: Shape, ignored: Ignored | None = None) -> FieldSet | None:
    """A node that appeared or went, as a member with every node under it a member too (what
    structured-merge-diff's comparison records for a subtree one side lacks), less ``ignored``;
    None when that leaves nothing."""
    if ignored is None:
        return _remembered_member(val, shape)
    if isinstance(val, dict) and val and not shape.whole:
        kids: FieldSet = {}
        for key in sorted(val.keys() - ignored.skip):
            child = shape.field(key)
            _record(kids, field(key), _member(val[key], child if child is not None else DEDUCED,
                                              ignored.into.get(key)))
        if ignored.itself:
            return kids or None
        return {SELF: {}, **kids} if kids else {}
    node = _whole_member(val, shape)
    if ignored.itself:
        return {k: v for k, v in node.items() if k != SELF} or None
    return node


#: How many whole-subtree sets are remembered (the oldest go first).
MEMBERS_REMEMBERED = 4096
_MEMBERS: dict[tuple[Shape, bytes], FieldSet] = {}


def _remembered_member(val: Any, shape: Shape) -> FieldSet:
    """:func:`_whole_member`, remembered for the subtree's JSON under its shape."""
    if not val or shape.whole or not isinstance(val, dict | list):
        return {}
    try:
        key = (shape, orjson.dumps(val))
    except orjson.JSONEncodeError:
        return _whole_member(val, shape)
    found = _MEMBERS.get(key)
    if found is None:
        found = _whole_member(val, shape)
        if len(_MEMBERS) >= MEMBERS_REMEMBERED:
            del _MEMBERS[next(iter(_MEMBERS))]
        _MEMBERS[key] = found
    return found


def _whole_member(val: Any, shape: Shape) -> FieldSet:
    if not val or shape.whole or not isinstance(val, dict | list):
        return {}
    out: FieldSet = {SELF: {}}
    if isinstance(val, dict):
        for key in sorted(val):
            sub = val[key]
            if sub and isinstance(sub, dict | list):
                child = shape.field(key)
                out[field(key)] = _whole_member(sub, child if child is not None else DEDUCED)
            else:  # a leaf, whatever its shape
                out[field(key)] = {}
        return out
    elements = _elements(val, shape)
    if elements is None:
        return {}
    item_shape = shape.element()
    for element, item in _in_order(elements, val):
        out[element] = _whole_member(item, item_shape) if shape.list_type == "map" else {}
    return out


def merge(live: Any, config: Any, shape: Shape) -> Any:
    """``config`` applied over ``live``: the applied value wins on leaves and atomic values;
    structs and maps merge entry by entry; a keyed list's or a set's items merge by key, the
    applied items in the applied order and live-only items kept where they were. Neither input
    is changed; unchanged subtrees of ``live`` are shared."""
    if config is _ABSENT:
        return live
    if shape.whole or not isinstance(config, dict | list) or not isinstance(live, type(config)):
        return config
    if isinstance(config, dict):
        out = dict(live)
        for key, sub in config.items():
            old = live.get(key, _ABSENT)
            if old is _ABSENT or not isinstance(sub, dict | list):  # a scalar is applied as it is
                out[key] = sub
            else:
                child = shape.field(key)
                out[key] = merge(old, sub, child if child is not None else DEDUCED)
        return out
    if _atomic_list(shape, live, config):
        return config
    live_elements = _elements(live, shape) or []
    config_elements = _elements(config, shape) or []
    item_shape = shape.element() if shape.list_type == "map" else SCALAR
    applied = dict(zip(config_elements, config, strict=True))
    live_at = dict(zip(live_elements, live, strict=True))
    out_items: list[Any] = []
    pending = iter(config_elements)
    for element, item in zip(live_elements, live, strict=True):
        if element not in applied:
            out_items.append(item)  # live only: stays where it was
            continue
        for next_element in pending:  # applied items up to and including this shared one
            old = live_at.get(next_element, _ABSENT)
            new_item = applied[next_element]
            out_items.append(new_item if old is _ABSENT else merge(old, new_item, item_shape))
            if next_element == element:
                break
    for next_element in pending:
        old = live_at.get(next_element, _ABSENT)
        new_item = applied[next_element]
        out_items.append(new_item if old is _ABSENT else merge(old, new_item, item_shape))
    return out_items


def remove(val: Any, fields: FieldSet, shape: Shape) -> Any:
    """``val`` without the members of ``fields`` (a member's whole subtree goes); what is only a
    way through is walked into. Unchanged subtrees are shared."""
    if not fields or shape.whole or not isinstance(val, dict | list):
        return val
    if isinstance(val, dict):
        out = dict(val)
        for key, sub in val.items():
            node = fields.get(field(key))
            if node is None:
                continue
            if not node or SELF in node:
                del out[key]
            else:
                child = shape.field(key)
                out[key] = remove(sub, node, child if child is not None else DEDUCED)
        return out
    elements = _elements(val, shape)
    if elements is None:
        return val
    item_shape = shape.element() if shape.list_type == "map" else SCALAR
    kept = []
    for element, item in zip(elements, val, strict=True):
        node = fields.get(element)
        if node is None:
            kept.append(item)
        elif node and SELF not in node:
            kept.append(remove(item, node, item_shape))
    return kept
