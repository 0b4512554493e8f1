"""StorageVersionMigrations (storagemigration.k8s.io/v1), as upstream's strategy and validation
treat them: a resource to migrate is required and never changes; the status is reset on create
and written by the migrator through ``/status``, where conditions must be consistent and the
resource version, once recorded, stays; no generation; updates must be conditional."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, dicts, immutable_if_changed, spec_of

STATUSES = ["False", "True", "Unknown"]


def _true(status: dict[str, object], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in dicts(status.get("conditions")))


class StorageVersionMigrationStrategy(GenericStrategy):
    tracks_generation = False
    allow_unconditional_update = False

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        if not as_dict(spec_of(obj).get("resource")).get("resource"):
            causes.append(meta.required("spec.resource.resource", "resource is required"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new) + _status_errors(as_dict(new.get("status")),
                                                                as_dict(old.get("status")))
        return self.validate(new) + immutable_if_changed(spec_of(new).get("resource"), spec_of(old).get("resource"),
                                                         "spec.resource")


def _status_errors(status: dict[str, object], old: dict[str, object]) -> list[Cause]:
    causes: list[Cause] = []
    version = str(status.get("resourceVersion") or "")
    if version and not version.isdigit():
        causes.append(meta.invalid("status.resourceVersion", version,
                                   f'failed to parse resource version "{version}": strconv.ParseInt: parsing '
                                   f'"{version}": invalid syntax'))
    old_version = old.get("resourceVersion")
    if old_version and old_version != status.get("resourceVersion"):
        causes.append(meta.invalid("status.resourceVersion", version, "resourceVersion cannot be updated"))
    seen: set[object] = set()
    for i, condition in enumerate(dicts(status.get("conditions"))):
        path = f"status.conditions[{i}]"
        if condition.get("type") in seen:
            causes.append(meta.duplicate(f"{path}.type", condition.get("type")))
        seen.add(condition.get("type"))
        if condition.get("status") not in STATUSES:
            causes.append(meta.unsupported(f"{path}.status", condition.get("status") or "", STATUSES))
        if not condition.get("reason"):
            causes.append(meta.required(f"{path}.reason", "must be set"))
    conditions = status.get("conditions")
    succeeded, failed, running = (_true(status, kind) for kind in ("Succeeded", "Failed", "Running"))
    for broken, message in ((succeeded and failed, "Both success and failed conditions cannot be true at the same "
                                                   "time"),
                            (succeeded and running, "Running condition cannot be true when success condition is "
                                                    "true"),
                            (failed and running, "Running condition cannot be true when failed condition is true"),
                            (_true(old, "Succeeded") and not succeeded, "Success condition cannot be set to false "
                                                                        "once it is true"),
                            (_true(old, "Failed") and not failed, "Failed condition cannot be set to false once it "
                                                                  "is true")):
        if broken:
            causes.append(meta.invalid("status.conditions", conditions, message))
    return causes
