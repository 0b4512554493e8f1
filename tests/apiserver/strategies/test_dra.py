"""Dynamic resource allocation (resource.k8s.io/v1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import NOW, create, server_causes, update

DRA = "resource.k8s.io"


def _claim(*requests: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "gpu", "namespace": "default"}, "spec": {"devices": {"requests": list(requests)}}}


def _slice(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "node-a-gpu"},
            "spec": {"driver": "gpu.example.com", "pool": {"name": "node-a", "resourceSliceCount": 1},
                     "nodeName": "node-a", **spec}}


def test_a_request_asks_for_exactly_one_device_by_default() -> None:
    stored, causes = create(DRA, "resourceclaims", _claim(
        {"name": "one", "exactly": {"deviceClassName": "gpu.example.com"}},
        {"name": "any", "firstAvailable": [{"name": "big", "deviceClassName": "big.example.com",
                                            "allocationMode": "All"}]}))
    assert causes == []
    requests = stored["spec"]["devices"]["requests"]
    assert requests[0]["exactly"] == {"deviceClassName": "gpu.example.com", "allocationMode": "ExactCount",
                                      "count": 1}
    assert requests[1]["firstAvailable"][0] == {"name": "big", "deviceClassName": "big.example.com",
                                                "allocationMode": "All"}


@pytest.mark.parametrize(("request_", "expected"), [
    ({"name": "r"}, [("spec.devices.requests[0]", "Required value: exactly one of `exactly` or `firstAvailable` is "
                                                  "required")]),
    ({"name": "r", "exactly": {}}, [("spec.devices.requests[0].exactly.deviceClassName", "Required value")]),
    ({"name": "r", "exactly": {"deviceClassName": "c", "allocationMode": "Some"}},
     [("spec.devices.requests[0].exactly.allocationMode", 'Unsupported value: "Some": supported values: "All", '
                                                          '"ExactCount"')]),
    ({"name": "r", "exactly": {"deviceClassName": "c", "allocationMode": "All", "count": 2}},
     [("spec.devices.requests[0].exactly.count", "Invalid value: 2: must not be specified when allocationMode is "
                                                 "'All'")]),
    ({"name": "r", "exactly": {"deviceClassName": "c", "selectors": [{}]}},
     [("spec.devices.requests[0].exactly.selectors[0].cel", "Required value")]),
])
def test_claims_are_validated_with_upstreams_messages(request_: dict[str, Any],
                                                      expected: list[tuple[str, str]]) -> None:
    assert create(DRA, "resourceclaims", _claim(request_))[1] == expected


def test_a_claims_spec_never_changes_and_its_status_starts_empty() -> None:
    old, _ = create(DRA, "resourceclaims", {**_claim({"name": "r", "exactly": {"deviceClassName": "c"}}),
                                            "status": {"reservedFor": [{"resource": "pods", "name": "p"}]}})
    assert old["status"] == {}
    changed = _claim({"name": "r", "exactly": {"deviceClassName": "other"}})
    assert [f for f, _ in update(DRA, "resourceclaims", changed, old)[1]] == ["spec"]


def test_a_slice_serves_one_kind_of_node_and_stamps_taints() -> None:
    stored, causes = create(DRA, "resourceslices", _slice(devices=[{"name": "gpu-0", "taints": [
        {"key": "broken", "effect": "NoSchedule"}]}]))
    assert causes == [] and stored["spec"]["devices"][0]["taints"][0]["timeAdded"] == NOW
    assert create(DRA, "resourceslices", _slice(allNodes=True))[1] == [
        ("spec", 'Invalid value: "{`nodeName`, `allNodes`}": exactly one of `nodeName`, `nodeSelector`, `allNodes`, '
                 "`perDeviceNodeSelection` is required, but multiple fields are set")]
    assert create(DRA, "resourceslices", _slice(pool={"name": "node-a", "resourceSliceCount": 0}))[1] == [
        ("spec.pool.resourceSliceCount", "Invalid value: 0: must be greater than zero")]


def test_a_slice_keeps_its_driver_pool_and_node() -> None:
    old, _ = create(DRA, "resourceslices", _slice())
    assert update(DRA, "resourceslices", _slice(driver="other.example.com"), old)[1] == [
        ("spec.driver", 'Invalid value: "other.example.com": field is immutable')]


def test_kubectl_create_stores_a_claims_request_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
        **_claim({"name": "gpu", "exactly": {"deviceClassName": "gpu.example.com"}})}))
    stored = json.loads(apiserver.kubectl("get", "resourceclaim", "gpu", "-n", "default", "-o", "json").stdout)
    assert stored["spec"]["devices"]["requests"][0]["exactly"]["count"] == 1
    assert "generation" not in stored["metadata"]


def test_device_classes_track_generations_on_the_server(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": "gpu.example.com"},
        "spec": {"selectors": [{"cel": {"expression": "device.driver == 'gpu.example.com'"}}]}}))
    stored = json.loads(apiserver.kubectl("get", "deviceclass", "gpu.example.com", "-o", "json").stdout)
    assert stored["metadata"]["generation"] == 1


def test_a_slice_for_no_node_is_refused_by_the_server(apiserver: RunningServer) -> None:
    body = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice", **_slice()}
    del body["spec"]["nodeName"]
    code, status = apiserver.send("POST", "/apis/resource.k8s.io/v1/resourceslices", body)
    assert code == 422 and server_causes(status) == [
        ("spec", "Required value: exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is "
                 "required")]
