"""PersistentVolumes and PersistentVolumeClaims (core/v1), as upstream's strategies and
ValidatePersistentVolume / ValidatePersistentVolumeClaim treat them: phase ``Pending``,
``volumeMode: Filesystem`` and (volumes) reclaim policy ``Retain`` by default; no generation;
a volume's source and mode and a claim's spec fixed after creation (a claim may set its
``volumeName`` once and grow its storage request). A new volume's status records when it
entered its phase, and so does a status update that changes the phase."""

from __future__ import annotations

import posixpath

from myriad.api import meta, quantity
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, dicts, ensure_dict, spec_of, strings

ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
VOLUME_MODES = ["Block", "Filesystem"]
#: A volume's sources in the order upstream checks them, with the field name its error uses.
_SOURCES = (("hostPath", "hostPath"), ("gcePersistentDisk", "gcePersistentDisk"),
            ("awsElasticBlockStore", "awsElasticBlockStore"), ("glusterfs", "glusterfs"), ("flocker", "flocker"),
            ("nfs", "nfs"), ("rbd", "rbd"), ("quobyte", "quobyte"), ("cephfs", "cephFS"), ("iscsi", "iscsi"),
            ("cinder", "cinder"), ("fc", "fc"), ("flexVolume", ""), ("azureFile", "azureFile"),
            ("vsphereVolume", "vsphereVolume"), ("photonPersistentDisk", "photonPersistentDisk"),
            ("portworxVolume", "portworxVolume"), ("azureDisk", "azureDisk"), ("scaleIO", "scaleIO"),
            ("local", "local"), ("storageos", "storageos"), ("csi", "csi"))
#: The spec fields that make up a volume's PersistentVolumeSource (immutable once created).
_SOURCE_FIELDS = frozenset(name for name, _ in _SOURCES)
#: Defaults of the in-tree sources that still have them (SetDefaults_*VolumeSource).
_SOURCE_DEFAULTS: dict[str, dict[str, object]] = {
    "hostPath": {"type": ""},
    "iscsi": {"iscsiInterface": "default"},
    "rbd": {"pool": "rbd", "user": "admin", "keyring": "/etc/ceph/keyring"},
    "azureDisk": {"cachingMode": "ReadWrite", "fsType": "ext4", "readOnly": False, "kind": "Shared"},
    "scaleIO": {"storageMode": "ThinProvisioned", "fsType": "xfs"},
}
_SPEC_IMMUTABLE = ("spec is immutable after creation except resources.requests and volumeAttributesClassName for "
                   "bound claims")


def default_claim_spec(spec: dict[str, object]) -> None:
    """SetDefaults_PersistentVolumeClaimSpec: ``volumeMode`` Filesystem."""
    spec.setdefault("volumeMode", "Filesystem")


def default_claim_template(claim: dict[str, object]) -> None:
    """What a claim gets wherever it appears (StatefulSet volumeClaimTemplates, stored claims):
    the spec's defaults and phase ``Pending``."""
    default_claim_spec(ensure_dict(claim, "spec"))
    status = ensure_dict(claim, "status")
    if not status.get("phase"):
        status["phase"] = "Pending"


