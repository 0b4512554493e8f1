"""metadata.managedFields on every write, against a real server, with kubectl and plain HTTP."""

from __future__ import annotations

import json
from typing import Any

from tests.apiserver.conftest import RunningServer


def _entries(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"] + (f"/{e['subresource']}" if e.get("subresource") else ""): e
            for e in obj["metadata"].get("managedFields") or ()}


def _get(apiserver: RunningServer, path: str) -> dict[str, Any]:
    status, body = apiserver.get(path)
    assert status == 200, body
    return json.loads(body)


def test_kubectl_writes_are_recorded_under_kubectls_managers(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "configmap", "mf-cm", "--from-literal=a=1")
    apiserver.kubectl("label", "configmap", "mf-cm", "tier=web")
    cm = _get(apiserver, "/api/v1/namespaces/default/configmaps/mf-cm")
    entries = _entries(cm)
    assert set(entries) == {"kubectl-create", "kubectl-label"}
    created = entries["kubectl-create"]
    assert (created["operation"], created["apiVersion"], created["fieldsType"]) == ("Update", "v1", "FieldsV1")
    assert created["fieldsV1"] == {"f:data": {".": {}, "f:a": {}}}
    assert entries["kubectl-label"]["fieldsV1"] == {"f:metadata": {"f:labels": {".": {}, "f:tier": {}}}}
    assert created["time"].endswith("Z") and len(created["time"]) == 20  # seconds, as upstream
    shown = apiserver.kubectl("get", "configmap", "mf-cm", "-o", "yaml", "--show-managed-fields").stdout
    assert "manager: kubectl-create" in shown
    assert "managedFields" not in apiserver.kubectl("get", "configmap", "mf-cm", "-o", "yaml").stdout


def test_a_write_without_a_field_manager_is_recorded_under_its_user_agents_name(apiserver: RunningServer) -> None:
    status, made = apiserver.send("POST", "/api/v1/namespaces/default/configmaps",
                                  {"metadata": {"name": "mf-ua"}, "data": {"a": "1"}})
    assert status == 201, made
    assert list(_entries(made)) == ["Python-urllib"]
    status, patched = apiserver.send("PATCH", "/api/v1/namespaces/default/configmaps/mf-ua?fieldManager=editor",
                                     {"data": {"a": "2", "b": "3"}})
    assert status == 200, patched
    entries = _entries(patched)
    assert entries["editor"]["fieldsV1"] == {"f:data": {"f:a": {}, "f:b": {}}}
    assert entries["Python-urllib"]["fieldsV1"] == {"f:data": {}}  # the map it made, not the value it lost


def test_clearing_managed_fields_with_an_empty_list_stops_tracking(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "configmap", "mf-clear", "--from-literal=a=1")
    cm = _get(apiserver, "/api/v1/namespaces/default/configmaps/mf-clear")
    cm["metadata"]["managedFields"] = []
    status, cleared = apiserver.send("PUT", "/api/v1/namespaces/default/configmaps/mf-clear", cm)
    assert status == 200, cleared
    assert "managedFields" not in cleared["metadata"]
    status, later = apiserver.send("PATCH", "/api/v1/namespaces/default/configmaps/mf-clear", {"data": {"a": "2"}})
    assert status == 200 and "managedFields" not in later["metadata"]


def test_status_and_scale_writes_are_recorded_with_their_subresource(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "deployment", "mf-dep", "--image=nginx")
    apiserver.kubectl("scale", "deployment", "mf-dep", "--replicas=4")
    status, _ = apiserver.send("PATCH", "/apis/apps/v1/namespaces/default/deployments/mf-dep/status?fieldManager=ctl",
                               {"status": {"observedGeneration": 2, "replicas": 4}})
    assert status == 200
    dep = _get(apiserver, "/apis/apps/v1/namespaces/default/deployments/mf-dep")
    entries = _entries(dep)
    assert set(entries) == {"kubectl-create", "kubectl/scale", "ctl/status"}
    assert entries["kubectl/scale"]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert entries["ctl/status"]["fieldsV1"] == {"f:status": {"f:observedGeneration": {}, "f:replicas": {}}}
    created = entries["kubectl-create"]["fieldsV1"]
    assert "f:status" not in created and "f:replicas" not in created["f:spec"]  # status reset, replicas moved
    containers = created["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert containers['k:{"name":"nginx"}']["f:image"] == {}


def test_what_admission_adds_to_a_pod_belongs_to_no_manager(apiserver: RunningServer) -> None:
    """kubectl run's entry as upstream records it (kubernetes#127508): the body and its defaults,
    not the service account, tolerations or priority that admission adds after the field manager."""
    apiserver.kubectl("run", "mf-pod", "--image=nginx")
    pod = _get(apiserver, "/api/v1/namespaces/default/pods/mf-pod")
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "default" and len(spec["tolerations"]) == 2 and spec["priority"] == 0
    assert _entries(pod)["kubectl-run"]["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:run": {}}},
        "f:spec": {
            "f:containers": {'k:{"name":"mf-pod"}': {
                ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {},
                "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}},
            "f:dnsPolicy": {}, "f:enableServiceLinks": {}, "f:restartPolicy": {}, "f:schedulerName": {},
            "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}}}
    # a service account the pod names is its creator's, both fields as v1 writes them
    status, made = apiserver.send("POST", "/api/v1/namespaces/default/pods?fieldManager=maker", {
        "metadata": {"name": "mf-pod-sa"},
        "spec": {"serviceAccountName": "default", "containers": [{"name": "a", "image": "nginx"}]}})
    assert status == 201, made
    owned = _entries(made)["maker"]["fieldsV1"]["f:spec"]
    assert "f:serviceAccount" in owned and "f:serviceAccountName" in owned and "f:tolerations" not in owned
