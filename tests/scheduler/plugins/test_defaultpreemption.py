"""DefaultPreemption against the behaviour of upstream's default_preemption_test.go and
preemption_test.go (SelectVictimsOnNode, filterPodsWithPDBViolation, pickOneNodeForPreemption,
PodEligibleToPreemptOthers, calculateNumCandidates, the no-candidate FitError). Filters are the
real default profile's; every call checks the node table comes back exactly as it was."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import numpy as np
import pytest

from myriad.scheduler.framework import FitError, Framework
from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.defaultpreemption import (
    Candidate,
    DefaultPreemption,
    _budgets,
    pick_one_node,
    split_by_pdb,
)
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.profiles import build_profile
from myriad.scheduler.types import CycleState, Handle, PodInfo, PostFilterResult

_uid = iter(range(1_000_000))


class FixedOffset(random.Random):
    def __init__(self, offset: int) -> None:
        super().__init__(0)
        self.offset = offset
        self.asked: list[int] = []

    def randrange(self, n: int, *_: Any, **__: Any) -> int:  # type: ignore[override]
        self.asked.append(n)
        return self.offset % n


def node(name: str, cpu: str = "4", *, tainted: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if tainted:
        spec["taints"] = [{"key": "k", "value": "v", "effect": "NoSchedule"}]
    return {"metadata": {"name": name}, "spec": spec,
            "status": {"allocatable": {"cpu": cpu, "memory": "64Gi", "pods": "110"}}}


def pod(name: str, cpu: str = "1", *, priority: int = 0, labels: dict[str, str] | None = None,
        start: str | None = None, namespace: str = "default", policy: str | None = None,
        nominated: str = "", terminating: bool = False, port: int = 0) -> PodInfo:
    container: dict[str, Any] = {"name": "c", "image": "img", "resources": {"requests": {"cpu": cpu}}}
    if port:
        container["ports"] = [{"containerPort": port, "hostPort": port}]
    spec: dict[str, Any] = {"containers": [container], "priority": priority}
    if policy:
        spec["preemptionPolicy"] = policy
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{name}-{next(_uid)}",
                            "labels": labels or {}}
    status: dict[str, Any] = {}
    if start:
        status["startTime"] = start
    if nominated:
        status["nominatedNodeName"] = nominated
    if terminating:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
        status["conditions"] = [{"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}]
    return pod_info({"metadata": meta, "spec": spec, "status": status})


def pdb(selector: dict[str, str], allowed: int, *, namespace: str = "default",
        disrupted: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"metadata": {"name": "pdb", "namespace": namespace},
            "spec": {"selector": {"matchLabels": selector}},
            "status": {"disruptionsAllowed": allowed, "disruptedPods": {n: "2024-01-01T00:00:00Z" for n in disrupted}}}


def table_of(nodes: list[dict[str, Any]], placed: dict[str, list[PodInfo]]) -> NodeTable:
    table = NodeTable()
    for n in nodes:
        table.set_node(n)
    for name, pods in placed.items():
        for p in pods:
            assert table.add_pod(p, name)
    return table


def snapshot(table: NodeTable) -> tuple[Any, ...]:
    infos = [None if i is None else (list(i.pods.items()), list(i.ports)) for i in table.infos]
    return table.requested.copy(), table.nonzero.copy(), infos, list(table.names)


def assert_same(table: NodeTable, before: tuple[Any, ...]) -> None:
    requested, nonzero, infos, names = snapshot(table)
    assert np.array_equal(requested, before[0])
    assert np.array_equal(nonzero, before[1])
    assert names == before[3]
    for now, then in zip(infos, before[2], strict=True):
        if then is None:
            assert now is None
            continue
        assert [uid for uid, _ in now[0]] == [uid for uid, _ in then[0]]
        assert all(a is b for (_, a), (_, b) in zip(now[0], then[0], strict=True))
        assert now[1] == then[1]


def preempt(table: NodeTable, incoming: PodInfo, *, pdbs: list[dict[str, Any]] | None = None,
            offset: int = 0, **args: Any) -> PostFilterResult:
    """Runs the default profile's cycle (which must fail), then DefaultPreemption's PostFilter
    with that cycle's statuses; asserts the table is unchanged."""
    framework = Framework(build_profile())
    with pytest.raises(FitError) as failure:
        framework.schedule(incoming, table)
    statuses = failure.value.statuses(table)
    plugin = DefaultPreemption(handle=Handle(pdbs=lambda: list(pdbs or [])), rng=FixedOffset(offset), **args)
    before = snapshot(table)
    result = plugin.post_filter(CycleState(), incoming, table, statuses,
                                run_filters=lambda rows: framework.feasible_now(incoming, table, rows))
    assert_same(table, before)
    # the table is usable as before: the same pod is still rejected everywhere
    with pytest.raises(FitError):
        framework.schedule(incoming, table)
    return result


