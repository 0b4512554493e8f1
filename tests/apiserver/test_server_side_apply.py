"""Server-side apply against a real server: kubectl --server-side, the kubernetes client, and
myriad.client; conflicts, force, upserts, status, custom resources, and the requests refused."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import yaml
from kubernetes import config, dynamic

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS
from tests.apiserver.conftest import RunningServer

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa-web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: "nginx:1", ports: [{containerPort: 80}]}
"""


def _apply_raw(apiserver: RunningServer, path: str, body: Any, query: str = "") -> tuple[int, dict[str, Any]]:
    return apiserver.send("PATCH", path + query, body, content_type="application/apply-patch+yaml")


def _managers(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["manager"], e["operation"], e.get("subresource", "")) for e in obj["metadata"]["managedFields"]]


def test_kubectl_server_side_apply_creates_conflicts_with_a_scale_and_forces(apiserver: RunningServer) -> None:
    out = apiserver.kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT).stdout
    assert "deployment.apps/ssa-web serverside-applied" in out
    dep = json.loads(apiserver.kubectl("get", "deployment", "ssa-web", "-o", "json", "--show-managed-fields").stdout)
    assert _managers(dep) == [("kubectl", "Apply", "")]
    ports = dep["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"app"}']["f:ports"]
    assert ports == {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}
    apiserver.kubectl("scale", "deployment", "ssa-web", "--replicas=5")
    refused = apiserver.kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT, check=False)
    assert refused.returncode != 0
    assert 'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas' in refused.stderr
    apiserver.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=DEPLOYMENT)
    dep = json.loads(apiserver.kubectl("get", "deployment", "ssa-web", "-o", "json").stdout)
    assert dep["spec"]["replicas"] == 2


def test_kubectl_diff_server_side_shows_what_an_apply_would_change(apiserver: RunningServer) -> None:
    apiserver.kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT.replace("ssa-web", "ssa-diff"))
    changed = DEPLOYMENT.replace("ssa-web", "ssa-diff").replace("nginx:1", "nginx:2")
    diff = apiserver.kubectl("diff", "--server-side", "-f", "-", input=changed, check=False)
    assert diff.returncode == 1, diff.stderr
    assert "-      - image: nginx:1" in diff.stdout and "+      - image: nginx:2" in diff.stdout
    stored = json.loads(apiserver.kubectl("get", "deployment", "ssa-diff", "-o", "json").stdout)
    assert stored["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"  # a dry run


def test_a_field_the_applier_drops_is_removed(apiserver: RunningServer) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-drop"}, "data": {"a": "1", "b": "2"}}
    path = "/api/v1/namespaces/default/configmaps/ssa-drop"
    status, made = _apply_raw(apiserver, path, body, "?fieldManager=alice")
    assert status == 201, made
    status, again = _apply_raw(apiserver, path, {**body, "data": {"b": "2"}}, "?fieldManager=alice")
    assert status == 200 and again["data"] == {"b": "2"}


def test_the_python_clients_server_side_apply_shares_and_conflicts(apiserver: RunningServer) -> None:
    dyn = dynamic.DynamicClient(config.new_client_from_config(config_file=str(apiserver.kubeconfig)))
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-py", "namespace": "default"},
            "data": {"a": "1"}}
    cms.server_side_apply(body=body, field_manager="alice")
    shared = cms.server_side_apply(body=body, field_manager="bob").to_dict()
    assert sorted(e["manager"] for e in shared["metadata"]["managedFields"]) == ["alice", "bob"]
    try:
        cms.server_side_apply(body={**body, "data": {"a": "2"}}, field_manager="carol")
        raise AssertionError("no conflict")
    except dynamic.exceptions.ConflictError as error:
        status = json.loads(error.body)
    assert status["reason"] == "Conflict" and status["code"] == 409
    assert status["message"] == ('Apply failed with 2 conflicts: conflicts with "alice":\n- .data.a\n'
                                 'conflicts with "bob":\n- .data.a')
    assert sorted(c["message"] for c in status["details"]["causes"]) == ['conflict with "alice"',
                                                                         'conflict with "bob"']
    assert {c["reason"] for c in status["details"]["causes"]} == {"FieldManagerConflict"}
    forced = cms.server_side_apply(body={**body, "data": {"a": "2"}}, field_manager="carol",
                                   force_conflicts=True).to_dict()
    assert forced["data"] == {"a": "2"} and [e["manager"] for e in forced["metadata"]["managedFields"]] == ["carol"]


