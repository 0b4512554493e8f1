"""Per-resource columns and rows, as upstream's ``pkg/printers/internalversion`` prints them.

A :class:`Printer` lists its columns and turns one object into its cells (and, for pods, row
conditions). The server always prints every column, wide ones included: priority 1 marks the
columns kubectl shows only with ``-o wide``. Cells are typed as upstream's are, so some columns
declared ``string`` carry integers (deployment Up-to-date, configmap Data, event Count).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from myriad.apiserver.rest.conversion import EventsV1
from myriad.apiserver.tables.format import (
    NONE,
    UNKNOWN,
    containers_cells,
    dig,
    human_duration,
    labels_text,
    selector_text,
    since,
    timestamp,
)

Obj = dict[str, object]
_AS_CORE_EVENT = EventsV1().to_storage

NAME_DOC = ("Name must be unique within a namespace. Is required when creating resources, although some resources "
            "may allow a client to request the generation of an appropriate name automatically. Name is primarily "
            "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names")
CREATED_DOC = ("CreationTimestamp is a timestamp representing the server time when this object was created. It is "
               "not guaranteed to be set in happens-before order across separate operations. Clients may not set "
               "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
               "Null for lists. More info: "
               "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "type": self.type, "format": self.format, "description": self.description,
                "priority": self.priority}


@dataclass(frozen=True, slots=True)
class Printer:
    columns: tuple[Column, ...]
    #: ``(object, now)`` → the row's cells, one per column.
    cells: Callable[[Obj, float], list[object]]
    #: ``object`` → the row's conditions (pods only), or None.
    conditions: Callable[[Obj], list[dict[str, str]] | None] | None = None


NAME = Column("Name", format="name", description=NAME_DOC)
AGE = Column("Age", description=CREATED_DOC)
CONTAINERS = Column("Containers", description="Names of each container in the template.", priority=1)
IMAGES = Column("Images", description="Images referenced by each container in the template.", priority=1)
SELECTOR = Column("Selector", description="A label query over pods that should match the replicas count.",
                  priority=1)


def _name(obj: Obj) -> object:
    return dig(obj, "metadata", "name")


def _age(obj: Obj, now: float) -> str:
    return since(dig(obj, "metadata", "creationTimestamp"), now)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# -- pods ------------------------------------------------------------------------------------------


def _pod_cells(pod: Obj, now: float) -> list[object]:
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    status = pod.get("status") if isinstance(pod.get("status"), dict) else {}
    assert isinstance(spec, dict) and isinstance(status, dict)
    reason = status.get("reason") or status.get("phase") or ""
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"
    init_specs = [c for c in spec.get("initContainers") or [] if isinstance(c, dict)]
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last = 0.0
    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        if not isinstance(cs, dict):
            continue
        restarts += _int(cs.get("restartCount"))
        finished = timestamp(dig(cs, "lastState", "terminated", "finishedAt")) or 0.0
        last_restart = max(last_restart, finished)
        sidecar = cs.get("name") in sidecars
        if sidecar:
            sidecar_restarts += _int(cs.get("restartCount"))
            sidecar_last = max(sidecar_last, finished)
        terminated, waiting = dig(cs, "state", "terminated"), dig(cs, "state", "waiting")
        if isinstance(terminated, dict) and terminated.get("exitCode") == 0:
            continue
        if sidecar and cs.get("started"):
            ready += bool(cs.get("ready"))
            continue
        if isinstance(terminated, dict):
            why = terminated.get("reason")
            if not why:
                signal = _int(terminated.get("signal"))
                why = f"Signal:{signal}" if signal else f"ExitCode:{_int(terminated.get('exitCode'))}"
            reason = f"Init:{why}"
        elif isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = any(c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions)
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, sidecar_last
        running = False
        for cs in reversed(status.get("containerStatuses") or []):
            if not isinstance(cs, dict):
                continue
            restarts += _int(cs.get("restartCount"))
            last_restart = max(last_restart, timestamp(dig(cs, "lastState", "terminated", "finishedAt")) or 0.0)
            terminated, waiting = dig(cs, "state", "terminated"), dig(cs, "state", "waiting")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = waiting["reason"]
            elif isinstance(terminated, dict) and terminated.get("reason"):
                reason = terminated["reason"]
            elif isinstance(terminated, dict):
                signal = _int(terminated.get("signal"))
                reason = f"Signal:{signal}" if signal else f"ExitCode:{_int(terminated.get('exitCode'))}"
            elif cs.get("ready") and isinstance(dig(cs, "state", "running"), dict):
                running = True
                ready += 1
        if reason == "Completed" and running:
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            reason = "Running" if pod_ready else "NotReady"
    if dig(pod, "metadata", "deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    gates = [g for g in spec.get("readinessGates") or [] if isinstance(g, dict)]
    gates_text = NONE
    if gates:
        true = {c.get("type") for c in conditions if c.get("status") == "True"}
        gates_text = f"{sum(g.get('conditionType') in true for g in gates)}/{len(gates)}"
    return [_name(pod), f"{ready}/{total}", reason, restarts_text, _age(pod, now),
            dig(status, "podIPs", 0, "ip") or NONE, spec.get("nodeName") or NONE,
            status.get("nominatedNodeName") or NONE, gates_text]


def _pod_conditions(pod: Obj) -> list[dict[str, str]] | None:
    phase = dig(pod, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return None


PODS = Printer((NAME, Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
                Column("Status", description="The aggregate status of the containers in this pod."),
                Column("Restarts", description="The number of times the containers in this pod have been restarted "
                                               "and when the last container in this pod has restarted."),
                AGE, Column("IP", description="IP address assigned to the pod", priority=1),
                Column("Node", description="Name of the node assigned to the pod", priority=1),
                Column("Nominated Node", description="Name of the node nominated by the scheduler", priority=1),
                Column("Readiness Gates", description="Pod readiness gates", priority=1)),
               _pod_cells, _pod_conditions)


# -- nodes, namespaces -----------------------------------------------------------------------------


def _node_cells(node: Obj, now: float) -> list[object]:
    conditions = [c for c in dig(node, "status", "conditions") or [] if isinstance(c, dict)]  # type: ignore[union-attr]
    ready = next((c for c in conditions if c.get("type") == "Ready"), None)
    status = "Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"
    if dig(node, "spec", "unschedulable"):
        status += ",SchedulingDisabled"
    labels = dig(node, "metadata", "labels")
    roles = set()
    if isinstance(labels, dict):
        for key, value in labels.items():
            if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/"):]:
                roles.add(key[len("node-role.kubernetes.io/"):])
            elif key == "kubernetes.io/role" and value:
                roles.add(value)
    addresses = [a for a in dig(node, "status", "addresses") or [] if isinstance(a, dict)]  # type: ignore[union-attr]

    def address(kind: str) -> str:
        return next((str(a.get("address")) for a in addresses if a.get("type") == kind), NONE)

    info = dig(node, "status", "nodeInfo")
    info = info if isinstance(info, dict) else {}
    return [_name(node), status, ",".join(sorted(roles)) or NONE, _age(node, now), info.get("kubeletVersion", ""),
            address("InternalIP"), address("ExternalIP"), info.get("osImage") or UNKNOWN,
            info.get("kernelVersion") or UNKNOWN, info.get("containerRuntimeVersion") or UNKNOWN]


NODES = Printer((NAME, Column("Status", description="The status of the node"),
                 Column("Roles", description="The roles of the node"), AGE,
                 Column("Version", description="Kubelet Version reported by the node."),
                 Column("Internal-IP", description="List of addresses reachable to the node.", priority=1),
                 Column("External-IP", description="List of addresses reachable to the node.", priority=1),
                 Column("OS-Image", description="OS Image reported by the node from /etc/os-release (e.g. Debian "
                                                "GNU/Linux 7 (wheezy)).", priority=1),
                 Column("Kernel-Version", description="Kernel Version reported by the node from 'uname -r' (e.g. "
                                                      "3.16.0-0.bpo.4-amd64).", priority=1),
                 Column("Container-Runtime", description="Container runtime version reported by the node through "
                                                         "runtime remote API (e.g. containerd://1.4.2).",
                        priority=1)),
                _node_cells)

NAMESPACES = Printer((NAME, Column("Status", description="The status of the namespace"), AGE),
                     lambda ns, now: [_name(ns), dig(ns, "status", "phase") or "", _age(ns, now)])


# -- workloads -------------------------------------------------------------------------------------


def _template_spec(obj: Obj) -> object:
    return dig(obj, "spec", "template", "spec")


def _deployment_cells(d: Obj, now: float) -> list[object]:
    return [_name(d), f"{_int(dig(d, 'status', 'readyReplicas'))}/{_int(dig(d, 'spec', 'replicas'))}",
            _int(dig(d, "status", "updatedReplicas")), _int(dig(d, "status", "availableReplicas")), _age(d, now),
            *containers_cells(_template_spec(d)), selector_text(dig(d, "spec", "selector"), empty="")]


DEPLOYMENTS = Printer((NAME, Column("Ready", description="Number of the pod with ready state"),
                       Column("Up-to-date", description="Total number of non-terminated pods targeted by this "
                                                        "deployment that have the desired template spec."),
                       Column("Available", description="Total number of available pods (ready for at least "
                                                       "minReadySeconds) targeted by this deployment."),
                       AGE, CONTAINERS, IMAGES, SELECTOR), _deployment_cells)

REPLICASETS = Printer(
    (NAME, Column("Desired", "integer", description="Number of desired pods."),
     Column("Current", "integer", description="Number of actual pods."),
     Column("Ready", "integer", description="The number of ready replicas for this replica set."),
     AGE, CONTAINERS, IMAGES, SELECTOR),
    lambda rs, now: [_name(rs), _int(dig(rs, "spec", "replicas")), _int(dig(rs, "status", "replicas")),
                     _int(dig(rs, "status", "readyReplicas")), _age(rs, now), *containers_cells(_template_spec(rs)),
                     selector_text(dig(rs, "spec", "selector"))])

STATEFULSETS = Printer(
    (NAME, Column("Ready", description="Number of the pod with ready state"), AGE, CONTAINERS, IMAGES),
    lambda s, now: [_name(s), f"{_int(dig(s, 'status', 'readyReplicas'))}/{_int(dig(s, 'spec', 'replicas'))}",
                    _age(s, now), *containers_cells(_template_spec(s))])

DAEMONSETS = Printer(
    (NAME, Column("Desired", "integer", description="The total number of nodes that should be running the daemon "
                                                    "pod (including nodes correctly running the daemon pod)."),
     Column("Current", "integer", description="The number of nodes that are running at least 1 daemon pod and are "
                                              "supposed to run the daemon pod."),
     Column("Ready", "integer", description="The number of nodes that should be running the daemon pod and have one "
                                            "or more of the daemon pod running and ready."),
     Column("Up-to-date", "integer", description="The total number of nodes that are running updated daemon pod"),
     Column("Available", "integer", description="The number of nodes that should be running the daemon pod and "
                                                "have one or more of the daemon pod running and available (ready "
                                                "for at least spec.minReadySeconds)"),
     Column("Node Selector", description="NodeSelector is a selector which must be true for the pod to fit on a "
                                         "node. Selector which must match a node's labels for the pod to be "
                                         "scheduled on that node."),
     AGE, CONTAINERS, IMAGES, SELECTOR),
    lambda ds, now: [_name(ds), *(_int(dig(ds, "status", f)) for f in (
        "desiredNumberScheduled", "currentNumberScheduled", "numberReady", "updatedNumberScheduled",
        "numberAvailable")), labels_text(dig(ds, "spec", "template", "spec", "nodeSelector")), _age(ds, now),
        *containers_cells(_template_spec(ds)), selector_text(dig(ds, "spec", "selector"))])


def _condition_true(obj: Obj, kind: str) -> bool:
    first = next((c for c in dig(obj, "status", "conditions") or [] if isinstance(c, dict)  # type: ignore[union-attr]
                  and c.get("type") == kind), None)
    return first is not None and first.get("status") == "True"


def _job_cells(job: Obj, now: float) -> list[object]:
    if _condition_true(job, "Complete"):
        status = "Complete"
    elif _condition_true(job, "Failed"):
        status = "Failed"
    elif dig(job, "metadata", "deletionTimestamp"):
        status = "Terminating"
    elif _condition_true(job, "Suspended"):
        status = "Suspended"
    elif _condition_true(job, "FailureTarget"):
        status = "FailureTarget"
    else:
        status = "Running"
    succeeded = _int(dig(job, "status", "succeeded"))
    completions, parallelism = dig(job, "spec", "completions"), _int(dig(job, "spec", "parallelism"))
    if isinstance(completions, int):
        done = f"{succeeded}/{completions}"
    elif parallelism > 1:
        done = f"{succeeded}/1 of {parallelism}"
    else:
        done = f"{succeeded}/1"
    start = timestamp(dig(job, "status", "startTime"))
    end = timestamp(dig(job, "status", "completionTime"))
    duration = "" if start is None else human_duration((now if end is None else end) - start)
    return [_name(job), status, done, duration, _age(job, now), *containers_cells(_template_spec(job)),
            selector_text(dig(job, "spec", "selector"))]


JOBS = Printer((NAME, Column("Status", description="Status of the job."),
                Column("Completions", description="The desired number of successfully finished pods the job should "
                                                  "be run with."),
                Column("Duration", description="Time required to complete the job."), AGE, CONTAINERS, IMAGES,
                SELECTOR), _job_cells)


# -- services, endpoints, config -------------------------------------------------------------------


def _service_cells(svc: Obj, now: float) -> list[object]:
    spec = svc.get("spec") if isinstance(svc.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    kind = spec.get("type") or "ClusterIP"
    cluster_ip = dig(spec, "clusterIPs", 0) or spec.get("clusterIP") or NONE
    external = [str(ip) for ip in spec.get("externalIPs") or []]
    if kind in ("ClusterIP", "NodePort"):
        external_text = ",".join(external) or NONE
    elif kind == "LoadBalancer":
        ingress = dig(svc, "status", "loadBalancer", "ingress") or []
        balancers = sorted({str(i.get("ip") or i.get("hostname") or "") for i in ingress  # type: ignore[union-attr]
                            if isinstance(i, dict)} - {""})
        external_text = ",".join(balancers + external) or "<pending>"
    elif kind == "ExternalName":
        external_text = str(spec.get("externalName") or "")
    else:
        external_text = UNKNOWN
    ports = []
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            protocol = port.get("protocol") or "TCP"
            node_port = _int(port.get("nodePort"))
            number = port.get("port")
            ports.append(f"{number}:{node_port}/{protocol}" if node_port else f"{number}/{protocol}")
    return [_name(svc), kind, cluster_ip, external_text, ",".join(ports) or NONE, _age(svc, now),
            labels_text(spec.get("selector"))]


SERVICES = Printer((NAME, Column("Type", description="type determines how the Service is exposed."),
                    Column("Cluster-IP", description="clusterIP is the IP address of the service."),
                    Column("External-IP", description="List of IP addresses for which nodes in the cluster will also "
                                                      "accept traffic for this service."),
                    Column("Port(s)", description="The list of ports that are exposed by this service."), AGE,
                    Column("Selector", description="Route service traffic to pods with label keys and values "
                                                   "matching this selector.", priority=1)),
                   _service_cells)


def _endpoints_text(endpoints: Obj) -> str:
    subsets = [s for s in endpoints.get("subsets") or [] if isinstance(s, dict)]  # type: ignore[union-attr]
    if not subsets:
        return NONE
    entries: list[str] = []
    total = 0
    for subset in subsets:
        addresses = [a for a in subset.get("addresses") or [] if isinstance(a, dict)]
        ports = [p for p in subset.get("ports") or [] if isinstance(p, dict)]
        pairs = ([f"{a.get('ip')}:{p.get('port')}" for p in ports for a in addresses] if ports
                 else [str(a.get("ip")) for a in addresses])
        total += len(pairs)
        entries.extend(pairs[: max(0, 3 - len(entries))])
    text = ",".join(entries)
    return f"{text} + {total - 3} more..." if total > 3 else text


ENDPOINTS = Printer((NAME, Column("Endpoints", description="Endpoints of the service"), AGE),
                    lambda ep, now: [_name(ep), _endpoints_text(ep), _age(ep, now)])

CONFIGMAPS = Printer((NAME, Column("Data", description="Data contains the configuration data."), AGE),
                     lambda cm, now: [_name(cm), len(cm.get("data") or {}) + len(cm.get("binaryData") or {}),  # type: ignore[arg-type]
                                      _age(cm, now)])

SECRETS = Printer((NAME, Column("Type", description="Used to facilitate programmatic handling of secret data."),
                   Column("Data", description="Data contains the secret data."), AGE),
                  lambda s, now: [_name(s), s.get("type") or "", len(s.get("data") or {}), _age(s, now)])  # type: ignore[arg-type]

LEASES = Printer((NAME, Column("Holder", description="holderIdentity contains the identity of the holder of a "
                                                     "current lease."), AGE),
                 lambda lease, now: [_name(lease), dig(lease, "spec", "holderIdentity") or "", _age(lease, now)])


def _event_cells(event: Obj, now: float) -> list[object]:
    first = timestamp(event.get("firstTimestamp")) or timestamp(event.get("eventTime"))
    first_text = UNKNOWN if first is None else human_duration(now - first)
    last = timestamp(event.get("lastTimestamp"))
    last_text = first_text if last is None else human_duration(now - last)
    count = _int(event.get("count"))
    series = event.get("series")
    if isinstance(series, dict):
        observed = timestamp(series.get("lastObservedTime"))
        last_text = UNKNOWN if observed is None else human_duration(now - observed)
        count = _int(series.get("count"))
    elif count == 0:
        count = 1
    involved = event.get("involvedObject") if isinstance(event.get("involvedObject"), dict) else {}
    assert isinstance(involved, dict)
    kind = str(involved.get("kind") or "").lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    component = dig(event, "source", "component") or event.get("reportingComponent") or ""
    host = dig(event, "source", "host") or event.get("reportingInstance") or ""
    source = f"{component}, {host}" if host else str(component)
    return [last_text, event.get("type") or "", event.get("reason") or "", target, involved.get("fieldPath") or "",
            source, str(event.get("message") or "").strip(), first_text, count, _name(event)]


EVENTS = Printer((Column("Last Seen", description="Time when last event from this source was seen."),
                  Column("Type", description="Type of this event (Normal, Warning), new types could be added in the "
                                             "future."),
                  Column("Reason", description="This should be a short, machine understandable string that gives "
                                               "the reason for the transition into the object's current status."),
                  Column("Object", description="The object this Event is about."),
                  Column("Subobject", description="The subobject this Event is about.", priority=1),
                  Column("Source", description="The component reporting this event. Should be a short machine "
                                               "understandable string.", priority=1),
                  Column("Message", description="A human-readable description of the status of this operation."),
                  Column("First Seen", description="The time at which the event was first recorded. (Time of server "
                                                   "receipt is in TypeMeta.)", priority=1),
                  Column("Count", description="The number of times this event has occurred.", priority=1),
                  Column("Name", format="name", description=NAME_DOC, priority=1)),
                 _event_cells)

#: events.k8s.io/v1 Events print as core ones do (upstream prints the internal type for both).
EVENTS_V1 = Printer(EVENTS.columns, lambda event, now: _event_cells(_AS_CORE_EVENT(event), now))

#: Resources without a printer of their own (CRDs among them): Name and Created At.
DEFAULT = Printer((NAME, Column("Created At", "date", description=CREATED_DOC)),
                  lambda obj, now: [_name(obj), dig(obj, "metadata", "creationTimestamp") or "0001-01-01T00:00:00Z"])

BY_RESOURCE: dict[tuple[str, str], Printer] = {
    ("", "pods"): PODS, ("", "nodes"): NODES, ("", "namespaces"): NAMESPACES, ("", "services"): SERVICES,
    ("", "endpoints"): ENDPOINTS, ("", "configmaps"): CONFIGMAPS, ("", "secrets"): SECRETS, ("", "events"): EVENTS,
    ("events.k8s.io", "events"): EVENTS_V1, ("apps", "deployments"): DEPLOYMENTS, ("apps", "replicasets"): REPLICASETS,
    ("apps", "statefulsets"): STATEFULSETS, ("apps", "daemonsets"): DAEMONSETS, ("batch", "jobs"): JOBS,
    ("coordination.k8s.io", "leases"): LEASES,
}
