"""Cells of PersistentVolumes, claims and the storage.k8s.io kinds, against upstream's printers."""

from __future__ import annotations

import pytest

from myriad.apiserver.tables.printers import BY_RESOURCE
from tests.apiserver.tables.helpers import NOW, ago, cells, meta

_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"


@pytest.mark.parametrize(("pv", "expected"), [
    pytest.param({"metadata": meta("pv"), "spec": {
        "capacity": {"storage": "1024Mi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Retain", "claimRef": {"namespace": "ns", "name": "data"},
        "storageClassName": "fast", "volumeAttributesClassName": "gold", "volumeMode": "Block"},
        "status": {"phase": "Bound", "reason": "Recycled"}},
        ["pv", "1Gi", "RWO,RWX", "Retain", "Bound", "ns/data", "fast", "gold", "Recycled", "60m", "Block"],
        id="bound"),
    pytest.param({"metadata": meta("pv", deletionTimestamp=ago(1), annotations={_BETA_CLASS: ""}),
                  "spec": {"storageClassName": "fast", "accessModes": ["ReadWriteOncePod", "ReadOnlyMany"]},
                  "status": {"phase": "Released"}},
                 ["pv", "0", "ROX,RWOP", "", "Terminating", "", "", "<unset>", "", "60m", "<unset>"],
                 id="terminating-with-an-empty-beta-class"),
])
def test_persistent_volume_rows(pv: dict[str, object], expected: list[object]) -> None:
    assert cells("", "persistentvolumes", pv) == expected


@pytest.mark.parametrize(("pvc", "expected"), [
    pytest.param({"metadata": meta("c"), "spec": {"volumeName": "pv", "storageClassName": "fast",
                                                  "resources": {"requests": {"storage": "1Gi"}}},
                  "status": {"phase": "Bound", "capacity": {"storage": "2048Mi"}, "accessModes": ["ReadWriteOnce"]}},
                 ["c", "Bound", "pv", "2Gi", "RWO", "fast", "<unset>", "60m", "<unset>"], id="bound"),
    pytest.param({"metadata": meta("c", annotations={_BETA_CLASS: "legacy"}),
                  "spec": {"storageClassName": "fast", "volumeMode": "Filesystem",
                           "volumeAttributesClassName": "silver", "resources": {"requests": {"storage": "1Gi"}}},
                  "status": {"phase": "Pending", "capacity": {"storage": "1Gi"}}},
                 ["c", "Pending", "", "", "", "legacy", "silver", "60m", "Filesystem"],
                 id="capacity-waits-for-the-volume"),
])
def test_persistent_volume_claim_rows(pvc: dict[str, object], expected: list[object]) -> None:
    assert cells("", "persistentvolumeclaims", pvc) == expected


def _class(name: str, created: int, default: str | None = None, beta: bool = False) -> dict[str, object]:
    key = f"storageclass.{'beta.' if beta else ''}kubernetes.io/is-default-class"
    annotations = {key: default} if default is not None else {}
    return {"metadata": {"name": name, "creationTimestamp": ago(created), "annotations": annotations},
            "provisioner": "example.com/disk"}


def test_a_storage_class_alone_prints_defaults_and_never_says_default() -> None:
    alone = {**_class("fast", 3600, "true"), "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer",
             "allowVolumeExpansion": True}
    assert cells("storage.k8s.io", "storageclasses", alone) == ["fast", "example.com/disk", "Retain",
                                                                "WaitForFirstConsumer", True, "60m"]
    assert cells("storage.k8s.io", "storageclasses", _class("slow", 3600)) == ["slow", "example.com/disk", "Delete",
                                                                                "Immediate", False, "60m"]


@pytest.mark.parametrize(("classes", "names"), [
    pytest.param([_class("old", 7200, "true"), _class("new", 60, "true", beta=True), _class("plain", 10)],
                 ["old", "new (default)", "plain"], id="the-newest-annotated-class"),
    pytest.param([_class("b", 60, "true"), _class("a", 60, "true"), _class("c", 60, "yes")],
                 ["b", "a (default)", "c"], id="a-tie-goes-to-the-smallest-name"),
    pytest.param([_class("x", 60, "false"), _class("y", 60)], ["x", "y"], id="none"),
])
def test_a_storage_class_list_marks_only_the_effective_default(classes: list[dict[str, object]],
                                                               names: list[str]) -> None:
    printer = BY_RESOURCE[("storage.k8s.io", "storageclasses")]
    assert printer.listing is not None
    order, row = printer.listing(classes)
    assert [row(classes[i], NOW)[0] for i in order] == names


@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param({}, ["d", True, False, False, "<unset>", False, "<none>", "60m"], id="defaults"),
    pytest.param({"attachRequired": False, "podInfoOnMount": True, "storageCapacity": True,
                  "tokenRequests": [{"audience": "vault"}, {"audience": "api", "expirationSeconds": 3600}],
                  "requiresRepublish": True, "volumeLifecycleModes": ["Persistent", "Ephemeral"]},
                 ["d", False, True, True, "vault,api", True, "Persistent,Ephemeral", "60m"], id="everything"),
    pytest.param({"tokenRequests": []}, ["d", True, False, False, "", False, "<none>", "60m"],
                 id="empty-token-requests-are-not-unset"),
])
def test_csi_driver_rows(spec: dict[str, object], expected: list[object]) -> None:
    assert cells("storage.k8s.io", "csidrivers", {"metadata": meta("d"), "spec": spec}) == expected


def test_other_storage_rows() -> None:
    node = {"metadata": meta("n1"), "spec": {"drivers": [{"name": "a", "nodeID": "1"}, {"name": "b", "nodeID": "1"}]}}
    assert cells("storage.k8s.io", "csinodes", node) == ["n1", 2, "60m"]
    capacity = {"metadata": meta("cap"), "storageClassName": "fast", "capacity": "1536Mi"}
    assert cells("storage.k8s.io", "csistoragecapacities", capacity) == ["cap", "fast", "1536Mi"]
    unknown = {"metadata": meta("cap"), "storageClassName": "fast"}
    assert cells("storage.k8s.io", "csistoragecapacities", unknown) == ["cap", "fast", "<unset>"]
    attachment = {"metadata": meta("va"), "spec": {"attacher": "csi.example.com", "nodeName": "n1",
                                                   "source": {"persistentVolumeName": "pv"}},
                  "status": {"attached": True}}
    assert cells("storage.k8s.io", "volumeattachments", attachment) == ["va", "csi.example.com", "pv", "n1", True,
                                                                        "60m"]
    inline = {"metadata": meta("va"), "spec": {"attacher": "a", "nodeName": "n1", "source": {"inlineVolumeSpec": {}}}}
    assert cells("storage.k8s.io", "volumeattachments", inline) == ["va", "a", "", "n1", False, "60m"]
    vac = {"metadata": meta("gold", annotations={"storage.kubernetes.io/is-default-class": "true"}),
           "driverName": "csi.example.com", "parameters": {"iops": "1000"}}
    assert cells("storage.k8s.io", "volumeattributesclasses", vac) == ["gold", "csi.example.com", "60m"]
