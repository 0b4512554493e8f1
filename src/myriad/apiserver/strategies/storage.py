"""storage.k8s.io/v1: StorageClasses, CSIDrivers, CSINodes, CSIStorageCapacities,
VolumeAttachments and VolumeAttributesClasses, as upstream's strategies, defaults
(SetDefaults_StorageClass, SetDefaults_CSIDriver) and pkg/apis/storage/validation treat them.

None tracks a generation from creation; a CSIDriver's moves from 0 on each spec change, as its
strategy does. Classes fix their provisioner, parameters and policies once created; a
VolumeAttachment's spec and a CSIStorageCapacity's topology and class never change."""

from __future__ import annotations

from myriad.api import meta, quantity
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import (
    as_dict,
    bump_generation_on_spec_change,
    dicts,
    go_strings,
    label_selector_errors,
    raw_invalid,
    spec_of,
    strings,
)
from myriad.apiserver.strategies.volumes import volume_spec_errors

RECLAIM_POLICIES = ["Delete", "Retain"]
BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
FS_GROUP_POLICIES = ["File", "None", "ReadWriteOnceWithFSType"]
LIFECYCLE_MODES = ["Persistent", "Ephemeral"]
_MAX_PARAMETERS = 512
_MAX_PARAMETER_BYTES = 256 * 1024
_MAX_ATTACHMENT_METADATA = 256 * 1024
_MAX_ERROR_MESSAGE = 1024
_MAX_NODE_ID = 256
_CSI_DRIVER_DEFAULTS = {"attachRequired": True, "podInfoOnMount": False, "storageCapacity": False,
                        "fsGroupPolicy": "ReadWriteOnceWithFSType", "requiresRepublish": False,
                        "seLinuxMount": False}


def csi_driver_name_errors(name: object, path: str) -> list[Cause]:
    """core's ValidateCSIDriverName (also used for DRA drivers and attachers)."""
    value = name if isinstance(name, str) else ""
    causes = [] if value else [meta.required(path)]
    if len(value) > 63:
        causes.append(meta.too_long(path, 63))
    return causes + [meta.invalid(path, value, e) for e in meta.dns1123_subdomain_errors(value.lower())]


def _provisioner_errors(value: object, path: str) -> list[Cause]:
    if not value or not isinstance(value, str):
        return [meta.required(path)]
    lowered = value.lower()
    return [meta.invalid(path, lowered, e) for e in meta.qualified_name_errors(lowered)]


def _parameter_errors(parameters: object, path: str, *, allow_empty: bool) -> list[Cause]:
    values = as_dict(parameters)
    if len(values) > _MAX_PARAMETERS:
        return [meta.too_long(path, _MAX_PARAMETERS)]
    causes = [meta.invalid(path, key, "field can not be empty.") for key in values if not key]
    if sum(len(key) + len(str(value)) for key, value in values.items()) > _MAX_PARAMETER_BYTES:
        causes.append(meta.too_long(path, _MAX_PARAMETER_BYTES))
    if not allow_empty and not values:
        causes.append(meta.required(path, "must contain at least one key/value pair"))
    return causes


