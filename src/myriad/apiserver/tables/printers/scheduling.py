"""What pods are scheduled and run with: PriorityClasses, RuntimeClasses, and dynamic resource
allocation (DeviceClasses, ResourceClaims, ResourceClaimTemplates, ResourceSlices)."""

from __future__ import annotations

from myriad.apiserver.tables.format import dig
from myriad.apiserver.tables.printers.base import (
    AGE,
    NAME,
    NAME_AGE,
    Column,
    Obj,
    Printer,
    age,
    doc,
    entries,
    flag,
    integer,
    name,
    text,
)

PRIORITYCLASSES = Printer(
    (NAME, Column("Value", "integer", description=doc("scheduling.v1.PriorityClass", "value")),
     Column("Global-Default", "boolean", description=doc("scheduling.v1.PriorityClass", "globalDefault")), AGE,
     Column("PreemptionPolicy", description=doc("scheduling.v1.PriorityClass", "preemptionPolicy"))),
    lambda pc, now: [name(pc), integer(pc.get("value")), flag(pc.get("globalDefault")), age(pc, now),
                     text(pc.get("preemptionPolicy"))])

#: Upstream describes Handler with a key ObjectMeta's documentation lacks: an empty description.
RUNTIMECLASSES = Printer((NAME, Column("Handler"), AGE),
                         lambda rc, now: [name(rc), text(rc.get("handler")), age(rc, now)])


def _claim_state(claim: Obj) -> str:
    """``deleted``, ``pending``, ``allocated`` and ``reserved``, those that apply, comma-joined."""
    states = []
    deleting = bool(dig(claim, "metadata", "deletionTimestamp"))
    if deleting:
        states.append("deleted")
    if not isinstance(dig(claim, "status", "allocation"), dict):
        if not deleting:
            states.append("pending")
    else:
        states.append("allocated")
        if entries(dig(claim, "status", "reservedFor")):
            states.append("reserved")
    return ",".join(states)


RESOURCECLAIMS = Printer(
    (NAME, Column("State", description="A summary of the current state (allocated, pending, reserved, etc.)."), AGE),
    lambda claim, now: [name(claim), _claim_state(claim), age(claim, now)])

RESOURCESLICES = Printer(
    (NAME, Column("Node", description=doc("resource.v1.ResourceSliceSpec", "nodeName")),
     Column("Driver", description=doc("resource.v1.ResourceSliceSpec", "driver")),
     Column("Pool", description=doc("resource.v1.ResourcePool", "name")), AGE),
    lambda s, now: [name(s), text(dig(s, "spec", "nodeName")), text(dig(s, "spec", "driver")),
                    text(dig(s, "spec", "pool", "name")), age(s, now)])

PRINTERS = {
    ("scheduling.k8s.io", "priorityclasses"): PRIORITYCLASSES, ("node.k8s.io", "runtimeclasses"): RUNTIMECLASSES,
    ("resource.k8s.io", "deviceclasses"): NAME_AGE, ("resource.k8s.io", "resourceclaims"): RESOURCECLAIMS,
    ("resource.k8s.io", "resourceclaimtemplates"): NAME_AGE, ("resource.k8s.io", "resourceslices"): RESOURCESLICES,
}
