"""Core kinds that are neither workloads, network nor storage: nodes, namespaces, configuration,
service accounts, events, quotas, component statuses, and coordination Leases."""

from __future__ import annotations

from myriad.api import quantity
from myriad.apiserver.tables.format import NONE, UNKNOWN, dig, human_duration, timestamp
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
    integer,
    mapping,
    name,
    text,
)

_NODE_ROLE = "node-role.kubernetes.io/"


def _node_cells(node: Obj, now: float) -> list[object]:
    ready = None
    for condition in entries(dig(node, "status", "conditions")):
        if condition.get("type") == "Ready":
            ready = condition  # the last one of a type wins, as in upstream's map
    status = ["Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"]
    if dig(node, "spec", "unschedulable") is True:
        status.append("SchedulingDisabled")
    roles = set()
    for key, value in mapping(dig(node, "metadata", "labels")).items():
        if key.startswith(_NODE_ROLE) and key[len(_NODE_ROLE):]:
            roles.add(key[len(_NODE_ROLE):])
        elif key == "kubernetes.io/role" and value:
            roles.add(str(value))
    addresses = entries(dig(node, "status", "addresses"))

    def address(kind: str) -> str:
        return next((text(a.get("address")) for a in addresses if a.get("type") == kind), NONE)

    info = mapping(dig(node, "status", "nodeInfo"))
    kernel = text(info.get("kernelVersion")) or UNKNOWN
    if info.get("architecture"):
        kernel += f" ({info['architecture']})"
    return [name(node), ",".join(status), ",".join(sorted(roles)) or NONE, age(node, now),
            text(info.get("kubeletVersion")), address("InternalIP"), address("ExternalIP"),
            text(info.get("osImage")) or UNKNOWN, kernel, text(info.get("containerRuntimeVersion")) or UNKNOWN]


NODES = Printer(
    (NAME, Column("Status", description="The status of the node"),
     Column("Roles", description="The roles of the node"), AGE,
     Column("Version", description=doc("core.v1.NodeSystemInfo", "kubeletVersion")),
     Column("Internal-IP", description=doc("core.v1.NodeStatus", "addresses"), priority=1),
     Column("External-IP", description=doc("core.v1.NodeStatus", "addresses"), priority=1),
     Column("OS-Image", description=doc("core.v1.NodeSystemInfo", "osImage"), priority=1),
     Column("Kernel-Version", description=doc("core.v1.NodeSystemInfo", "kernelVersion"), priority=1),
     Column("Container-Runtime", description=doc("core.v1.NodeSystemInfo", "containerRuntimeVersion"), priority=1)),
    _node_cells)

NAMESPACES = Printer((NAME, Column("Status", description="The status of the namespace"), AGE),
                     lambda ns, now: [name(ns), text(dig(ns, "status", "phase")), age(ns, now)])

CONFIGMAPS = Printer(
    (NAME, Column("Data", description=doc("core.v1.ConfigMap", "data")), AGE),
    lambda cm, now: [name(cm), len(mapping(cm.get("data"))) + len(mapping(cm.get("binaryData"))), age(cm, now)])

SECRETS = Printer(
    (NAME, Column("Type", description=doc("core.v1.Secret", "type")),
     Column("Data", description=doc("core.v1.Secret", "data")), AGE),
    lambda s, now: [name(s), text(s.get("type")), len(mapping(s.get("data"))), age(s, now)])


# -- events ----------------------------------------------------------------------------------------


