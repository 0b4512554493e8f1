"""Custom resources served from a CRD, and meta.k8s.io Table output for lists, objects and
watches."""

from __future__ import annotations

import json
import time
import urllib.request

from myriad.bench.apiserver_process import running_apiserver
from tests.apiserver.conftest import RunningServer

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
GADGETS = "/apis/example.org/v1/namespaces/default/gadgets"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.org"},
    "spec": {"group": "example.org", "scope": "Namespaced",
             "names": {"plural": "gadgets", "kind": "Gadget", "shortNames": ["gd"]},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "subresources": {"status": {}},
                           "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                                                        {"name": "Mode", "type": "string", "jsonPath": ".spec.mode"}],
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "required": ["size"], "properties": {
                                   "size": {"type": "integer", "minimum": 1},
                                   "mode": {"type": "string", "enum": ["fast", "slow"], "default": "slow"}}},
                               "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]}}


def _gadget(name: str, **spec: object) -> dict[str, object]:
    return {"apiVersion": "example.org/v1", "kind": "Gadget", "metadata": {"name": name}, "spec": spec}


def test_a_crd_serves_its_resource_at_once_with_schema_validation(apiserver: RunningServer) -> None:
    status, crd = apiserver.send("POST", CRDS, CRD)
    assert status == 201
    assert {c["type"]: c["status"] for c in crd["status"]["conditions"]} == {"NamesAccepted": "True",
                                                                             "Established": "True"}
    _, discovery = apiserver.get("/apis/example.org/v1")
    resources = {r["name"]: r for r in json.loads(discovery)["resources"]}
    assert resources["gadgets"]["kind"] == "Gadget" and resources["gadgets"]["shortNames"] == ["gd"]
    assert "gadgets/status" in resources
    status, gadget = apiserver.send("POST", GADGETS + "?fieldValidation=Ignore", _gadget("g1", size=2, extra=1))
    assert status == 201 and gadget["spec"] == {"size": 2, "mode": "slow"}
    status, error = apiserver.send("POST", GADGETS, _gadget("g2", size=0, mode="warp"))
    assert status == 422
    assert [c["field"] for c in error["details"]["causes"]] == ["spec.size", "spec.mode"]
    status, error = apiserver.send("POST", GADGETS, _gadget("g3"))
    assert status == 422 and error["message"] == 'Gadget.example.org "g3" is invalid: spec.size: Required value'
    status, updated = apiserver.send("PATCH", GADGETS + "/g1/status",
                                     {"status": {"phase": "Ready"}, "spec": {"size": 9}})
    assert status == 200 and updated["status"] == {"phase": "Ready"} and updated["spec"]["size"] == 2
    assert apiserver.send("POST", GADGETS, _gadget("g4", size=4))[0] == 201
    status, listed = apiserver.get(GADGETS)  # from the watch cache: custom items keep kind and apiVersion
    assert status == 200
    items = json.loads(listed)["items"]
    assert [(i["kind"], i["apiVersion"], i["metadata"]["name"]) for i in items] == [
        ("Gadget", "example.org/v1", "g1"), ("Gadget", "example.org/v1", "g4")]


