"""InterPodAffinity: PreFilter, Filter, PreScore, Score and NormalizeScore (upstream
``pkg/scheduler/framework/plugins/interpodaffinity/{filtering,scoring,plugin}.go``), over the
table's pod index so a cycle costs the pods that match the terms, not every pod.

Terms. A term matches a pod when the pod's namespace is in the term's namespaces (the owner's
own when the term names none and has no ``namespaceSelector``) or the namespace's labels match
``namespaceSelector`` (nil: none, ``{}``: all), and the pod's labels match ``labelSelector``
(nil: none). For the incoming pod's terms a non-empty ``namespaceSelector`` is first resolved to
the namespaces that exist with matching labels (``Handle.namespaces``); existing pods' terms are
matched against the incoming pod with its namespace's labels (``Handle.namespace_labels``).

* PreFilter counts, per topology domain (a node label ``(key, value)``): existing pods' required
  anti-affinity terms matching the incoming pod; existing pods matching *all* the incoming pod's
  required affinity terms (once per term, on the term's key); existing pods matching each of its
  required anti-affinity terms. It skips when the first count is empty and the pod has no
  required terms.
* Filter, in order: a node lacking a required affinity term's key, or whose domain has no
  matching pod, fails "node(s) didn't match pod affinity rules" (UnschedulableAndUnresolvable)
  -- unless no pod anywhere matches (the counts are empty) and the pod matches all its own
  terms: the first pod of a self-affine group passes on any node with all the keys. Then a
  node in a domain with a pod matching a required anti-affinity term fails "node(s) didn't
  match pod anti-affinity rules"; then a node carrying a label ``(k, v)`` counted by existing
  pods' anti-affinity fails "node(s) didn't satisfy existing pods anti-affinity rules" (both
  Unschedulable).
* PreScore skips when there are no nodes, or when ``ignore_preferred_terms_of_existing_pods``
  and the pod has no preferred terms. Per domain it sums: +weight of each incoming preferred
  affinity term an existing pod matches, -weight for preferred anti-affinity; of each existing
  pod's terms the incoming pod matches, +``hard_pod_affinity_weight`` per required affinity
  term (if > 0), +weight per preferred affinity, -weight per preferred anti-affinity. It skips
  when nothing was added.
* Score: the sum over the domains of the node's labels. NormalizeScore:
  ``int64(100 * (s - min) / (max - min))`` in floats, all 0 when max == min.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.topology import codes, counts_by_domain, lookup
from myriad.scheduler.selectors import AffinityTerm, LabelSelector
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

REASON_AFFINITY = Reason("node(s) didn't match pod affinity rules", Code.UNRESOLVABLE)
REASON_ANTI_AFFINITY = Reason("node(s) didn't match pod anti-affinity rules")
REASON_EXISTING_ANTI_AFFINITY = Reason("node(s) didn't satisfy existing pods anti-affinity rules")
_REASONS = (REASON_AFFINITY, REASON_ANTI_AFFINITY, REASON_EXISTING_ANTI_AFFINITY)


@dataclass(frozen=True, slots=True)
class _Term:
    """An incoming pod's term with its namespaces resolved (None: every namespace)."""

    selector: LabelSelector
    namespaces: frozenset[str] | None
    topology_key: str
    weight: int

    def matches(self, pod: PodInfo) -> bool:
        return (self.namespaces is None or pod.namespace in self.namespaces) and self.selector.matches(pod.labels)


@dataclass(frozen=True, slots=True)
class _FilterState:
    affinity_keys: tuple[str, ...]
    affinity: dict[str, np.ndarray]
    #: No existing pod matches all the affinity terms on a node with one of their keys.
    affinity_empty: bool
    self_affine: bool
    anti_affinity: tuple[tuple[str, np.ndarray], ...]
    existing: dict[str, np.ndarray]


