"""One profile's scheduling cycle: PreFilter, Filter, PreScore, Score, NormalizeScore and the
choice of a node, over the node table's columns (see :mod:`myriad.scheduler.types` for the
vectorised extension points).

Filtering follows upstream's ``findNodesThatFitPod``: nodes are taken in a rotating order
starting where the last cycle stopped, plugins run in profile order, and a node's rejection is
its first failing plugin's. With partial scoring on, only the first ``num_feasible_to_find``
feasible nodes in that order are kept and scored (upstream's adaptive
percentageOfNodesToScore); a batch of the rotation is filtered at a time, so a cycle usually
looks at a little more than that many nodes. Scores are normalised per plugin, weighted and
summed; the node is drawn uniformly among those with the top score (upstream samples ties).

Synchronous: a cycle never awaits (the table is the snapshot).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import orjson

from myriad.scheduler.nodetable import CPU, MEMORY, PODS, NodeTable
from myriad.scheduler.types import (
    MAX_NODE_SCORE,
    Code,
    CycleState,
    FilterPlugin,
    PermitPlugin,
    PodInfo,
    PostFilterPlugin,
    PostFilterResult,
    PreFilterPlugin,
    PreScorePlugin,
    QueueSortPlugin,
    Reason,
    ReservePlugin,
    ScorePlugin,
    Verdict,
)

MIN_FEASIBLE_NODES = 100
MIN_FEASIBLE_PERCENTAGE = 5


def num_feasible_to_find(nodes: int, percentage: int) -> int:
    """Upstream's numFeasibleNodesToFind: every node below 100; else ``percentage`` of them (0:
    adaptive, 50 − nodes/125, at least 5), and never fewer than 100."""
    if nodes < MIN_FEASIBLE_NODES:
        return nodes
    if percentage <= 0:
        percentage = max(MIN_FEASIBLE_PERCENTAGE, 50 - nodes // 125)
    return max(MIN_FEASIBLE_NODES, nodes * percentage // 100)


@dataclass(frozen=True, kw_only=True)
class Profile:
    scheduler_name: str
    queue_sort: QueueSortPlugin
    pre_filter: tuple[PreFilterPlugin, ...] = ()
    filter: tuple[FilterPlugin, ...] = ()
    pre_score: tuple[PreScorePlugin, ...] = ()
    score: tuple[tuple[ScorePlugin, int], ...] = ()
    post_filter: tuple[PostFilterPlugin, ...] = ()
    reserve: tuple[ReservePlugin, ...] = ()
    permit: tuple[PermitPlugin, ...] = ()
    #: 0: adaptive; 100 scores every feasible node.
    percentage_of_nodes_to_score: int = 0
    #: False: filter and score every node (the ablation of partial scoring).
    partial_scoring: bool = True
    #: Reuse the last pod's filter and score results for an equivalent pod (KEP-5598).
    batching: bool = True
    #: Skip nodes without the free cpu, memory and pod slots the pod needs before filtering.
    capacity_index: bool = True
    #: False calls each Filter and Score plugin once per node (a Python loop over the nodes, as
    #: upstream's interfaces are shaped) instead of once over every candidate (the ablation).
    vectorised: bool = True


@dataclass(frozen=True, slots=True)
class Placement:
    node: str
    row: int
    score: int
    #: Nodes filtered and scored this cycle.
    evaluated: int
    feasible: int


@dataclass(slots=True)
class FitError(Exception):
    """No node fits: upstream's FitError, whose text is the FailedScheduling message."""

    pod: PodInfo
    nodes: int
    #: reason text -> nodes it rejected (a node may count under several reasons).
    reasons: Counter[str] = field(default_factory=Counter)
    pre_filter_message: str = ""
    post_filter_message: str = ""
    #: Plugins that rejected some node (the queue moves the pod on events they care about).
    plugins: set[str] = field(default_factory=set)
    #: Whether preemption could help some node (any node rejected as merely Unschedulable).
    resolvable: bool = False
    #: Per Filter plugin that rejected nodes: (rows, reason bits, reasons).
    rejections: list[tuple[np.ndarray, np.ndarray, tuple[Reason, ...]]] = field(default_factory=list)
    #: Every node rejected alike (a PreFilter's rejection), if so.
    everywhere: Reason | None = None
    #: What a PostFilter (preemption) decided, if it nominated a node.
    post_filter: PostFilterResult | None = None

    def statuses(self, table: NodeTable) -> dict[int, tuple[Reason, ...]]:
        """Each rejected node row with the reasons of its first failing Filter (built on
        demand: only preemption needs it per node)."""
        if self.everywhere is not None:
            return {int(row): (self.everywhere,) for row in table.live_rows()}
        out: dict[int, tuple[Reason, ...]] = {}
        for rows, bits, reasons in self.rejections:
            for row, mask in zip(rows.tolist(), bits.tolist(), strict=True):
                out[row] = tuple(reason for i, reason in enumerate(reasons) if mask & (1 << i))
        return out

    def __str__(self) -> str:
        text = f"0/{self.nodes} nodes are available:"
        if self.pre_filter_message:
            text += f" {self.pre_filter_message}."
        else:
            parts = sorted(f"{count} {reason}" for reason, count in self.reasons.items())
            if parts:
                text += f" {', '.join(parts)}."
        if self.post_filter_message:
            text += f" {self.post_filter_message}"
        return text


