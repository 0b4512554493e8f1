"""A slow, obviously correct scheduler for the default plugins, written from upstream's
definitions node by node (no arrays, no partial scoring, no batching, no indexes), to check the
real one's decisions against.

Each function states the upstream rule it follows; integer arithmetic is Go's (operands here are
never negative, so ``//`` truncates as Go does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from myriad.api.nodeaffinity import required_affinity_matches
from myriad.api.podrequests import pod_requests, resource_list
from myriad.scheduler.podinfo import pod_info

MAX = 100
MB = 1024 * 1024


def _tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def fits(pod: Mapping[str, Any], node: Mapping[str, Any], pods_on_node: list[Mapping[str, Any]]) -> bool:
    """Every default Filter: NodeUnschedulable, NodeName, TaintToleration (NoSchedule and
    NoExecute), NodeAffinity, NodePorts and NodeResourcesFit."""
    spec, nspec = pod.get("spec") or {}, node.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    if nspec.get("unschedulable") and not any(
            _tolerates(t, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}) for t in tolerations):
        return False
    name = node["metadata"]["name"]
    if spec.get("nodeName") and spec["nodeName"] != name:
        return False
    for taint in nspec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not any(_tolerates(t, taint) for t in tolerations):
            return False
    if not required_affinity_matches(spec, name=name, labels=node["metadata"].get("labels") or {}):
        return False
    wanted = {(p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", p["hostPort"])
              for c in spec.get("containers") or [] for p in c.get("ports") or [] if p.get("hostPort")}
    used = {(p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", p["hostPort"])
            for other in pods_on_node for c in (other.get("spec") or {}).get("containers") or []
            for p in c.get("ports") or [] if p.get("hostPort")}
    for ip, protocol, port in wanted:
        for uip, uprotocol, uport in used:
            if (protocol, port) == (uprotocol, uport) and (ip == "0.0.0.0" or uip in ("0.0.0.0", ip)):
                return False
    allocatable = node["status"]["allocatable"]
    capacity = resource_list(allocatable)
    request = pod_requests(spec)
    used_total = sum((pod_requests(o.get("spec") or {}) for o in pods_on_node), start=type(request)())
    if len(pods_on_node) + 1 > int(allocatable.get("pods", 0)):
        return False
    return not (request.cpu_milli > capacity.cpu_milli - used_total.cpu_milli
                or request.memory > capacity.memory - used_total.memory)


def raw_scores(pod: Mapping[str, Any], node: Mapping[str, Any], pods_on_node: list[Mapping[str, Any]],
               nodes_with_image: Mapping[str, int], total_nodes: int) -> dict[str, float]:
    """Each default Score plugin's raw score for one node."""
    spec = pod.get("spec") or {}
    info = pod_info(pod)
    allocatable = resource_list(node["status"]["allocatable"])
    others = [pod_info(o) for o in pods_on_node]
    # NodeResourcesFit, LeastAllocated over cpu and memory with non-zero requests, weights 1.
    cpu = sum(o.nonzero_cpu for o in others) + info.nonzero_cpu
    memory = sum(o.nonzero_memory for o in others) + info.nonzero_memory
    least = [(cap - req) * MAX // cap if cap and req <= cap else 0
             for cap, req in ((allocatable.cpu_milli, cpu), (allocatable.memory, memory))]
    fit = sum(least) // 2
    # BalancedAllocation: real requests, fractions capped at 1, score (1 - std) * 100.
    real = pod_requests(spec)
    fractions = []
    for cap, req in ((allocatable.cpu_milli, sum(o.requests.cpu_milli for o in others) + real.cpu_milli),
                     (allocatable.memory, sum(o.requests.memory for o in others) + real.memory)):
        if cap:
            fractions.append(min(req / cap, 1.0))
    std = abs(fractions[0] - fractions[1]) / 2 if len(fractions) == 2 else 0.0
    balanced = int((1 - std) * MAX) if real.cpu_milli or real.memory else 0
    # TaintToleration: untolerated PreferNoSchedule taints.
    preferring = [t for t in spec.get("tolerations") or [] if t.get("effect") in (None, "", "PreferNoSchedule")]
    taints = sum(1 for t in (node.get("spec") or {}).get("taints") or []
                 if t.get("effect") == "PreferNoSchedule" and not any(_tolerates(x, t) for x in preferring))
    # NodeAffinity: the weights of preferred terms that match.
    labels = node["metadata"].get("labels") or {}
    preferred = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                 .get("preferredDuringSchedulingIgnoredDuringExecution") or [])
    affinity = sum(term.get("weight", 0) for term in preferred
                   if required_affinity_matches({"affinity": {"nodeAffinity": {
                       "requiredDuringSchedulingIgnoredDuringExecution": {
                           "nodeSelectorTerms": [term.get("preference") or {}]}}}},
                       name=node["metadata"]["name"], labels=labels))
    # ImageLocality: sizes of the pod's images the node has, scaled by their spread.
    sizes = {name: image["sizeBytes"] for image in node["status"].get("images") or [] for name in image["names"]}
    images = [c["image"] if ":" in c["image"].rsplit("/", 1)[-1] else c["image"] + ":latest"
              for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]]
    total = sum(int(sizes[i] * (nodes_with_image.get(i, 0) / total_nodes)) for i in images if i in sizes)
    low, high = 23 * MB, 1000 * MB * len(images)
    total = min(max(total, low), high)
    image = MAX * (total - low) // (high - low)
    return {"fit": fit, "balanced": balanced, "taints": taints, "affinity": affinity, "image": image}


def totals(pod: Mapping[str, Any], nodes: list[Mapping[str, Any]],
           pods_by_node: Mapping[str, list[Mapping[str, Any]]]) -> dict[str, int]:
    """The weighted, normalised total of every feasible node (upstream's default weights)."""
    feasible = [n for n in nodes if fits(pod, n, pods_by_node.get(n["metadata"]["name"], []))]
    holders: dict[str, int] = {}
    for n in nodes:
        for image in n["status"].get("images") or []:
            for name in image["names"]:
                holders[name] = holders.get(name, 0) + 1
    raw = {n["metadata"]["name"]: raw_scores(pod, n, pods_by_node.get(n["metadata"]["name"], []), holders,
                                             len(nodes)) for n in feasible}
    most_taints = max((r["taints"] for r in raw.values()), default=0)
    most_affinity = max((r["affinity"] for r in raw.values()), default=0)
    out = {}
    for name, r in raw.items():
        taint_score = MAX if most_taints == 0 else MAX - MAX * r["taints"] // most_taints
        affinity_score = 0 if most_affinity == 0 else MAX * r["affinity"] // most_affinity
        out[name] = int(3 * taint_score + 2 * affinity_score + r["fit"] + r["balanced"] + r["image"])
    return out