def names(victims: tuple[PodInfo, ...]) -> list[str]:
    return [v.name for v in victims]


# -- victims on one node (SelectVictimsOnNode) ------------------------------------------------------

@pytest.mark.parametrize(("placed", "incoming_cpu", "victims"), [
    # the lowest priorities go; a pod as important as the preemptor never does
    ([("a", "1", 1), ("b", "1", 2), ("c", "1", 3), ("d", "1", 10)], "2", ["b", "a"]),
    # the most important lower-priority pod is reprieved first
    ([("a", "2", 1), ("b", "2", 2)], "2", ["a"]),
    # all of them when the preemptor needs the whole node
    ([("a", "2", 1), ("b", "2", 2)], "4", ["b", "a"]),
    # negative priorities are lower too
    ([("a", "2", -5), ("b", "2", 0)], "2", ["a"]),
])
def test_victims_by_priority(placed, incoming_cpu, victims) -> None:
    table = table_of([node("n1")], {"n1": [pod(n, c, priority=p) for n, c, p in placed]})
    result = preempt(table, pod("in", incoming_cpu, priority=10))
    assert result.nominated == "n1"
    assert result.message == ""
    assert names(result.victims) == victims


def test_equal_priority_the_older_pod_is_reprieved() -> None:
    older = pod("older", "2", priority=1, start="2020-01-01T00:00:00Z")
    newer = pod("newer", "2", priority=1, start="2021-01-01T00:00:00Z")
    unstarted = pod("unstarted", "0", priority=1)
    table = table_of([node("n1")], {"n1": [newer, unstarted, older]})
    result = preempt(table, pod("in", "2", priority=5))
    assert names(result.victims) == ["newer"]


def test_a_host_port_is_freed_and_the_ports_come_back() -> None:
    holder = pod("holder", "0", priority=0, port=80)
    other = pod("other", "1", priority=0, port=81)
    table = table_of([node("n1")], {"n1": [holder, other]})
    result = preempt(table, pod("in", "1", priority=5, port=80))
    assert names(result.victims) == ["holder"]
    assert table.infos[0] is not None and len(table.infos[0].ports) == 2


# -- PDBs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("budgets", "victims", "nominated"), [
    # without a PDB the more important pod (b) is reprieved, a goes
    ([], ["a"], "n1"),
    # a's PDB allows no disruption: a is reprieved first, b goes instead
    ([pdb({"app": "db"}, 0)], ["b"], "n1"),
    # the PDB allows one disruption: no violation, importance decides
    ([pdb({"app": "db"}, 1)], ["a"], "n1"),
    # a PDB in another namespace does not count
    ([pdb({"app": "db"}, 0, namespace="other")], ["a"], "n1"),
    # a is already listed as disrupted: not counted against the budget
    ([pdb({"app": "db"}, 0, disrupted=("a",))], ["a"], "n1"),
])
def test_pdb_violating_victims_are_reprieved_first(budgets, victims, nominated) -> None:
    a = pod("a", "1", priority=1, labels={"app": "db"})
    b = pod("b", "1", priority=2)
    table = table_of([node("n1", "2")], {"n1": [a, b]})
    result = preempt(table, pod("in", "1", priority=10), pdbs=budgets)
    assert (result.nominated, names(result.victims)) == (nominated, victims)