#: Plugins whose filter or score for one node changes when a pod lands on another node: a pod
#: they do not skip is never batched.
_CROSS_NODE = frozenset({"PodTopologySpread", "InterPodAffinity"})


@dataclass(slots=True)
class _Batch:
    """The last full cycle's feasible nodes, best first (ties shuffled), for equivalent pods
    that follow while the table changed only by this batch's own placements (KEP-5598's
    opportunistic batching: each pod takes the next node of the list, and the node it took
    leaves the list, since its filter and score changed). The list is dropped when half of it
    is used, or when anything else changed the table."""

    signature: tuple[object, ...]
    state: CycleState
    order: np.ndarray
    totals: np.ndarray
    evaluated: int
    next: int = 0
    #: The table's generation after the last placement from this batch; None until placed.
    generation: int | None = None


class Framework:
    def __init__(self, profile: Profile, *, rng: random.Random | None = None) -> None:
        self.profile = profile
        self._rng = rng or random.Random()
        self._np_rng = np.random.default_rng(self._rng.getrandbits(64))
        self._next_start = 0
        self._batch: _Batch | None = None
        #: Cycles answered from a batch, and cycles run in full.
        self.batched = 0
        self.full = 0
        #: ``(plugin, extension point, status, seconds)``, called for one full cycle in
        #: ``sample_every`` (upstream samples plugin durations in 10% of cycles).
        self.observe_plugin: Callable[[str, str, str, float], None] | None = None
        self.sample_every = 10
        self._sampling = False

    def placed(self, placement: Placement, table: NodeTable) -> None:
        """Tells the framework its last placement was assumed into ``table``."""
        if self._batch is not None:
            self._batch.generation = table.generation

    def schedule(self, pod: PodInfo, table: NodeTable) -> tuple[Placement, CycleState]:
        """The node for ``pod``; raises :class:`FitError` when none fits."""
        signature = _signature(pod) if self.profile.batching else None
        batch = self._batch
        self._batch = None
        if pod.uid in table.nominations:
            signature = None  # its nominated node is tried first, not the batch's next
        if signature is not None and batch is not None and batch.signature == signature \
                and batch.generation == table.generation and batch.next * 2 < len(batch.order):
            row = int(batch.order[batch.next])
            score = int(batch.totals[batch.next])
            batch.next += 1
            batch.generation = None
            self._batch = batch
            self.batched += 1
            return Placement(table.names[row] or "", row, score, 0, len(batch.order)), batch.state
        self.full += 1
        self._sampling = self.observe_plugin is not None and self.full % self.sample_every == 0
        return self._schedule(pod, table, signature)

    def _schedule(self, pod: PodInfo, table: NodeTable, signature: tuple[object, ...] | None
                  ) -> tuple[Placement, CycleState]:
        state = CycleState()
        live = table.live_rows()
        if not len(live):
            raise FitError(pod, 0, pre_filter_message="no nodes available to schedule pods")
        candidates = live
        for plugin in self.profile.pre_filter:
            result = plugin.pre_filter(state, pod, table)
            if result.skip:
                state.skip_filter.add(plugin.name)
            if result.rejection is not None:
                raise self._post_filter(state, pod, table, FitError(
                    pod, len(live), pre_filter_message=result.rejection.text, plugins={plugin.name},
                    resolvable=result.rejection.code == Code.UNSCHEDULABLE, everywhere=result.rejection))
            if result.rows is not None:
                candidates = candidates[np.isin(candidates, result.rows)]
        nominated = table.nominations.get(pod.uid)
        if nominated is not None:
            # upstream's evaluateNominatedNode: the node preemption freed is tried first, unscored
            row = table.index.get(nominated[0])
            if row is not None and row in candidates and len(self._filter(
                    state, pod, table, np.array([row]), FitError(pod, 0))):
                return Placement(nominated[0], row, 0, 1, 1), state
        feasible, _wanted, error = self._find_feasible(state, pod, table, candidates, len(live))
        if not len(feasible):
            raise self._post_filter(state, pod, table, error)
        if len(feasible) == 1:
            row = int(feasible[0])
            return Placement(table.names[row] or "", row, 0, error.nodes, 1), state
        plugins, raw = self._raw_scores(state, pod, table, feasible)
        totals = self._totals(state, pod, plugins, raw)
        if signature is not None and not any(p.name in _CROSS_NODE and not (
                p.name in state.skip_score and p.name in state.skip_filter) for p in self._all_plugins()):
            # Best first; ties in random order (upstream samples among the top score).
            ranked = np.lexsort((self._np_rng.random(len(totals)), -totals))
            self._batch = batch = _Batch(signature, state, feasible[ranked], totals[ranked], len(feasible), next=1)
            row = int(batch.order[0])
            return Placement(table.names[row] or "", row, int(batch.totals[0]), len(feasible), len(feasible)), state
        return self._choose(table, feasible, totals, len(feasible)), state

    def _all_plugins(self) -> list[object]:
        profile = self.profile
        return [*profile.pre_filter, *profile.filter, *(p for p, _ in profile.score)]

    def _choose(self, table: NodeTable, rows: np.ndarray, totals: np.ndarray, evaluated: int) -> Placement:
        best = int(totals.max())
        top = np.flatnonzero(totals == best)
        row = int(rows[top[self._rng.randrange(len(top))]] if len(top) > 1 else rows[top[0]])
        return Placement(table.names[row] or "", row, best, evaluated, len(rows))

    def _find_feasible(self, state: CycleState, pod: PodInfo, table: NodeTable, candidates: np.ndarray,
                       total: int) -> tuple[np.ndarray, int, FitError]:
        error = FitError(pod, total)
        profile = self.profile
        if profile.capacity_index:
            roomy = candidates[_has_room(table, pod, candidates)]
            if len(roomy) < len(candidates):
                # Rows skipped here are counted only if nothing fits: the full pass then names them.
                feasible, wanted, found = self._find_feasible_in(state, pod, table, roomy, total, error)
                if len(feasible):
                    return feasible, wanted, found
                return self._find_feasible_in(state, pod, table, candidates, total, FitError(pod, total))
        return self._find_feasible_in(state, pod, table, candidates, total, error)

    def _find_feasible_in(self, state: CycleState, pod: PodInfo, table: NodeTable, candidates: np.ndarray,
                          total: int, error: FitError) -> tuple[np.ndarray, int, FitError]:
        profile = self.profile
        count = len(candidates)
        wanted = count
        if profile.partial_scoring and profile.score:
            wanted = num_feasible_to_find(count, profile.percentage_of_nodes_to_score)
        elif not profile.score:
            wanted = min(count, 1)
        start = self._next_start % count if count else 0
        order = np.roll(candidates, -start) if start else candidates
        found: list[np.ndarray] = []
        have = processed = 0
        batch = wanted if wanted < count else count
        while processed < count and have < wanted:
            chunk = order[processed:processed + max(batch, 1)]
            passing = self._filter(state, pod, table, chunk, error)
            need = wanted - have
            if len(passing) > need:
                passing = passing[:need]
                # upstream's processed count: up to the last feasible node taken
                processed += int(np.flatnonzero(chunk == passing[-1])[0]) + 1
            else:
                processed += len(chunk)
            found.append(passing)
            have += len(passing)
            batch = max(wanted - have, MIN_FEASIBLE_NODES) * 2
        self._next_start = (start + processed) % count if count else 0
        return (np.concatenate(found) if found else np.zeros(0, dtype=np.int64)), wanted, error

    def _filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray,
                error: FitError) -> np.ndarray:
        """The rows that pass every Filter, in order; rejections are counted into ``error``."""
        for plugin in self.profile.filter:
            if not len(rows):
                break
            if plugin.name in state.skip_filter:
                continue
            began = time.perf_counter()
            verdict = plugin.filter(state, pod, table, rows) if self.profile.vectorised else \
                _filter_one_by_one(plugin, state, pod, table, rows)
            failed = verdict.failed
            rejected = failed != 0
            if self._sampling and self.observe_plugin is not None:
                self.observe_plugin(plugin.name, "Filter", "Unschedulable" if rejected.any() else "Success",
                                    time.perf_counter() - began)
            if not rejected.any():
                continue
            error.plugins.add(plugin.name)
            error.rejections.append((rows[rejected], failed[rejected], verdict.reasons))
            for bit, reason in enumerate(verdict.reasons):
                hits = int(np.count_nonzero(failed & (1 << bit)))
                if hits:
                    error.reasons[reason.text] += hits
                    if reason.code == Code.UNSCHEDULABLE:
                        error.resolvable = True
            rows = rows[~rejected]
        return rows

    def feasible_now(self, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        """The ``rows`` that pass a fresh PreFilter and Filter (no scoring, no rotation)."""
        state = CycleState()
        for plugin in self.profile.pre_filter:
            result = plugin.pre_filter(state, pod, table)
            if result.skip:
                state.skip_filter.add(plugin.name)
            if result.rejection is not None:
                return rows[:0]
            if result.rows is not None:
                rows = rows[np.isin(rows, result.rows)]
        return self._filter(state, pod, table, rows, FitError(pod, 0))

    def _post_filter(self, state: CycleState, pod: PodInfo, table: NodeTable, error: FitError) -> FitError:
        """Runs PostFilter in order (upstream's RunPostFilterPlugins): the first plugin that
        nominates a node ends it; otherwise their messages are joined."""
        messages = []
        for plugin in self.profile.post_filter:
            result = plugin.post_filter(state, pod, table, error.statuses(table),
                                        run_filters=lambda rows: self.feasible_now(pod, table, rows))
            if result.nominated:
                error.post_filter = result
                return error
            if result.message:
                messages.append(result.message)
        error.post_filter_message = ", ".join(messages)
        return error

    def _raw_scores(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray
                    ) -> tuple[tuple[tuple[ScorePlugin, int], ...], np.ndarray]:
        """PreScore, then each remaining Score plugin's raw scores over ``rows``."""
        for plugin in self.profile.pre_score:
            if not plugin.pre_score(state, pod, table, rows):
                state.skip_score.add(plugin.name)
        plugins = tuple((p, w) for p, w in self.profile.score if p.name not in state.skip_score)
        raw = np.zeros((len(plugins), len(rows)), dtype=np.int64)
        for k, (plugin, _weight) in enumerate(plugins):
            began = time.perf_counter()
            raw[k] = plugin.score(state, pod, table, rows) if self.profile.vectorised else \
                _score_one_by_one(plugin, state, pod, table, rows)
            if self._sampling and self.observe_plugin is not None:
                self.observe_plugin(plugin.name, "Score", "Success", time.perf_counter() - began)
        return plugins, raw

    @staticmethod
    def _totals(state: CycleState, pod: PodInfo, plugins: tuple[tuple[ScorePlugin, int], ...],
                raw: np.ndarray) -> np.ndarray:
        """NormalizeScore per plugin, weighted and summed."""
        totals = np.zeros(raw.shape[1], dtype=np.int64)
        for k, (plugin, weight) in enumerate(plugins):
            scores = plugin.normalize(state, pod, raw[k])
            if len(scores) and (scores.min() < 0 or scores.max() > MAX_NODE_SCORE):
                raise ValueError(f"plugin {plugin.name!r} returns an invalid score, it should be in the range of "
                                 f"[0, {MAX_NODE_SCORE}] after normalizing")
            totals += scores * weight
        return totals

    def reserve(self, state: CycleState, pod: PodInfo, node: str) -> Reason | None:
        """Runs Reserve, then Permit, in order; on a rejection by either, Unreserve runs in
        reverse over every Reserve plugin reached, and the rejection is the answer."""
        done: list[ReservePlugin] = []
        for plugin in self.profile.reserve:
            rejection = plugin.reserve(state, pod, node)
            if rejection is not None:
                self._unreserve([*done, plugin], state, pod, node)
                return rejection
            done.append(plugin)
        for permit in self.profile.permit:
            rejection = permit.permit(state, pod, node)
            if rejection is not None:
                self._unreserve(done, state, pod, node)
                return rejection
        return None

    @staticmethod
    def _unreserve(plugins: list[ReservePlugin], state: CycleState, pod: PodInfo, node: str) -> None:
        for plugin in reversed(plugins):
            plugin.unreserve(state, pod, node)


def _filter_one_by_one(plugin: FilterPlugin, state: CycleState, pod: PodInfo, table: NodeTable,
                       rows: np.ndarray) -> Verdict:
    """A Filter called once per node (the vectorisation's ablation)."""
    verdicts = [plugin.filter(state, pod, table, rows[i:i + 1]) for i in range(len(rows))]
    if not verdicts:
        return plugin.filter(state, pod, table, rows)
    return Verdict(np.concatenate([v.failed for v in verdicts]), verdicts[0].reasons)


def _score_one_by_one(plugin: ScorePlugin, state: CycleState, pod: PodInfo, table: NodeTable,
                      rows: np.ndarray) -> np.ndarray:
    """A Score called once per node (the vectorisation's ablation)."""
    if not len(rows):
        return plugin.score(state, pod, table, rows)
    return np.concatenate([plugin.score(state, pod, table, rows[i:i + 1]) for i in range(len(rows))])


def _has_room(table: NodeTable, pod: PodInfo, rows: np.ndarray) -> np.ndarray:
    """Whether each row has the free cpu, memory and a pod slot ``pod`` needs (the free-capacity
    index: NodeResourcesFit would reject the others). Computed over whole columns, then picked:
    gathering rows of the 2-D arrays first costs more than the arithmetic."""
    alloc, used, r = table.allocatable, table.requested, pod.requests
    if table.nominations:
        used = used + table.nominated  # conservative for the pod's own nominated node: it is tried first
    room = alloc[:, PODS] > used[:, PODS]
    if r.cpu_milli:
        room &= alloc[:, CPU] - used[:, CPU] >= r.cpu_milli
    if r.memory:
        room &= alloc[:, MEMORY] - used[:, MEMORY] >= r.memory
    return room[rows]


def _signature(pod: PodInfo) -> tuple[object, ...]:
    """What an equivalent pod shares with ``pod`` for every plugin but the cross-node ones
    (which decide separately whether a pod may be batched): requests, tolerations, host ports,
    images, labels (other pods' anti-affinity reads them), node selection and owners."""
    spec = pod.spec
    meta = pod.pod.get("metadata") or {}
    return (pod.scheduler_name, pod.requests, pod.nonzero_cpu, pod.nonzero_memory, pod.tolerations, pod.host_ports,
            pod.images, tuple(sorted(pod.labels.items())),
            orjson.dumps(spec.get("nodeSelector"), option=orjson.OPT_SORT_KEYS),
            orjson.dumps(spec.get("affinity"), option=orjson.OPT_SORT_KEYS),
            orjson.dumps(spec.get("topologySpreadConstraints")), pod.namespace,
            orjson.dumps(meta.get("ownerReferences")))
