"""The framework's cycle: upstream's feasible-node count, the FailedScheduling text, rotation,
batching and its invalidation, Reserve and Permit."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

import pytest

from myriad.scheduler.framework import FitError, Framework, num_feasible_to_find
from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.profiles import build_profile
from myriad.scheduler.types import CycleState, PodInfo, Reason


@pytest.mark.parametrize(("nodes", "percentage", "expected"), [
    (50, 0, 50),            # fewer than 100 nodes: all of them
    (100, 0, 100),          # 50 % of 100 is 50, raised to the 100 minimum
    (5000, 0, 500),         # upstream's example: 50 - 40 = 10 %
    (10000, 0, 500),        # 50 - 80 < 5: 5 %
    (1000, 30, 300),        # a configured percentage
    (1000, 5, 100),         # never fewer than 100
])
def test_feasible_nodes_to_find_follow_upstreams_formula(nodes: int, percentage: int, expected: int) -> None:
    assert num_feasible_to_find(nodes, percentage) == expected


def table_of(count: int, cpu: str = "4") -> NodeTable:
    table = NodeTable()
    for i in range(count):
        table.set_node({"metadata": {"name": f"n{i}"}, "spec": {},
                        "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}}})
    return table


def pod(name: str, cpu: str = "100m", **spec: object) -> PodInfo:
    return pod_info({"metadata": {"name": name, "namespace": "ns", "uid": name},
                     "spec": {"containers": [{"name": "c", "image": "pause",
                                              "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}], **spec}})


def test_the_failure_text_counts_reasons_sorted_as_strings() -> None:
    error = FitError(pod("p"), 5000, reasons=Counter({"Insufficient cpu": 3000,
                                                      "node(s) had untolerated taint(s)": 2000}))
    error.post_filter_message = "preemption: 0/5000 nodes are available: 5000 No preemption victims found."
    assert str(error) == ("0/5000 nodes are available: 2000 node(s) had untolerated taint(s), 3000 Insufficient "
                          "cpu. preemption: 0/5000 nodes are available: 5000 No preemption victims found.")


def test_a_pod_no_node_fits_gets_every_nodes_first_reason() -> None:
    table = table_of(3, cpu="1")
    table.set_node({"metadata": {"name": "tainted"}, "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]},
                    "status": {"allocatable": {"cpu": "1", "memory": "8Gi", "pods": "110"}}})
    framework = Framework(build_profile())
    with pytest.raises(FitError) as caught:
        framework.schedule(pod("big", cpu="2"), table)
    assert str(caught.value).startswith(
        "0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 Insufficient cpu. preemption: ")


def test_partial_scoring_looks_at_a_share_of_the_nodes_from_a_rotating_start() -> None:
    table = table_of(1000)
    profile = dataclasses.replace(build_profile(), batching=False, capacity_index=False)
    framework = Framework(profile, rng=random.Random(1))
    first, _ = framework.schedule(pod("a"), table)
    second, _ = framework.schedule(pod("b"), table)
    assert first.feasible == second.feasible == num_feasible_to_find(1000, 0) == 420
    assert framework._next_start == 840  # two cycles of 420 nodes each


def test_an_equivalent_pod_takes_the_next_node_of_the_ranking_until_the_table_changes() -> None:
    table = table_of(200)
    framework = Framework(build_profile(percentage_of_nodes_to_score=100), rng=random.Random(2))
    placed = []
    for name in ("a", "b", "c"):
        placement, _ = framework.schedule(pod(name), table)
        table.add_pod(pod(name), placement.node)
        framework.placed(placement, table)
        placed.append(placement.node)
    assert framework.full == 1 and framework.batched == 2 and len(set(placed)) == 3
    table.set_node({"metadata": {"name": "new"}, "spec": {},
                    "status": {"allocatable": {"cpu": "64", "memory": "64Gi", "pods": "110"}}})
    placement, _ = framework.schedule(pod("d"), table)
    assert framework.full == 2 and placement.node == "new"  # the new, emptiest node: a full cycle saw it
    framework.schedule(pod("e", cpu="200m"), table)  # not equivalent: a full cycle
    assert framework.full == 3


class Recorder:
    def __init__(self, name: str, log: list[str], *, reject: bool = False) -> None:
        self.name, self.log, self.reject = name, log, reject

    def reserve(self, state: CycleState, pod: PodInfo, node: str) -> Reason | None:
        self.log.append(f"reserve {self.name}")
        return Reason("no") if self.reject else None

    def unreserve(self, state: CycleState, pod: PodInfo, node: str) -> None:
        self.log.append(f"unreserve {self.name}")

    def permit(self, state: CycleState, pod: PodInfo, node: str) -> Reason | None:
        self.log.append(f"permit {self.name}")
        return Reason("denied") if self.reject else None


@pytest.mark.parametrize(("reserve_rejects", "permit_rejects", "expected", "answer"), [
    (False, False, ["reserve a", "reserve b", "permit p"], None),
    # upstream: a rejecting Reserve plugin is unreserved too, in reverse order
    (True, False, ["reserve a", "reserve b", "unreserve b", "unreserve a"], "no"),
    # upstream: Permit's rejection unreserves every Reserve plugin
    (False, True, ["reserve a", "reserve b", "permit p", "unreserve b", "unreserve a"], "denied"),
])
def test_reserve_then_permit_and_unreserve_in_reverse_on_a_rejection(
        reserve_rejects: bool, permit_rejects: bool, expected: list[str], answer: str | None) -> None:
    log: list[str] = []
    profile = dataclasses.replace(build_profile(), reserve=(Recorder("a", log), Recorder("b", log,
                                                                                        reject=reserve_rejects)),
                                  permit=(Recorder("p", log, reject=permit_rejects),))
    rejection = Framework(profile).reserve(CycleState(), pod("p"), "n0")
    assert log == expected
    assert (rejection.text if rejection else None) == answer


def test_the_per_node_ablation_makes_the_same_decisions_as_the_vectorised_cycle() -> None:
    decisions = []
    for vectorised in (True, False):
        table = table_of(150)
        for i in range(0, 150, 7):
            table.set_node({"metadata": {"name": f"n{i}", "labels": {"zone": "z1"}},
                            "spec": {"taints": [{"key": "k", "effect": "PreferNoSchedule"}]},
                            "status": {"allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110"}}})
        profile = dataclasses.replace(build_profile(), batching=False, vectorised=vectorised)
        framework = Framework(profile, rng=random.Random(5))
        placed = []
        for i in range(40):
            one = pod(f"p{i}", cpu=("100m", "700m", "1500m")[i % 3])
            placement, _ = framework.schedule(one, table)
            table.add_pod(one, placement.node)
            placed.append((placement.node, placement.score))
        decisions.append(placed)
    assert decisions[0] == decisions[1]
