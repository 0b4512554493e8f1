"""storage.k8s.io/v1 kinds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

STORAGE = "storage.k8s.io"


def _class(**fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": "fast"}, "provisioner": "csi.example.com", **fields}


def test_a_storage_class_deletes_its_volumes_and_binds_immediately_by_default() -> None:
    stored, causes = create(STORAGE, "storageclasses", _class())
    assert causes == [] and (stored["reclaimPolicy"], stored["volumeBindingMode"]) == ("Delete", "Immediate")


@pytest.mark.parametrize(("fields", "expected"), [
    ({"provisioner": ""}, [("provisioner", "Required value")]),
    ({"reclaimPolicy": "Recycle"},
     [("reclaimPolicy", 'Unsupported value: "Recycle": supported values: "Delete", "Retain"')]),
    ({"volumeBindingMode": "Later"},
     [("volumeBindingMode", 'Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"')]),
    ({"parameters": {"": "x"}}, [("parameters", 'Invalid value: "": field can not be empty.')]),
])
def test_storage_classes_are_validated_with_upstreams_messages(fields: dict[str, Any],
                                                               expected: list[tuple[str, str]]) -> None:
    assert create(STORAGE, "storageclasses", _class(**fields))[1] == expected


def test_a_storage_class_fixes_its_provisioner_parameters_and_policies() -> None:
    old, _ = create(STORAGE, "storageclasses", _class())
    changed = _class(provisioner="other.example.com", parameters={"a": "b"}, reclaimPolicy="Retain",
                     volumeBindingMode="WaitForFirstConsumer")
    assert update(STORAGE, "storageclasses", changed, old)[1] == [
        ("parameters", "Forbidden: updates to parameters are forbidden."),
        ("provisioner", "Forbidden: updates to provisioner are forbidden."),
        ("reclaimPolicy", "Forbidden: updates to reclaimPolicy are forbidden."),
        ("volumeBindingMode", 'Invalid value: "WaitForFirstConsumer": field is immutable')]


def test_a_csi_driver_gets_upstreams_defaults_and_no_generation_until_its_spec_changes() -> None:
    stored, causes = create(STORAGE, "csidrivers", {"metadata": {"name": "csi.example.com"}, "spec": {}})
    assert causes == []
    assert stored["spec"] == {"attachRequired": True, "podInfoOnMount": False, "storageCapacity": False,
                              "fsGroupPolicy": "ReadWriteOnceWithFSType", "requiresRepublish": False,
                              "seLinuxMount": False, "volumeLifecycleModes": ["Persistent"]}
    changed = json.loads(json.dumps(stored))
    changed["spec"]["podInfoOnMount"] = True
    updated, causes = update(STORAGE, "csidrivers", changed, stored)
    assert causes == [] and updated["metadata"]["generation"] == 1
    changed["spec"]["attachRequired"] = False
    assert update(STORAGE, "csidrivers", changed, stored)[1] == [
        ("spec.attachedRequired", "Invalid value: false: field is immutable")]


def test_csi_token_requests_need_distinct_audiences_and_ten_minutes() -> None:
    body = {"metadata": {"name": "csi.example.com"},
            "spec": {"tokenRequests": [{"audience": "a", "expirationSeconds": 60}, {"audience": "a"}]}}
    assert create(STORAGE, "csidrivers", body)[1] == [
        ("spec.tokenRequests[0].expirationSeconds", "Invalid value: 60: may not specify a duration less than 10 "
                                                    "minutes"),
        ("spec.tokenRequests[1].audience", 'Duplicate value: "a"')]


def test_a_csi_node_needs_node_ids_and_keeps_its_drivers() -> None:
    driver = {"name": "csi.example.com", "nodeID": "n1", "topologyKeys": ["zone"]}
    old, causes = create(STORAGE, "csinodes", {"metadata": {"name": "node-a"}, "spec": {"drivers": [driver]}})
    assert causes == []
    assert create(STORAGE, "csinodes", {"metadata": {"name": "node-a"}, "spec": {"drivers": [
        {"name": "csi.example.com"}]}})[1] == [("spec.drivers[0].nodeID", "Required value")]
    moved = {"metadata": {"name": "node-a"}, "spec": {"drivers": [{**driver, "nodeID": "n2"}]}}
    assert [f for f, _ in update(STORAGE, "csinodes", moved, old)[1]] == ["spec.drivers"]
    counted = {"metadata": {"name": "node-a"}, "spec": {"drivers": [{**driver, "allocatable": {"count": 5}}]}}
    assert update(STORAGE, "csinodes", counted, old)[1] == []


def test_a_volume_attachment_needs_exactly_one_source_and_never_changes() -> None:
    body = {"metadata": {"name": "va"}, "spec": {"attacher": "csi.example.com", "nodeName": "node-a", "source": {}}}
    assert create(STORAGE, "volumeattachments", body)[1] == [
        ("spec.source", "Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName")]
    body["spec"]["source"] = {"persistentVolumeName": "pv"}
    old, causes = create(STORAGE, "volumeattachments", body)
    assert causes == []
    moved = json.loads(json.dumps(old))
    moved["spec"]["nodeName"] = "node-b"
    assert [f for f, _ in update(STORAGE, "volumeattachments", moved, old)[1]] == ["spec"]


def test_a_storage_capacity_keeps_its_class_and_may_not_be_negative() -> None:
    body = {"metadata": {"name": "cap", "namespace": "default"}, "storageClassName": "fast", "capacity": "-1Gi"}
    assert create(STORAGE, "csistoragecapacities", body)[1] == [
        ("capacity", 'Invalid value: "-1Gi": must be greater than or equal to 0')]
    old, _ = create(STORAGE, "csistoragecapacities", {**body, "capacity": "1Gi"})
    assert update(STORAGE, "csistoragecapacities", {**old, "storageClassName": "slow"}, old)[1] == [
        ("storageClassName", 'Invalid value: "slow": field is immutable')]


def test_a_volume_attributes_class_needs_parameters_that_then_stay() -> None:
    body = {"metadata": {"name": "gold"}, "driverName": "csi.example.com"}
    assert create(STORAGE, "volumeattributesclasses", body)[1] == [
        ("parameters", "Required value: must contain at least one key/value pair")]
    old, _ = create(STORAGE, "volumeattributesclasses", {**body, "parameters": {"iops": "100"}})
    assert update(STORAGE, "volumeattributesclasses", {**old, "parameters": {"iops": "200"}}, old)[1] == [
        ("parameters", "Forbidden: updates to parameters are forbidden.")]


def test_kubectl_create_stores_a_storage_class_and_a_delete_answers_with_it(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "storage.k8s.io/v1",
                                                            "kind": "StorageClass", **_class()}))
    stored = json.loads(apiserver.kubectl("get", "storageclass", "fast", "-o", "json").stdout)
    assert (stored["reclaimPolicy"], stored["volumeBindingMode"]) == ("Delete", "Immediate")
    assert "generation" not in stored["metadata"]
    code, deleted = apiserver.send("DELETE", "/apis/storage.k8s.io/v1/storageclasses/fast", None)
    assert code == 200 and deleted["kind"] == "StorageClass"


def test_kubectl_create_stores_a_csi_drivers_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "csi.example.com"},
        "spec": {"attachRequired": False}}))
    stored = json.loads(apiserver.kubectl("get", "csidriver", "csi.example.com", "-o", "json").stdout)
    assert stored["spec"]["attachRequired"] is False and stored["spec"]["volumeLifecycleModes"] == ["Persistent"]
    assert "generation" not in stored["metadata"]


def test_an_unconditional_csi_driver_update_is_refused(apiserver: RunningServer) -> None:
    body = {"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "strict.example.com"},
            "spec": {}}
    assert apiserver.send("POST", "/apis/storage.k8s.io/v1/csidrivers", body)[0] == 201
    body["spec"] = {"podInfoOnMount": True}
    code, status = apiserver.send("PUT", "/apis/storage.k8s.io/v1/csidrivers/strict.example.com", body)
    assert code == 422 and server_causes(status) == [
        ("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")]
