"""The behaviour every resource shares, and the base the per-resource strategies extend.

Main endpoint vs ``/status``: for resources with a status subresource, the main endpoint keeps
the stored ``status``, and ``/status`` keeps everything but ``status``, metadata included, as
upstream's paired ``PrepareForUpdate`` strategies do. The store checks the request's
resourceVersion before these run.
"""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.api.registry import ResourceType
from myriad.apiserver.rest.interfaces import Obj

_BASE_FIELDS = frozenset({"metadata.name", "metadata.namespace"})


class GenericStrategy:
    tracks_generation = True
    allow_create_on_update = False
    allow_unconditional_update = True
    #: Names must be DNS-1123 subdomains (most resources) or labels (namespaces, services).
    name_rule = "subdomain"
    #: A delete that removes the object answers with the object instead of a Success Status.
    return_deleted_object = False

    def __init__(self, resource: ResourceType) -> None:
        self.resource = resource
        self.has_status = resource.subresource("status") is not None

    # -- create --------------------------------------------------------------------------------

    def prepare_for_create(self, obj: Obj) -> None:
        if self.has_status:
            obj.pop("status", None)

    def default(self, obj: Obj) -> None:
        """Fills upstream defaults; the generic strategy has none."""

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj)

    def validate_metadata(self, obj: Obj) -> list[Cause]:
        metadata = obj.get("metadata")
        if not isinstance(metadata, dict):
            return [meta.required("metadata")]
        causes: list[Cause] = []
        name = metadata.get("name")
        if not name:
            causes.append(meta.required("metadata.name", "name or generateName is required"))
        elif not isinstance(name, str):
            causes.append(meta.invalid("metadata.name", name, "must be a string"))
        else:
            errors = (meta.dns1123_label_errors(name) if self.name_rule == "label"
                      else meta.path_segment_errors(name) if self.name_rule == "path"
                      else meta.dns1123_subdomain_errors(name))
            causes.extend(meta.invalid("metadata.name", name, error) for error in errors)
        causes.extend(meta.labels_errors(metadata.get("labels"), "metadata.labels"))
        causes.extend(meta.annotations_errors(metadata.get("annotations"), "metadata.annotations"))
        finalizers = metadata.get("finalizers")
        if finalizers is not None:
            if not isinstance(finalizers, list) or not all(isinstance(f, str) for f in finalizers):
                causes.append(meta.invalid("metadata.finalizers", finalizers, "must be a list of strings"))
            else:
                for i, finalizer in enumerate(finalizers):
                    errors = meta.qualified_name_errors(finalizer)
                    causes.extend(meta.invalid(f"metadata.finalizers[{i}]", finalizer, e) for e in errors)
        return causes

    # -- update --------------------------------------------------------------------------------

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        if subresource == "status":
            status = new.get("status")
            new.clear()
            new.update({k: v for k, v in old.items() if k != "status"})
            new["metadata"] = dict(old["metadata"])  # type: ignore[arg-type]
            if status is not None:
                new["status"] = status
        elif self.has_status:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        return self.validate(new)

    # -- delete, select ------------------------------------------------------------------------

    def graceful_period(self, obj: Obj, requested: int | None) -> int:
        return 0

    def holds_deletion(self, obj: Obj) -> bool:
        """True while something other than metadata.finalizers keeps a deleted object stored."""
        return False

    def mark_deleting(self, obj: Obj) -> None:
        """Adjusts an object as its deletionTimestamp is set (namespaces turn Terminating)."""

    def field(self, obj: Obj, name: str) -> str | None:
        metadata = obj.get("metadata") or {}
        if name == "metadata.name":
            return metadata.get("name")  # type: ignore[union-attr]
        if name == "metadata.namespace":
            return metadata.get("namespace")  # type: ignore[union-attr]
        return None

    def selectable_fields(self) -> frozenset[str]:
        return _BASE_FIELDS

    def spec_changed(self, new: Obj, old: Obj) -> bool:
        """Generation moves when anything but metadata and status changed."""
        keys = (set(new) | set(old)) - {"metadata", "status", "kind", "apiVersion"}
        return any(new.get(key) != old.get(key) for key in keys)