class _Tally:
    """Per topology key: the node rows of contributions and their amounts."""

    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = {}
        self.amounts: dict[str, list[int]] = {}

    def add(self, key: str, row: int, amount: int = 1) -> None:
        self.rows.setdefault(key, []).append(row)
        self.amounts.setdefault(key, []).append(amount)

    def arrays(self, table: NodeTable) -> dict[str, np.ndarray]:
        """key -> counts by value code, for the keys some node carries where counted."""
        out = {}
        for key, rows in self.rows.items():
            found = codes(table, key, np.asarray(rows, dtype=np.intp))
            if (found >= 0).any():
                out[key] = counts_by_domain(table, key, rows, np.asarray(self.amounts[key], dtype=np.int64))
        return out


def _add_domains(out: dict[str, np.ndarray], table: NodeTable, key: str, per_row: np.ndarray,
                 weight: int = 1) -> None:
    """Adds ``per_row`` (pods per node row) times ``weight`` into ``out[key]``, counted by the
    rows' value codes of ``key``; nodes without the key count nowhere, and a key no node
    carries adds nothing."""
    column = table.label_column(key)
    if column is None:
        return
    size = min(len(per_row), len(column))
    rows = np.flatnonzero(per_row[:size])
    found = column[rows]
    keep = found >= 0
    if not keep.any():
        return
    domains = np.bincount(found[keep], weights=per_row[rows][keep] * weight,
                          minlength=len(table.label_values(key))).astype(np.int64)
    held = out.get(key)
    out[key] = domains if held is None else _sum(held, domains)


def _sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) < len(b):
        a, b = b, a
    out = a.copy()
    out[:len(b)] += b
    return out


