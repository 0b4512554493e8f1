"""ImageLocality against upstream's image_locality_test.go behaviour; expected integers worked
out by hand from upstream's formula: per held image ``int64(size * nodesWithImage /
totalNodes)``, summed, clamped to [23MB, 1000MB * containers], ``100 * (sum - 23MB) //
(max - 23MB)``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.imagelocality import ImageLocality
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import CycleState

MB = 1024 * 1024
_uid = iter(range(1_000_000))


def node(name: str, images: dict[str, int]) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "images": [{"names": [image], "sizeBytes": size} for image, size in images.items()]}}


def pod(*images: str, init: tuple[str, ...] = ()):
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]}
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": image} for i, image in enumerate(init)]
    return pod_info({"metadata": {"name": "p", "namespace": "ns", "uid": f"u{next(_uid)}"}, "spec": spec})


def table_of(*nodes: dict[str, Any]) -> NodeTable:
    table = NodeTable()
    for n in nodes:
        table.set_node(n)
    return table


def run(table: NodeTable, incoming, rows: np.ndarray | None = None) -> list[int]:
    plugin = ImageLocality()
    state = CycleState()
    rows = table.live_rows() if rows is None else rows
    scores = plugin.normalize(state, incoming, plugin.score(state, incoming, table, rows))
    assert scores.dtype == np.int64
    return scores.tolist()


# upstream's fixture shape: node1 holds the 40MB and 300MB images, node2 the 250MB and 10MB ones
NODE1 = node("node1", {"gcr.io/40:latest": 40 * MB, "gcr.io/300:latest": 300 * MB})
NODE2 = node("node2", {"gcr.io/250:latest": 250 * MB, "gcr.io/10:latest": 10 * MB})

CASES = [
    pytest.param(pod("gcr.io/40", "gcr.io/250"), [NODE1, NODE2], [0, 5],
                 id="two images spread on two nodes, prefer the larger image one: "
                    "node1 40MB/2 = 20MB clamps to 23MB -> 0; node2 250MB/2 = 125MB -> (125-23)*100/1977 = 5"),
    pytest.param(pod("gcr.io/40", "gcr.io/300"), [NODE1, NODE2], [7, 0],
                 id="two images on one node, prefer this node: (20+150-23)*100/1977 = 7"),
    pytest.param(pod("gcr.io/300", "gcr.io/10"), [NODE1, NODE2], [6, 0],
                 id="one image each: node1 150MB -> 6; node2 5MB clamps to 23MB -> 0"),
    pytest.param(pod("gcr.io/300", "gcr.io/300"), [NODE1, NODE2], [14, 0],
                 id="a repeated image counts for each container: (300-23)*100/1977 = 14"),
    pytest.param(pod("gcr.io/40", init=("gcr.io/300",)), [NODE1, NODE2], [7, 0],
                 id="init containers count, for the image sum and the container count (upstream 1.26+)"),
    pytest.param(pod("busybox", init=("gcr.io/300",)), [NODE1, NODE2], [6, 0],
                 id="an init container's image alone: 150MB over 2 containers -> 6"),
    pytest.param(pod("gcr.io/300:v2"), [NODE1, NODE2], [0, 0],
                 id="a different tag is a different image"),
    pytest.param(pod("gcr.io/300:latest"), [NODE1, NODE2], [12, 0],
                 id="an explicit :latest matches; one container: (150-23)*100/977 = 12"),
    pytest.param(pod("gcr.io/2000"),
                 [node("a", {"gcr.io/2000:latest": 2000 * MB}), node("b", {"gcr.io/2000:latest": 2000 * MB})],
                 [100, 100], id="if exceed limit, use limit: 2000MB on every node clamps to 1000MB -> 100"),
    pytest.param(pod("gcr.io/2000"), [node("a", {"gcr.io/2000:latest": 2000 * MB}), node("b", {}), node("c", {})],
                 [65, 0, 0], id="spread scales by nodes with the image / all nodes: int(2000MB/3) = 666.7MB -> 65"),
    pytest.param(pod(), [NODE1], [0], id="no containers: score 0"),
]


@pytest.mark.parametrize(("incoming", "nodes", "expected"), CASES)
def test_score(incoming, nodes, expected) -> None:
    assert run(table_of(*nodes), incoming) == expected


def test_total_nodes_is_the_whole_table_not_the_candidates() -> None:
    """upstream divides by all nodes in the snapshot: scoring node1 alone still spreads 300MB
    over two nodes."""
    table = table_of(NODE1, NODE2)
    assert run(table, pod("gcr.io/300"), rows=np.array([table.index["node1"]])) == [12]


def test_removed_node_no_longer_counts() -> None:
    """After node2 is deleted, node1 holds the image on all (one) nodes: 300MB -> (300-23)*100/977 = 28."""
    table = table_of(NODE1, NODE2)
    table.remove_node("node2")
    assert run(table, pod("gcr.io/300")) == [28]


def test_image_on_several_nodes_spreads_further() -> None:
    """300MB on 2 of 3 nodes: int(300MB * (2/3)) = 200MB -> (200-23)*100/977 = 18 on both holders."""
    table = table_of(node("a", {"gcr.io/300:latest": 300 * MB}), node("b", {"gcr.io/300:latest": 300 * MB}),
                     node("c", {}))
    assert run(table, pod("gcr.io/300")) == [18, 18, 0]
