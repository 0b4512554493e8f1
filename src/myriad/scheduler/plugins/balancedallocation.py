"""NodeResourcesBalancedAllocation: favours nodes whose resources would be used in equal
proportions with the pod on them, as upstream's
``pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go`` (with
``resource_allocation.go``), in its standard-deviation form.

PreScore skips the plugin for a best-effort pod, one requesting none of the configured
resources (upstream 1.33+, issue #129138): it then scores 0 on every node.

Score per node, with real requests on both sides (no 100m / 200Mi defaults): for each
configured resource the node has some of, ``fraction = min((node requested + pod) /
allocatable, 1)`` in float64; ``std`` is ``|f0 - f1| / 2`` for two fractions, the population
standard deviation for more, 0 for fewer; the score is ``int64((1 - std) * 100)`` (truncated).
Resource weights are not used. Resources the node table does not track (extended,
hugepages) are left out, as upstream leaves out an extended resource the pod does not
request. No NormalizeScore.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from myriad.scheduler.nodetable import CPU, EPHEMERAL, MEMORY, NodeTable
from myriad.scheduler.types import MAX_NODE_SCORE, CycleState, PodInfo

DEFAULT_RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))
_COLUMNS = {"cpu": CPU, "memory": MEMORY, "ephemeral-storage": EPHEMERAL}
_KEY = "NodeResourcesBalancedAllocation/score"


class NodeResourcesBalancedAllocation:
    name = "NodeResourcesBalancedAllocation"

    def __init__(self, *, resources: Mapping[str, int] | Iterable[tuple[str, int]] = DEFAULT_RESOURCES) -> None:
        pairs = tuple(resources.items() if isinstance(resources, Mapping) else resources)
        if not pairs:
            raise ValueError("resources not found")
        self.resources: tuple[tuple[str, int], ...] = tuple((str(n), int(w)) for n, w in pairs)

    def pre_score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> bool:
        requests = self._pod_requests(pod)
        if not any(requests):
            return False
        state.data[_KEY] = requests
        return True

    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        requests = state.data.get(_KEY)
        if requests is None:
            requests = self._pod_requests(pod)
            if not any(requests):
                return np.zeros(len(rows), dtype=np.int64)
        size = len(rows)
        count = np.zeros(size, dtype=np.int64)
        total = np.zeros(size, dtype=np.float64)
        first = np.zeros(size, dtype=np.float64)
        second = np.zeros(size, dtype=np.float64)
        fractions: list[tuple[np.ndarray, np.ndarray]] = []
        for (name, _), wanted in zip(self.resources, requests, strict=True):
            column = _COLUMNS.get(name)
            if column is None:
                continue
            allocatable = table.allocatable[rows, column]
            requested = table.requested[rows, column] + wanted
            counted = allocatable != 0
            fraction = requested.astype(np.float64) / np.where(counted, allocatable, 1).astype(np.float64)
            fraction = np.where(counted, np.minimum(fraction, 1.0), 0.0)
            # Adding 0.0 for a left-out resource keeps each node's sum exactly as upstream's.
            total += fraction
            first = np.where(counted & (count == 0), fraction, first)
            second = np.where(counted & (count == 1), fraction, second)
            count += counted
            fractions.append((counted, fraction))
        std = np.zeros(size, dtype=np.float64)
        std = np.where(count == 2, np.abs((first - second) / 2), std)
        many = count > 2
        if many.any():
            mean = total / np.maximum(count, 1)
            squares = np.zeros(size, dtype=np.float64)
            for counted, fraction in fractions:
                deviation = fraction - mean
                squares += np.where(counted, deviation * deviation, 0.0)
            std = np.where(many, np.sqrt(squares / np.maximum(count, 1)), std)
        return ((1 - std) * float(MAX_NODE_SCORE)).astype(np.int64)

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        return scores

    def _pod_requests(self, pod: PodInfo) -> tuple[int, ...]:
        """The pod's real request per configured resource (upstream's useRequested)."""
        r = pod.requests
        amounts = {"cpu": r.cpu_milli, "memory": r.memory, "ephemeral-storage": r.ephemeral_storage}
        return tuple(amounts.get(name, 0) for name, _ in self.resources)