def access_mode_errors(modes: object, path: str, required_detail: str) -> list[Cause]:
    causes = [] if modes else [meta.required(path, required_detail)]
    once_pod = other = False
    for mode in strings(modes):
        if mode not in ACCESS_MODES:
            causes.append(meta.unsupported(path, mode, ACCESS_MODES))
        elif mode == "ReadWriteOncePod":
            once_pod = True
        else:
            other = True
    if once_pod and other:
        causes.append(meta.forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return causes


def positive_quantity_errors(value: object, path: str) -> list[Cause]:
    parsed = quantity.parse(value)
    if parsed is not None and parsed <= 0:
        return [meta.invalid(path, quantity.canonical(value), "must be greater than zero")]
    return []


def _class_name_errors(spec: dict[str, object], key: str, path: str) -> list[Cause]:
    name = spec.get(key)
    if not isinstance(name, str) or not name:
        return []
    return [meta.invalid(f"{path}.{key}", name, e) for e in meta.dns1123_subdomain_errors(name)]


class PersistentVolumeStrategy(GenericStrategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            if not spec.get("persistentVolumeReclaimPolicy"):
                spec["persistentVolumeReclaimPolicy"] = "Retain"
            spec.setdefault("volumeMode", "Filesystem")
            for source, defaults in _SOURCE_DEFAULTS.items():
                if isinstance(spec.get(source), dict):
                    for key, value in defaults.items():
                        spec[source].setdefault(key, value)  # type: ignore[union-attr]
        status = obj.get("status")
        if isinstance(status, dict) and not status.get("phase"):
            status["phase"] = "Pending"

    def prepare_for_create(self, obj: Obj) -> None:
        """Status starts Pending, stamped with the time it entered that phase."""
        obj["status"] = {"phase": "Pending", "lastPhaseTransitionTime": meta.rfc3339(self.clock.now())}

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        super().prepare_for_update(new, old, subresource=subresource)
        if subresource != "status":
            return
        new_status, old_status = ensure_dict(new, "status"), as_dict(old.get("status"))
        if not new_status.get("phase"):
            new_status["phase"] = "Pending"
        if new_status.get("phase") != old_status.get("phase"):
            if new_status.get("lastPhaseTransitionTime") in (None, old_status.get("lastPhaseTransitionTime")):
                new_status["lastPhaseTransitionTime"] = meta.rfc3339(self.clock.now())
        elif new_status.get("lastPhaseTransitionTime") is None and "lastPhaseTransitionTime" in old_status:
            new_status["lastPhaseTransitionTime"] = old_status["lastPhaseTransitionTime"]

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + volume_spec_errors(spec_of(obj))

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new)
        causes = self.validate(new)
        new_spec, old_spec = spec_of(new), spec_of(old)
        new_source = {k: v for k, v in new_spec.items() if k in _SOURCE_FIELDS}
        old_source = {k: v for k, v in old_spec.items() if k in _SOURCE_FIELDS}
        old_csi = as_dict(old_source.get("csi"))
        if "csi" in new_source and old_csi and "controllerExpandSecretRef" not in old_csi:
            # a CSI volume may gain its expand secret
            new_source["csi"] = {k: v for k, v in as_dict(new_source["csi"]).items()
                                 if k != "controllerExpandSecretRef"}
        if new_source != old_source:
            causes.append(meta.forbidden("spec.persistentvolumesource",
                                         "spec.persistentvolumesource is immutable after creation"))
        if new_spec.get("volumeMode") != old_spec.get("volumeMode"):
            causes.append(meta.immutable("volumeMode", new_spec.get("volumeMode")))
        if old_spec.get("volumeAttributesClassName") is not None and new_spec.get("volumeAttributesClassName") is None:
            causes.append(meta.forbidden("spec.volumeAttributesClassName",
                                         "update from non-nil value to nil is forbidden"))
        return causes


def volume_spec_errors(spec: dict[str, object], path: str = "spec") -> list[Cause]:
    """ValidatePersistentVolumeSpec for a stored volume (not an inline one)."""
    causes = access_mode_errors(spec.get("accessModes"), f"{path}.accessModes", "")
    capacity = spec.get("capacity")
    if not capacity:
        causes.append(meta.required(f"{path}.capacity"))
    capacity = as_dict(capacity)
    if "storage" not in capacity or len(capacity) > 1:
        causes.append(meta.unsupported(f"{path}.capacity", capacity, ["storage"]))
    for name, value in capacity.items():
        causes += positive_quantity_errors(value, f"{path}.capacity[{name}]")
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        causes.append(meta.unsupported(f"{path}.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES))
    affinity = spec.get("nodeAffinity")
    has_affinity = isinstance(affinity, dict) and affinity.get("required") is not None
    sources = 0
    for source, error_name in _SOURCES:
        if not isinstance(spec.get(source), dict):
            continue
        if sources and error_name:
            causes.append(meta.forbidden(f"{path}.{error_name}", "may not specify more than 1 volume type"))
            continue
        sources += 1
        causes += _source_errors(source, as_dict(spec[source]), f"{path}.{source}")
        if source == "local" and not has_affinity:
            causes.append(meta.required(f"{path}.nodeAffinity", "Local volume requires node affinity"))
    if not sources:
        causes.append(meta.required(path, "must specify a volume type"))
    host_path = as_dict(spec.get("hostPath")).get("path")
    if isinstance(host_path, str) and host_path and posixpath.normpath(host_path) in ("/", "//") and \
            policy == "Recycle":
        causes.append(meta.forbidden(f"{path}.persistentVolumeReclaimPolicy",
                                     "may not be 'recycle' for a hostPath mount of '/'"))
    causes += _class_name_errors(spec, "storageClassName", path)
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        causes.append(meta.unsupported(f"{path}.volumeMode", mode, VOLUME_MODES))
    attributes_class = spec.get("volumeAttributesClassName")
    if attributes_class is not None:
        if not attributes_class:
            causes.append(meta.required(f"{path}.volumeAttributesClassName", "an empty string is disallowed"))
        else:
            causes += _class_name_errors(spec, "volumeAttributesClassName", path)
        if spec.get("csi") is None:
            causes.append(meta.required(f"{path}.csi", "has to be specified when using volumeAttributesClassName"))
    return causes


def _source_errors(source: str, value: dict[str, object], path: str) -> list[Cause]:
    """The required fields of the sources clients meet most."""
    if source in ("hostPath", "local") and not value.get("path"):
        return [meta.required(f"{path}.path")]
    if source == "nfs":
        causes = [] if value.get("server") else [meta.required(f"{path}.server")]
        nfs_path = value.get("path")
        if not nfs_path:
            causes.append(meta.required(f"{path}.path"))
        elif isinstance(nfs_path, str) and not nfs_path.startswith("/"):
            causes.append(meta.invalid(f"{path}.path", nfs_path, "must be an absolute path"))
        return causes
    if source == "csi":
        causes = [] if value.get("driver") else [meta.required(f"{path}.driver")]
        return causes + ([] if value.get("volumeHandle") else [meta.required(f"{path}.volumeHandle")])
    return []


class PersistentVolumeClaimStrategy(GenericStrategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            default_claim_spec(spec)
        status = obj.get("status")
        if isinstance(status, dict) and not status.get("phase"):
            status["phase"] = "Pending"

    def prepare_for_create(self, obj: Obj) -> None:
        """The status a new claim shows: Pending, nothing else."""
        obj["status"] = {"phase": "Pending"}

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + claim_spec_errors(spec_of(obj), "spec")

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new)
        causes = self.validate(new)
        new_spec, old_spec = spec_of(new), spec_of(old)
        comparable_new, comparable_old = dict(new_spec), dict(old_spec)
        if not old_spec.get("volumeName"):
            comparable_old["volumeName"] = new_spec.get("volumeName")
            if comparable_old["volumeName"] is None:
                comparable_old.pop("volumeName")
        if as_dict(new.get("status")).get("phase") == "Bound":
            for comparable, source in ((comparable_new, new_spec), (comparable_old, old_spec)):
                resources = dict(as_dict(source.get("resources")))
                resources["requests"] = {**as_dict(resources.get("requests")),
                                         "storage": _storage(old_spec)}
                comparable["resources"] = resources
        for comparable in (comparable_new, comparable_old):
            comparable.pop("volumeAttributesClassName", None)
        if comparable_new != comparable_old:
            causes.append(meta.forbidden("spec", _SPEC_IMMUTABLE))
        new_size, old_size = quantity.parse(_storage(new_spec)), quantity.parse(_storage(old_spec))
        if new_size is not None and old_size is not None and new_size < old_size:
            # RecoverVolumeExpansionFailure (GA): a request may shrink back towards, not to, the
            # capacity the volume has.
            capacity = quantity.parse(as_dict(as_dict(old.get("status")).get("capacity")).get("storage"))
            if new_size <= (capacity or 0):
                causes.append(meta.forbidden("spec.resources.requests.storage",
                                             "field can not be less than status.capacity"))
        if new_spec.get("volumeMode") != old_spec.get("volumeMode"):
            causes.append(meta.immutable("volumeMode", new_spec.get("volumeMode")))
        if old_spec.get("volumeAttributesClassName") is not None:
            if new_spec.get("volumeAttributesClassName") is None:
                causes.append(meta.forbidden("spec.volumeAttributesClassName",
                                             "update from non-nil value to nil is forbidden"))
            elif new_spec.get("volumeAttributesClassName") == "":
                causes.append(meta.forbidden("spec.volumeAttributesClassName",
                                             "update from non-nil value to an empty string is forbidden"))
        return causes


def _storage(spec: dict[str, object]) -> object:
    return as_dict(as_dict(spec.get("resources")).get("requests")).get("storage")


def claim_spec_errors(spec: dict[str, object], path: str) -> list[Cause]:
    """ValidatePersistentVolumeClaimSpec."""
    causes = access_mode_errors(spec.get("accessModes"), f"{path}.accessModes", "at least 1 access mode is required")
    requests = as_dict(as_dict(spec.get("resources")).get("requests"))
    if "storage" not in requests:
        causes.append(meta.required(f"{path}.resources[storage]"))
    else:
        causes += positive_quantity_errors(requests["storage"], f"{path}.resources[storage]")
    causes += _class_name_errors(spec, "storageClassName", path)
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        causes.append(meta.unsupported(f"{path}.volumeMode", mode, VOLUME_MODES))
    source, source_ref = spec.get("dataSource"), spec.get("dataSourceRef")
    for key, ref in (("dataSource", source), ("dataSourceRef", source_ref)):
        if isinstance(ref, dict):
            causes += _data_source_errors(ref, f"{path}.{key}")
    if isinstance(source_ref, dict) and source_ref.get("namespace"):
        if source is not None:
            causes.append(meta.invalid(path, f"{path}.dataSource",
                                       "may not be specified when dataSourceRef.namespace is specified"))
    elif isinstance(source, dict) and isinstance(source_ref, dict) and \
            any(source.get(k) != source_ref.get(k) for k in ("apiGroup", "kind", "name")):
        causes.append(meta.invalid(path, f"{path}.dataSource", "must match dataSourceRef"))
    causes += _class_name_errors(spec, "volumeAttributesClassName", path)
    return causes


def _data_source_errors(ref: dict[str, object], path: str) -> list[Cause]:
    causes = [meta.required(f"{path}.{key}") for key in ("name", "kind") if not ref.get(key)]
    group = ref.get("apiGroup") or ""
    if not group and ref.get("kind") != "PersistentVolumeClaim":
        causes.append(meta.invalid(path, ref.get("kind") or "",
                                   "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
    if isinstance(group, str) and group:
        causes += [meta.invalid(f"{path}.apiGroup", group, e) for e in meta.dns1123_subdomain_errors(group)]
    return causes


def claim_templates(spec: dict[str, object]) -> list[dict[str, object]]:
    """A StatefulSet spec's volumeClaimTemplates."""
    return dicts(spec.get("volumeClaimTemplates"))
