"""NodeResourcesFit: a node must have room for the pod's requests (Filter), and nodes are
scored by how much of them the pod would leave free or use (Score), as upstream's
``pkg/scheduler/framework/plugins/noderesources/fit.go`` with ``resource_allocation.go``,
``least_allocated.go``, ``most_allocated.go``, ``requested_to_capacity_ratio.go`` and
``helper/shape_score.go``.

Filter (upstream ``fitsRequest``), per node, reasons in this order:

* ``Too many pods`` when the node's pod count + 1 exceeds its allocatable ``pods`` (checked
  even for a pod that requests nothing);
* ``Insufficient cpu`` / ``memory`` / ``ephemeral-storage`` when the pod requests some of it
  and more than allocatable minus what the node's pods request (their real requests).

A node's rejection is UnschedulableAndUnresolvable when the pod asks for more of some resource
than the node's whole allocatable (preemption cannot help); then every reason of that node
carries that code, as upstream's single status does. Extended and hugepages resources are
not tracked by the node table and are not checked.

Score: per configured resource ``(allocatable, requested)`` where requested is the node's pods
plus this pod. cpu and memory count requests with upstream's 100m / 200Mi defaults for
containers that name none (``PodInfo.nonzero_*``, ``NodeTable.nonzero``); ephemeral storage
counts real requests. A resource the node has none of is left out with its weight; resources
the table does not track (extended, hugepages) are left out likewise, as upstream leaves out
an extended resource the pod does not request. Strategies, all in Go int64 arithmetic:

* ``LeastAllocated`` (default): ``(cap - req) * 100 // cap`` (0 when req > cap), weighted mean;
* ``MostAllocated``: ``min(req, cap) * 100 // cap``, weighted mean;
* ``RequestedToCapacityRatio``: a broken-linear function of ``req * 100 // cap`` (100 when
  req > cap) through ``shape`` points (utilization 0..100, score 0..10 scaled by 10); only
  positive resource scores count; the weighted mean is rounded half away from zero.

No NormalizeScore: scores are already 0..100.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from myriad.scheduler.nodetable import CPU, EPHEMERAL, MEMORY, PODS, NodeTable
from myriad.scheduler.types import MAX_NODE_SCORE, PASS, Code, CycleState, PodInfo, PreFilterResult, Reason, Verdict

LEAST_ALLOCATED = "LeastAllocated"
MOST_ALLOCATED = "MostAllocated"
REQUESTED_TO_CAPACITY_RATIO = "RequestedToCapacityRatio"
STRATEGIES = (LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO)

DEFAULT_RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
#: Upstream's config.MaxCustomPriorityScore: shape scores are 0..10, scaled to 0..100.
MAX_CUSTOM_PRIORITY_SCORE = 10
#: Upstream's maxUtilization.
MAX_UTILIZATION = 100

_TEXTS = ("Too many pods", "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage")
_UNRESOLVABLE_SHIFT = len(_TEXTS)
#: Bits 0..3 reject a node as Unschedulable; bits 4..7 the same texts as UnschedulableAndUnresolvable.
REASONS = (*(Reason(text) for text in _TEXTS), *(Reason(text, Code.UNRESOLVABLE) for text in _TEXTS))
_TOO_MANY_PODS, _INSUFFICIENT_CPU, _INSUFFICIENT_MEMORY, _INSUFFICIENT_EPHEMERAL = 1, 2, 4, 8

_FILTER_KEY = "NodeResourcesFit/filter"
_SCORE_KEY = "NodeResourcesFit/score"


class NodeResourcesFit:
    name = "NodeResourcesFit"

    def __init__(self, *, scoring_strategy: str = LEAST_ALLOCATED,
                 resources: Mapping[str, int] | Iterable[tuple[str, int]] = DEFAULT_RESOURCES,
                 shape: Sequence[tuple[int, int]] | None = None) -> None:
        if scoring_strategy not in STRATEGIES:
            raise ValueError(f"scoring strategy {scoring_strategy} is not supported")
        pairs = tuple(resources.items() if isinstance(resources, Mapping) else resources)
        if not pairs:
            raise ValueError("resources not found")
        for name, weight in pairs:
            if not 1 <= weight <= MAX_NODE_SCORE:
                raise ValueError(f"resource {name!r}: weight {weight} is not in the range [1, {MAX_NODE_SCORE}]")
        self.scoring_strategy = scoring_strategy
        self.resources: tuple[tuple[str, int], ...] = tuple((str(n), int(w)) for n, w in pairs)
        self._shape: tuple[tuple[int, int], ...] = ()
        if scoring_strategy == REQUESTED_TO_CAPACITY_RATIO:
            self._shape = _validated_shape(shape)

    # -- PreFilter / Filter --------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, table: NodeTable) -> PreFilterResult:
        r = pod.requests
        state.data[_FILTER_KEY] = (r.cpu_milli, r.memory, r.ephemeral_storage)
        return PASS

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        requests = state.data.get(_FILTER_KEY)
        if requests is None:
            r = pod.requests
            requests = (r.cpu_milli, r.memory, r.ephemeral_storage)
        allocatable = table.allocatable.take(rows, axis=0)  # take: ~10x faster than rows indexing
        used = table.used(rows, pod)  # nominated pods' requests held too
        failed = np.where(used[:, PODS] + 1 > allocatable[:, PODS], _TOO_MANY_PODS, 0).astype(np.uint32)
        unresolvable = np.zeros(len(rows), dtype=bool)
        for column, bit, wanted in ((CPU, _INSUFFICIENT_CPU, requests[0]), (MEMORY, _INSUFFICIENT_MEMORY, requests[1]),
                                    (EPHEMERAL, _INSUFFICIENT_EPHEMERAL, requests[2])):
            if wanted <= 0:
                continue
            short = wanted > allocatable[:, column] - used[:, column]
            failed |= np.where(short, bit, 0).astype(np.uint32)
            unresolvable |= short & (wanted > allocatable[:, column])
        failed = np.where(unresolvable, failed << _UNRESOLVABLE_SHIFT, failed).astype(np.uint32)
        return Verdict(failed, REASONS)

    # -- PreScore / Score ----------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> bool:
        state.data[_SCORE_KEY] = self._pod_requests(pod)
        return True

    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        requests = state.data.get(_SCORE_KEY)
        if requests is None:
            requests = self._pod_requests(pod)
        node_score = np.zeros(len(rows), dtype=np.int64)
        weight_sum = np.zeros(len(rows), dtype=np.int64)
        for (name, weight), wanted in zip(self.resources, requests, strict=True):
            pair = _allocatable_requested(table, rows, name, wanted)
            if pair is None:
                continue
            capacity, requested = pair
            counted = capacity != 0
            resource_score = self._resource_score(requested, capacity)
            if self.scoring_strategy == REQUESTED_TO_CAPACITY_RATIO:
                counted &= resource_score > 0
            node_score += np.where(counted, resource_score * weight, 0)
            weight_sum += np.where(counted, weight, 0)
        divisor = np.maximum(weight_sum, 1)
        if self.scoring_strategy == REQUESTED_TO_CAPACITY_RATIO:
            # Go's math.Round(float64(nodeScore) / float64(weightSum)): half away from zero.
            mean = np.floor(node_score.astype(np.float64) / divisor + 0.5).astype(np.int64)
        else:
            mean = node_score // divisor
        return np.where(weight_sum == 0, 0, mean).astype(np.int64)

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        return scores

    # -- helpers -------------------------------------------------------------------------------

    def _pod_requests(self, pod: PodInfo) -> tuple[int, ...]:
        """The pod's request per configured resource, cpu and memory with the scoring defaults."""
        amounts = {"cpu": pod.nonzero_cpu, "memory": pod.nonzero_memory,
                   "ephemeral-storage": pod.requests.ephemeral_storage}
        return tuple(amounts.get(name, 0) for name, _ in self.resources)

    def _resource_score(self, requested: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        safe = np.where(capacity == 0, 1, capacity)
        over = (capacity == 0) | (requested > capacity)
        if self.scoring_strategy == LEAST_ALLOCATED:
            return np.where(over, 0, (capacity - requested) * MAX_NODE_SCORE // safe)
        if self.scoring_strategy == MOST_ALLOCATED:
            clamped = np.minimum(requested, capacity)
            return np.where(capacity == 0, 0, clamped * MAX_NODE_SCORE // safe)
        utilization = np.where(requested <= 0, 0, np.minimum(requested, capacity) * MAX_UTILIZATION // safe)
        utilization = np.where(over, MAX_UTILIZATION, utilization)
        return _broken_linear(self._shape, utilization)


def _allocatable_requested(table: NodeTable, rows: np.ndarray, name: str,
                           wanted: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Upstream's calculateResourceAllocatableRequest with NonZeroRequested for cpu and memory;
    None for a resource the table does not track."""
    if name == "cpu":
        return table.allocatable[rows, CPU], table.nonzero[rows, 0] + wanted
    if name == "memory":
        return table.allocatable[rows, MEMORY], table.nonzero[rows, 1] + wanted
    if name == "ephemeral-storage":
        return table.allocatable[rows, EPHEMERAL], table.requested[rows, EPHEMERAL] + wanted
    return None


def _validated_shape(shape: Sequence[tuple[int, int]] | None) -> tuple[tuple[int, int], ...]:
    """Upstream's validation of the RequestedToCapacityRatio shape, scores scaled to 0..100."""
    if not shape:
        raise ValueError("RequestedToCapacityRatio needs at least one shape point")
    points = tuple((int(u), int(s)) for u, s in shape)
    for i, (utilization, score) in enumerate(points):
        if not 0 <= utilization <= MAX_UTILIZATION:
            raise ValueError(f"shape[{i}].utilization {utilization} is not in the range [0, {MAX_UTILIZATION}]")
        if not 0 <= score <= MAX_CUSTOM_PRIORITY_SCORE:
            raise ValueError(f"shape[{i}].score {score} is not in the range [0, {MAX_CUSTOM_PRIORITY_SCORE}]")
        if i and utilization <= points[i - 1][0]:
            raise ValueError("shape utilization values must be sorted in increasing order")
    scale = MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE
    return tuple((u, s * scale) for u, s in points)


def _broken_linear(shape: Sequence[tuple[int, int]], p: np.ndarray) -> np.ndarray:
    """Upstream's BuildBrokenLinearFunction over an array: the first point's score at or below
    its utilization, the last one's above the last, linear between with Go's truncating division."""
    result = np.full(p.shape, shape[-1][1], dtype=np.int64)
    done = np.zeros(p.shape, dtype=bool)
    for i, (utilization, score) in enumerate(shape):
        here = ~done & (p <= utilization)
        if i == 0:
            value = np.full(p.shape, score, dtype=np.int64)
        else:
            u0, s0 = shape[i - 1]
            numerator = (score - s0) * (p - u0)
            value = s0 + _go_div(numerator, utilization - u0)
        result = np.where(here, value, result)
        done |= here
    return result


def _go_div(numerator: np.ndarray, divisor: int) -> np.ndarray:
    """Integer division truncating toward zero, as Go's ``/`` (``divisor`` > 0)."""
    return np.sign(numerator) * (np.abs(numerator) // divisor)
