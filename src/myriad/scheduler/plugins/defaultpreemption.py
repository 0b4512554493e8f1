"""DefaultPreemption: the PostFilter that frees a node for a pod no node fits by evicting pods
of lower priority, as upstream's ``framework/plugins/defaultpreemption/default_preemption.go``
with ``framework/preemption/preemption.go`` (Evaluator.Preempt).

1. Eligibility (``PodEligibleToPreemptOthers``): ``preemptionPolicy: Never`` is not eligible;
   neither is a pod whose ``status.nominatedNodeName`` names a node that was not rejected as
   UnschedulableAndUnresolvable and still holds a lower-priority pod terminating because of
   preemption (deletionTimestamp set and condition DisruptionTarget=True with reason
   PreemptionByScheduler).
2. Potential nodes: those whose Filter rejection is Unschedulable (an UnschedulableAndUnresolvable
   or unlisted node cannot be helped), in node-table order.
3. Dry run (``DryRunPreemption``, sequential here): from a random offset, each potential node in
   turn gets ``SelectVictimsOnNode``; it stops once some candidate violates no PDB and there are
   ``numCandidates`` candidates (``max(nodes * percentage / 100, absolute)``, at most ``nodes``).
4. ``SelectVictimsOnNode``: every pod of strictly lower priority leaves the table; if the pod
   still does not fit, the node fails. Otherwise pods are put back, most important first (higher
   priority, then earlier start), PDB-violating ones before the others, and each one that still
   lets the pod fit is spared. The table is restored exactly (pods, their order, ports, columns).
5. ``pickOneNodeForPreemption``: fewest PDB violations, lowest highest-victim priority, smallest
   sum of priorities, fewest victims, latest earliest start among the highest-priority victims,
   then the first candidate (non-violating candidates first, in dry-run order).

With no candidate the message is ``preemption: `` and a FitError text over the dry-run nodes,
every other node counting as "Preemption is not helpful for scheduling".

Simplification: a node still infeasible with every victim removed is reported with the reasons
of its original rejection (``run_filters`` answers only which rows pass), where upstream reports
the Filter status after the removal; they differ only when removing pods changes which reasons
fail (e.g. cpu and memory were short and only cpu still is).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from myriad.api.selectors import LabelSelector, SelectorError, selector_from_object
from myriad.scheduler.framework import FitError
from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.types import Code, CycleState, Handle, PodInfo, PostFilterResult, Reason

PREFIX = "preemption: "
NOT_ELIGIBLE_NEVER = "not eligible due to preemptionPolicy=Never."
NOT_ELIGIBLE_TERMINATING = "not eligible due to a terminating pod on the nominated node."
NO_VICTIMS = Reason("No preemption victims found for incoming pod", Code.UNRESOLVABLE)
NOT_HELPFUL = Reason("Preemption is not helpful for scheduling", Code.UNRESOLVABLE)
#: Upstream adds MaxInt32 + 1 to every priority it sums, so all terms are >= 0.
_PRIORITY_SHIFT = 2**31


@dataclass(frozen=True, slots=True)
class Candidate:
    node: str
    #: Most important first.
    victims: tuple[PodInfo, ...]
    pdb_violations: int


@dataclass(frozen=True, slots=True)
class _Budget:
    namespace: str
    selector: LabelSelector | None
    disrupted: frozenset[str]
    allowed: int


class DefaultPreemption:
    name = "DefaultPreemption"
    uses_handle = True

    def __init__(self, *, handle: Handle | None = None, min_candidate_nodes_percentage: int = 10,
                 min_candidate_nodes_absolute: int = 100, rng: random.Random | None = None) -> None:
        errors = []
        if not 0 <= min_candidate_nodes_percentage <= 100:
            errors.append(f"minCandidateNodesPercentage: Invalid value: {min_candidate_nodes_percentage}: "
                          "not in valid range [0, 100]")
        if min_candidate_nodes_absolute < 0:
            errors.append(f"minCandidateNodesAbsolute: Invalid value: {min_candidate_nodes_absolute}: "
                          "not in valid range [0, inf)")
        if min_candidate_nodes_percentage == 0 and min_candidate_nodes_absolute == 0:
            errors.append("minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as "
                          "minCandidateNodesAbsolute")
        if errors:
            raise ValueError(", ".join(errors))
        self._handle = handle or Handle()
        self.percentage = min_candidate_nodes_percentage
        self.absolute = min_candidate_nodes_absolute
        self._rng = rng or random.Random()

    # -- upstream's Interface ------------------------------------------------------------------

    def num_candidates(self, nodes: int) -> int:
        """Upstream's calculateNumCandidates."""
        return min(max(nodes * self.percentage // 100, self.absolute), nodes)

    def offset_and_num_candidates(self, nodes: int) -> tuple[int, int]:
        """Upstream's GetOffsetAndNumCandidates: a random offset in [0, nodes)."""
        return self._rng.randrange(nodes), self.num_candidates(nodes)

    # -- PostFilter ----------------------------------------------------------------------------

    def post_filter(self, state: CycleState, pod: PodInfo, table: NodeTable,
                    statuses: Mapping[int, tuple[Reason, ...]], *,
                    run_filters: Callable[[np.ndarray], np.ndarray]) -> PostFilterResult:
        if pod.spec.get("preemptionPolicy") == "Never":
            return PostFilterResult(message=PREFIX + NOT_ELIGIBLE_NEVER)
        if self._waiting_on_nominated_node(pod, table, statuses):
            return PostFilterResult(message=PREFIX + NOT_ELIGIBLE_TERMINATING)
        potential = [row for row in table.live_rows().tolist()
                     if row in statuses and _code(statuses[row]) == Code.UNSCHEDULABLE]
        failed: dict[int, tuple[Reason, ...]] = {}
        errors: list[str] = []
        non_violating: list[Candidate] = []
        violating: list[Candidate] = []
        if potential:
            budgets = _budgets(self._handle.pdbs())
            offset, wanted = self.offset_and_num_candidates(len(potential))
            for i in range(len(potential)):
                row = potential[(offset + i) % len(potential)]
                outcome = self.select_victims(pod, table, row, budgets, run_filters, statuses.get(row, ()))
                if isinstance(outcome, Candidate):
                    if not outcome.victims:
                        errors.append(f'expected at least one victim pod on node "{outcome.node}"')
                        continue
                    (violating if outcome.pdb_violations else non_violating).append(outcome)
                    if non_violating and len(non_violating) + len(violating) >= wanted:
                        break
                else:
                    failed[row] = outcome
        candidates = non_violating + violating
        if not candidates:
            if errors:
                return PostFilterResult(message=PREFIX + (errors[0] if len(errors) == 1 else f"[{', '.join(errors)}]"))
            return PostFilterResult(message=PREFIX + _fit_error_text(pod, len(table), failed))
        best = pick_one_node(candidates)
        return PostFilterResult(nominated=best.node, victims=best.victims)

    def _waiting_on_nominated_node(self, pod: PodInfo, table: NodeTable,
                                   statuses: Mapping[int, tuple[Reason, ...]]) -> bool:
        """The second half of upstream's PodEligibleToPreemptOthers: True when the pod already
        preempted on its nominated node and a victim there is still terminating."""
        nominated = pod.pod.view.status.nominated_node_name
        if not nominated:
            return False
        row = table.index.get(nominated)
        # A node absent from the statuses has upstream's default absent status, U&U.
        if row is None or row not in statuses or _code(statuses[row]) == Code.UNRESOLVABLE:
            return False
        info = table.infos[row]
        return info is not None and any(
            p.priority < pod.priority and _terminating_by_preemption(p) for p in info.pods.values())

    def select_victims(self, pod: PodInfo, table: NodeTable, row: int, budgets: Sequence[_Budget],
                       run_filters: Callable[[np.ndarray], np.ndarray],
                       rejection: tuple[Reason, ...] = ()) -> Candidate | tuple[Reason, ...]:
        """Upstream's SelectVictimsOnNode on ``row``: the candidate, or the reasons the node
        fails. The table is as it was on return, whatever happens."""
        info = table.infos[row]
        assert info is not None
        node = info.name
        potential = [p for p in info.pods.values() if p.priority < pod.priority]
        if not potential:
            return (NO_VICTIMS,)
        order, ports = list(info.pods), list(info.ports)
        removed: dict[str, PodInfo] = {}
        rows = np.array([row], dtype=np.int64)

        def fits() -> bool:
            return len(run_filters(rows)) > 0

        try:
            for victim in potential:
                table.remove_pod(victim, node)
                removed[victim.uid] = victim
            if not fits():
                return rejection
            potential.sort(key=_importance)
            violating, non_violating = split_by_pdb(potential, budgets)
            victims: list[PodInfo] = []
            violations = 0
            for group, violates in ((violating, True), (non_violating, False)):
                for candidate in group:
                    table.add_pod(candidate, node)
                    del removed[candidate.uid]
                    if fits():
                        continue
                    table.remove_pod(candidate, node)
                    removed[candidate.uid] = candidate
                    victims.append(candidate)
                    violations += int(violates)
            if violating and non_violating:
                victims.sort(key=_importance)
            return Candidate(node, tuple(victims), violations)
        finally:
            for victim in removed.values():
                table.add_pod(victim, node)
            held = dict(info.pods)
            info.pods.clear()
            info.pods.update((uid, held[uid]) for uid in order)
            info.ports[:] = ports


def split_by_pdb(pods: Iterable[PodInfo], budgets: Sequence[_Budget]) -> tuple[list[PodInfo], list[PodInfo]]:
    """Upstream's filterPodsWithPDBViolation: (violating, non-violating), order kept. Each pod
    takes one disruption from every PDB of its namespace whose non-empty selector matches it
    (unless the PDB already lists it as disrupted); it violates when one goes below zero."""
    allowed = [budget.allowed for budget in budgets]
    violating: list[PodInfo] = []
    non_violating: list[PodInfo] = []
    for pod in pods:
        violated = False
        if pod.labels:
            for i, budget in enumerate(budgets):
                if budget.namespace != pod.namespace or budget.selector is None:
                    continue
                if not budget.selector.matches(pod.labels) or pod.name in budget.disrupted:
                    continue
                allowed[i] -= 1
                if allowed[i] < 0:
                    violated = True
        (violating if violated else non_violating).append(pod)
    return violating, non_violating


def pick_one_node(candidates: Sequence[Candidate]) -> Candidate:
    """Upstream's pickOneNodeForPreemption: each criterion only breaks the ties of the ones
    before; the first of the candidates left wins."""
    if len(candidates) == 1:
        return candidates[0]
    criteria: tuple[Callable[[Candidate], float], ...] = (
        lambda c: -c.pdb_violations,
        lambda c: -c.victims[0].priority,
        lambda c: -sum(v.priority + _PRIORITY_SHIFT for v in c.victims),
        lambda c: -len(c.victims),
        _earliest_start_of_highest,
    )
    left = list(candidates)
    for criterion in criteria:
        scores = [criterion(c) for c in left]
        best = max(scores)
        left = [c for c, score in zip(left, scores, strict=True) if score == best]
        if len(left) == 1:
            break
    return left[0]


def _earliest_start_of_highest(candidate: Candidate) -> float:
    """Upstream's GetEarliestPodStartTime: the earliest start among the victims of the highest
    priority (a pod not started yet counts as now, later than any start)."""
    top = max(v.priority for v in candidate.victims)
    return min(_start_time(v) for v in candidate.victims if v.priority == top)


def _budgets(pdbs: Iterable[Mapping[str, Any]]) -> list[_Budget]:
    out = []
    for pdb in pdbs:
        meta, spec, status = pdb.get("metadata") or {}, pdb.get("spec") or {}, pdb.get("status") or {}
        try:
            selector: LabelSelector | None = selector_from_object(spec.get("selector"))
        except SelectorError:
            selector = None  # an invalid selector matches no pod
        if selector is not None and selector.empty:
            selector = None  # nil or empty: upstream's PDB selects nothing
        out.append(_Budget(meta.get("namespace") or "", selector, frozenset(status.get("disruptedPods") or {}),
                           int(status.get("disruptionsAllowed") or 0)))
    return out


def _fit_error_text(pod: PodInfo, nodes: int, failed: Mapping[int, tuple[Reason, ...]]) -> str:
    reasons: Counter[str] = Counter()
    for node_reasons in failed.values():
        for reason in node_reasons:
            reasons[reason.text] += 1
    if nodes > len(failed):
        reasons[NOT_HELPFUL.text] += nodes - len(failed)
    return str(FitError(pod, nodes, reasons))


def _code(reasons: tuple[Reason, ...]) -> Code:
    """A node's rejection code: one reason that preemption cannot resolve makes it U&U."""
    if not reasons or any(r.code == Code.UNRESOLVABLE for r in reasons):
        return Code.UNRESOLVABLE
    return Code.UNSCHEDULABLE


def _terminating_by_preemption(pod: PodInfo) -> bool:
    if not pod.deleting:
        return False
    for condition in pod.pod.view.status.conditions:
        if condition.type == "DisruptionTarget":
            return condition.status == "True" and condition.reason == "PreemptionByScheduler"
    return False


def _start_time(pod: PodInfo) -> float:
    """``status.startTime`` in seconds; a pod not started yet counts as now (upstream's
    GetPodStartTime), here later than any start."""
    text = pod.pod.view.status.start_time
    if text:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return math.inf


def _importance(pod: PodInfo) -> tuple[int, float]:
    """Upstream's MoreImportantPod as a sort key: higher priority, then earlier start, first."""
    return -pod.priority, _start_time(pod)
