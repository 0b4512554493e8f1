"""A DaemonSet's rolling update (upstream's ``pkg/controller/daemon/update.go``), as pure
functions of the pods on each node: which old pods to delete and which nodes get a new pod.

Without surge, old pods are deleted while the unavailable pods stay within ``maxUnavailable``
(an old pod that is unavailable anyway is replaced at once); the manage step then makes the new
pod. With ``maxSurge``, a new pod is made beside an old one on up to ``maxSurge`` nodes (at once
where the old one is unavailable), and the old pod goes once the new one is available.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from myriad.api.intstr import scaled
from myriad.controllers import podcontrol
from myriad.controllers.history import POD_REVISION_LABEL

Obj = dict[str, Any]


def updated(pod: Obj, hash_: str) -> bool:
    return (pod["metadata"].get("labels") or {}).get(POD_REVISION_LABEL) == hash_


def fenceposts(ds: Obj, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) against the nodes that should run a pod; both 0 becomes
    unavailability 1 (upstream's ``updatedDesiredNodeCounts``)."""
    rolling = (((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {})
    surge = scaled(rolling.get("maxSurge", 0), desired, round_up=True)
    unavailable = scaled(rolling.get("maxUnavailable", 1), desired, round_up=True)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def new_and_old(pods: list[Obj], hash_: str) -> tuple[Obj | None, Obj | None, bool]:
    """Upstream's ``findUpdatedPodsOnNode``: the node's live new and old pod; False when it has
    two of either (the manage step cleans that up first)."""
    new = old = None
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if updated(pod, hash_):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


@dataclass
class Plan:
    delete: list[Obj] = field(default_factory=list)
    create: list[str] = field(default_factory=list)


def rolling_update(ds: Obj, by_node: dict[str, list[Obj]], runs: Callable[[str], bool], hash_: str, *,
                   desired: int, now: float) -> Plan:
    """``by_node``: each node's daemon pods; ``runs(node)``: whether the node should run one;
    ``desired``: how many nodes should."""
    min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
    surge, max_unavailable = fenceposts(ds, desired)

    def available(pod: Obj) -> bool:
        return podcontrol.available(pod, min_ready, now)
    plan = Plan()
    if surge == 0:
        unavailable = 0
        replace: list[Obj] = []
        candidates: list[Obj] = []
        for pods in by_node.values():
            new, old, ok = new_and_old(pods, hash_)
            if not ok or (new is None) == (old is None):
                unavailable += 1
            elif new is not None:
                unavailable += not available(new)
            elif old is not None and not available(old):
                replace.append(old)
            elif unavailable < max_unavailable and old is not None:
                candidates.append(old)
        room = min(max(max_unavailable - unavailable, 0), len(candidates))
        plan.delete = replace + candidates[:room]
        return plan
    in_flight = 0
    count_available = 0
    allowed: list[str] = []
    candidate_nodes: list[str] = []
    stranded: list[Obj] = []
    for node, pods in by_node.items():
        new, old, ok = new_and_old(pods, hash_)
        if not ok:
            in_flight += 1
            continue
        if (old is not None and available(old)) or (new is not None and available(new)):
            count_available += 1
        if old is None:
            continue
        if new is None:
            if available(old):
                candidate_nodes.append(node)
            elif runs(node):
                allowed.append(node)
            else:
                stranded.append(old)
        elif not available(new):
            in_flight += 1
        else:
            plan.delete.append(old)
    deletable = min(max(count_available - desired, 0), len(stranded))
    plan.delete += stranded[:deletable]
    room = min(max(surge - in_flight, 0), len(candidate_nodes))
    plan.create = allowed + candidate_nodes[:room]
    return plan
