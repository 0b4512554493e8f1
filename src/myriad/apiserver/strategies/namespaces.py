"""Namespaces: DNS-1123 label names, spec.finalizers defaulting to ["kubernetes"], phase
Active, and deletion that marks the namespace Terminating until its spec.finalizers are gone
(emptied, then released through ``/finalize``, by the controller manager's namespace
controller)."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy

#: Namespaces the NamespaceLifecycle admission plugin never lets go.
IMMORTAL = frozenset({"default", "kube-system", "kube-public"})


class NamespaceStrategy(GenericStrategy):
    tracks_generation = False
    name_rule = "label"
    return_deleted_object = True

    def deletion_forbidden(self, name: str) -> str | None:
        return "this namespace may not be deleted" if name in IMMORTAL else None

    def prepare_for_create(self, obj: Obj) -> None:
        obj["status"] = {"phase": "Active"}
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            spec = obj["spec"] = {}
        finalizers = spec.get("finalizers") if isinstance(spec.get("finalizers"), list) else []
        if "kubernetes" not in finalizers:  # type: ignore[operator]
            spec["finalizers"] = [*finalizers, "kubernetes"]  # type: ignore[misc]

    def default(self, obj: Obj) -> None:
        name = obj["metadata"].get("name")  # type: ignore[union-attr]
        if not name:  # upstream cannot label a namespace that has no name yet (generateName)
            return
        labels = obj["metadata"].setdefault("labels", {})  # type: ignore[union-attr]
        if isinstance(labels, dict):
            labels["kubernetes.io/metadata.name"] = name

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        if subresource == "finalize":
            finalizers = (new.get("spec") or {}).get("finalizers")  # type: ignore[union-attr]
            new.clear()
            new.update(old)
            new["metadata"] = dict(old["metadata"])  # type: ignore[arg-type]
            new["spec"] = {**(old.get("spec") or {}), "finalizers": finalizers or []}  # type: ignore[dict-item]
            return
        super().prepare_for_update(new, old, subresource=subresource)
        if subresource != "status":
            new["spec"] = old.get("spec", {})

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + _finalizer_errors(obj)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        return self.validate(new)

    def holds_deletion(self, obj: Obj) -> bool:
        return bool((obj.get("spec") or {}).get("finalizers"))  # type: ignore[union-attr]

    def mark_deleting(self, obj: Obj) -> None:
        """Terminating, with a deletionTimestamp and no grace period (upstream's namespace
        storage sets only the timestamp)."""
        status = obj.get("status")
        obj["status"] = {**(status if isinstance(status, dict) else {}), "phase": "Terminating"}
        obj["metadata"].pop("deletionGracePeriodSeconds", None)  # type: ignore[union-attr]


#: Finalizer names that need no domain (upstream's IsStandardFinalizerName).
STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})


def _finalizer_errors(obj: Obj) -> list[Cause]:
    """ValidateNamespace's check of spec.finalizers (its path names no index): qualified names,
    and a name without a domain only if it is a standard one."""
    causes = []
    for name in (obj.get("spec") or {}).get("finalizers") or []:  # type: ignore[union-attr]
        if not isinstance(name, str):
            continue
        causes += [meta.invalid("spec.finalizers", name, e) for e in meta.qualified_name_errors(name)]
        if "/" not in name and name not in STANDARD_FINALIZERS:
            causes.append(meta.invalid("spec.finalizers", name,
                                       "name is neither a standard finalizer name nor is it fully qualified"))
    return causes