def test_myriad_clients_apply_works_end_to_end(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        async with Client.from_kubeconfig(str(apiserver.kubeconfig)) as client:
            body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-myriad", "namespace": "default"},
                    "data": {"x": "1"}}
            made = await client.apply(CONFIGMAPS, body, field_manager="me")
            assert made["metadata"]["managedFields"][0]["operation"] == "Apply"
            try:
                await client.apply(CONFIGMAPS, {**body, "data": {"x": "2"}}, field_manager="you")
                raise AssertionError("no conflict")
            except errors.Conflict as error:
                assert [c["field"] for c in error.causes] == [".data.x"]
            forced = await client.apply(CONFIGMAPS, {**body, "data": {"x": "2"}}, field_manager="you", force=True)
            assert forced["data"] == {"x": "2"}
    asyncio.run(scenario())


def test_apply_through_the_status_subresource_owns_only_status(apiserver: RunningServer) -> None:
    apiserver.kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT.replace("ssa-web", "ssa-status"))
    path = "/apis/apps/v1/namespaces/default/deployments/ssa-status/status"
    status, body = _apply_raw(apiserver, path, {"apiVersion": "apps/v1", "kind": "Deployment",
                                                "metadata": {"name": "ssa-status"},
                                                "status": {"observedGeneration": 7}, "spec": {"replicas": 9}},
                              "?fieldManager=ctl&force=true")
    assert status == 200, body
    assert body["status"]["observedGeneration"] == 7 and body["spec"]["replicas"] == 2  # spec reset
    entry = next(e for e in body["metadata"]["managedFields"] if e["manager"] == "ctl")
    assert (entry["operation"], entry["subresource"]) == ("Apply", "status")
    assert entry["fieldsV1"] == {"f:status": {"f:observedGeneration": {}}}


def test_custom_resources_merge_their_list_map_items_by_key(apiserver: RunningServer) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "routes.ssa.example.com"},
           "spec": {"group": "ssa.example.com", "scope": "Namespaced",
                    "names": {"plural": "routes", "singular": "route", "kind": "Route"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": {"type": "object", "properties": {"hosts": {
                            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                            "items": {"type": "object", "required": ["name"], "properties": {
                                "name": {"type": "string"}, "weight": {"type": "integer"}}}}}}}}}}]}}
    apiserver.kubectl("apply", "--server-side", "-f", "-", input=yaml.safe_dump(crd))
    apiserver.kubectl("wait", "--for=condition=Established", "crd/routes.ssa.example.com")

    def route(*hosts: dict) -> str:
        return yaml.safe_dump({"apiVersion": "ssa.example.com/v1", "kind": "Route", "metadata": {"name": "r"},
                               "spec": {"hosts": list(hosts)}})
    ssa = ("apply", "--server-side", "-f", "-")
    apiserver.kubectl(*ssa, "--field-manager=a", input=route({"name": "alpha", "weight": 1}))
    apiserver.kubectl(*ssa, "--field-manager=b", input=route({"name": "beta", "weight": 2}))
    got = json.loads(apiserver.kubectl("get", "routes.ssa.example.com", "r", "-o", "json").stdout)
    assert got["spec"]["hosts"] == [{"name": "alpha", "weight": 1}, {"name": "beta", "weight": 2}]
    clash = apiserver.kubectl("apply", "--server-side", "--field-manager=b", "-f", "-",
                              input=route({"name": "alpha", "weight": 5}), check=False)
    assert 'conflict with "a": .spec.hosts[name="alpha"].weight' in clash.stderr


