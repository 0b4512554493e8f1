"""Where a DaemonSet's pods belong (upstream's ``NodeShouldRunDaemonPod`` and
``pkg/controller/daemon/util``): a node whose name, labels and taints admit the pod template
(with the tolerations every daemon pod gets) should run one; a node whose NoExecute taints the
pod tolerates may keep one it already runs. Each pod is pinned to its node by a required node
affinity on ``metadata.name``, and the scheduler places it there. Pure functions of objects.
"""

from __future__ import annotations

import copy
from typing import Any

from myriad.api.nodeaffinity import required_affinity_matches
from myriad.api.tolerations import tolerates
from myriad.client.objects import Object

Obj = dict[str, Any]

#: Upstream's AddOrUpdateDaemonPodTolerations: what every daemon pod tolerates.
DAEMON_TOLERATIONS: tuple[Obj, ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
#: Added for pods on the host's network.
NETWORK_TOLERATION: Obj = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                           "effect": "NoSchedule"}


def with_daemon_tolerations(pod_spec: Obj) -> Obj:
    """``pod_spec`` (copied) with the daemon tolerations it lacks appended."""
    result = dict(pod_spec)
    tolerations = [t for t in pod_spec.get("tolerations") or () if isinstance(t, dict)]
    wanted = [*DAEMON_TOLERATIONS, *((NETWORK_TOLERATION,) if pod_spec.get("hostNetwork") else ())]
    for toleration in wanted:
        same = [t for t in tolerations if t.get("key") == toleration["key"] and t.get("effect") == toleration["effect"]]
        if not same:
            tolerations.append(dict(toleration))
    result["tolerations"] = tolerations
    return result


def should_run(ds: Obj, node: Object | Obj, pod_spec: Obj | None = None) -> tuple[bool, bool]:
    """(should run a pod, may keep one it runs) for ``node`` (an informer's node is read from
    its view). ``pod_spec`` is the template's spec with the daemon tolerations (computed if not
    given)."""
    if pod_spec is None:
        pod_spec = with_daemon_tolerations(((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
    if isinstance(node, Object):
        name, labels = node.name, node.labels
        taints: Any = [t.to_dict() for t in node.view.spec.taints]
    else:
        name, labels = node["metadata"]["name"], node["metadata"].get("labels") or {}
        taints = (node.get("spec") or {}).get("taints") or ()
    if pod_spec.get("nodeName") and pod_spec["nodeName"] != name:
        return False, False
    if not required_affinity_matches(pod_spec, name=name, labels=labels):
        return False, False
    tolerations = pod_spec.get("tolerations") or ()
    untolerated = [t for t in taints
                   if isinstance(t, dict) and t.get("effect") in ("NoSchedule", "NoExecute")
                   and not any(tolerates(tol, t) for tol in tolerations if isinstance(tol, dict))]
    if untolerated:
        return False, not any(t.get("effect") == "NoExecute" for t in untolerated)
    return True, True


def pinned(pod_spec: Obj, node: str) -> Obj:
    """Upstream's ``ReplaceDaemonSetPodNodeNameNodeAffinity``: ``pod_spec`` (copied) whose
    required node affinity is the one term ``metadata.name In [node]`` (the template's own
    terms already admitted the node)."""
    result = dict(pod_spec)
    affinity = copy.deepcopy(pod_spec.get("affinity") or {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    required = node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
    required["nodeSelectorTerms"] = [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]
    result["affinity"] = affinity
    return result


def target_node(pod: Object | Obj) -> str | None:
    """Upstream's ``GetTargetNodeName``: ``spec.nodeName``, else the node the pin names."""
    if isinstance(pod, Object) and pod.view.node_name:
        return pod.view.node_name
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or ():
        for field in (term or {}).get("matchFields") or ():
            if field.get("key") == "metadata.name" and field.get("operator") == "In" and \
                    len(field.get("values") or ()) == 1:
                return str(field["values"][0])
    return None
