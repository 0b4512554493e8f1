"""Server-side apply: an applied configuration merged into the live object, owned by its manager.

:func:`apply` is structured-merge-diff's ``Updater.Apply``:

1. the applied configuration's fields (less those nobody owns and the endpoint's reset fields)
   become the manager's Apply entry, replacing what it applied before;
2. the configuration is merged over the live object (:func:`~myriad.api.managed.typed.merge`);
3. fields the manager applied before but no longer does, and that no other manager owns, are
   removed (a list item goes whole unless another manager owns the item itself);
4. what this changed, compared with the live object, must not be owned by another manager: each
   such field is a conflict (:class:`~myriad.api.managed.errors.ApplyConflicts`, 409), unless
   ``force``, which takes them over. Fields set to the value they have are shared, not taken.

An object without entries is first given to ``before-first-apply`` (an Update entry owning every
field it has), as upstream does, so an apply to an untracked object conflicts where it should.
The entry's time moves only when the object changed.
"""

from __future__ import annotations

from typing import Any

from myriad.api.managed import entries, typed
from myriad.api.managed.entries import APPLY, UPDATE, Entry, Managed
from myriad.api.managed.errors import ApplyConflicts, Conflict
from myriad.api.managed.fieldset import FieldSet, difference, intersection, paths, union
from myriad.api.managed.manager import Write, live_entries
from myriad.api.managed.shapes import Shape

BEFORE_FIRST_APPLY = "before-first-apply"


def apply(live: dict[str, Any] | None, config: dict[str, Any], shape: Shape, write: Write, *, force: bool,
          now: str, zero: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """(the object ``config`` applied over ``live`` makes, its ``managedFields``); ``live`` None:
    an apply that creates, over ``zero``. Raises ApplyConflicts."""
    base = live if live is not None else (zero or {})
    managed = live_entries(live)
    if live is not None and not managed:
        managed = _before_first_apply(live, shape, write, now, zero or {})
    owned = typed.object_set(config, shape, write.ignored)
    identity = (write.manager, APPLY, "", write.subresource)
    previous = managed.get(identity)
    merged = typed.merge(base, config, shape)
    if previous is not None:
        others: FieldSet = {}
        for key, entry in managed.items():
            if key != identity:
                others = union(others, entry.fields)
        orphaned = difference(difference(previous.fields, owned), others)
        if orphaned:
            merged = typed.remove(merged, orphaned, shape)
    changed, removed = typed.compare(base, merged, shape, write.ignored)
    conflicts = [] if force else _conflicts(managed, identity, changed)
    if conflicts:
        raise ApplyConflicts(conflicts)
    managed = entries.without(managed, union(changed, removed), keep=(identity,))
    if owned:
        unchanged = not changed and not removed
        time = (previous.time if previous is not None else None) if unchanged else now
        managed[identity] = Entry(manager=write.manager, operation=APPLY, api_version=write.api_version,
                                  fields=owned, time=time, subresource=write.subresource, ordered=True)
    else:
        managed.pop(identity, None)
    return merged, entries.encode(managed) or None


def _before_first_apply(live: dict[str, Any], shape: Shape, write: Write, now: str,
                        zero: dict[str, Any]) -> Managed:
    fields, _ = typed.compare(zero, live, shape, write.ignored)
    if not fields:
        return {}
    entry = Entry(manager=BEFORE_FIRST_APPLY, operation=UPDATE, api_version=write.api_version, fields=fields,
                  time=now, subresource=write.subresource)
    return {entry.identity: entry}


def _conflicts(managed: Managed, identity: tuple[str, str, str, str], changed: FieldSet) -> list[Conflict]:
    out = []
    for key, entry in managed.items():
        if key == identity:
            continue
        for path in paths(intersection(entry.fields, changed)):
            out.append(Conflict(manager=entry.manager, operation=entry.operation, api_version=entry.api_version,
                                subresource=entry.subresource, path=path))
    return out