class StorageClassStrategy(GenericStrategy):
    tracks_generation = False
    return_deleted_object = True

    def default(self, obj: Obj) -> None:
        obj.setdefault("reclaimPolicy", "Delete")
        obj.setdefault("volumeBindingMode", "Immediate")

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj) + _provisioner_errors(obj.get("provisioner"), "provisioner")
        causes += _parameter_errors(obj.get("parameters"), "parameters", allow_empty=True)
        policy = obj.get("reclaimPolicy")
        if policy and policy not in RECLAIM_POLICIES:
            causes.append(meta.unsupported("reclaimPolicy", policy, RECLAIM_POLICIES))
        mode = obj.get("volumeBindingMode")
        if mode is None:
            causes.append(meta.required("volumeBindingMode"))
        elif mode not in BINDING_MODES:
            causes.append(meta.unsupported("volumeBindingMode", mode, BINDING_MODES))
        seen: list[object] = []
        for i, term in enumerate(dicts(obj.get("allowedTopologies"))):
            expressions = {str(e.get("key")): sorted(strings(e.get("values")))
                           for e in dicts(term.get("matchLabelExpressions"))}
            for j, expression in enumerate(dicts(term.get("matchLabelExpressions"))):
                path = f"allowedTopologies[{i}].matchLabelExpressions[{j}]"
                key = expression.get("key")
                causes += [meta.invalid(f"{path}.key", key, e) for e in meta.qualified_name_errors(str(key or ""))]
                if not strings(expression.get("values")):
                    causes.append(meta.required(f"{path}.values", "must specify as least one value"))
            if expressions in seen:
                causes.append(meta.duplicate(f"allowedTopologies[{i}].matchLabelExpressions", ""))
            seen.append(expressions)
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        if (new.get("parameters") or {}) != (old.get("parameters") or {}):
            causes.append(meta.forbidden("parameters", "updates to parameters are forbidden."))
        if new.get("provisioner") != old.get("provisioner"):
            causes.append(meta.forbidden("provisioner", "updates to provisioner are forbidden."))
        if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
            causes.append(meta.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
        if new.get("volumeBindingMode") != old.get("volumeBindingMode"):
            causes.append(meta.immutable("volumeBindingMode", new.get("volumeBindingMode")))
        return causes


class CSIDriverStrategy(GenericStrategy):
    """No generation on create; each spec change moves it on from the old one. Updates must be
    conditional."""

    tracks_generation = False
    allow_unconditional_update = False

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        for key, value in _CSI_DRIVER_DEFAULTS.items():
            if spec.get(key) is None:
                spec[key] = value
        if not spec.get("volumeLifecycleModes"):
            spec["volumeLifecycleModes"] = ["Persistent"]

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        super().prepare_for_update(new, old, subresource=subresource)
        bump_generation_on_spec_change(new, old)

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + _csi_driver_spec_errors(spec_of(obj))

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        new_spec, old_spec = spec_of(new), spec_of(old)
        if new_spec.get("attachRequired") != old_spec.get("attachRequired"):
            causes.append(meta.immutable("spec.attachedRequired", new_spec.get("attachRequired")))
        if new_spec.get("volumeLifecycleModes") != old_spec.get("volumeLifecycleModes"):
            causes.append(raw_invalid("spec.volumeLifecycleModes", go_strings(
                "storage.VolumeLifecycleMode", strings(new_spec.get("volumeLifecycleModes"))), "field is immutable"))
        return causes


def _csi_driver_spec_errors(spec: dict[str, object]) -> list[Cause]:
    causes = [meta.required(f"spec.{path}") for key, path in (
        ("attachRequired", "attachedRequired"), ("podInfoOnMount", "podInfoOnMount"),
        ("storageCapacity", "storageCapacity")) if spec.get(key) is None]
    policy = spec.get("fsGroupPolicy")
    if policy is not None and policy not in FS_GROUP_POLICIES:
        causes.append(meta.unsupported("spec.fsGroupPolicy", policy, FS_GROUP_POLICIES))
    audiences: set[object] = set()
    for i, request in enumerate(dicts(spec.get("tokenRequests"))):
        path = f"spec.tokenRequests[{i}]"
        audience = request.get("audience", "")
        if audience in audiences:
            causes.append(meta.duplicate(f"{path}.audience", audience))
            continue
        audiences.add(audience)
        seconds = request.get("expirationSeconds")
        if isinstance(seconds, int):
            if seconds < 600:
                causes.append(meta.invalid(f"{path}.expirationSeconds", seconds,
                                           "may not specify a duration less than 10 minutes"))
            if seconds > 1 << 32:
                causes.append(meta.invalid(f"{path}.expirationSeconds", seconds,
                                           "may not specify a duration larger than 2^32 seconds"))
    causes += [meta.unsupported("spec.volumeLifecycleModes", mode, LIFECYCLE_MODES)
               for mode in strings(spec.get("volumeLifecycleModes")) if mode not in LIFECYCLE_MODES]
    if spec.get("seLinuxMount") is None:
        causes.append(meta.required("spec.seLinuxMount"))
    period = spec.get("nodeAllocatableUpdatePeriodSeconds")
    if isinstance(period, int) and period < 10:
        causes.append(meta.invalid("spec.nodeAllocatableUpdatePeriodSeconds", period,
                                   "must be greater than or equal to 10 seconds"))
    return causes


class CSINodeStrategy(GenericStrategy):
    tracks_generation = False
    allow_unconditional_update = False

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        names: set[object] = set()
        for i, driver in enumerate(dicts(spec_of(obj).get("drivers"))):
            causes += _csi_node_driver_errors(driver, f"spec.drivers[{i}]", names)
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        new_drivers = dicts(spec_of(new).get("drivers"))
        for old_driver in dicts(spec_of(old).get("drivers")):
            for new_driver in new_drivers:
                if new_driver.get("name") != old_driver.get("name"):
                    continue
                # MutableCSINodeAllocatableCount: the allocatable count may change.
                fixed_new = {k: v for k, v in new_driver.items() if k != "allocatable"}
                if fixed_new != {k: v for k, v in old_driver.items() if k != "allocatable"}:
                    causes.append(meta.immutable("spec.drivers", fixed_new))
        return causes


def _csi_node_driver_errors(driver: dict[str, object], path: str, names: set[object]) -> list[Cause]:
    name = driver.get("name")
    causes = csi_driver_name_errors(name, f"{path}.name")
    node_id = driver.get("nodeID")
    if not node_id:
        causes.append(meta.required(f"{path}.nodeID"))
    elif isinstance(node_id, str) and len(node_id) > _MAX_NODE_ID:
        causes.append(meta.invalid(f"{path}.nodeID", node_id, f"must be {_MAX_NODE_ID} characters or less"))
    count = as_dict(driver.get("allocatable")).get("count")
    if isinstance(count, int) and count < 0:
        causes.append(meta.invalid(f"{path}.allocatable.count", count, "must be greater than or equal to 0"))
    if name in names:
        causes.append(meta.duplicate(f"{path}.name", name))
    names.add(name)
    keys: set[str] = set()
    for key in strings(driver.get("topologyKeys")):
        if not key:
            causes.append(meta.required(path))
        if key in keys:
            causes.append(meta.duplicate(path, key))
        keys.add(key)
        causes += [meta.invalid(path, key, e) for e in meta.qualified_name_errors(key)]
    return causes


class CSIStorageCapacityStrategy(GenericStrategy):
    tracks_generation = False
    allow_unconditional_update = False

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj) + label_selector_errors(obj.get("nodeTopology"), "nodeTopology")
        class_name = obj.get("storageClassName")
        value = class_name if isinstance(class_name, str) else ""
        causes += [meta.invalid("storageClassName", value, e) for e in meta.dns1123_subdomain_errors(value)]
        capacity = obj.get("capacity")
        parsed = quantity.parse(capacity)
        if parsed is not None and parsed < 0:
            causes.append(meta.invalid("capacity", quantity.canonical(capacity), "must be greater than or equal to 0"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        if new.get("nodeTopology") != old.get("nodeTopology"):
            causes.append(meta.immutable("nodeTopology", new.get("nodeTopology")))
        if new.get("storageClassName") != old.get("storageClassName"):
            causes.append(meta.immutable("storageClassName", new.get("storageClassName")))
        return causes


class VolumeAttachmentStrategy(GenericStrategy):
    """The spec never changes, so there is no generation to move; updates must be conditional."""

    tracks_generation = False
    allow_unconditional_update = False

    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj) + csi_driver_name_errors(spec.get("attacher"), "spec.attacher")
        source = as_dict(spec.get("source"))
        inline, volume_name = source.get("inlineVolumeSpec"), source.get("persistentVolumeName")
        message = "must specify exactly one of inlineVolumeSpec and persistentVolumeName"
        if inline is None and volume_name is None:
            causes.append(meta.required("spec.source", message))
        elif inline is not None and volume_name is not None:
            causes.append(meta.forbidden("spec.source", message))
        elif volume_name is not None:
            if not volume_name:
                causes.append(meta.required("spec.source.persistentVolumeName",
                                            "must specify non empty persistentVolumeName"))
            else:
                causes += [meta.invalid("spec.source.persistentVolumeName", volume_name, e)
                           for e in meta.dns1123_subdomain_errors(str(volume_name))]
        else:
            causes += _inline_volume_errors(as_dict(inline), "spec.source.inlineVolumeSpec")
        node = spec.get("nodeName")
        node_name = node if isinstance(node, str) else ""
        causes += [meta.invalid("spec.nodeName", node_name, e) for e in meta.dns1123_subdomain_errors(node_name)]
        return causes + _attachment_status_errors(as_dict(obj.get("status")))

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        if spec_of(new) != spec_of(old):
            causes.append(meta.immutable("spec", spec_of(new)))
        return causes


def _inline_volume_errors(spec: dict[str, object], path: str) -> list[Cause]:
    """An inline volume spec: a CSI source, no claim, capacity, node affinity or class."""
    causes = [meta.forbidden(f"{path}.{key}", "may not be specified in the context of inline volumes")
              for key in ("claimRef", "capacity") if spec.get(key)]
    if spec.get("csi") is None:
        causes.append(meta.required(f"{path}.csi", "has to be specified in the context of inline volumes"))
    stored = [c for c in volume_spec_errors(spec, path)
              if not c.field.startswith((f"{path}.capacity", f"{path}.persistentVolumeReclaimPolicy"))]
    return causes + stored


def _attachment_status_errors(status: dict[str, object]) -> list[Cause]:
    causes = []
    metadata = as_dict(status.get("attachmentMetadata"))
    if sum(len(k) + len(str(v)) for k, v in metadata.items()) > _MAX_ATTACHMENT_METADATA:
        causes.append(meta.too_long("status.attachmentMetadata", _MAX_ATTACHMENT_METADATA))
    for key in ("attachError", "detachError"):
        error = as_dict(status.get(key))
        message = error.get("message")
        if isinstance(message, str) and len(message) > _MAX_ERROR_MESSAGE:
            causes.append(meta.too_long(f"status.{key}.message", _MAX_ATTACHMENT_METADATA))
        code = error.get("errorCode")
        if isinstance(code, int) and code < 0:
            causes.append(meta.invalid(f"status.{key}.errorCode", code,
                                       "must be between 0 and 2147483647, inclusive"))
    return causes


class VolumeAttributesClassStrategy(GenericStrategy):
    tracks_generation = False

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj) + _provisioner_errors(obj.get("driverName"), "driverName")
        return causes + _parameter_errors(obj.get("parameters"), "parameters", allow_empty=False)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = []
        if new.get("driverName") != old.get("driverName"):
            causes.append(meta.forbidden("driverName", "updates to driverName are forbidden."))
        if (new.get("parameters") or {}) != (old.get("parameters") or {}):
            causes.append(meta.forbidden("parameters", "updates to parameters are forbidden."))
        return causes + self.validate(new)
