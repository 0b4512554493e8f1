"""The Node a hollow kubelet registers (pure logic)."""

from __future__ import annotations

import orjson

from myriad.nodes.nodeobject import conditions, node_object, pod_cidr
from myriad.nodes.types import NodeClass, NodesOptions


def test_a_node_carries_the_labels_capacity_and_conditions_a_kubelet_registers() -> None:
    options = NodesOptions(count=10, prefix="n-", zones=2, images=3,
                           node_class=NodeClass(cpu="8", memory="32Gi", reserved_cpu="250m", reserved_memory="1Gi"))
    node = node_object(options, 3, now=0.0, kubelet_version="v1.37.0")
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == "n-3" and labels["topology.kubernetes.io/zone"] == "region-1-b"
    status = node["status"]
    assert status["capacity"] == {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    assert status["allocatable"]["cpu"] == "7750m" and status["allocatable"]["memory"] == f"{31 * 1024 * 1024}Ki"
    assert [c["type"] for c in status["conditions"]] == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    assert status["nodeInfo"]["kubeletVersion"] == "v1.37.0" and len(status["images"]) == 3
    assert node["spec"]["podCIDRs"] == ["10.0.3.0/24"]


def test_pod_cidrs_are_unique_and_a_new_nodes_conditions_start_at_registration() -> None:
    assert len({pod_cidr(i) for i in range(65_536)}) == 65_536
    assert all(c["lastTransitionTime"] == c["lastHeartbeatTime"] == "1970-01-01T01:00:00Z"
               for c in conditions(3600.0))


def test_fifty_images_the_kubelets_cap_make_a_node_as_large_as_a_real_one() -> None:
    node = node_object(NodesOptions(count=1, images=50), 0, now=1.7e9, kubelet_version="v1.37.0")
    size = len(orjson.dumps(node))
    assert 10_000 <= size <= 15_000, size
    assert len({image["names"][0] for image in node["status"]["images"]}) == 50
