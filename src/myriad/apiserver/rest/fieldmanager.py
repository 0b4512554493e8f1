"""``metadata.managedFields`` on every write the store makes (the rules are
:mod:`myriad.api.managed`'s): the object store calls :meth:`FieldTracker.created` and
:meth:`FieldTracker.updated` once a write is valid, just before it is stored (or returned, on a
dry run), and the entries are set on the object in place.

Per resource the tracker keeps its shape (from the bundled schemas, or the CRD version's
``openAPIV3Schema``; deduced without one), the empty object a create is compared against (what Go
writes for a new typed object; ``{}`` for custom resources) and each endpoint's reset fields:
``status`` for the main resource of a kind with a status subresource, ``spec`` for ``/status``
(and, for pods, ``metadata.deletionTimestamp`` and ``ownerReferences``, as upstream's pod status
strategy resets them). A binding writes ``spec.nodeName`` as upstream's does, without a manager.
An apply by ``kubectl`` gets upstream's client-side-apply migration (:mod:`myriad.api.managed.lastapplied`).

Event loop only; never awaits.
"""

from __future__ import annotations

import functools
from typing import Any

from myriad.api import meta, schemas
from myriad.api.managed import lastapplied, shapes
from myriad.api.managed.apply import apply
from myriad.api.managed.errors import ApplyConflicts
from myriad.api.managed.fieldset import FieldSet
from myriad.api.managed.manager import Write, update
from myriad.api.registry import ResourceType
from myriad.clock import Clock

#: The manager of the server's own writes (bootstrap objects, quota and CRD status).
SERVER = "kube-apiserver"
#: Upstream's FieldManagerMaxLength.
MAX_MANAGER_BYTES = 128
_UNTRACKED_SUBRESOURCES = frozenset({"binding"})
_STATUS_RESET: FieldSet = {"f:spec": {}}
_POD_STATUS_RESET: FieldSet = {"f:spec": {}, "f:metadata": {"f:deletionTimestamp": {}, "f:ownerReferences": {}}}
_MAIN_RESET: FieldSet = {"f:status": {}}


def manager_from(field_manager: str, user_agent: str) -> str:
    """The request's manager: its ``fieldManager``, else its user agent up to the first ``/``
    with unprintable characters dropped, at most 128 bytes (upstream's prefixFromUserAgent)."""
    if field_manager:
        return field_manager
    out, size = [], 0
    for char in user_agent.split("/", 1)[0]:
        if not char.isprintable():
            continue
        size += len(char.encode())
        if size > MAX_MANAGER_BYTES:
            break
        out.append(char)
    return "".join(out)


class FieldTracker:
    def __init__(self, *, clock: Clock) -> None:
        self._clock = clock
        self._shapes: dict[ResourceType, tuple[int, shapes.Shape]] = {}
        self._zeros: dict[ResourceType, dict[str, Any]] = {}

    def created(self, resource: ResourceType, obj: dict[str, Any], manager: str) -> None:
        """Sets the entries of ``obj``, about to be created by ``manager``."""
        self._set(obj, update(None, obj, self._shape(resource), self._write(resource, manager, ""),
                              now=meta.rfc3339(self._clock.now()), zero=self._zero(resource)))

    def updated(self, resource: ResourceType, old: dict[str, Any], new: dict[str, Any], manager: str,
                subresource: str) -> None:
        """Sets the entries of ``new``, which ``manager`` is about to write over ``old`` through
        ``subresource`` ("" for the object itself)."""
        if subresource in _UNTRACKED_SUBRESOURCES:
            return  # the pod as patched keeps its entries
        self._set(new, update(old, new, self._shape(resource), self._write(resource, manager, subresource),
                              now=meta.rfc3339(self._clock.now())))

    def applied(self, resource: ResourceType, live: dict[str, Any] | None, config: dict[str, Any], manager: str,
                subresource: str, *, force: bool) -> dict[str, Any]:
        """The object ``config`` applied by ``manager`` over ``live`` (None: it creates) makes, with
        its managedFields; raises ApplyConflicts."""
        shape, write = self._shape(resource), self._write(resource, manager, subresource)
        now, zero = meta.rfc3339(self._clock.now()), self._zero(resource)
        try:
            merged, managed = apply(live, config, shape, write, force=force, now=now, zero=zero)
        except ApplyConflicts as conflicts:
            if manager != lastapplied.KUBECTL:
                raise
            left = lastapplied.forgiven(live, conflicts.conflicts, shape, resource.api_version)
            if left:
                raise ApplyConflicts(left) from None
            merged, managed = apply(live, config, shape, write, force=True, now=now, zero=zero)
        merged = {**merged, "metadata": dict(merged.get("metadata") or {})}
        if manager == lastapplied.KUBECTL:
            lastapplied.annotated(merged, config)
        self._set(merged, managed)
        return merged

    @staticmethod
    def _set(obj: dict[str, Any], managed: list[dict[str, Any]] | None) -> None:
        metadata = obj["metadata"]
        if managed:
            metadata["managedFields"] = managed
        else:
            metadata.pop("managedFields", None)

    @staticmethod
    def _write(resource: ResourceType, manager: str, subresource: str) -> Write:
        if subresource == "status":
            reset = "pod-status" if (resource.group, resource.plural) == ("", "pods") else "status"
        elif not subresource and resource.subresource("status") is not None:
            reset = "main"
        else:
            reset = ""
        return _write(manager or "unknown", resource.api_version, subresource, reset)


    def _shape(self, resource: ResourceType) -> shapes.Shape:
        schema = resource.extra.get("schema") if resource.custom else None
        found = self._shapes.get(resource)
        if found is None or found[0] != id(schema):
            shape = shapes.for_custom(schema) if resource.custom else shapes.for_kind(  # type: ignore[arg-type]
                resource.api_version, resource.kind)
            found = self._shapes[resource] = (id(schema), shape)
        return found[1]

    def _zero(self, resource: ResourceType) -> dict[str, Any]:
        zero = self._zeros.get(resource)
        if zero is None:
            zero = {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": {}}
            if resource.custom:
                zero = {}
            else:
                schemas.prune_unknown(zero, resource.api_version, resource.kind)
            self._zeros[resource] = zero
        return zero


_RESETS: dict[str, FieldSet | None] = {"": None, "main": _MAIN_RESET, "status": _STATUS_RESET,
                                       "pod-status": _POD_STATUS_RESET}


@functools.lru_cache(maxsize=4096)
def _write(manager: str, api_version: str, subresource: str, reset: str) -> Write:
    """Writes are immutable and few (managers by endpoint), so each is built once."""
    return Write(manager=manager, api_version=api_version, subresource=subresource, reset=_RESETS[reset])
