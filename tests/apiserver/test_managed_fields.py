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
