"""PersistentVolumes, PersistentVolumeClaims, and the claim templates of StatefulSets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from myriad.apiserver.strategies.podspec import default_pod_spec
from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import NOW, create, fields, server_causes, update


def _pv(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "pv"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/d"},
                     **spec}}


def _pvc(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "claim", "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, **spec}}


def test_a_new_volume_retains_its_data_is_a_filesystem_and_is_pending_since_now() -> None:
    stored, causes = create("", "persistentvolumes", _pv())
    assert causes == []
    assert stored["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert stored["spec"]["volumeMode"] == "Filesystem"
    assert stored["spec"]["hostPath"]["type"] == ""
    assert stored["status"] == {"phase": "Pending", "lastPhaseTransitionTime": NOW}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"accessModes": []}, [("spec.accessModes", "Required value")]),
    ({"accessModes": ["ReadWriteOncePod", "ReadWriteOnce"]},
     [("spec.accessModes", "Forbidden: may not use ReadWriteOncePod with other access modes")]),
    ({"accessModes": ["Sometimes"]},
     [("spec.accessModes", 'Unsupported value: "Sometimes": supported values: "ReadOnlyMany", "ReadWriteMany", '
                           '"ReadWriteOnce", "ReadWriteOncePod"')]),
    ({"capacity": {"storage": "0"}}, [("spec.capacity[storage]", 'Invalid value: "0": must be greater than zero')]),
    ({"persistentVolumeReclaimPolicy": "Keep"},
     [("spec.persistentVolumeReclaimPolicy",
       'Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"')]),
    ({"nfs": {"server": "s", "path": "/x"}},
     [("spec.nfs", "Forbidden: may not specify more than 1 volume type")]),
    ({"hostPath": None, "local": {"path": "/mnt"}},
     [("spec.nodeAffinity", "Required value: Local volume requires node affinity")]),
    ({"hostPath": None}, [("spec", "Required value: must specify a volume type")]),
    ({"volumeMode": "Raw"}, [("spec.volumeMode", 'Unsupported value: "Raw": supported values: "Block", '
                                                 '"Filesystem"')]),
])
def test_volume_specs_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                            expected: list[tuple[str, str]]) -> None:
    body = _pv(**spec)
    body["spec"] = {k: v for k, v in body["spec"].items() if v is not None}
    assert create("", "persistentvolumes", body)[1] == expected


def test_a_volume_source_may_not_change_but_the_reclaim_policy_may() -> None:
    old, _ = create("", "persistentvolumes", _pv())
    changed = json.loads(json.dumps(old))
    changed["spec"]["hostPath"]["path"] = "/elsewhere"
    assert fields(update("", "persistentvolumes", changed, old)[1]) == ["spec.persistentvolumesource"]
    changed = json.loads(json.dumps(old))
    changed["spec"]["persistentVolumeReclaimPolicy"] = "Delete"
    assert update("", "persistentvolumes", changed, old)[1] == []


def test_a_status_update_that_changes_the_phase_stamps_the_transition() -> None:
    old = {**_pv(), "status": {"phase": "Pending", "lastPhaseTransitionTime": "2020-01-01T00:00:00Z"}}
    bound, _ = update("", "persistentvolumes", {**old, "status": {"phase": "Bound"}}, old, subresource="status")
    assert bound["status"] == {"phase": "Bound", "lastPhaseTransitionTime": NOW}
    same, _ = update("", "persistentvolumes", {**old, "status": {"phase": "Pending"}}, old, subresource="status")
    assert same["status"]["lastPhaseTransitionTime"] == "2020-01-01T00:00:00Z"


def test_a_new_claim_is_a_pending_filesystem_claim() -> None:
    stored, causes = create("", "persistentvolumeclaims", _pvc())
    assert causes == []
    assert stored["spec"]["volumeMode"] == "Filesystem" and stored["status"] == {"phase": "Pending"}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"accessModes": []}, [("spec.accessModes", "Required value: at least 1 access mode is required")]),
    ({"resources": {}}, [("spec.resources[storage]", "Required value")]),
    ({"resources": {"requests": {"storage": "0"}}},
     [("spec.resources[storage]", 'Invalid value: "0": must be greater than zero')]),
    ({"storageClassName": "Fast"},
     [("spec.storageClassName", 'Invalid value: "Fast": a lowercase RFC 1123 subdomain must consist of lower case '
                                "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                                "character (e.g. 'example.com', regex used for validation is "
                                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]),
    ({"dataSource": {"kind": "VolumeSnapshot", "name": "s"}},
     [("spec.dataSource", 'Invalid value: "VolumeSnapshot": must be \'PersistentVolumeClaim\' when referencing the '
                          "default apiGroup")]),
])
def test_claim_specs_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                           expected: list[tuple[str, str]]) -> None:
    assert create("", "persistentvolumeclaims", _pvc(**spec))[1] == expected


def test_a_claim_may_bind_a_volume_once_and_grow_but_not_otherwise_change() -> None:
    old, _ = create("", "persistentvolumeclaims", _pvc())
    assert update("", "persistentvolumeclaims", _pvc(volumeName="pv"), old)[1] == []
    bound = {**create("", "persistentvolumeclaims", _pvc(volumeName="pv"))[0],
             "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}}}
    grown, causes = update("", "persistentvolumeclaims", _pvc(volumeName="pv", resources={"requests": {
        "storage": "2Gi"}}), bound)
    assert causes == [] and grown["status"] == bound["status"]
    shrunk = _pvc(volumeName="pv", resources={"requests": {"storage": "1Gi"}})
    assert update("", "persistentvolumeclaims", shrunk, grown)[1] == [
        ("spec.resources.requests.storage", "Forbidden: field can not be less than status.capacity")]
    causes = update("", "persistentvolumeclaims", _pvc(volumeName="other"), bound)[1]
    assert causes == [("spec", "Forbidden: spec is immutable after creation except resources.requests and "
                               "volumeAttributesClassName for bound claims")]


def test_an_ephemeral_volumes_claim_template_is_a_filesystem_by_default() -> None:
    spec = {"containers": [{"name": "c", "image": "busybox"}], "volumes": [{"name": "scratch", "ephemeral": {
        "volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"],
                                         "resources": {"requests": {"storage": "1Gi"}}}}}}]}
    default_pod_spec(spec)
    assert spec["volumes"][0]["ephemeral"]["volumeClaimTemplate"]["spec"]["volumeMode"] == "Filesystem"


# -- through the real server ---------------------------------------------------------------------

def test_kubectl_create_stores_a_volumes_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "PersistentVolume", **_pv()}))
    stored = json.loads(apiserver.kubectl("get", "pv", "pv", "-o", "json").stdout)
    assert stored["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert stored["spec"]["volumeMode"] == "Filesystem"
    assert stored["status"]["phase"] == "Pending" and "lastPhaseTransitionTime" in stored["status"]
    assert "generation" not in stored["metadata"]


def test_kubectl_create_stores_a_claims_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                                            **_pvc()}))
    stored = json.loads(apiserver.kubectl("get", "pvc", "claim", "-n", "default", "-o", "json").stdout)
    assert stored["spec"]["volumeMode"] == "Filesystem" and stored["status"] == {"phase": "Pending"}


def test_a_claim_without_storage_is_refused_by_the_server(apiserver: RunningServer) -> None:
    body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", **_pvc(resources={})}
    body["metadata"]["name"] = "no-storage"
    code, status = apiserver.send("POST", "/api/v1/namespaces/default/persistentvolumeclaims", body)
    assert code == 422 and server_causes(status) == [("spec.resources[storage]", "Required value")]


def test_stateful_set_claim_templates_are_defaulted_as_claims(apiserver: RunningServer) -> None:
    labels = {"app": "db"}
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
        "spec": {"selector": {"matchLabels": labels}, "serviceName": "db",
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                     "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}))
    stored = json.loads(apiserver.kubectl("get", "statefulset", "db", "-n", "default", "-o", "json").stdout)
    template = stored["spec"]["volumeClaimTemplates"][0]
    assert template["spec"]["volumeMode"] == "Filesystem" and template["status"] == {"phase": "Pending"}
