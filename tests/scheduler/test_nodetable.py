"""The node table's columns follow nodes and pods; a confirmation changes nothing it counts."""

from __future__ import annotations

import numpy as np

from myriad.scheduler.nodetable import CPU, MEMORY, PODS, NodeTable
from myriad.scheduler.podinfo import pod_info


def node(name: str, **labels: str) -> dict:
    return {"metadata": {"name": name, "labels": labels},
            "spec": {"taints": [{"key": "gpu", "value": "x", "effect": "NoSchedule"}] if "gpu" in labels else []},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "images": [{"names": ["nginx:1.27"], "sizeBytes": 100}]}}


def pod(name: str, cpu: str = "500m", **labels: str) -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                                     "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]}}


def test_a_deleted_nodes_row_is_reused_with_its_columns_cleared() -> None:
    table = NodeTable()
    table.set_node(node("a", zone="z1", gpu="yes"))
    table.set_node(node("b", zone="z2"))
    table.remove_node("a")
    row = table.set_node(node("c", zone="z3"))
    assert row == 0 and list(table.live_rows()) == [0, 1]
    zone = table.label_column("zone")
    assert zone is not None and zone[0] == table.label_code("zone", "z3")
    assert not any(column[0] for column in table.taints.values())
    assert table.images["nginx:1.27"][0] == 100


def test_pods_count_on_their_node_and_leave_it() -> None:
    table = NodeTable()
    table.set_node(node("a"))
    first = pod_info(pod("p"))
    assert table.add_pod(first, "a")
    assert table.requested[0, CPU] == 500 and table.requested[0, MEMORY] == 1024 ** 3 and table.requested[0, PODS] == 1
    table.remove_pod(first, "a")
    assert not table.requested[0].any() and not table.nonzero[0].any()
    assert not table.add_pod(first, "missing")


def test_confirming_an_unchanged_pod_keeps_the_generation_and_a_changed_one_is_refused() -> None:
    table = NodeTable()
    table.set_node(node("a"))
    table.add_pod(pod_info(pod("p", app="x")), "a")
    generation = table.generation
    bound = pod("p", app="x")
    bound["spec"]["nodeName"] = "a"
    assert table.confirm_pod(pod_info(bound), "a")
    assert table.generation == generation
    assert table.infos[0].pods["uid-p"].node_name == "a"  # type: ignore[union-attr]
    assert not table.confirm_pod(pod_info(pod("p", cpu="1", app="x")), "a")
    assert not table.confirm_pod(pod_info(pod("p", app="y")), "a")
    assert np.array_equal(table.requested[0], [500, 1024 ** 3, 0, 1])