def test_requests_upstream_refuses_are_refused_alike(apiserver: RunningServer) -> None:
    path = "/api/v1/namespaces/default/configmaps/ssa-bad"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-bad"}}
    status, answer = _apply_raw(apiserver, path, body)
    assert (status, answer["message"]) == (
        422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
    status, answer = _apply_raw(apiserver, path, {**body, "apiVersion": "v2"}, "?fieldManager=m")
    assert (status, answer["message"]) == (400, "invalid object type: /v2, Kind=ConfigMap")
    status, answer = _apply_raw(apiserver, path, {**body, "metadata": {"name": "ssa-bad", "managedFields": []}},
                                "?fieldManager=m")
    assert (status, answer["message"]) == (400, "metadata.managedFields must be nil")
    status, answer = apiserver.send("PATCH", path + "?force=false", {"data": {}})
    assert status == 422 and answer["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch')


def test_kubectl_moves_from_client_side_to_server_side_apply_without_conflicts(apiserver: RunningServer) -> None:
    manifest = DEPLOYMENT.replace("ssa-web", "ssa-csa")
    apiserver.kubectl("apply", "-f", "-", input=manifest)  # client-side: last-applied annotation
    before = json.loads(apiserver.kubectl("get", "deployment", "ssa-csa", "-o", "json", "--show-managed-fields").stdout)
    assert [e["manager"] for e in before["metadata"]["managedFields"]] == ["kubectl-client-side-apply"]
    apiserver.kubectl("apply", "--server-side", "-f", "-", input=manifest.replace("nginx:1", "nginx:2"))
    after = json.loads(apiserver.kubectl("get", "deployment", "ssa-csa", "-o", "json", "--show-managed-fields").stdout)
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    applied = json.loads(after["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert applied["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:2"
    assert ("kubectl", "Apply", "") in _managers(after)


def test_a_field_changed_since_the_client_side_apply_still_conflicts(apiserver: RunningServer) -> None:
    manifest = DEPLOYMENT.replace("ssa-web", "ssa-csa2")
    apiserver.kubectl("apply", "-f", "-", input=manifest)
    apiserver.kubectl("scale", "deployment", "ssa-csa2", "--replicas=5")
    refused = apiserver.kubectl("apply", "--server-side", "-f", "-", input=manifest, check=False)
    assert refused.returncode != 0
    assert 'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas' in refused.stderr


def test_an_applied_configuration_may_be_yaml_or_json(apiserver: RunningServer) -> None:
    import urllib.request
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-yaml\ndata:\n  k: 'on'\n"
    request = urllib.request.Request(apiserver.url + "/api/v1/namespaces/default/configmaps/ssa-yaml?fieldManager=y",
                                     data=body, method="PATCH",
                                     headers={"Content-Type": "application/apply-patch+yaml"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        assert json.loads(response.read())["data"] == {"k": "on"}
    status, answer = _apply_raw(apiserver, "/api/v1/namespaces/default/configmaps/ssa-yaml",
                                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-yaml"},
                                 "data": {"k": "off"}}, "?fieldManager=y")
    assert status == 200 and answer["data"] == {"k": "off"}
    status, answer = apiserver.send("PATCH", "/api/v1/namespaces/default/configmaps/ssa-yaml?fieldManager=y",
                                    "{not: [json", content_type="application/apply-patch+yaml")
    assert status == 400 and answer["message"].startswith("error decoding YAML: ")


def test_an_apply_through_scale_owns_the_replicas_and_conflicts_like_the_parents(apiserver: RunningServer) -> None:
    apiserver.kubectl("apply", "--server-side", "-f", "-", input=DEPLOYMENT.replace("ssa-web", "ssa-scale"))
    path = "/apis/apps/v1/namespaces/default/deployments/ssa-scale/scale"
    scale = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "ssa-scale"},
             "spec": {"replicas": 4}}
    status, refused = _apply_raw(apiserver, path, scale, "?fieldManager=hpa")
    assert status == 409, refused
    assert refused["message"] == 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
    status, wrong = _apply_raw(apiserver, path, {**scale, "kind": "Deployment"}, "?fieldManager=hpa")
    assert status == 400 and wrong["message"] == "invalid object type: autoscaling/v1, Kind=Deployment"
    status, scaled = _apply_raw(apiserver, path, scale, "?fieldManager=hpa&force=true")
    assert status == 200 and scaled["kind"] == "Scale" and scaled["spec"]["replicas"] == 4, scaled
    dep = json.loads(apiserver.kubectl("get", "deployment", "ssa-scale", "-o", "json", "--show-managed-fields").stdout)
    assert dep["spec"]["replicas"] == 4
    entries = {(e["manager"], e["operation"], e.get("subresource", "")): e for e in dep["metadata"]["managedFields"]}
    hpa = entries[("hpa", "Apply", "scale")]
    assert hpa["apiVersion"] == "apps/v1" and hpa["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in entries[("kubectl", "Apply", "")]["fieldsV1"]["f:spec"]


def test_a_dry_run_apply_answers_what_it_would_store_and_stores_nothing(apiserver: RunningServer) -> None:
    dyn = dynamic.DynamicClient(config.new_client_from_config(config_file=str(apiserver.kubeconfig)))
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-dry", "namespace": "default"},
            "data": {"a": "1"}}
    answered = cms.server_side_apply(body=body, field_manager="alice", dry_run="All").to_dict()
    assert answered["data"] == {"a": "1"} and answered["metadata"]["managedFields"][0]["manager"] == "alice"
    status, _ = apiserver.get("/api/v1/namespaces/default/configmaps/ssa-dry")
    assert status == 404
    cms.server_side_apply(body=body, field_manager="alice")
    changed = cms.server_side_apply(body={**body, "data": {"a": "2"}}, field_manager="alice", dry_run="All").to_dict()
    assert changed["data"] == {"a": "2"}
    assert cms.get(name="ssa-dry", namespace="default").to_dict()["data"] == {"a": "1"}


def _apply_bytes(apiserver: RunningServer, name: str, body: bytes, query: str) -> tuple[int, dict[str, Any], list[str]]:
    import urllib.error
    import urllib.request
    request = urllib.request.Request(f"{apiserver.url}/api/v1/namespaces/default/configmaps/{name}?fieldManager=d"
                                     f"{query}", data=body, method="PATCH",
                                     headers={"Content-Type": "application/apply-patch+yaml"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers.get_all("Warning") or []
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get_all("Warning") or []


def test_keys_given_twice_are_reported_as_yaml_v2s_strict_decoding_reports_them(apiserver: RunningServer) -> None:
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa-dup"},"data":{"a":"1","a":"2"}}'
    status, made, warned = _apply_bytes(apiserver, "ssa-dup", body, "")  # Warn, the default
    assert status == 201 and made["data"] == {"a": "2"}, made
    assert warned == ['299 - "line 1: key \\"a\\" already set in map"']
    status, _, warned = _apply_bytes(apiserver, "ssa-dup", body, "&fieldValidation=Ignore")
    assert status == 200 and warned == []
    yaml_body = (b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-dup-strict\ndata:\n  a: x\n  b: y\n"
                 b"  a: z\nkind: ConfigMap\n")
    status, refused, _ = _apply_bytes(apiserver, "ssa-dup-strict", yaml_body, "&fieldValidation=Strict")
    assert status == 400, refused
    assert refused["message"] == ('error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n'
                                  '  line 8: key "a" already set in map\n  line 9: key "kind" already set in map')
    status, _ = apiserver.get("/api/v1/namespaces/default/configmaps/ssa-dup-strict")
    assert status == 404


def test_the_python_clients_patch_with_the_apply_content_type_applies(apiserver: RunningServer) -> None:
    from kubernetes import client
    api_client = config.new_client_from_config(config_file=str(apiserver.kubeconfig))
    core = client.CoreV1Api(api_client)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa-typed"}, "data": {"a": "1"}}
    made = core.patch_namespaced_config_map("ssa-typed", "default", body, field_manager="typed",
                                            _content_type="application/apply-patch+yaml")
    assert made.data == {"a": "1"}
    assert [(e.manager, e.operation) for e in made.metadata.managed_fields] == [("typed", "Apply")]
    cms = dynamic.DynamicClient(api_client).resources.get(api_version="v1", kind="ConfigMap")
    patched = cms.patch(body={**body, "data": {"b": "2"}}, name="ssa-typed", namespace="default",
                        content_type="application/apply-patch+yaml", field_manager="typed").to_dict()
    assert patched["data"] == {"b": "2"}  # what "typed" stopped applying is gone