def test_fewest_pdb_violations_wins_over_lower_priority() -> None:
    # n1's victim is the lowest priority but violates its PDB; n2's does not
    table = table_of([node("n1", "1"), node("n2", "1")],
                     {"n1": [pod("guarded", "1", priority=1, labels={"app": "db"})],
                      "n2": [pod("free", "1", priority=5)]})
    result = preempt(table, pod("in", "1", priority=10), pdbs=[pdb({"app": "db"}, 0)])
    assert (result.nominated, names(result.victims)) == ("n2", ["free"])
    # without the PDB, n1's lower priority victim decides
    result = preempt(table, pod("in", "1", priority=10))
    assert (result.nominated, names(result.victims)) == ("n1", ["guarded"])


@pytest.mark.parametrize(("allowed", "disrupted", "violating"), [
    (2, (), []),
    (1, (), ["p2"]),  # the first (more important) pod takes the only disruption
    (0, (), ["p1", "p2"]),
    (0, ("p1",), ["p2"]),
])
def test_split_by_pdb_counts_down_the_budget(allowed, disrupted, violating) -> None:
    pods = [pod("p1", labels={"app": "x"}), pod("p2", labels={"app": "x"}), pod("p3"),
            pod("p4", labels={"app": "y"})]
    bad, good = split_by_pdb(pods, _budgets([pdb({"app": "x"}, allowed, disrupted=disrupted)]))
    assert [p.name for p in bad] == violating
    assert [p.name for p in good] == [p.name for p in pods if p.name not in violating]


def test_an_empty_selector_selects_nothing() -> None:
    empty = {"metadata": {"namespace": "default"}, "spec": {"selector": {}}, "status": {"disruptionsAllowed": 0}}
    bad, _ = split_by_pdb([pod("p1", labels={"app": "x"})], _budgets([empty]))
    assert bad == []


# -- choosing the node (pickOneNodeForPreemption) ---------------------------------------------------

def _candidate(name: str, *victims: tuple[int, str | None], violations: int = 0) -> Candidate:
    return Candidate(name, tuple(pod(f"{name}-{i}", priority=p, start=s) for i, (p, s) in enumerate(victims)),
                     violations)


@pytest.mark.parametrize(("candidates", "chosen"), [
    # 1. fewest PDB violations
    ([_candidate("a", (1, None), violations=1), _candidate("b", (100, None))], "b"),
    # 2. lowest highest-priority victim
    ([_candidate("a", (100, None)), _candidate("b", (50, None), (50, None), (50, None))], "b"),
    # 3. smallest sum of priorities (each shifted by 2^31)
    ([_candidate("a", (10, None), (10, None)), _candidate("b", (10, None), (5, None))], "b"),
    # 3. a shifted sum makes more victims of the same negative priority worse
    ([_candidate("a", (-10, None), (-10, None)), _candidate("b", (-10, None))], "b"),
    # 4. fewest victims when the shifted sums tie
    ([_candidate("a", (0, None), (-(2**31), None)), _candidate("b", (0, None))], "b"),
    # 5. latest earliest start among the highest-priority victims
    ([_candidate("a", (5, "2020-01-01T00:00:00Z"), (1, "2023-01-01T00:00:00Z")),
      _candidate("b", (5, "2021-01-01T00:00:00Z"), (1, "2019-01-01T00:00:00Z"))], "b"),
    # 5. a victim not started yet counts as now
    ([_candidate("a", (5, "2021-01-01T00:00:00Z")), _candidate("b", (5, None))], "b"),
    # 6. the first when everything ties
    ([_candidate("a", (5, None)), _candidate("b", (5, None))], "a"),
])
def test_pick_one_node(candidates, chosen) -> None:
    assert pick_one_node(candidates).node == chosen


def test_node_choice_through_the_dry_run() -> None:
    # every node needs its victims gone; n2's are the cheapest (lowest highest priority)
    table = table_of([node("n1", "2"), node("n2", "2"), node("n3", "2")],
                     {"n1": [pod("a", "2", priority=3)],
                      "n2": [pod("b", "1", priority=1), pod("c", "1", priority=2)],
                      "n3": [pod("d", "1", priority=2), pod("e", "1", priority=2)]})
    for offset in range(3):
        result = preempt(table, pod("in", "2", priority=10), offset=offset)
        assert (result.nominated, names(result.victims)) == ("n2", ["c", "b"])


