"""PodTopologySpread: PreFilter, Filter, PreScore, Score and NormalizeScore (upstream
``pkg/scheduler/framework/plugins/podtopologyspread/{plugin,common,filtering,scoring}.go``),
vectorised over label columns with per-node counts from the pod index (``np.bincount`` over
the rows of the matching pods).

Constraints. The pod's own ``topologySpreadConstraints`` (DoNotSchedule ones for Filter,
ScheduleAnyway ones for Score); when it has none, the default constraints (``System``: hostname
maxSkew 3 and zone maxSkew 5, ScheduleAnyway; ``List``: ``default_constraints``) with the
selector merged from ``Handle.selectors_of(pod)`` -- none if that is empty. A pod counts on a
node when it is in the incoming pod's namespace, not terminating, and matches the selector (an
empty selector counts nothing). A node is eligible for a constraint when it has every
constraint's topology key, and, per ``nodeAffinityPolicy`` (default Honor) and
``nodeTaintsPolicy`` (default Ignore), matches the pod's required node affinity / has no
untolerated NoSchedule or NoExecute taint.

* PreFilter (over all nodes): per constraint, matching pods per eligible domain (domains with
  none included); skips when there are no DoNotSchedule constraints.
* Filter, per constraint in order: a node lacking the key fails "node(s) didn't match pod
  topology spread constraints (missing required label)" (UnschedulableAndUnresolvable); else
  ``count(domain) + selfMatch - min`` above maxSkew fails "node(s) didn't match pod topology
  spread constraints" (Unschedulable). ``min`` is the smallest eligible domain count, or 0 when
  there are fewer eligible domains than minDomains.
* PreScore skips without ScheduleAnyway constraints. Unless the constraints are the system
  defaults, feasible nodes lacking a key are ignored (score 0). Per non-hostname constraint the
  domains of the other feasible nodes are registered (a missing label registers ""), and their
  counts are summed over all eligible nodes; the weight is ``log(domains + 2)``, with the number
  of scored nodes as the size for ``kubernetes.io/hostname``, whose count is the node's own.
* Score: ``round(sum(count * weight + maxSkew - 1))`` over the constraints whose key the node
  has (Go's math.Round). NormalizeScore: ignored nodes 0; all 100 when the largest score is 0;
  else ``100 * (max + min - s) / max`` (integer division).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.nodeaffinity import required_mask
from myriad.scheduler.plugins.topology import codes, go_round, lookup, untolerated
from myriad.scheduler.selectors import (
    DO_NOT_SCHEDULE,
    HONOR,
    NOTHING,
    SCHEDULE_ANYWAY,
    LabelSelector,
    SpreadConstraint,
    parse_spread_constraint,
)
from myriad.scheduler.types import (
    MAX_NODE_SCORE,
    PASS,
    SKIP,
    Code,
    CycleState,
    Handle,
    PodInfo,
    PreFilterResult,
    Reason,
    Verdict,
)

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
REASON_MISSING_LABEL = Reason("node(s) didn't match pod topology spread constraints (missing required label)",
                              Code.UNRESOLVABLE)
REASON_SKEW = Reason("node(s) didn't match pod topology spread constraints")
SYSTEM_DEFAULT_CONSTRAINTS = (
    SpreadConstraint(max_skew=3, topology_key=HOSTNAME, when_unsatisfiable=SCHEDULE_ANYWAY, selector=NOTHING),
    SpreadConstraint(max_skew=5, topology_key=ZONE, when_unsatisfiable=SCHEDULE_ANYWAY, selector=NOTHING),
)
_MAX_INT32 = 2**31 - 1


@dataclass(frozen=True, slots=True)
class _Filter:
    key: str
    by_domain: np.ndarray
    min_match: int
    self_match: int
    max_skew: int


@dataclass(frozen=True, slots=True)
class _Score:
    constraints: tuple[SpreadConstraint, ...]
    require_all: bool
    weights: tuple[float, ...]
    #: Per constraint: counts by domain code (non-hostname) or by node row (hostname).
    counts: tuple[np.ndarray, ...]


class PodTopologySpread:
    name = "PodTopologySpread"
    uses_handle = True

    def __init__(self, *, handle: Handle | None = None,
                 default_constraints: Iterable[Mapping[str, Any]] | None = None,
                 defaulting_type: str = "System") -> None:
        self._handle = handle or Handle()
        given = list(default_constraints or ())
        if defaulting_type == "System":
            if given:
                raise ValueError('defaultConstraints: Invalid value: when .defaultingType="System", '
                                 '.defaultConstraints must be empty')
            self._defaults, self._system = SYSTEM_DEFAULT_CONSTRAINTS, True
        elif defaulting_type == "List":
            for c in given:
                if c.get("labelSelector") is not None:
                    raise ValueError("defaultConstraints.labelSelector: Forbidden: constraint must not define "
                                     "a selector, as they deduced for each pod")
                if int(c.get("maxSkew") or 0) <= 0 or not c.get("topologyKey") or \
                        c.get("whenUnsatisfiable") not in (DO_NOT_SCHEDULE, SCHEDULE_ANYWAY):
                    raise ValueError(f"defaultConstraints: Invalid value: {dict(c)!r}")
            self._defaults = tuple(parse_spread_constraint(c, {}) for c in given)
            self._system = False
        else:
            raise ValueError(f'defaultingType: Unsupported value: "{defaulting_type}": supported values: '
                             '"List", "System"')

    # -- constraints ---------------------------------------------------------------------------

    def _constraints(self, pod: PodInfo, action: str) -> tuple[SpreadConstraint, ...]:
        if pod.spread_constraints:
            return tuple(c for c in pod.spread_constraints if c.when_unsatisfiable == action)
        defaults = [c for c in self._defaults if c.when_unsatisfiable == action]
        if not defaults:
            return ()
        merged: dict[str, str] = {}
        for selector in self._handle.selectors_of(pod):
            merged.update(selector)
        if not merged:
            return ()
        selector = LabelSelector(tuple(sorted(merged.items())))
        return tuple(replace(c, selector=selector) for c in defaults)

    @staticmethod
    def _node_counts(table: NodeTable, pod: PodInfo, selector: LabelSelector,
                     cache: dict[LabelSelector, np.ndarray]) -> np.ndarray:
        """Per node row: the pods in ``pod``'s namespace, not terminating, matching ``selector``."""
        counts = cache.get(selector)
        if counts is None:
            if selector.empty:
                counts = np.zeros(len(table.present), dtype=np.int64)
            else:  # kept up to date by the pod index: no walk over the matching pods
                counts = table.pods.row_counts(selector, frozenset((pod.namespace,)), live=True)
                if len(counts) < len(table.present):
                    grown = np.zeros(len(table.present), dtype=np.int64)
                    grown[:len(counts)] = counts
                    counts = grown
            cache[selector] = counts
        return counts

    @staticmethod
    def _eligible(pod: PodInfo, table: NodeTable, rows: np.ndarray, constraints: tuple[SpreadConstraint, ...],
                  require_all: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        """Over ``rows``: whether the node has every topology key, and per constraint whether it
        counts (the keys when ``require_all``, then the inclusion policies)."""
        has_all = np.ones(len(rows), dtype=bool)
        for c in constraints:
            has_all &= codes(table, c.topology_key, rows) >= 0
        base = has_all if require_all else np.ones(len(rows), dtype=bool)
        affinity: np.ndarray | None = None
        taints: np.ndarray | None = None
        masks = []
        for c in constraints:
            mask = base
            if c.node_affinity_policy == HONOR:
                if affinity is None:
                    affinity = required_mask(pod.spec, table, rows)
                mask = mask & affinity
            if c.node_taints_policy == HONOR:
                if taints is None:
                    taints = ~untolerated(table, pod.tolerations, rows)
                mask = mask & taints
            masks.append(mask)
        return has_all, masks

    # -- filtering -----------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, table: NodeTable) -> PreFilterResult:
        constraints = self._constraints(pod, DO_NOT_SCHEDULE)
        if not constraints:
            return SKIP
        live = table.live_rows()
        _, masks = self._eligible(pod, table, live, constraints, True)
        cache: dict[LabelSelector, np.ndarray] = {}
        out = []
        for c, mask in zip(constraints, masks, strict=True):
            rows = live[mask]
            per_node = self._node_counts(table, pod, c.selector, cache)[rows]
            found = codes(table, c.topology_key, rows)
            size = len(table.label_values(c.topology_key))
            by_domain = np.bincount(found, weights=per_node, minlength=size).astype(np.int64)
            present = np.bincount(found, minlength=size) > 0
            domains = int(np.count_nonzero(present))
            min_match = int(by_domain[present].min()) if domains else _MAX_INT32
            if domains < c.min_domains:
                min_match = 0
            out.append(_Filter(c.topology_key, by_domain, min_match, int(c.selector.matches(pod.labels)), c.max_skew))
        state.data[self.name] = tuple(out)
        return PASS

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        rows = np.asarray(rows)
        failed = np.zeros(len(rows), dtype=np.uint32)
        for f in state.data.get(self.name) or ():
            pending = failed == 0
            found = codes(table, f.key, rows)
            missing = found < 0
            failed[pending & missing] = 1
            skew = lookup(f.by_domain, found) + f.self_match - f.min_match
            failed[pending & ~missing & (skew > f.max_skew)] = 2
        return Verdict(failed, (REASON_MISSING_LABEL, REASON_SKEW))

    # -- scoring -------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> bool:
        key = self.name + "/score"
        state.data.pop(key, None)
        constraints = self._constraints(pod, SCHEDULE_ANYWAY)
        if not constraints or not len(table):
            return False
        rows = np.asarray(rows)
        require_all = bool(pod.spread_constraints) or not self._system
        scored = rows
        if require_all:
            keep = np.ones(len(rows), dtype=bool)
            for c in constraints:
                keep &= codes(table, c.topology_key, rows) >= 0
            scored = rows[keep]
        live = table.live_rows()
        _, masks = self._eligible(pod, table, live, constraints, require_all)
        cache: dict[LabelSelector, np.ndarray] = {}
        weights, counts = [], []
        for c, mask in zip(constraints, masks, strict=True):
            per_node = self._node_counts(table, pod, c.selector, cache)
            if c.topology_key == HOSTNAME:
                weights.append(math.log(len(scored) + 2))
                counts.append(per_node)
                continue
            domains, size = _domains(table, c.topology_key, scored)
            weights.append(math.log(len(np.unique(domains)) + 2))
            eligible, _ = _domains(table, c.topology_key, live[mask])
            counts.append(np.bincount(eligible, weights=per_node[live[mask]], minlength=size).astype(np.int64))
        state.data[key] = _Score(constraints, require_all, tuple(weights), tuple(counts))
        return True

    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        s: _Score | None = state.data.get(self.name + "/score")
        if s is None:
            return np.zeros(len(rows), dtype=np.int64)
        total = np.zeros(len(rows), dtype=np.float64)
        ignored = np.zeros(len(rows), dtype=bool)
        for c, weight, counts in zip(s.constraints, s.weights, s.counts, strict=True):
            found = codes(table, c.topology_key, rows)
            has = found >= 0
            ignored |= s.require_all & ~has
            count = counts[rows] if c.topology_key == HOSTNAME else lookup(counts, found)
            total = np.where(has, total + (count.astype(np.float64) * weight + float(c.max_skew - 1)), total)
        scores = go_round(total)
        scores[ignored] = 0
        state.data[self.name + "/ignored"] = ignored
        return scores

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.int64)
        ignored = state.data.get(self.name + "/ignored")
        if ignored is None or len(ignored) != len(scores):
            ignored = np.zeros(len(scores), dtype=bool)
        valid = ~ignored
        out = np.zeros(len(scores), dtype=np.int64)
        if not valid.any():
            return out
        low, high = int(scores[valid].min()), max(int(scores[valid].max()), 0)
        if high == 0:
            out[valid] = MAX_NODE_SCORE
        else:
            out[valid] = MAX_NODE_SCORE * (high + low - scores[valid]) // high
        return out


def _domains(table: NodeTable, key: str, rows: np.ndarray) -> tuple[np.ndarray, int]:
    """The domain code of each of ``rows`` under ``key``, where a node lacking the label is in
    the domain "" (upstream reads the missing label as ""), and the number of codes."""
    values = table.label_values(key)
    size = len(values)
    empty = values.get("", size)
    found = codes(table, key, rows)
    return np.where(found < 0, empty, found), size + 1
