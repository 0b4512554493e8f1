"""The field manager: ``metadata.managedFields`` kept true on every write.

:func:`update` is what every create, update and patch (any subresource) does: the fields the write
added or changed become its manager's (an Update entry at the request's apiVersion and
subresource, its time set when its set grew or changed), leave every other manager, and fields it
removed leave everyone. It never conflicts.

What a write starts from, as upstream's field manager decides it:

- a subresource write ignores the body's managedFields and keeps the live ones;
- ``managedFields: []`` or ``[{}]`` clears them, and an object without entries stays untracked
  by later updates (a create always starts tracking, whatever its body says);
- entries in the body that decode are used as they are (renamed, dropped, edited); entries that
  do not are ignored for the live ones.

Fields nobody owns (``apiVersion``, ``kind``, metadata's name, uid, resourceVersion and the like)
and a strategy's reset fields (``status`` on the main resource, ``spec`` on ``/status``) are never
recorded.

Pure functions of their arguments; the caller passes the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from myriad.api.managed import entries, typed
from myriad.api.managed.entries import UPDATE, Entry, Managed
from myriad.api.managed.errors import InvalidManagedFields
from myriad.api.managed.fieldset import FieldSet, difference, ordered_union, union
from myriad.api.managed.shapes import Shape

_ABSENT: Any = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    """Who writes, through which endpoint."""
    manager: str
    api_version: str
    subresource: str = ""
    #: Paths this endpoint's writes neither own nor count as changes (the strategy's reset fields).
    reset: FieldSet | None = None
    #: ``reset`` and what nobody owns (:func:`~myriad.api.managed.typed.ignoring`), derived.
    ignored: FieldSet = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignored", typed.ignoring(self.reset))


def live_entries(obj: dict[str, Any] | None) -> Managed:
    """The object's entries; none if it has none, or none that decode."""
    raw = ((obj or {}).get("metadata") or {}).get("managedFields")
    if not raw:
        return {}
    try:
        return entries.decode(raw, stored=True)
    except InvalidManagedFields:
        return {}


def starting_entries(live: dict[str, Any] | None, new: dict[str, Any], write: Write) -> Managed | None:
    """The entries a write starts from; None when it clears them (or the object is untracked)."""
    current = live_entries(live)
    if write.subresource:
        return current if current or live is None else None
    raw = (new.get("metadata") or {}).get("managedFields", _ABSENT)
    if entries.is_reset(raw):
        return None if live is not None else {}  # a create is tracked all the same
    if raw is not _ABSENT and raw is not None and raw != ((live or {}).get("metadata") or {}).get("managedFields"):
        try:
            current = entries.decode(raw)
        except InvalidManagedFields:
            pass
    if not current and live is not None:
        return None
    return current


def update(live: dict[str, Any] | None, new: dict[str, Any], shape: Shape, write: Write, *, now: str,
           zero: dict[str, Any] | None = None) -> list[dict[str, Any]] | None:
    """The ``managedFields`` ``new`` is stored with when ``write`` turns ``live`` (None: a create,
    compared against ``zero``, the kind's empty object) into it; None for none."""
    managed = starting_entries(live, new, write)
    if managed is None:
        return None
    changed, removed = typed.compare(live if live is not None else (zero or {}), new, shape, write.ignored)
    identity = (write.manager or "unknown", UPDATE, write.api_version, write.subresource)
    previous = managed.pop(identity, None)
    if changed or removed:
        managed = entries.without(managed, union(changed, removed))
    kept = difference(previous.fields, removed) if previous is not None else {}
    if changed:  # canonical, as typed builds it: joined in order to a stored entry's
        ordered = previous is None or previous.ordered
        managed[identity] = Entry(manager=identity[0], operation=UPDATE, api_version=write.api_version,
                                  fields=ordered_union(kept, changed) if ordered else union(kept, changed), time=now,
                                  subresource=write.subresource, ordered=ordered)
    elif previous is not None and kept:
        managed[identity] = previous if kept is previous.fields else replace(previous, fields=kept)
    return entries.encode(entries.cap_updates(managed)) or None