# -- eligibility ------------------------------------------------------------------------------------

def test_preemption_policy_never() -> None:
    table = table_of([node("n1", "1")], {"n1": [pod("a", "1")]})
    result = preempt(table, pod("in", "1", priority=10, policy="Never"))
    assert result == PostFilterResult(message="preemption: not eligible due to preemptionPolicy=Never.")


@pytest.mark.parametrize(("victim_priority", "nominated", "eligible"), [
    (0, "n1", False),   # a lower-priority victim is still terminating on the nominated node
    (20, "n1", True),   # a terminating pod that is not a valid victim does not count
    (0, "n2", True),    # the nominated node is U&U (tainted): preempt again
    (0, "gone", True),  # the nominated node no longer exists
])
def test_terminating_pod_on_nominated_node(victim_priority, nominated, eligible) -> None:
    table = table_of([node("n1", "3"), node("n2", tainted=True)],
                     {"n1": [pod("leaving", "1", priority=victim_priority, terminating=True),
                             pod("a", "1", priority=0)]})
    result = preempt(table, pod("in", "2", priority=10, nominated=nominated))
    if eligible:
        assert result.nominated == "n1"
    else:
        assert result == PostFilterResult(
            message="preemption: not eligible due to a terminating pod on the nominated node.")


# -- no candidate: the FitError message -------------------------------------------------------------

def _mixed_table() -> NodeTable:
    return table_of(
        [node("n1", tainted=True), node("n2"), node("n3", "1"), node("n4")],
        {"n2": [pod("high2", "3", priority=100)],
         "n4": [pod("high4", "3", priority=100), pod("low4", "1", priority=0)]})


def test_not_helpful_message_with_mixed_nodes() -> None:
    # n1: taint (U&U); n2: no lower-priority pod; n3: the pod asks for more than allocatable
    # (U&U); n4: still short of cpu with its only lower-priority pod gone
    result = preempt(_mixed_table(), pod("in", "2", priority=10))
    assert result == PostFilterResult(message=(
        "preemption: 0/4 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming "
        "pod, 2 Preemption is not helpful for scheduling."))


def test_not_helpful_in_the_failed_scheduling_text() -> None:
    profile = dataclasses.replace(build_profile(), post_filter=(DefaultPreemption(rng=FixedOffset(0)),))
    table = _mixed_table()
    with pytest.raises(FitError) as failure:
        Framework(profile).schedule(pod("in", "2", priority=10), table)
    assert failure.value.post_filter is None
    assert str(failure.value) == (
        "0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 Insufficient cpu. preemption: 0/4 nodes "
        "are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod, 2 Preemption is not "
        "helpful for scheduling.")


def test_every_node_unresolvable() -> None:
    table = table_of([node("n1", tainted=True), node("n2", "1")], {"n2": [pod("a", "1")]})
    result = preempt(table, pod("in", "2", priority=10))
    assert result.message == "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."


def test_nominates_through_the_framework() -> None:
    profile = dataclasses.replace(build_profile(), post_filter=(DefaultPreemption(rng=FixedOffset(0)),))
    victim = pod("low", "4", priority=0)
    table = table_of([node("n1")], {"n1": [victim]})
    with pytest.raises(FitError) as failure:
        Framework(profile).schedule(pod("in", "2", priority=10), table)
    assert failure.value.post_filter is not None
    assert failure.value.post_filter.nominated == "n1"
    assert failure.value.post_filter.victims == (victim,)
    assert str(failure.value) == "0/1 nodes are available: 1 Insufficient cpu."


# -- the table is restored --------------------------------------------------------------------------

def test_table_restored_when_run_filters_raises() -> None:
    pods = [pod("a", "1", priority=1, port=80), pod("b", "1", priority=2), pod("c", "2", priority=50)]
    table = table_of([node("n1")], {"n1": pods})
    before = snapshot(table)
    calls = []

    def broken(rows: np.ndarray) -> np.ndarray:
        calls.append(rows)
        raise RuntimeError("boom")

    plugin = DefaultPreemption(rng=FixedOffset(0))
    with pytest.raises(RuntimeError):
        plugin.post_filter(CycleState(), pod("in", "3", priority=10), table, {0: _insufficient()}, run_filters=broken)
    assert calls
    assert_same(table, before)


