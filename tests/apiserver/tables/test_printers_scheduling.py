"""Cells of PriorityClasses, RuntimeClasses and the resource.k8s.io kinds, against upstream's
printers."""

from __future__ import annotations

import pytest

from tests.apiserver.tables.helpers import ago, cells, meta


def test_priority_class_rows_type_value_and_global_default() -> None:
    pc = {"metadata": meta("high"), "value": 1000000, "globalDefault": True, "preemptionPolicy": "Never"}
    assert cells("scheduling.k8s.io", "priorityclasses", pc) == ["high", 1000000, True, "60m", "Never"]
    assert cells("scheduling.k8s.io", "priorityclasses", {"metadata": meta("low"), "value": -5}) == [
        "low", -5, False, "60m", ""]


def test_runtime_class_rows_show_the_handler() -> None:
    assert cells("node.k8s.io", "runtimeclasses", {"metadata": meta("gvisor"), "handler": "runsc"}) == [
        "gvisor", "runsc", "60m"]


@pytest.mark.parametrize(("extra", "status", "state"), [
    ({}, {}, "pending"),
    ({}, {"allocation": {"devices": {"results": []}}}, "allocated"),
    ({}, {"allocation": {}, "reservedFor": [{"resource": "pods", "name": "p", "uid": "1"}]}, "allocated,reserved"),
    ({"deletionTimestamp": ago(1)}, {}, "deleted"),
    ({"deletionTimestamp": ago(1)}, {"allocation": {}, "reservedFor": [{"name": "p"}]}, "deleted,allocated,reserved"),
])
def test_resource_claim_rows_summarize_the_state(extra: dict[str, object], status: dict[str, object],
                                                 state: str) -> None:
    claim = {"metadata": meta("claim", **extra), "spec": {}, "status": status}
    assert cells("resource.k8s.io", "resourceclaims", claim) == ["claim", state, "60m"]


def test_resource_slice_rows_name_node_driver_and_pool() -> None:
    slice_ = {"metadata": meta("s"), "spec": {"nodeName": "n1", "driver": "gpu.example.com",
                                              "pool": {"name": "n1", "generation": 1, "resourceSliceCount": 1}}}
    assert cells("resource.k8s.io", "resourceslices", slice_) == ["s", "n1", "gpu.example.com", "n1", "60m"]
    network = {"metadata": meta("s"), "spec": {"allNodes": True, "driver": "net.example.com", "pool": {"name": "p"}}}
    assert cells("resource.k8s.io", "resourceslices", network) == ["s", "", "net.example.com", "p", "60m"]


@pytest.mark.parametrize("plural", ["deviceclasses", "resourceclaimtemplates"])
def test_device_classes_and_claim_templates_print_name_and_age(plural: str) -> None:
    assert cells("resource.k8s.io", plural, {"metadata": meta("d"), "spec": {}}) == ["d", "60m"]
