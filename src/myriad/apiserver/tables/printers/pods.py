"""Pods and PodTemplates, as upstream prints them.

A pod's Status cell is the kubelet's story in one word: the pod's reason or phase, overridden by
the first init container still at work (``Init:1/2``, ``Init:CrashLoopBackOff``), then by the
containers' waiting or terminated reasons, then by deletion (``Terminating``).
"""

from __future__ import annotations

from myriad.apiserver.tables.format import NONE, containers_cells, dig, human_duration, labels_text, timestamp
from myriad.apiserver.tables.printers.base import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    age,
    conditions,
    doc,
    entries,
    integer,
    mapping,
    name,
)


def _terminated_reason(terminated: dict[str, object], prefix: str = "") -> str:
    """A terminated container's reason, or ``Signal:N`` / ``ExitCode:N`` when it gave none."""
    if terminated.get("reason"):
        return f"{prefix}{terminated['reason']}"
    signal = integer(terminated.get("signal"))
    return f"{prefix}Signal:{signal}" if signal else f"{prefix}ExitCode:{integer(terminated.get('exitCode'))}"


def _pod_cells(pod: Obj, now: float) -> list[object]:
    spec, status = mapping(pod.get("spec")), mapping(pod.get("status"))
    reason = status.get("reason") or status.get("phase") or ""
    pod_conditions = conditions(pod)
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in pod_conditions):
        reason = "SchedulingGated"
    init_specs = entries(spec.get("initContainers"))
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(entries(spec.get("containers"))) + len(sidecars)
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last = 0.0
    initializing = False
    for i, cs in enumerate(entries(status.get("initContainerStatuses"))):
        restarts += integer(cs.get("restartCount"))
        finished = timestamp(dig(cs, "lastState", "terminated", "finishedAt")) or 0.0
        last_restart = max(last_restart, finished)
        sidecar = cs.get("name") in sidecars
        if sidecar:
            sidecar_restarts += integer(cs.get("restartCount"))
            sidecar_last = max(sidecar_last, finished)
        terminated, waiting = dig(cs, "state", "terminated"), dig(cs, "state", "waiting")
        if isinstance(terminated, dict) and integer(terminated.get("exitCode")) == 0:
            continue
        if sidecar and cs.get("started") is True:
            ready += cs.get("ready") is True
            continue
        if isinstance(terminated, dict):
            reason = _terminated_reason(terminated, "Init:")
        elif isinstance(waiting, dict) and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    initialized = next((c.get("status") == "True" for c in pod_conditions if c.get("type") == "Initialized"), False)
    if not initializing or initialized:
        restarts, last_restart = sidecar_restarts, sidecar_last
        running = False
        error_reason = ""
        for cs in reversed(entries(status.get("containerStatuses"))):
            restarts += integer(cs.get("restartCount"))
            last_restart = max(last_restart, timestamp(dig(cs, "lastState", "terminated", "finishedAt")) or 0.0)
            terminated, waiting = dig(cs, "state", "terminated"), dig(cs, "state", "waiting")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict):
                reason = _terminated_reason(terminated)
                if integer(terminated.get("exitCode")) != 0:
                    error_reason = reason
            elif cs.get("ready") is True and isinstance(dig(cs, "state", "running"), dict):
                running = True
                ready += 1
        if reason == "Completed":
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in pod_conditions)
            if running and pod_ready:
                reason = "Running"
            elif error_reason:
                reason = error_reason
            elif running:
                reason = "NotReady"
    if dig(pod, "metadata", "deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            reason = "Unknown"
        elif status.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restarts_text = str(restarts)
    if restarts and last_restart:
        restarts_text = f"{restarts} ({human_duration(now - last_restart)} ago)"
    return [name(pod), f"{ready}/{total}", reason, restarts_text, age(pod, now),
            dig(status, "podIPs", 0, "ip") or NONE, spec.get("nodeName") or NONE,
            status.get("nominatedNodeName") or NONE, _readiness_gates(spec, pod_conditions)]


def _readiness_gates(spec: dict[str, object], pod_conditions: list[dict[str, object]]) -> str:
    """``true/total`` over the readiness gates, each judged by the first condition of its type."""
    gates = entries(spec.get("readinessGates"))
    if not gates:
        return NONE
    true = 0
    for gate in gates:
        first = next((c for c in pod_conditions if c.get("type") == gate.get("conditionType")), None)
        true += first is not None and first.get("status") == "True"
    return f"{true}/{len(gates)}"


def _pod_conditions(pod: Obj) -> list[dict[str, str]] | None:
    phase = dig(pod, "status", "phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}]
    return None


PODS = Printer(
    (NAME, Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
     Column("Status", description="The aggregate status of the containers in this pod."),
     Column("Restarts", description="The number of times the containers in this pod have been restarted and when "
                                    "the last container in this pod has restarted."),
     AGE, Column("IP", description=doc("core.v1.PodStatus", "podIP"), priority=1),
     Column("Node", description=doc("core.v1.PodSpec", "nodeName"), priority=1),
     Column("Nominated Node", description=doc("core.v1.PodStatus", "nominatedNodeName"), priority=1),
     Column("Readiness Gates", description=doc("core.v1.PodSpec", "readinessGates"), priority=1)),
    _pod_cells, _pod_conditions)

PODTEMPLATES = Printer(
    (NAME, Column("Containers", description="Names of each container in the template."),
     Column("Images", description="Images referenced by each container in the template."),
     Column("Pod Labels", description="The labels for the pod template.")),
    lambda t, now: [name(t), *containers_cells(dig(t, "template", "spec")),
                    labels_text(dig(t, "template", "metadata", "labels"))])

PRINTERS = {("", "pods"): PODS, ("", "podtemplates"): PODTEMPLATES}
