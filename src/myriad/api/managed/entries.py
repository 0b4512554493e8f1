"""``metadata.managedFields``: its entries read, merged by identity, capped and written back in
upstream's order.

An entry's identity is (manager, operation, apiVersion, subresource), except that an Apply entry's
apiVersion is not part of it: a manager has one Apply entry per subresource, rewritten at the
version it last applied through, and one Update entry per apiVersion and subresource. When a body
holds two entries with one identity, the later wins.

:func:`decode` refuses what upstream refuses (an operation other than Apply or Update, an empty
apiVersion, a fieldsType other than FieldsV1, fields that are not an object); the caller then
falls back to the live object's entries, as upstream does, silently.

:func:`encode` orders entries as upstream does: Apply before Update, then by time (an entry with no
time first), manager, apiVersion, subresource; fields are written in canonical key order.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from myriad.api.managed.errors import InvalidManagedFields
from myriad.api.managed.fieldset import FieldSet, canonical, difference, union

APPLY, UPDATE = "Apply", "Update"
#: Upstream's DefaultMaxUpdateManagers: beyond this many Update entries the oldest are merged
#: into ``ancient-changes`` entries, one per apiVersion.
MAX_UPDATE_MANAGERS = 10
ANCIENT = "ancient-changes"


@dataclass(slots=True)
class Entry:
    """One entry; never changed once made (:func:`dataclasses.replace` makes changed copies). Not
    frozen: a frozen dataclass takes three times as long to make, and one is made per write."""

    manager: str
    operation: str
    api_version: str
    fields: FieldSet
    time: str | None = None
    subresource: str = ""
    #: ``fields`` is in canonical order already (read from a stored object, or only ever cut
    #: down since, which keeps the order): written as it is.
    ordered: bool = field(default=False, compare=False)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.manager, self.operation, "" if self.operation == APPLY else self.api_version, self.subresource)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version}
        if self.time is not None:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = self.fields if self.ordered else canonical(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out


Managed = dict[tuple[str, str, str, str], Entry]


def decode(raw: Any, *, stored: bool = False) -> Managed:
    """The entries of a ``managedFields`` value, by identity; InvalidManagedFields if upstream
    would not decode them. ``stored``: a stored object's, written by :func:`encode`, so their
    fields are neither checked again nor re-sorted when written back."""
    if not isinstance(raw, list):
        raise InvalidManagedFields("managedFields must be a list")
    out: Managed = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidManagedFields(f"managed fields entry {i} is not an object")
        operation = item.get("operation")
        if operation not in (APPLY, UPDATE):
            raise InvalidManagedFields("operation must be `Apply` or `Update`")
        api_version = item.get("apiVersion")
        if not api_version or not isinstance(api_version, str):
            raise InvalidManagedFields("apiVersion must not be empty")
        kind = item.get("fieldsType")
        if not kind:
            raise InvalidManagedFields(f"missing fieldsType in managed fields entry {i}")
        if kind != "FieldsV1":
            raise InvalidManagedFields(f'invalid fieldsType "{kind}" in managed fields entry {i}')
        fields = item.get("fieldsV1", {})
        if not stored and (not isinstance(fields, dict) or not _well_formed(fields)):
            raise InvalidManagedFields(f"error decoding fieldsV1 in managed fields entry {i}")
        time = item.get("time")
        entry = Entry(manager=str(item.get("manager") or "") or "unknown", operation=operation,
                      api_version=api_version, fields=fields, time=time if isinstance(time, str) else None,
                      subresource=str(item.get("subresource") or ""), ordered=stored)
        out[entry.identity] = entry
    return out


def _well_formed(node: Any) -> bool:
    return isinstance(node, dict) and all(
        isinstance(k, str) and (k == "." or k[:2] in ("f:", "k:", "v:", "i:")) and _well_formed(v)
        for k, v in node.items())


def is_reset(raw: Any) -> bool:
    """A body's ``managedFields: []`` or ``[{}]``: clear them (and stop tracking)."""
    return isinstance(raw, list) and (not raw or (len(raw) == 1 and raw[0] == {}))


def encode(managed: Managed) -> list[dict[str, Any]]:
    """The entries with fields, as ``managedFields`` in upstream's order."""
    kept = [e for e in managed.values() if e.fields]
    if len(kept) > 1:
        kept.sort(key=_order)
    return [e.to_json() for e in kept]


def _order(entry: Entry) -> tuple[Any, ...]:
    return (entry.operation, _seconds(entry.time), entry.manager, entry.api_version, entry.subresource)


@functools.lru_cache(maxsize=4096)
def _seconds(time: str | None) -> float:
    if not time:
        return 0.0
    try:
        return datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def cap_updates(managed: Managed, limit: int = MAX_UPDATE_MANAGERS) -> Managed:
    """At most ``limit`` Update entries: the oldest are merged into ``ancient-changes`` (one per
    apiVersion, taking the time of the last merged into it), as upstream's capManagers does."""
    updaters = [e for e in managed.values() if e.operation == UPDATE]
    if len(updaters) <= limit:
        return managed
    out = dict(managed)
    first_of: dict[str, tuple[str, str, str, str]] = {}
    remaining = len(updaters)
    for entry in sorted(updaters, key=lambda e: (_seconds(e.time), _identity_json(e))):
        if remaining <= limit:
            break
        bucket = (ANCIENT, UPDATE, entry.api_version, "")
        if entry.api_version not in first_of:
            first_of[entry.api_version] = entry.identity
            continue
        if bucket not in out:
            first = out.pop(first_of[entry.api_version])
            out[bucket] = replace(first, manager=ANCIENT, subresource="")
        merged = out[bucket]
        out[bucket] = replace(merged, fields=union(merged.fields, entry.fields), time=entry.time, ordered=False)
        del out[entry.identity]
        remaining -= 1
    return out


def _identity_json(entry: Entry) -> str:
    """Upstream sorts equal times by the identifier's JSON: manager, operation, apiVersion, subresource."""
    parts = [f'"manager":"{entry.manager}"', f'"operation":"{entry.operation}"']
    if entry.operation != APPLY:
        parts.append(f'"apiVersion":"{entry.api_version}"')
    if entry.subresource:
        parts.append(f'"subresource":"{entry.subresource}"')
    return "{" + ",".join(parts) + "}"


def without(managed: Managed, fields: FieldSet, *, keep: Iterable[tuple[str, str, str, str]] = ()) -> Managed:
    """Every entry but those in ``keep`` less ``fields``; entries left empty are dropped."""
    kept = set(keep)
    out: Managed = {}
    for identity, entry in managed.items():
        rest = entry.fields if identity in kept else difference(entry.fields, fields)
        if rest:
            out[identity] = entry if rest is entry.fields else replace(entry, fields=rest)
    return out
