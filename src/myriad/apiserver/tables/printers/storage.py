"""Volumes and storage.k8s.io: PersistentVolumes, PersistentVolumeClaims, StorageClasses,
VolumeAttributesClasses, CSIDrivers, CSINodes, CSIStorageCapacities and VolumeAttachments."""

from __future__ import annotations

from myriad.api import quantity
from myriad.apiserver.tables.format import NONE, dig, timestamp
from myriad.apiserver.tables.printers.base import (
    AGE,
    NAME,
    Cells,
    Column,
    Obj,
    Printer,
    age,
    doc,
    entries,
    flag,
    mapping,
    name,
    text,
)

_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"),
                 ("ReadWriteOncePod", "RWOP"))
_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"


def _access_modes(modes: object) -> str:
    """The modes present, abbreviated, in upstream's fixed order (``RWO,ROX``)."""
    present = set(modes) if isinstance(modes, list) else set()
    return ",".join(short for mode, short in _ACCESS_MODES if mode in present)


def _phase(obj: Obj) -> str:
    return "Terminating" if dig(obj, "metadata", "deletionTimestamp") else text(dig(obj, "status", "phase"))


def _unset(value: object) -> str:
    return value if isinstance(value, str) else "<unset>"


def _storage_class(obj: Obj) -> str:
    """The beta storage-class annotation when present (even empty), else ``spec.storageClassName``."""
    annotations = mapping(dig(obj, "metadata", "annotations"))
    if _CLASS_ANNOTATION in annotations:
        return text(annotations[_CLASS_ANNOTATION])
    return text(dig(obj, "spec", "storageClassName"))


def _pv_cells(pv: Obj, now: float) -> list[object]:
    spec = mapping(pv.get("spec"))
    claim = spec.get("claimRef")
    return [name(pv), quantity.canonical(mapping(spec.get("capacity")).get("storage", "0")),
            _access_modes(spec.get("accessModes")), text(spec.get("persistentVolumeReclaimPolicy")), _phase(pv),
            f"{text(claim.get('namespace'))}/{text(claim.get('name'))}" if isinstance(claim, dict) else "",
            _storage_class(pv), _unset(spec.get("volumeAttributesClassName")), text(dig(pv, "status", "reason")),
            age(pv, now), _unset(spec.get("volumeMode"))]


_PV_SPEC, _PV_STATUS = "core.v1.PersistentVolumeSpec", "core.v1.PersistentVolumeStatus"

PERSISTENTVOLUMES = Printer(
    (NAME, Column("Capacity", description=doc(_PV_SPEC, "capacity")),
     Column("Access Modes", description=doc(_PV_SPEC, "accessModes")),
     Column("Reclaim Policy", description=doc(_PV_SPEC, "persistentVolumeReclaimPolicy")),
     Column("Status", description=doc(_PV_STATUS, "phase")),
     Column("Claim", description=doc(_PV_SPEC, "claimRef")),
     Column("StorageClass", description="StorageClass of the pv"),
     Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
     Column("Reason", description=doc(_PV_STATUS, "reason")), AGE,
     Column("VolumeMode", description=doc(_PV_SPEC, "volumeMode"), priority=1)),
    _pv_cells)


def _pvc_cells(pvc: Obj, now: float) -> list[object]:
    """Capacity and Access Modes come from the status, and only once the claim names its volume."""
    spec = mapping(pvc.get("spec"))
    volume = text(spec.get("volumeName"))
    capacity = modes = ""
    if volume:
        capacity = quantity.canonical(mapping(dig(pvc, "status", "capacity")).get("storage", "0"))
        modes = _access_modes(dig(pvc, "status", "accessModes"))
    return [name(pvc), _phase(pvc), volume, capacity, modes, _storage_class(pvc),
            _unset(spec.get("volumeAttributesClassName")), age(pvc, now), _unset(spec.get("volumeMode"))]


_PVC_SPEC, _PVC_STATUS = "core.v1.PersistentVolumeClaimSpec", "core.v1.PersistentVolumeClaimStatus"

PERSISTENTVOLUMECLAIMS = Printer(
    (NAME, Column("Status", description=doc(_PVC_STATUS, "phase")),
     Column("Volume", description=doc(_PVC_SPEC, "volumeName")),
     Column("Capacity", description=doc(_PVC_STATUS, "capacity")),
     Column("Access Modes", description=doc(_PVC_STATUS, "accessModes")),
     Column("StorageClass", description="StorageClass of the pvc"),
     Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"), AGE,
     Column("VolumeMode", description=doc(_PVC_SPEC, "volumeMode"), priority=1)),
    _pvc_cells)


# -- storage.k8s.io --------------------------------------------------------------------------------

_DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def _storage_class_cells(sc: Obj, now: float, default: str = "") -> list[object]:
    title = text(name(sc))
    if default and title == default:
        title += " (default)"
    reclaim, binding, expansion = sc.get("reclaimPolicy"), sc.get("volumeBindingMode"), sc.get("allowVolumeExpansion")
    return [title, text(sc.get("provisioner")), reclaim if isinstance(reclaim, str) else "Delete",
            binding if isinstance(binding, str) else "Immediate", flag(expansion), age(sc, now)]