def _event_cells(event: Obj, now: float) -> list[object]:
    """A core/v1 Event (events.k8s.io/v1 ones are printed in this form too, as upstream does)."""
    first = timestamp(event.get("firstTimestamp")) or timestamp(event.get("eventTime"))
    first_text = UNKNOWN if first is None else human_duration(now - first)
    last = timestamp(event.get("lastTimestamp"))
    last_text = first_text if last is None else human_duration(now - last)
    count = integer(event.get("count"))
    series = event.get("series")
    if isinstance(series, dict):
        observed = timestamp(series.get("lastObservedTime"))
        last_text = UNKNOWN if observed is None else human_duration(now - observed)
        count = integer(series.get("count"))
    elif count == 0:
        count = 1
    involved = mapping(event.get("involvedObject"))
    kind = text(involved.get("kind")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    component = text(dig(event, "source", "component")) or text(event.get("reportingComponent"))
    host = text(dig(event, "source", "host")) or text(event.get("reportingInstance"))
    source = f"{component}, {host}" if host else component
    return [last_text, text(event.get("type")), text(event.get("reason")), target, text(involved.get("fieldPath")),
            source, text(event.get("message")).strip(), first_text, count, name(event)]


EVENTS = Printer(
    (Column("Last Seen", description=doc("core.v1.Event", "lastTimestamp")),
     Column("Type", description=doc("core.v1.Event", "type")),
     Column("Reason", description=doc("core.v1.Event", "reason")),
     Column("Object", description=doc("core.v1.Event", "involvedObject")),
     Column("Subobject", description=doc("core.v1.ObjectReference", "fieldPath"), priority=1),
     Column("Source", description=doc("core.v1.Event", "source"), priority=1),
     Column("Message", description=doc("core.v1.Event", "message")),
     Column("First Seen", description=doc("core.v1.Event", "firstTimestamp"), priority=1),
     Column("Count", description=doc("core.v1.Event", "count"), priority=1),
     Column("Name", format="name", description=NAME.description, priority=1)),
    _event_cells)


# -- quotas, component statuses, leases ------------------------------------------------------------


def _resource_quota_cells(quota: Obj, now: float) -> list[object]:
    """Every ``status.hard`` resource as ``name: used/hard``; ``limits.*`` ones under Limit."""
    hard, used = mapping(dig(quota, "status", "hard")), mapping(dig(quota, "status", "used"))
    requests, limits = [], []
    for resource in sorted(hard):
        pieces = resource.split(".")
        column = limits if len(pieces) > 1 and pieces[0] == "limits" else requests
        column.append(f"{resource}: {quantity.canonical(used.get(resource, '0'))}/{quantity.canonical(hard[resource])}")
    return [name(quota), ", ".join(requests), ", ".join(limits), age(quota, now)]


RESOURCEQUOTAS = Printer(
    (NAME, Column("Request", description="Request represents a minimum amount of cpu/memory that a container may "
                                         "consume."),
     Column("Limit", description="Limits control the maximum amount of cpu/memory that a container may use "
                                 "independent of contention on the node."), AGE),
    _resource_quota_cells)


def _component_status_cells(component: Obj, now: float) -> list[object]:
    healthy = next((c for c in entries(component.get("conditions")) if c.get("type") == "Healthy"), None)
    if healthy is None:
        return [name(component), "Unknown", "", ""]
    status = "Healthy" if healthy.get("status") == "True" else "Unhealthy"
    return [name(component), status, text(healthy.get("message")), text(healthy.get("error"))]


COMPONENTSTATUSES = Printer(
    (NAME, Column("Status", description="Status of the component conditions"),
     Column("Message", description="Message of the component conditions"),
     Column("Error", description="Error of the component conditions")),
    _component_status_cells)

LEASES = Printer(
    (NAME, Column("Holder", description=doc("coordination.v1.LeaseSpec", "holderIdentity")), AGE),
    lambda lease, now: [name(lease), text(dig(lease, "spec", "holderIdentity")), age(lease, now)])

PRINTERS = {
    ("", "nodes"): NODES, ("", "namespaces"): NAMESPACES, ("", "configmaps"): CONFIGMAPS, ("", "secrets"): SECRETS,
    ("", "serviceaccounts"): NAME_AGE, ("", "events"): EVENTS, ("events.k8s.io", "events"): EVENTS,
    ("", "resourcequotas"): RESOURCEQUOTAS, ("", "componentstatuses"): COMPONENTSTATUSES,
    ("coordination.k8s.io", "leases"): LEASES,
}
