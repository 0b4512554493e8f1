"""NodeResourcesBalancedAllocation against upstream's balanced_allocation_test.go cases (by
their upstream names), with expected integers worked out by hand from upstream's current
standard-deviation formula: ``int64((1 - std) * 100)``, ``std = |f0 - f1| / 2`` for two
resources."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.balancedallocation import NodeResourcesBalancedAllocation
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import CycleState

_uid = iter(range(1_000_000))


def node(name: str, **allocatable: Any) -> dict[str, Any]:
    alloc = {k.replace("_", "-"): str(v) for k, v in allocatable.items()}
    return {"metadata": {"name": name}, "status": {"allocatable": alloc}}


def pod(*containers: dict[str, Any]):
    spec = {"containers": [{"name": f"c{i}", "image": "x", "resources": {"requests": c}}
                           for i, c in enumerate(containers)]}
    return pod_info({"metadata": {"name": "p", "namespace": "ns", "uid": f"u{next(_uid)}"}, "spec": spec})


def table_of(nodes: list[dict[str, Any]], existing: dict[str, list[Any]] | None = None) -> NodeTable:
    table = NodeTable()
    for n in nodes:
        table.set_node(n)
    for name, pods in (existing or {}).items():
        for p in pods:
            assert table.add_pod(p, name)
    return table


def run(plugin: NodeResourcesBalancedAllocation, table: NodeTable, incoming) -> list[int] | None:
    """The scores, or None when PreScore skips the plugin."""
    state = CycleState()
    rows = table.live_rows()
    if not plugin.pre_score(state, incoming, table, rows):
        return None
    scores = plugin.normalize(state, incoming, plugin.score(state, incoming, table, rows))
    assert scores.dtype == np.int64
    return scores.tolist()


# upstream's cpuOnly / cpuAndMemory pod specs (cpu in millicores, memory in bytes)
CPU_ONLY = ({"cpu": "1000m", "memory": "0"}, {"cpu": "2000m", "memory": "0"})
CPU_AND_MEMORY = ({"cpu": "1000m", "memory": "2000"}, {"cpu": "2000m", "memory": "3000"})


def machines(*sizes: tuple[int, int]) -> list[dict[str, Any]]:
    """upstream's makeNode(name, milliCPU, memory)."""
    return [node(f"machine{i + 1}", cpu=f"{cpu}m", memory=memory) for i, (cpu, memory) in enumerate(sizes)]


CASES = [
    pytest.param(pod(*CPU_AND_MEMORY), machines((4000, 10000), (6000, 10000)), {}, [87, 100],
                 id="nothing scheduled, resources requested, differently sized machines: "
                    "|0.75-0.5|/2=0.125 -> 87; 0.5,0.5 -> 100"),
    pytest.param(pod(*CPU_AND_MEMORY), machines((10000, 20000), (10000, 20000)),
                 {"machine1": [pod(*CPU_ONLY)], "machine2": [pod(*CPU_AND_MEMORY)]}, [82, 95],
                 id="resources requested, pods scheduled with resources: 0.6,0.25 -> 82; 0.6,0.5 -> 95"),
    pytest.param(pod(*CPU_AND_MEMORY), machines((10000, 20000), (10000, 50000)),
                 {"machine1": [pod(*CPU_ONLY)], "machine2": [pod(*CPU_AND_MEMORY)]}, [82, 80],
                 id="resources requested, pods scheduled with resources, differently sized machines: 0.6,0.2 -> 80"),
    pytest.param(pod(*CPU_ONLY), machines((4000, 10000), (4000, 10000)),
                 {"machine1": [pod(*CPU_ONLY)], "machine2": [pod(*CPU_AND_MEMORY)]}, [50, 75],
                 id="requested resources exceed node capacity: fraction capped at 1; 1,0 -> 50; 1,0.5 -> 75"),
    pytest.param(pod(*CPU_ONLY), machines((0, 0), (0, 0)), {}, [100, 100],
                 id="zero node resources: no fraction counted, std 0 -> 100"),
    pytest.param(pod({"cpu": "1"}), [node("n", cpu="2", memory="1000")], {}, [75],
                 id="real requests, no 200Mi default for the missing memory: 0.5,0 -> 75"),
    pytest.param(pod({"cpu": "1"}), [node("n", cpu="2", memory="1000")], {"n": [pod({})]}, [75],
                 id="node side uses Requested: a pod without requests on the node adds nothing"),
]


@pytest.mark.parametrize(("incoming", "nodes", "existing", "expected"), CASES)
def test_score(incoming, nodes, existing, expected) -> None:
    assert run(NodeResourcesBalancedAllocation(), table_of(nodes, existing), incoming) == expected


@pytest.mark.parametrize("incoming", [
    pytest.param(pod(), id="no containers"),
    pytest.param(pod({}), id="containers without requests (scoring defaults do not apply here)"),
    pytest.param(pod({"cpu": "0", "memory": "0"}), id="explicit zero requests"),
    pytest.param(pod({"ephemeral-storage": "1Gi"}), id="only resources outside the configured cpu/memory"),
])
def test_best_effort_pod_skips(incoming) -> None:
    """upstream 1.33+ (issue #129138): PreScore returns Skip for a pod requesting none of the
    configured resources, so the plugin gives 0 everywhere."""
    table = table_of(machines((4000, 10000), (6000, 10000)), {"machine1": [pod(*CPU_ONLY)]})
    assert run(NodeResourcesBalancedAllocation(), table, incoming) is None


def test_three_resources_standard_deviation() -> None:
    """With ephemeral-storage configured: fractions 0.5, 0.2, 0.8, mean 0.5, std sqrt(0.18/3)
    = 0.2449 -> 75. A node without ephemeral storage falls back to two fractions: 0.5, 0.2 -> 85."""
    plugin = NodeResourcesBalancedAllocation(resources={"cpu": 1, "memory": 1, "ephemeral-storage": 1})
    table = table_of([node("a", cpu="1", memory=1000, ephemeral_storage=1000), node("b", cpu="1", memory=1000)])
    incoming = pod({"cpu": "500m", "memory": "200", "ephemeral-storage": "800"})
    assert run(plugin, table, incoming) == [75, 85]


def test_one_resource_has_no_deviation() -> None:
    """A single fraction: std 0 -> 100 whatever the use."""
    plugin = NodeResourcesBalancedAllocation(resources={"cpu": 1})
    assert run(plugin, table_of([node("a", cpu="1", memory=1000)]), pod({"cpu": "900m"})) == [100]


def test_weights_are_not_used() -> None:
    heavy = NodeResourcesBalancedAllocation(resources={"cpu": 100, "memory": 1})
    table = table_of(machines((4000, 10000)))
    assert run(heavy, table, pod(*CPU_AND_MEMORY)) == [87]


def test_float_truncation_matches_go() -> None:
    """Computed in float64 in upstream's order: fractions 0.6 and 0.8 give (1 - 0.1) * 100 =
    89.99999999999999, which truncates to 89 (exact arithmetic would say 90)."""
    table = table_of([node("a", cpu="10", memory=10)])
    assert run(NodeResourcesBalancedAllocation(), table, pod({"cpu": "6", "memory": "8"})) == [89]
