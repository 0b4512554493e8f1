"""Which pods a controller deletes first when it scales down: upstream's
``ActivePodsWithRanks`` order (``pkg/controller/controller_utils.go``), with the
LogarithmicScaleDown comparison of times (GA since 1.31).

Earlier in the order goes first:
1. unassigned before assigned;
2. Pending, then Unknown, then Running;
3. not ready before ready;
4. a lower ``controller.kubernetes.io/pod-deletion-cost`` first;
5. doubled up first: a higher rank (related pods on the same node);
6. of two ready pods, the one ready more recently (by powers of two of the time it has been);
7. more container restarts first;
8. created more recently first (by powers of two of age), ties broken by uid.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

from myriad.api.meta import parse_time
from myriad.controllers.podcontrol import ready_since

DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}

Pod = dict[str, Any]


def pods_to_delete(pods: list[Pod], related: Iterable[Pod], count: int, *, now: float) -> list[Pod]:
    """The ``count`` pods of ``pods`` to delete first; ``related``: the active pods whose
    crowding on a node counts (the owner's, and its siblings' under the same Deployment)."""
    if count >= len(pods):
        return list(pods)
    on_node: dict[str, int] = {}
    for pod in related:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            on_node[node] = on_node.get(node, 0) + 1
    ranked = [(pod, on_node.get((pod.get("spec") or {}).get("nodeName") or "", 0)) for pod in pods]
    ranked.sort(key=functools.cmp_to_key(lambda a, b: _compare(a, b, now)))
    return [pod for pod, _ in ranked[:count]]


def _compare(a: tuple[Pod, int], b: tuple[Pod, int], now: float) -> int:
    """Negative when ``a`` goes before ``b``."""
    (pa, rank_a), (pb, rank_b) = a, b
    node_a, node_b = _spec(pa).get("nodeName") or "", _spec(pb).get("nodeName") or ""
    if node_a != node_b and (not node_a or not node_b):
        return -1 if not node_a else 1
    phase_a = _PHASE_ORDER.get(_status(pa).get("phase", ""), 0)
    phase_b = _PHASE_ORDER.get(_status(pb).get("phase", ""), 0)
    if phase_a != phase_b:
        return phase_a - phase_b
    ready_a, ready_b = ready_since(pa), ready_since(pb)
    if (ready_a is not None) != (ready_b is not None):
        return -1 if ready_a is None else 1
    cost_a, cost_b = deletion_cost(pa), deletion_cost(pb)
    if cost_a != cost_b:
        return -1 if cost_a < cost_b else 1
    if rank_a != rank_b:
        return -1 if rank_a > rank_b else 1
    if ready_a is not None and ready_b is not None and ready_a != ready_b:
        order = _later_first(ready_a, ready_b, now, pa, pb)
        if order:
            return order
    restarts_a, restarts_b = max_restarts(pa), max_restarts(pb)
    if restarts_a != restarts_b:
        return -1 if restarts_a > restarts_b else 1
    created_a, created_b = _created(pa), _created(pb)
    if created_a != created_b:
        return _later_first(created_a, created_b, now, pa, pb)
    return 0


def _later_first(t1: float | None, t2: float | None, now: float, pa: Pod, pb: Pod) -> int:
    """Upstream's ``afterOrZero`` (a zero time first, then the later), by logarithmic buckets of
    the time since, ties within a bucket broken by uid."""
    if not t1 or not t2:
        return -1 if not t1 else 1
    diff = _log_bucket(now - t1) - _log_bucket(now - t2)
    if diff == 0:
        uid_a, uid_b = _meta(pa).get("uid", ""), _meta(pb).get("uid", "")
        return -1 if uid_a < uid_b else (1 if uid_a > uid_b else 0)
    return -1 if diff < 0 else 1


def _log_bucket(seconds: float) -> int:
    nanos = seconds * 1e9
    return int(math.log2(nanos)) if nanos > 0 else -1


def deletion_cost(pod: Pod) -> int:
    value = (_meta(pod).get("annotations") or {}).get(DELETION_COST)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def max_restarts(pod: Pod) -> int:
    status = _status(pod)
    counts = [s.get("restartCount") or 0 for key in ("containerStatuses", "initContainerStatuses")
              for s in status.get(key) or () if isinstance(s, dict)]
    return max(counts, default=0)


def _created(pod: Pod) -> float | None:
    return parse_time(_meta(pod).get("creationTimestamp"))


def _meta(pod: Pod) -> dict[str, Any]:
    return pod.get("metadata") or {}


def _spec(pod: Pod) -> dict[str, Any]:
    return pod.get("spec") or {}


def _status(pod: Pod) -> dict[str, Any]:
    return pod.get("status") or {}
