"""NodeResourcesFit against upstream's fit_test.go, least_allocated_test.go,
most_allocated_test.go and requested_to_capacity_ratio_test.go (cases by their upstream
names where taken from there; expected integers worked out by hand from upstream's formulas)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.noderesourcesfit import (
    MOST_ALLOCATED,
    REQUESTED_TO_CAPACITY_RATIO,
    NodeResourcesFit,
)
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import Code, CycleState

_uid = iter(range(1_000_000))


def node(name: str, **allocatable: Any) -> dict[str, Any]:
    alloc = {k.replace("_", "-"): str(v) for k, v in allocatable.items()}
    return {"metadata": {"name": name}, "status": {"allocatable": alloc}}


def pod(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = (), overhead: dict[str, str] | None = None):
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": "x", "resources": {"requests": c}}
                                           for i, c in enumerate(containers)]}
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": "x", "resources": {"requests": c}}
                                  for i, c in enumerate(init)]
    if overhead:
        spec["overhead"] = overhead
    return pod_info({"metadata": {"name": "p", "namespace": "ns", "uid": f"u{next(_uid)}"}, "spec": spec})


def bare_pod():
    """upstream's st.MakePod().Obj(): no containers, so no requests even with scoring defaults."""
    return pod_info({"metadata": {"name": "p", "namespace": "ns", "uid": f"u{next(_uid)}"}, "spec": {}})


def table_of(nodes: list[dict[str, Any]], existing: dict[str, list[Any]] | None = None) -> NodeTable:
    table = NodeTable()
    for n in nodes:
        table.set_node(n)
    for name, pods in (existing or {}).items():
        for p in pods:
            assert table.add_pod(p, name)
    return table


def run_filter(plugin: NodeResourcesFit, table: NodeTable, incoming) -> list[tuple[list[str], set[Code]]]:
    state = CycleState()
    plugin.pre_filter(state, incoming, table)
    rows = table.live_rows()
    verdict = plugin.filter(state, incoming, table, rows)
    out = []
    for failed in verdict.failed:
        hit = [r for bit, r in enumerate(verdict.reasons) if int(failed) & (1 << bit)]
        out.append(([r.text for r in hit], {r.code for r in hit}))
    return out


def run_score(plugin: NodeResourcesFit, table: NodeTable, incoming) -> list[int]:
    state = CycleState()
    rows = table.live_rows()
    assert plugin.pre_score(state, incoming, table, rows) is True  # upstream's Fit PreScore never skips
    scores = plugin.normalize(state, incoming, plugin.score(state, incoming, table, rows))
    assert scores.dtype == np.int64
    return scores.tolist()


# -- Filter ------------------------------------------------------------------------------------

# upstream's enoughPodsTests node: allocatable 10 millicpu, 20 bytes memory, 32 pods, 20 bytes ephemeral
ALLOC = {"cpu": "10m", "memory": 20, "pods": 32, "ephemeral_storage": 20}
U, UU = {Code.UNSCHEDULABLE}, {Code.UNRESOLVABLE}

FILTER_CASES = [
    pytest.param(bare_pod(), [pod({"cpu": "10m", "memory": "20"})], [], set(),
                 id="no resources requested always fits (upstream)"),
    pytest.param(pod({"cpu": "1m", "memory": "1"}), [pod({"cpu": "10m", "memory": "20"})],
                 ["Insufficient cpu", "Insufficient memory"], U,
                 id="too many resources fails: both reasons, Unschedulable (upstream)"),
    pytest.param(pod({"cpu": "1m", "memory": "1"}, init=({"cpu": "3m", "memory": "1"},)),
                 [pod({"cpu": "8m", "memory": "19"})], ["Insufficient cpu"], U,
                 id="too many resources fails due to init container cpu (upstream)"),
    pytest.param(pod({"cpu": "1m", "memory": "1"}), [pod({"cpu": "5m", "memory": "5"})], [], set(),
                 id="both resources fit (upstream)"),
    pytest.param(pod({"cpu": "2m", "memory": "1"}), [pod({"cpu": "9m", "memory": "5"})], ["Insufficient cpu"], U,
                 id="one resource memory fits (upstream)"),
    pytest.param(pod({"cpu": "5m", "memory": "1"}), [pod({"cpu": "5m", "memory": "19"})], [], set(),
                 id="equal edge case: request == free fits (upstream)"),
    pytest.param(pod({"cpu": "1m", "memory": "1"}, overhead={"cpu": "1m", "memory": "15"}),
                 [pod({"cpu": "5m", "memory": "5"})], ["Insufficient memory"], U,
                 id="requests + overhead does not fit for memory (upstream)"),
    pytest.param(pod({"cpu": "11m"}), [], ["Insufficient cpu"], UU,
                 id="cpu request beyond the whole allocatable: UnschedulableAndUnresolvable (upstream 1.33+)"),
    pytest.param(pod({"cpu": "11m", "memory": "1"}), [pod({"memory": "20"})],
                 ["Insufficient cpu", "Insufficient memory"], UU,
                 id="one unresolvable reason makes the node's whole status unresolvable (upstream)"),
    pytest.param(pod({"memory": "21"}), [], ["Insufficient memory"], UU,
                 id="memory beyond allocatable: unresolvable (upstream)"),
    pytest.param(pod({"ephemeral-storage": "10"}), [pod({"ephemeral-storage": "15"})],
                 ["Insufficient ephemeral-storage"], U,
                 id="storage ephemeral local storage request exceeds free (upstream)"),
    pytest.param(pod({"ephemeral-storage": "25"}), [], ["Insufficient ephemeral-storage"], UU,
                 id="ephemeral storage beyond allocatable: unresolvable (upstream)"),
]


@pytest.mark.parametrize(("incoming", "existing", "texts", "codes"), FILTER_CASES)
def test_filter(incoming, existing, texts, codes) -> None:
    table = table_of([node("n1", **ALLOC)], {"n1": existing})
    assert run_filter(NodeResourcesFit(), table, incoming) == [(texts, codes)]


@pytest.mark.parametrize(("incoming", "texts", "codes"), [
    pytest.param(bare_pod(), ["Too many pods"], U,
                 id="even without requests: Too many pods, Unschedulable (upstream enoughPodsTests)"),
    pytest.param(pod({"cpu": "1m", "memory": "1"}), ["Too many pods", "Insufficient cpu", "Insufficient memory"], U,
                 id="Too many pods comes first and all reasons are kept (upstream)"),
    pytest.param(pod({"cpu": "11m"}), ["Too many pods", "Insufficient cpu"], UU,
                 id="Too many pods shares the node's unresolvable status (upstream: one status per node)"),
])
def test_filter_too_many_pods(incoming, texts, codes) -> None:
    table = table_of([node("n1", cpu="10m", memory=20, pods=1)], {"n1": [pod({"cpu": "10m", "memory": "20"})]})
    assert run_filter(NodeResourcesFit(), table, incoming) == [(texts, codes)]


def test_filter_is_per_row() -> None:
    """Each row gets its own reasons and code within one vectorised call."""
    table = table_of([node("small", cpu="1", memory="1Gi", pods=10), node("busy", cpu="4", memory="8Gi", pods=10),
                      node("roomy", cpu="4", memory="8Gi", pods=10)],
                     {"busy": [pod({"cpu": "3", "memory": "1Gi"})]})
    got = run_filter(NodeResourcesFit(), table, pod({"cpu": "2", "memory": "1Gi"}))
    assert got == [(["Insufficient cpu"], UU), (["Insufficient cpu"], U), ([], set())]


def test_filter_uses_real_requests_not_scoring_defaults() -> None:
    """upstream's Filter compares with NodeInfo.Requested: pods without requests take no room."""
    table = table_of([node("n1", cpu="100m", memory="100Mi", pods=10)], {"n1": [bare_pod(), pod({})]})
    assert run_filter(NodeResourcesFit(), table, pod({"cpu": "100m", "memory": "100Mi"})) == [([], set())]


# -- Score: LeastAllocated (upstream least_allocated_test.go) ----------------------------------

CPU_AND_MEMORY = ({"cpu": "1000", "memory": "2000"}, {"cpu": "2000", "memory": "3000"})

LEAST_CASES = [
    pytest.param(bare_pod(), [node("node1", cpu=4000, memory=10000), node("node2", cpu=4000, memory=10000)], {},
                 [100, 100], id="nothing scheduled, nothing requested"),
    pytest.param(pod(*CPU_AND_MEMORY), [node("node1", cpu=4000, memory=10000), node("node2", cpu=6000, memory=10000)],
                 {}, [37, 50],
                 id="nothing scheduled, resources requested, differently sized nodes: (25+50)/2, (50+50)/2"),
    pytest.param(bare_pod(), [node("node1", cpu=4000, memory=10000), node("node2", cpu=4000, memory=10000)],
                 {"node1": [bare_pod(), bare_pod()], "node2": [bare_pod(), bare_pod()]}, [100, 100],
                 id="no resources requested, pods scheduled"),
    pytest.param(bare_pod(), [node("node1", cpu=10000, memory=20000), node("node2", cpu=10000, memory=20000)],
                 {"node1": [pod({"cpu": "3000", "memory": "0"}), pod({"cpu": "3000", "memory": "0"})],
                  "node2": [pod({"cpu": "3000", "memory": "0"}), pod({"cpu": "3000", "memory": "5000"})]},
                 [70, 57], id="no resources requested, pods scheduled with resources: (40+100)/2, (40+75)/2"),
    pytest.param(pod(*CPU_AND_MEMORY), [node("node1", cpu=10000, memory=20000), node("node2", cpu=10000, memory=20000)],
                 {"node1": [pod({"cpu": "3000", "memory": "0"})], "node2": [pod({"cpu": "3000", "memory": "5000"})]},
                 [57, 45], id="resources requested, pods scheduled with resources: (40+75)/2, (40+50)/2"),
    pytest.param(pod(*CPU_AND_MEMORY), [node("node1", cpu=10000, memory=20000), node("node2", cpu=10000, memory=50000)],
                 {"node1": [pod({"cpu": "3000", "memory": "0"})], "node2": [pod({"cpu": "3000", "memory": "5000"})]},
                 [57, 60], id="resources requested, pods scheduled with resources, differently sized nodes"),
    pytest.param(pod({"cpu": "3000", "memory": "0"}),
                 [node("node1", cpu=4000, memory=10000), node("node2", cpu=4000, memory=10000)],
                 {"node1": [pod({"cpu": "3000", "memory": "0"})], "node2": [pod({"cpu": "3000", "memory": "5000"})]},
                 [50, 25], id="requested resources exceed node capacity: cpu scores 0, (0+100)/2, (0+50)/2"),
    pytest.param(bare_pod(), [node("node1"), node("node2")],
                 {"node1": [pod({"cpu": "3000", "memory": "0"})], "node2": [pod({"cpu": "3000", "memory": "5000"})]},
                 [0, 0], id="zero node resources, pods scheduled with resources: no weight counts, 0"),
    pytest.param(pod({}), [node("n", cpu="1", memory="1000Mi")], {}, [85],
                 id="container without requests counts 100m/200Mi: (900*100/1000 + 800*100/1000)/2"),
    pytest.param(pod({"cpu": "100m", "memory": "200Mi"}), [node("n", cpu="1", memory="1000Mi")], {"n": [pod({})]},
                 [70], id="existing pod without requests counts 100m/200Mi on the node (NonZeroRequested): (80+60)/2"),
    pytest.param(pod({"cpu": "0", "memory": "0"}), [node("n", cpu="1", memory="1000Mi")], {}, [100],
                 id="an explicit zero request is kept, not defaulted"),
]


@pytest.mark.parametrize(("incoming", "nodes", "existing", "expected"), LEAST_CASES)
def test_least_allocated(incoming, nodes, existing, expected) -> None:
    assert run_score(NodeResourcesFit(), table_of(nodes, existing), incoming) == expected


def test_least_allocated_weights() -> None:
    """upstream: 'nothing scheduled, resources requested with different weight on CPU and memory,
    differently sized nodes': (25*1 + 50*2)/3 = 41, (50*1 + 50*2)/3 = 50."""
    plugin = NodeResourcesFit(resources={"memory": 2, "cpu": 1})
    table = table_of([node("node1", cpu=4000, memory=10000), node("node2", cpu=6000, memory=10000)])
    assert run_score(plugin, table, pod(*CPU_AND_MEMORY)) == [41, 50]


def test_ephemeral_storage_scores_real_requests() -> None:
    """ephemeral-storage counts the node's Requested plus the pod's request: (1000-600)*100/1000 = 40."""
    plugin = NodeResourcesFit(resources=[("ephemeral-storage", 1)])
    table = table_of([node("n", cpu="1", memory="1Gi", ephemeral_storage=1000)],
                     {"n": [pod({"ephemeral-storage": "100"})]})
    assert run_score(plugin, table, pod({"ephemeral-storage": "500"})) == [40]


def test_untracked_resource_is_left_out_with_its_weight() -> None:
    """upstream: 'bypass extended resource if the pod does not request': cpu 50, memory 50 -> 50."""
    plugin = NodeResourcesFit(resources={"cpu": 1, "memory": 1, "nvidia.com/gpu": 5})
    table = table_of([node("node1", cpu=6000, memory=10000)])
    assert run_score(plugin, table, pod(*CPU_AND_MEMORY)) == [50]


@pytest.mark.parametrize("resources", [
    pytest.param({"memory": -1, "cpu": 1}, id="resource with negative weight (upstream validation)"),
    pytest.param({"memory": 1, "cpu": 0}, id="resource with zero weight (upstream validation)"),
    pytest.param({"memory": 1, "cpu": 101}, id="resource weight larger than MaxNodeScore (upstream validation)"),
    pytest.param({}, id="no resources"),
])
def test_invalid_weights(resources) -> None:
    with pytest.raises(ValueError):
        NodeResourcesFit(resources=resources)


# -- Score: MostAllocated (upstream most_allocated_test.go) ------------------------------------

MOST_CASES = [
    pytest.param(pod(*CPU_AND_MEMORY), [node("node1", cpu=4000, memory=10000), node("node2", cpu=6000, memory=10000)],
                 {}, None, [62, 50], id="nothing scheduled, resources requested, differently sized nodes: (75+50)/2"),
    pytest.param(pod(*CPU_AND_MEMORY), [node("node1", cpu=10000, memory=20000), node("node2", cpu=10000, memory=20000)],
                 {"node1": [pod({"cpu": "3000", "memory": "0"})], "node2": [pod({"cpu": "3000", "memory": "5000"})]},
                 None, [42, 55], id="resources requested, pods scheduled with resources: (60+25)/2, (60+50)/2"),
    pytest.param(pod({"cpu": "5000", "memory": "9000"}), [node("node1", cpu=4000, memory=10000)], {}, None, [95],
                 id="requested beyond capacity is clamped to capacity: (100+90)/2"),
    pytest.param(pod(*CPU_AND_MEMORY), [node("node1", cpu=4000, memory=10000), node("node2", cpu=6000, memory=10000)],
                 {}, {"memory": 2, "cpu": 1}, [58, 50],
                 id="different weight on CPU and memory: (75*1+50*2)/3, (50*1+50*2)/3"),
    pytest.param(bare_pod(), [node("node1"), node("node2")], {}, None, [0, 0], id="zero node resources"),
]


@pytest.mark.parametrize(("incoming", "nodes", "existing", "resources", "expected"), MOST_CASES)
def test_most_allocated(incoming, nodes, existing, resources, expected) -> None:
    plugin = NodeResourcesFit(scoring_strategy=MOST_ALLOCATED, **({"resources": resources} if resources else {}))
    assert run_score(plugin, table_of(nodes, existing), incoming) == expected


