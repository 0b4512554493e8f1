"""The status a kubelet writes for a pod it runs, from its :class:`~myriad.nodes.lifecycle.PodRun`.

Phase as upstream's ``getPhase`` derives it; the conditions PodReadyToStartContainers,
Initialized, Ready, ContainersReady and PodScheduled with their reasons and messages, each
keeping its lastTransitionTime until its status changes; host and pod IPs; start time; and every
container's state, lastState, ready, started, restartCount, image, imageID and containerID.

The status goes out as a strategic merge patch of ``pods/status`` with the pod's uid as a
precondition and ``$setElementOrder`` for the conditions, as the kubelet's status manager sends
it; readiness-gate conditions others wrote are left as they are.
"""

from __future__ import annotations

from typing import Any

from myriad.api.meta import rfc3339
from myriad.nodes.lifecycle import ContainerRun, PodRun, image_id, image_ref

CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def phase(run: PodRun) -> str:
    """``getPhase``: Pending until every container has started, Running while any runs or will
    restart, then Succeeded or Failed."""
    if any(c.state != "terminated" or c.exit_code != 0 for c in run.inits if not c.sidecar) and not run.terminated:
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for container in run.containers:
        if container.state == "running":
            running += 1
        elif container.state == "terminated":
            stopped += 1
            succeeded += container.exit_code == 0
        elif container.last is not None:
            stopped += 1
        else:
            waiting += 1
    if waiting and not run.terminated:
        return "Pending"
    if running and not run.terminated:
        return "Running"
    if stopped:
        if run.terminated or run.restart_policy == "Never":
            return "Succeeded" if stopped == succeeded else "Failed"
        if run.restart_policy == "OnFailure" and stopped == succeeded:
            return "Succeeded"
        return "Running"
    return "Failed" if run.terminated else "Pending"


def render(run: PodRun, *, host_ip: str, now: float, scheduled: bool) -> dict[str, Any]:
    """The status patch's ``status``; ``scheduled``: the pod already has its PodScheduled
    condition (the binding wrote it), which is then left alone."""
    current = phase(run)
    over = current in ("Succeeded", "Failed")
    conditions = [
        _condition(run, "PodReadyToStartContainers", not over, "", "", now),
        _initialized(run, now),
        _ready(run, current, now),
        _containers_ready(run, current, now),
    ]
    if not scheduled:
        conditions.append(_condition(run, "PodScheduled", True, "", "", now))
    status: dict[str, Any] = {
        "phase": current,
        "conditions": conditions,
        "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
        "startTime": rfc3339(run.admitted_at),
        "containerStatuses": [container_status(c) for c in run.containers],
    }
    if run.pod_ip:
        status["podIP"], status["podIPs"] = run.pod_ip, [{"ip": run.pod_ip}]
    if run.inits:
        status["initContainerStatuses"] = [container_status(c) for c in run.inits]
    return status


def status_patch(uid: str, status: dict[str, Any], *, order: tuple[str, ...] = CONDITION_ORDER) -> dict[str, Any]:
    return {"metadata": {"uid": uid}, "$setElementOrder/conditions": [{"type": t} for t in order], "status": status}


def rejected_patch(uid: str, reason: str, message: str) -> dict[str, Any]:
    """What upstream's ``rejectPod`` writes: the pod Failed, with why."""
    return {"metadata": {"uid": uid}, "status": {"phase": "Failed", "reason": reason,
                                                 "message": f"Pod was rejected: {message}"}}


def container_status(container: ContainerRun) -> dict[str, Any]:
    if container.state == "running":
        state: dict[str, Any] = {"running": {"startedAt": rfc3339(container.started_at)}}
    elif container.state == "terminated":
        state = {"terminated": {"exitCode": container.exit_code, "reason": container.reason,
                                "startedAt": rfc3339(container.started_at),
                                "finishedAt": rfc3339(container.finished_at),
                                "containerID": container.container_id}}
    else:
        waiting = {"reason": container.reason}
        if container.message:
            waiting["message"] = container.message
        state = {"waiting": waiting}
    status: dict[str, Any] = {"name": container.name, "state": state, "lastState": container.last or {},
                              "ready": container.ready, "restartCount": container.restarts}
    if container.container_id:
        status.update(image=image_ref(container.image), imageID=image_id(container.image),
                      containerID=container.container_id)
    else:
        status.update(image=container.image, imageID="")
    status["started"] = container.state == "running"
    return status


def _initialized(run: PodRun, now: float) -> dict[str, Any]:
    pending = [c.name for c in run.inits if not (c.ever_started if c.sidecar else
                                                  c.state == "terminated" and c.exit_code == 0)]
    if pending and not run.terminated:
        return _condition(run, "Initialized", False, "ContainersNotInitialized",
                          f"containers with incomplete status: [{' '.join(pending)}]", now)
    return _condition(run, "Initialized", True, "", "", now)


def _containers_ready(run: PodRun, current: str, now: float) -> dict[str, Any]:
    if current == "Succeeded":
        return _condition(run, "ContainersReady", False, "PodCompleted", "", now)
    unready = [c.name for c in run.inits if c.sidecar and not c.ready] + [c.name for c in run.containers if not c.ready]
    if unready:
        return _condition(run, "ContainersReady", False, "ContainersNotReady",
                          f"containers with unready status: [{' '.join(unready)}]", now)
    return _condition(run, "ContainersReady", True, "", "", now)


def _ready(run: PodRun, current: str, now: float) -> dict[str, Any]:
    containers = _containers_ready(run, current, now)
    if containers["status"] != "True":
        return _condition(run, "Ready", False, containers.get("reason", ""), containers.get("message", ""), now)
    for gate in run.gates:
        status = run.gate_status.get(gate)
        if status is None:
            return _condition(run, "Ready", False, "ReadinessGatesNotReady",
                              f'corresponding condition of pod readiness gate "{gate}" does not exist.', now)
        if status != "True":
            return _condition(run, "Ready", False, "ReadinessGatesNotReady",
                              f'the status of pod readiness gate "{gate}" is not "True", but {status}', now)
    return _condition(run, "Ready", True, "", "", now)


def _condition(run: PodRun, kind: str, true: bool, reason: str, message: str, now: float) -> dict[str, Any]:
    status = "True" if true else "False"
    previous = run.transitions.get(kind)
    since = previous[1] if previous is not None and previous[0] == status else now
    run.transitions[kind] = (status, since)
    condition: dict[str, Any] = {"type": kind, "status": status, "lastProbeTime": None,
                                 "lastTransitionTime": rfc3339(since)}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition
