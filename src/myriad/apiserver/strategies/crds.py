"""CustomResourceDefinitions: defaults, validation, and the status upstream's CRD controllers
would write (names accepted, Established, stored versions), set at once on every write; the
cleanup finalizer on every CRD, and the Terminating condition while it is deleted."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


#: The finalizer upstream puts on every CRD: its custom objects are deleted before it goes.
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


class CRDStrategy(GenericStrategy):
    def prepare_for_create(self, obj: Obj) -> None:
        obj.pop("status", None)
        self._set_status(obj, {})
        metadata = _dict(obj.get("metadata"))
        finalizers = metadata.get("finalizers")
        finalizers = finalizers if isinstance(finalizers, list) else []
        if CLEANUP_FINALIZER not in finalizers:
            metadata["finalizers"] = [*finalizers, CLEANUP_FINALIZER]

    def mark_deleting(self, obj: Obj) -> None:
        """A CRD being deleted is Terminating until its custom objects are gone."""
        status = _dict(obj.get("status"))
        conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)  # type: ignore[attr-defined]
                      and c.get("type") != "Terminating"]
        now = meta.rfc3339(self.clock.now())
        conditions.append({"type": "Terminating", "status": "True", "lastTransitionTime": now,
                           "reason": "InstanceDeletionPending",
                           "message": "CustomResourceDefinition marked for deletion; CustomResource deletion will "
                                      "begin soon"})
        obj["status"] = {**status, "conditions": conditions}

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        super().prepare_for_update(new, old, subresource=subresource)
        if subresource != "status":
            self._set_status(new, _dict(old.get("status")))

    def default(self, obj: Obj) -> None:
        spec = _dict(obj.get("spec"))
        names = _dict(spec.get("names"))
        kind = names.get("kind")
        if isinstance(kind, str) and kind:
            names.setdefault("singular", kind.lower())
            names.setdefault("listKind", kind + "List")
        if isinstance(spec.get("conversion"), dict):
            spec["conversion"].setdefault("strategy", "None")  # type: ignore[union-attr]
        elif spec:
            spec["conversion"] = {"strategy": "None"}
        status = _dict(obj.get("status"))
        if names and isinstance(status.get("acceptedNames"), dict):
            status["acceptedNames"] = dict(names)

    def _set_status(self, obj: Obj, old_status: dict[str, object]) -> None:
        spec = _dict(obj.get("spec"))
        storage = [v.get("name") for v in spec.get("versions") or [] if isinstance(v, dict) and v.get("storage")]
        stored = list(old_status.get("storedVersions") or [])  # type: ignore[call-overload]
        for version in storage:
            if version not in stored:
                stored.append(version)
        now = meta.rfc3339(self.clock.now())
        conditions = old_status.get("conditions") or [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts",
             "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted"}]
        obj["status"] = {"conditions": conditions, "acceptedNames": dict(_dict(spec.get("names"))),
                         "storedVersions": stored}

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [*causes, meta.required("spec")]
        group = spec.get("group")
        names = _dict(spec.get("names"))
        plural, kind = names.get("plural"), names.get("kind")
        if not group:
            causes.append(meta.required("spec.group"))
        elif not isinstance(group, str) or "." not in group:
            causes.append(meta.invalid("spec.group", group, "should be a domain with at least one dot"))
        if not plural:
            causes.append(meta.required("spec.names.plural"))
        elif not isinstance(plural, str) or meta.dns1123_label_errors(plural):
            causes.append(meta.invalid("spec.names.plural", plural, "a lowercase RFC 1123 label must consist of "
                                       "lower case alphanumeric characters or '-', and must start and end with an "
                                       "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                                       "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"))
        if not kind:
            causes.append(meta.required("spec.names.kind"))
        name = _dict(obj.get("metadata")).get("name")
        if plural and group and name != f"{plural}.{group}":
            causes.append(meta.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
        scope = spec.get("scope")
        if scope not in ("Cluster", "Namespaced"):
            causes.append(meta.unsupported("spec.scope", scope or "", ["Cluster", "Namespaced"])
                          if scope else meta.required("spec.scope"))
        versions = spec.get("versions")
        if not isinstance(versions, list) or not versions:
            causes.append(meta.invalid("spec.versions", versions or [], "must have exactly one version marked as "
                                                                         "storage version"))
            return causes
        if sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
            causes.append(meta.invalid("spec.versions", versions, "must have exactly one version marked as storage "
                                                                  "version"))
        for i, version in enumerate(versions):
            path = f"spec.versions[{i}]"
            if not isinstance(version, dict) or not version.get("name"):
                causes.append(meta.required(f"{path}.name"))
                continue
            schema = _dict(version.get("schema")).get("openAPIV3Schema")
            if not isinstance(schema, dict):
                causes.append(meta.required(f"{path}.schema.openAPIV3Schema", "schemas are required"))
            elif schema.get("type") != "object":
                causes.append(meta.required(f"{path}.schema.openAPIV3Schema.type", "must not be empty at the root")
                              if not schema.get("type") else
                              meta.invalid(f"{path}.schema.openAPIV3Schema.type", schema.get("type"),
                                           "must be object at the root"))
            for j, column in enumerate(version.get("additionalPrinterColumns") or []):
                column_path = f"{path}.additionalPrinterColumns[{j}]"
                if not isinstance(column, dict):
                    causes.append(meta.invalid(column_path, column, "must be an object"))
                    continue
                for field in ("name", "type", "jsonPath"):
                    if not column.get(field):
                        causes.append(meta.required(f"{column_path}.{field}"))
                if column.get("type") and column["type"] not in ("integer", "number", "string", "boolean", "date"):
                    causes.append(meta.unsupported(f"{column_path}.type", column["type"],
                                                   ["integer", "number", "string", "boolean", "date"]))
        return causes