def test_custom_resources_print_their_columns_and_go_with_their_crd(apiserver: RunningServer) -> None:
    status, body = apiserver.get(GADGETS, accept=TABLE)
    table = json.loads(body)
    assert status == 200 and table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Mode"]
    assert table["rows"][0]["cells"] == ["g1", 2, "slow"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    code, deleted = apiserver.send("DELETE", f"{CRDS}/gadgets.example.org", {})
    assert code == 200 and deleted["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    assert [c["reason"] for c in deleted["status"]["conditions"] if c["type"] == "Terminating"] == [
        "InstanceDeletionPending"]
    deadline = time.monotonic() + 5
    while apiserver.get(GADGETS)[0] != 404 and time.monotonic() < deadline:
        time.sleep(0.05)  # the finalizer runs after the answer; the CRD is served until it is gone
    assert apiserver.get(GADGETS)[0] == 404
    assert apiserver.get(f"{CRDS}/gadgets.example.org")[0] == 404
    assert apiserver.send("POST", CRDS, CRD)[0] == 201
    _, listed = apiserver.get(GADGETS)
    assert json.loads(listed)["items"] == []


def test_pod_tables_carry_upstreams_columns_and_cells(apiserver: RunningServer) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tp"},
           "spec": {"containers": [{"name": "a", "image": "i"}, {"name": "b", "image": "i"}], "nodeName": "n1"}}
    apiserver.send("POST", "/api/v1/namespaces/default/pods", pod)
    status, body = apiserver.get("/api/v1/namespaces/default/pods/tp", accept=TABLE + ",application/json")
    table = json.loads(body)
    assert status == 200
    assert [(c["name"], c["priority"]) for c in table["columnDefinitions"]] == [
        ("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1), ("Node", 1),
        ("Nominated Node", 1), ("Readiness Gates", 1)]
    cells = table["rows"][0]["cells"]
    assert cells[:4] == ["tp", "0/2", "Pending", "0"] and cells[5:] == ["<none>", "n1", "<none>", "<none>"]
    status, body = apiserver.get("/api/v1/namespaces/default/pods?includeObject=Bogus", accept=TABLE)
    assert status == 400


def test_a_table_watch_sends_column_definitions_once(apiserver: RunningServer) -> None:
    apiserver.send("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "tw1"}, "data": {"a": "1"}})
    apiserver.send("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "tw2"}})
    request = urllib.request.Request(apiserver.url + "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1"
                                     "&fieldSelector=metadata.name%21%3Dkube-root-ca.crt", headers={"Accept": TABLE})
    with urllib.request.urlopen(request, timeout=10) as response:
        events = [json.loads(line) for line in response.read().splitlines() if line]
    names = [e["object"]["rows"][0]["cells"][0] for e in events]
    assert {"tw1", "tw2"} <= set(names)
    assert events[0]["object"]["columnDefinitions"][1]["name"] == "Data"
    assert all(e["object"]["columnDefinitions"] is None for e in events[1:])


WIDGETS_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        description: A widget.
        properties:
          spec:
            type: object
            description: What the widget should be.
            properties:
              size: {type: integer, description: How big.}
"""


def test_openapi_v3_publishes_each_crd_versions_schema_so_kubectl_explain_works(apiserver: RunningServer) -> None:
    apiserver.kubectl("apply", "-f", "-", input=WIDGETS_CRD)
    document = json.loads(apiserver.get("/openapi/v3/apis/example.com/v1")[1])
    widget = document["components"]["schemas"]["com.example.v1.Widget"]
    assert widget["x-kubernetes-group-version-kind"] == [{"group": "example.com", "kind": "Widget", "version": "v1"}]
    assert set(widget["properties"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert "com.example.v1.WidgetList" in document["components"]["schemas"]
    explained = apiserver.kubectl("explain", "widgets.spec").stdout
    assert "FIELD: spec <Object>" in explained and "What the widget should be." in explained
    assert "size\t<integer>" in explained and "How big." in explained


def _wait_for(check, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _terminating_reason(server: RunningServer) -> str:
    status, body = server.get(f"{CRDS}/gadgets.example.org")
    if status != 200:
        return str(status)
    conditions = json.loads(body)["status"]["conditions"]
    return next(c["reason"] for c in conditions if c["type"] == "Terminating")


def test_a_deleted_crd_waits_for_its_objects_finalizers_and_resumes_after_a_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Upstream's CRD finalizer deletes each custom object as a client would: one with a
    finalizer is marked and holds the CRD Terminating (InstanceDeletionInProgress) until the
    finalizer goes, even across a restart of the server."""
    data_dir = tmp_path / "server"
    with running_apiserver(data_dir=data_dir, cpu=None) as url:
        server = RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)
        assert server.send("POST", CRDS, CRD)[0] == 201
        held = {**_gadget("held", size=1), "metadata": {"name": "held", "finalizers": ["example.org/hold"]}}
        assert server.send("POST", GADGETS, held)[0] == 201
        assert server.send("POST", GADGETS, _gadget("free", size=1))[0] == 201
        assert server.send("DELETE", f"{CRDS}/gadgets.example.org", {})[0] == 200
        assert _wait_for(lambda: server.get(f"{GADGETS}/free")[0] == 404)
        assert _wait_for(lambda: _terminating_reason(server) == "InstanceDeletionInProgress")
        status, body = server.get(f"{GADGETS}/held")
        assert status == 200 and json.loads(body)["metadata"]["deletionTimestamp"]
        time.sleep(1.5)  # several polls: the CRD stays while its object does
        assert server.get(f"{CRDS}/gadgets.example.org")[0] == 200
        code, error = server.send("POST", GADGETS, _gadget("late", size=1))
        assert code == 405, error
    with running_apiserver(data_dir=data_dir, cpu=None) as url:
        server = RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)
        assert server.get(f"{CRDS}/gadgets.example.org")[0] == 200
        assert server.send("PATCH", f"{GADGETS}/held", {"metadata": {"finalizers": None}})[0] == 200
        assert _wait_for(lambda: server.get(f"{CRDS}/gadgets.example.org")[0] == 404)
        assert server.get(f"{GADGETS}/held")[0] == 404