def _insufficient():
    from myriad.scheduler.plugins.noderesourcesfit import REASONS
    return (REASONS[1],)


# -- how many nodes the dry run looks at ------------------------------------------------------------

@pytest.mark.parametrize(("nodes", "percentage", "absolute", "expected"), [
    (10, 10, 100, 10),
    (1000, 10, 100, 100),
    (5000, 10, 100, 500),
    (5000, 0, 100, 100),
    (50, 50, 0, 25),
    (3, 10, 0, 0),
    (200, 100, 0, 200),
    (1, 10, 100, 1),
])
def test_num_candidates(nodes, percentage, absolute, expected) -> None:
    plugin = DefaultPreemption(min_candidate_nodes_percentage=percentage, min_candidate_nodes_absolute=absolute)
    assert plugin.num_candidates(nodes) == expected


@pytest.mark.parametrize(("percentage", "absolute"), [(-1, 100), (101, 100), (10, -1), (0, 0)])
def test_invalid_args(percentage, absolute) -> None:
    with pytest.raises(ValueError):
        DefaultPreemption(min_candidate_nodes_percentage=percentage, min_candidate_nodes_absolute=absolute)


@pytest.mark.parametrize(("absolute", "offset", "guarded", "visited", "nominated"), [
    # two candidates wanted: the dry run stops after two nodes from the offset
    (2, 0, set(), ["n0", "n1"], "n0"),
    (2, 3, set(), ["n3", "n4"], "n3"),
    (2, 4, set(), ["n4", "n0"], "n4"),
    # the offset wraps around
    (1, 7, set(), ["n2"], "n2"),
    # PDB-violating candidates alone do not stop it: it goes on until a non-violating one
    (1, 1, {"n1", "n2"}, ["n1", "n2", "n3"], "n3"),
    # only violating candidates: every node is tried; the fewest violations, then the first
    (2, 0, {"n0", "n1", "n2", "n3", "n4"}, ["n0", "n1", "n2", "n3", "n4"], "n0"),
])
def test_dry_run_from_offset(absolute, offset, guarded, visited, nominated) -> None:
    nodes = [node(f"n{i}", "1") for i in range(5)]
    table = table_of(nodes, {f"n{i}": [pod(f"p{i}", "1", priority=1, labels={"app": "g" if f"n{i}" in guarded
                                                                             else "f"})] for i in range(5)})
    incoming = pod("in", "1", priority=10)
    framework = Framework(build_profile())
    with pytest.raises(FitError) as failure:
        framework.schedule(incoming, table)
    seen: list[str] = []

    def spy(rows: np.ndarray) -> np.ndarray:
        name = table.names[int(rows[0])]
        if not seen or seen[-1] != name:
            seen.append(name or "")
        return framework.feasible_now(incoming, table, rows)

    rng = FixedOffset(offset)
    plugin = DefaultPreemption(handle=Handle(pdbs=lambda: [pdb({"app": "g"}, 0)]), rng=rng,
                               min_candidate_nodes_percentage=0, min_candidate_nodes_absolute=absolute)
    result = plugin.post_filter(CycleState(), incoming, table, failure.value.statuses(table), run_filters=spy)
    assert rng.asked == [5]
    assert seen == visited
    assert result.nominated == nominated


def test_only_unschedulable_nodes_are_dry_run() -> None:
    table = _mixed_table()
    incoming = pod("in", "2", priority=10)
    framework = Framework(build_profile())
    with pytest.raises(FitError) as failure:
        framework.schedule(incoming, table)
    seen: set[str] = set()

    def spy(rows: np.ndarray) -> np.ndarray:
        seen.update(table.names[int(r)] or "" for r in rows)
        return framework.feasible_now(incoming, table, rows)

    rng = FixedOffset(0)
    DefaultPreemption(rng=rng).post_filter(CycleState(), incoming, table, failure.value.statuses(table),
                                           run_filters=spy)
    # n2 and n4 are potential (2 of them); n2 has no victim, so only n4 runs the filters
    assert rng.asked == [2]
    assert seen == {"n4"}