# -- Score: RequestedToCapacityRatio (upstream requested_to_capacity_ratio_test.go) -----------

SPREAD = ((0, 10), (100, 0))
PACK = ((0, 0), (100, 10))

RTCR_CASES = [
    pytest.param(SPREAD, bare_pod(), [node("node1", cpu=4000, memory=10000), node("node2", cpu=4000, memory=10000)],
                 None, [100, 100], id="nothing scheduled, nothing requested: f(0)=100"),
    pytest.param(SPREAD, pod(*CPU_AND_MEMORY),
                 [node("node1", cpu=4000, memory=10000), node("node2", cpu=6000, memory=10000)], None, [38, 50],
                 id="nothing scheduled, resources requested, differently sized nodes: round((25+50)/2)=38"),
    pytest.param(PACK, pod(*CPU_AND_MEMORY), [node("node1", cpu=4000, memory=10000)], None, [63],
                 id="bin packing: round((75+50)/2) rounds half away from zero"),
    pytest.param(PACK, pod({"cpu": "3000", "memory": "0"}), [node("node1", cpu=4000, memory=10000)], None, [75],
                 id="a resource scoring 0 is left out with its weight: cpu 75 alone"),
    pytest.param(PACK, bare_pod(), [node("node1", cpu=4000, memory=10000)], None, [0],
                 id="every resource scores 0: weightSum 0 gives 0"),
    pytest.param(((0, 10), (30, 0)), pod({"cpu": "100m"}), [node("node1", cpu="1", memory="1Gi")], {"cpu": 1}, [67],
                 id="decreasing segment truncates toward zero like Go: 100 + (-100*10)/30 = 100 - 33"),
    pytest.param(((20, 5), (60, 10)), pod({"cpu": "100m"}), [node("node1", cpu="1", memory="1Gi")], {"cpu": 1}, [50],
                 id="below the first point: the first point's score (utilization 10 -> 50)"),
    pytest.param(((20, 5), (60, 10)), pod({"cpu": "2"}), [node("node1", cpu="1", memory="1Gi")], {"cpu": 1}, [100],
                 id="request beyond capacity counts as utilization 100 -> the last point's score"),
    pytest.param(PACK, pod({"cpu": "1", "memory": "0"}), [node("node1", cpu=4, memory=10000)],
                 {"cpu": 3, "memory": 1}, [25], id="weighted: only cpu (25*3)/3"),
]


@pytest.mark.parametrize(("shape", "incoming", "nodes", "resources", "expected"), RTCR_CASES)
def test_requested_to_capacity_ratio(shape, incoming, nodes, resources, expected) -> None:
    plugin = NodeResourcesFit(scoring_strategy=REQUESTED_TO_CAPACITY_RATIO, shape=shape,
                              **({"resources": resources} if resources else {}))
    assert run_score(plugin, table_of(nodes), incoming) == expected


@pytest.mark.parametrize("shape", [
    pytest.param(None, id="missing shape"),
    pytest.param(((0, 11),), id="score above MaxCustomPriorityScore"),
    pytest.param(((101, 1),), id="utilization above 100"),
    pytest.param(((50, 1), (50, 2)), id="utilization not increasing"),
])
def test_invalid_shape(shape) -> None:
    with pytest.raises(ValueError):
        NodeResourcesFit(scoring_strategy=REQUESTED_TO_CAPACITY_RATIO, shape=shape)


def test_unknown_strategy() -> None:
    with pytest.raises(ValueError):
        NodeResourcesFit(scoring_strategy="Balanced")


def test_score_without_pre_score_and_subset_of_rows() -> None:
    """Score answers over the given rows only, in their order, and works without PreScore state."""
    table = table_of([node("node1", cpu=4000, memory=10000), node("node2", cpu=6000, memory=10000)])
    plugin = NodeResourcesFit()
    rows = np.array([table.index["node2"], table.index["node1"]])
    assert plugin.score(CycleState(), pod(*CPU_AND_MEMORY), table, rows).tolist() == [50, 37]