def _storage_class_listing(items: list[Obj]) -> tuple[list[int], Cells]:
    """A list marks only its effective default: of the classes annotated as default, the most
    recently created (the smallest name on a tie). A single object never shows ``(default)``."""
    default: tuple[float, str] | None = None
    for sc in items:
        annotations = mapping(dig(sc, "metadata", "annotations"))
        if any(annotations.get(key) == "true" for key in _DEFAULT_CLASS):
            created = timestamp(dig(sc, "metadata", "creationTimestamp")) or 0.0
            candidate = (created, text(name(sc)))
            if default is None or created > default[0] or (created == default[0] and candidate[1] < default[1]):
                default = candidate
    chosen = "" if default is None else default[1]
    return list(range(len(items))), lambda sc, now: _storage_class_cells(sc, now, chosen)


_STORAGE_CLASS = "storage.v1.StorageClass"

STORAGECLASSES = Printer(
    (NAME, Column("Provisioner", description=doc(_STORAGE_CLASS, "provisioner")),
     Column("ReclaimPolicy", description=doc(_STORAGE_CLASS, "reclaimPolicy")),
     Column("VolumeBindingMode", description=doc(_STORAGE_CLASS, "volumeBindingMode")),
     Column("AllowVolumeExpansion", description=doc(_STORAGE_CLASS, "allowVolumeExpansion")), AGE),
    _storage_class_cells, listing=_storage_class_listing)

VOLUMEATTRIBUTESCLASSES = Printer(
    (NAME, Column("DriverName", description=doc("storage.v1.VolumeAttributesClass", "driverName")), AGE),
    lambda vac, now: [name(vac), text(vac.get("driverName")), age(vac, now)])


def _csi_driver_cells(driver: Obj, now: float) -> list[object]:
    spec = mapping(driver.get("spec"))
    tokens = spec.get("tokenRequests")
    audiences = ",".join(text(t.get("audience")) for t in entries(tokens)) if isinstance(tokens, list) else "<unset>"
    modes = spec.get("volumeLifecycleModes")
    return [name(driver), spec.get("attachRequired") is not False, flag(spec.get("podInfoOnMount")),
            flag(spec.get("storageCapacity")), audiences, flag(spec.get("requiresRepublish")),
            (",".join(text(m) for m in modes) if isinstance(modes, list) else "") or NONE, age(driver, now)]


_CSI_DRIVER = "storage.v1.CSIDriverSpec"

CSIDRIVERS = Printer(
    (NAME, Column("AttachRequired", "boolean", description=doc(_CSI_DRIVER, "attachRequired")),
     Column("PodInfoOnMount", "boolean", description=doc(_CSI_DRIVER, "podInfoOnMount")),
     Column("StorageCapacity", "boolean", description=doc(_CSI_DRIVER, "storageCapacity")),
     Column("TokenRequests", description=doc(_CSI_DRIVER, "tokenRequests")),
     Column("RequiresRepublish", "boolean", description=doc(_CSI_DRIVER, "requiresRepublish")),
     Column("Modes", description=doc(_CSI_DRIVER, "volumeLifecycleModes")), AGE),
    _csi_driver_cells)

CSINODES = Printer(
    (NAME, Column("Drivers", "integer", description="Drivers indicates the number of CSI drivers registered on the "
                                                    "node"), AGE),
    lambda node, now: [name(node), len(entries(dig(node, "spec", "drivers"))), age(node, now)])

CSISTORAGECAPACITIES = Printer(
    (NAME, Column("StorageClassName", description=doc("storage.v1.CSIStorageCapacity", "storageClassName")),
     Column("Capacity", description=doc("storage.v1.CSIStorageCapacity", "capacity"))),
    lambda c, now: [name(c), text(c.get("storageClassName")),
                    "<unset>" if c.get("capacity") is None else quantity.canonical(c.get("capacity"))])

VOLUMEATTACHMENTS = Printer(
    (NAME, Column("Attacher", format="name", description=doc("storage.v1.VolumeAttachmentSpec", "attacher")),
     Column("PV", description=doc("storage.v1.VolumeAttachmentSource", "persistentVolumeName")),
     Column("Node", description=doc("storage.v1.VolumeAttachmentSpec", "nodeName")),
     Column("Attached", "boolean", description=doc("storage.v1.VolumeAttachmentStatus", "attached")), AGE),
    lambda va, now: [name(va), text(dig(va, "spec", "attacher")),
                     text(dig(va, "spec", "source", "persistentVolumeName")), text(dig(va, "spec", "nodeName")),
                     flag(dig(va, "status", "attached")), age(va, now)])

PRINTERS = {
    ("", "persistentvolumes"): PERSISTENTVOLUMES, ("", "persistentvolumeclaims"): PERSISTENTVOLUMECLAIMS,
    ("storage.k8s.io", "storageclasses"): STORAGECLASSES, ("storage.k8s.io", "csidrivers"): CSIDRIVERS,
    ("storage.k8s.io", "volumeattributesclasses"): VOLUMEATTRIBUTESCLASSES,
    ("storage.k8s.io", "csinodes"): CSINODES, ("storage.k8s.io", "csistoragecapacities"): CSISTORAGECAPACITIES,
    ("storage.k8s.io", "volumeattachments"): VOLUMEATTACHMENTS,
}
