"""The behaviour every resource shares, and the base the per-resource strategies extend.

Main endpoint vs ``/status``: for resources with a status subresource, the main endpoint keeps
the stored ``status``, and ``/status`` keeps everything but ``status``, metadata included, as
upstream's paired ``PrepareForUpdate`` strategies do. The store checks the request's
resourceVersion before these run.
"""

from __future__ import annotations

import functools

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.api.registry import ResourceType
from myriad.api.schemas import zero_field
from myriad.apiserver.rest.interfaces import Obj
from myriad.clock import Clock, SystemClock

_BASE_FIELDS = frozenset({"metadata.name", "metadata.namespace"})
#: Field labels that read another path (upstream's selectable-field sets).
_FIELD_PATHS = {"status.successful": "status.succeeded", "source": "source.component"}
#: Core kinds with field label conversion functions of their own (pkg/apis/core/v1/conversion.go);
#: the others answer with the generic meta/v1 message.
_CORE_FIELD_CONVERSIONS = frozenset({"pods", "nodes", "replicationcontrollers", "events", "namespaces", "secrets",
                                     "services"})
#: What an unset field compares as, where upstream formats a zero value.
_FIELD_UNSET = {"status.successful": "0", "spec.unschedulable": "false", "spec.hostNetwork": "false"}


@functools.lru_cache(maxsize=256)
def _steps(name: str) -> tuple[str, ...]:
    """The keys a selectable field's value is found under."""
    return tuple(_FIELD_PATHS.get(name, name).split("."))  # GenericStrategy.field_paths names the same path


class GenericStrategy:
    tracks_generation = True
    allow_create_on_update = False
    allow_unconditional_update = True
    #: Names must be DNS-1123 subdomains (most resources) or labels (namespaces, services).
    name_rule = "subdomain"
    #: A delete that removes the object answers with the object instead of a Success Status.
    return_deleted_object = False
    #: Field selectors accepted (upstream's field label conversions for the resource).
    fields = _BASE_FIELDS

    #: Set by the strategy table; strategies that stamp times read it.
    clock: Clock = SystemClock()

    def __init__(self, resource: ResourceType) -> None:
        self.resource = resource
        self.has_status = resource.subresource("status") is not None

    # -- create --------------------------------------------------------------------------------

    def prepare_for_create(self, obj: Obj) -> None:
        """A new object's status starts empty, as upstream's strategies reset it: the zero status
        as Go writes it (a DaemonSet's four counts at 0). Custom resources keep none at all, as
        unstructured objects do."""
        if self.has_status:
            if self.resource.custom:
                obj.pop("status", None)
            else:
                zero = zero_field(self.resource.api_version, self.resource.kind, "status")
                obj["status"] = {} if zero is None else zero

    def default(self, obj: Obj) -> None:
        """Fills upstream defaults; the generic strategy has none."""

    def admit(self, obj: Obj, old: Obj | None) -> None:
        """Built-in admission's changes; the generic strategy has none."""

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
            causes.extend(meta.invalid("metadata.name", name, error) for error in self.name_errors(name, obj))
        causes.extend(meta.labels_errors(metadata.get("labels"), "metadata.labels"))
        causes.extend(_owner_reference_errors(metadata.get("ownerReferences")))
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

    def name_errors(self, name: str, obj: Obj) -> list[str]:
        """Why ``name`` may not name ``obj`` (upstream's name validation function for the kind),
        by :attr:`name_rule`."""
        if self.name_rule == "label":
            return meta.dns1123_label_errors(name)
        if self.name_rule == "path":
            return meta.path_segment_errors(name)
        return meta.dns1123_subdomain_errors(name)

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

    # -- things held outside the object (service IPs, node ports) ----------------------------

    async def reserve(self, new: Obj, old: Obj | None) -> list[Cause]:
        """Claims what ``new`` needs that ``old`` (None on create) does not hold; returns
        causes for what cannot be had."""
        return []

    async def release(self, obj: Obj, kept: Obj | None) -> None:
        """Frees what ``obj`` holds and ``kept`` does not (after a delete, a failed write, or
        an update that dropped it)."""

    # -- delete, select ------------------------------------------------------------------------

    def graceful_period(self, obj: Obj, requested: int | None) -> int:
        return 0

    def deletion_forbidden(self, name: str) -> str | None:
        """Why ``name`` may never be deleted (a 403), or None."""
        return None

    def holds_deletion(self, obj: Obj) -> bool:
        """True while something other than metadata.finalizers keeps a deleted object stored."""
        return False

    def mark_deleting(self, obj: Obj) -> None:
        """Adjusts an object as its deletionTimestamp is set (namespaces turn Terminating)."""

    def field(self, obj: Obj, name: str) -> str | None:
        """A selectable field's value as upstream compares it: text, ``true``/``false`` for
        booleans, ``""`` when unset."""
        value: object = obj
        for step in _steps(name):
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return _FIELD_UNSET.get(name, "")
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def field_paths(self, name: str) -> tuple[str, ...]:
        return (_FIELD_PATHS.get(name, name),)

    def selectable_fields(self) -> frozenset[str]:
        return self.fields

    def field_label_error(self, name: str) -> str:
        """The 400 message for a field selector on a field this resource does not offer."""
        if self.resource.group == "" and self.resource.plural in _CORE_FIELD_CONVERSIONS:
            return f"field label not supported: {name}"
        if self.resource.group == "batch" and self.resource.plural == "jobs":
            return f'field label "{name}" not supported for batchv1.Job'
        return f'"{name}" is not a known field selector: only "metadata.name", "metadata.namespace"'

    def spec_changed(self, new: Obj, old: Obj) -> bool:
        """Generation moves when anything but metadata and status changed."""
        keys = (set(new) | set(old)) - {"metadata", "status", "kind", "apiVersion"}
        return any(new.get(key) != old.get(key) for key in keys)


def _owner_reference_errors(references: object) -> list[Cause]:
    """Upstream's ValidateOwnerReferences (its path names no index): each reference names a
    version, kind, name and uid, and at most one is the controller."""
    if not isinstance(references, list):
        return []
    causes = []
    path = "metadata.ownerReferences"
    controllers = []
    for ref in references:
        if not isinstance(ref, dict):
            continue
        version = str(ref.get("apiVersion") or "").rpartition("/")[2]
        for field, value, what in (("apiVersion", version, "version"), ("kind", ref.get("kind"), "kind"),
                                   ("name", ref.get("name"), "name"), ("uid", ref.get("uid"), "uid")):
            if not value:
                causes.append(meta.invalid(f"{path}.{field}", ref.get(field) or "", f"{what} must not be empty"))
        if ref.get("controller") is True:
            controllers.append(f"{ref.get('kind')}/{ref.get('name')}")
    if len(controllers) > 1:
        causes.append(meta.invalid(path, references, 'Only one reference can have Controller set to true. Found '
                                                     f'"true" in references for {" and ".join(controllers)}'))
    return causes