class InterPodAffinity:
    name = "InterPodAffinity"
    uses_handle = True

    def __init__(self, *, handle: Handle | None = None, hard_pod_affinity_weight: int = 1,
                 ignore_preferred_terms_of_existing_pods: bool = False) -> None:
        if not 0 <= int(hard_pod_affinity_weight) <= 100:
            raise ValueError(f"hardPodAffinityWeight: Invalid value: {hard_pod_affinity_weight}: "
                             "not in valid range [0, 100]")
        self._handle = handle or Handle()
        self._hard_weight = int(hard_pod_affinity_weight)
        self._ignore_existing_preferred = bool(ignore_preferred_terms_of_existing_pods)

    # -- filtering -----------------------------------------------------------------------------

    def pre_filter(self, state: CycleState, pod: PodInfo, table: NodeTable) -> PreFilterResult:
        index = table.pods
        ns_labels = self._handle.namespace_labels(pod.namespace)
        existing_counts: dict[str, np.ndarray] = {}
        for term, per_row in index.required_anti_affinity_terms():  # each distinct term tested once
            if term.matches(pod.namespace, pod.labels, ns_labels):
                _add_domains(existing_counts, table, term.topology_key, per_row)
        affinity_terms = self._resolve(pod.required_affinity)
        anti_terms = self._resolve(pod.required_anti_affinity)
        if not existing_counts and not affinity_terms and not anti_terms:
            return SKIP
        affinity = _Tally()
        if affinity_terms:
            matched = min((self._matching(table, t) for t in affinity_terms), key=len)
            for other, row in matched:
                if all(t.matches(other) for t in affinity_terms):
                    for term in affinity_terms:
                        affinity.add(term.topology_key, row)
        affinity_counts = affinity.arrays(table)
        anti = []
        for term in anti_terms:
            found: dict[str, np.ndarray] = {}
            _add_domains(found, table, term.topology_key, index.row_counts(term.selector, term.namespaces))
            anti.append((term.topology_key, found.get(term.topology_key, np.zeros(0, np.int64))))
        state.data[self.name] = _FilterState(
            affinity_keys=tuple(t.topology_key for t in affinity_terms), affinity=affinity_counts,
            affinity_empty=not affinity_counts, self_affine=all(t.matches(pod) for t in affinity_terms),
            anti_affinity=tuple(anti), existing=existing_counts)
        return PASS

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        rows = np.asarray(rows)
        s: _FilterState | None = state.data.get(self.name)
        failed = np.zeros(len(rows), dtype=np.uint32)
        if s is None:
            return Verdict(failed, _REASONS)
        if s.affinity_keys:
            has_all = np.ones(len(rows), dtype=bool)
            exist = np.ones(len(rows), dtype=bool)
            for key in s.affinity_keys:
                found = codes(table, key, rows)
                has_all &= found >= 0
                exist &= lookup(s.affinity.get(key, np.zeros(0, np.int64)), found) > 0
            passes = has_all & (exist | (s.affinity_empty and s.self_affine))
            failed[~passes] = 1
        bad = np.zeros(len(rows), dtype=bool)
        for key, counts in s.anti_affinity:
            bad |= lookup(counts, codes(table, key, rows)) > 0
        failed[(failed == 0) & bad] = 2
        bad[:] = False
        for key, counts in s.existing.items():
            bad |= lookup(counts, codes(table, key, rows)) > 0
        failed[(failed == 0) & bad] = 4
        return Verdict(failed, _REASONS)

    # -- scoring -------------------------------------------------------------------------------

    def pre_score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> bool:
        key = self.name + "/score"
        state.data.pop(key, None)
        if not len(rows):
            return False
        has_constraints = bool(pod.preferred_affinity or pod.preferred_anti_affinity)
        if self._ignore_existing_preferred and not has_constraints:
            return False
        tally = _Tally()
        incoming: dict[str, np.ndarray] = {}
        for terms, sign in ((pod.preferred_affinity, 1), (pod.preferred_anti_affinity, -1)):
            for term in self._resolve(terms):
                _add_domains(incoming, table, term.topology_key,
                             table.pods.row_counts(term.selector, term.namespaces), sign * term.weight)
        ns_labels = self._handle.namespace_labels(pod.namespace)
        hard = self._hard_weight
        for other, row in table.pods.with_scoring_terms():
            if hard > 0:
                for term in other.required_affinity:
                    if term.matches(pod.namespace, pod.labels, ns_labels):
                        tally.add(term.topology_key, row, hard)
            for terms, sign in ((other.preferred_affinity, 1), (other.preferred_anti_affinity, -1)):
                for term in terms:
                    if term.matches(pod.namespace, pod.labels, ns_labels):
                        tally.add(term.topology_key, row, sign * term.weight)
        scores = tally.arrays(table)
        for topology_key, by_domain in incoming.items():
            held = scores.get(topology_key)
            scores[topology_key] = by_domain if held is None else _sum(held, by_domain)
        if not scores:
            return False
        state.data[key] = scores
        return True

    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        scores: dict[str, np.ndarray] = state.data.get(self.name + "/score") or {}
        total = np.zeros(len(rows), dtype=np.int64)
        for key, by_domain in scores.items():
            total += lookup(by_domain, codes(table, key, rows))
        return total

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.int64)
        if not state.data.get(self.name + "/score") or not len(scores):
            return scores.copy()
        low, high = int(scores.min()), int(scores.max())
        diff = high - low
        if diff <= 0:
            return np.zeros(len(scores), dtype=np.int64)
        fraction = (scores - low).astype(np.float64) / float(diff)
        return (float(MAX_NODE_SCORE) * fraction).astype(np.int64)

    # -- helpers -------------------------------------------------------------------------------

    def _resolve(self, terms: Iterable[AffinityTerm]) -> tuple[_Term, ...]:
        """The incoming pod's terms with a non-empty namespaceSelector merged into the
        namespaces of the namespaces that exist (upstream's mergeAffinityTermNamespacesIfNotEmpty)."""
        out = []
        for term in terms:
            selector = term.namespace_selector
            namespaces: frozenset[str] | None = term.namespaces
            if selector.empty:
                namespaces = None
            elif not selector.nothing:
                namespaces = namespaces | {name for name, labels in self._handle.namespaces()
                                           if selector.matches(labels)}
            out.append(_Term(term.selector, namespaces, term.topology_key, term.weight))
        return tuple(out)

    @staticmethod
    def _matching(table: NodeTable, term: _Term) -> list[tuple[PodInfo, int]]:
        return table.pods.matching(term.selector, term.namespaces)
