"""No silent data changes: what real clients send is stored as upstream stores it. kubectl's
generators send protobuf, ``kubectl create -f`` sends JSON, and the Python client decodes every
answer into typed models; each test goes through the client that found the gap."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from kubernetes import client, config

from tests.apiserver.conftest import RunningServer


@pytest.fixture(scope="module")
def api(apiserver: RunningServer) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(apiserver.kubeconfig))


def _get(apiserver: RunningServer, *args: str) -> dict[str, Any]:
    return json.loads(apiserver.kubectl("get", *args, "-o", "json").stdout)


def _without_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as written, without what the server stamps per object (names, times, ids)."""
    obj = json.loads(json.dumps(obj))
    for key in ("uid", "resourceVersion", "creationTimestamp", "name", "generation"):
        obj["metadata"].pop(key, None)
    spec = obj.get("spec") or {}
    for key in ("clusterIP", "clusterIPs"):
        spec.pop(key, None)
    for port in spec.get("ports") or []:
        port.pop("nodePort", None)
    return obj


def test_kubectl_debug_node_stores_the_host_path_volume_it_sends(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input="apiVersion: v1\nkind: Node\nmetadata: {name: debug-me}\n")
    result = apiserver.kubectl("debug", "node/debug-me", "--image=busybox", "-n", "default")
    assert "unknown field" not in result.stderr, result.stderr
    pods = [p for p in _get(apiserver, "pods", "-n", "default")["items"]
            if p["metadata"]["name"].startswith("node-debugger-debug-me-")]
    assert len(pods) == 1
    volumes = pods[0]["spec"]["volumes"]
    assert volumes[0] == {"name": "host-root", "hostPath": {"path": "/", "type": ""}}, volumes
    assert pods[0]["spec"]["nodeName"] == "debug-me"


@pytest.mark.parametrize(("kind", "generator"), [
    ("deployment", ("deployment", "{name}", "--image=nginx", "--replicas=0")),
    ("cronjob", ("cronjob", "{name}", "--image=busybox", "--schedule=*/5 * * * *")),
    ("service", ("service", "nodeport", "{name}", "--tcp=80:8080")),
])
def test_kubectls_protobuf_generators_store_what_the_same_object_in_json_stores(
        apiserver: RunningServer, kind: str, generator: tuple[str, ...]) -> None:
    """``kubectl create <generator>`` sends protobuf; the same object printed client-side and
    sent with ``kubectl create -f`` goes as JSON. Both are stored alike: no zero that Go's JSON
    encoder leaves out (minReadySeconds: 0, stdin: false, healthCheckNodePort: 0…)."""
    by_protobuf, by_json = f"pb-{kind}", f"js-{kind}"
    apiserver.kubectl("create", *(arg.format(name=by_protobuf) for arg in generator))
    printed = apiserver.kubectl("create", *(arg.format(name=by_json) for arg in generator),
                                "--dry-run=client", "-o", "json").stdout
    apiserver.kubectl("create", "-f", "-", input=printed)
    stored_pb, stored_js = _get(apiserver, kind, by_protobuf), _get(apiserver, kind, by_json)
    for stored, name in ((stored_pb, by_protobuf), (stored_js, by_json)):
        text = json.dumps(stored).replace(name, "NAME")
        for zero in ('"minReadySeconds": 0', '"generation": 0', '"stdin": false', '"tty": false',
                     '"hostIPC": false', '"hostPID": false', '"hostNetwork": false', '"healthCheckNodePort": 0',
                     '"publishNotReadyAddresses": false', '"stdinOnce": false'):
            assert zero not in text, (zero, stored)
    normalise = lambda obj, name: json.loads(json.dumps(_without_server_fields(obj)).replace(name, "NAME"))  # noqa: E731
    assert normalise(stored_pb, by_protobuf) == normalise(stored_js, by_json)
    if kind == "deployment":
        assert stored_pb["spec"]["replicas"] == 0  # a pointer to zero is kept


def test_secret_string_data_is_merged_into_data_and_never_stored(apiserver: RunningServer,
                                                                 api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    data = {"a": base64.b64encode(b"from-data").decode(), "b": base64.b64encode(b"kept").decode()}
    secret = client.V1Secret(metadata=client.V1ObjectMeta(name="merged"), data=data,
                             string_data={"a": "from-stringData", "c": "plain"})
    created = core.create_namespaced_secret("default", secret)
    assert created.string_data is None and created.type == "Opaque"
    stored = _get(apiserver, "secret", "merged", "-n", "default")
    assert "stringData" not in stored and stored["type"] == "Opaque"
    assert {k: base64.b64decode(v).decode() for k, v in stored["data"].items()} == {
        "a": "from-stringData", "b": "kept", "c": "plain"}
    apiserver.kubectl("apply", "-f", "-", input="apiVersion: v1\nkind: Secret\nmetadata: {name: merged, "
                                                "namespace: default}\nstringData: {c: changed}\n")
    assert base64.b64decode(_get(apiserver, "secret", "merged", "-n", "default")["data"]["c"]) == b"changed"


def test_a_node_keeps_the_status_it_registers_with_and_has_no_generation(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    node = client.V1Node(
        metadata=client.V1ObjectMeta(name="registered"),
        status=client.V1NodeStatus(
            capacity={"cpu": "4", "memory": "8Gi", "pods": "110"},
            conditions=[client.V1NodeCondition(type="Ready", status="True", reason="KubeletReady")],
            node_info=client.V1NodeSystemInfo(kubelet_version="v1.37.1", architecture="amd64", boot_id="b",
                                              container_runtime_version="containerd://2.1", kernel_version="6.1",
                                              kube_proxy_version="", machine_id="m", operating_system="linux",
                                              os_image="Debian", system_uuid="u")))
    core.create_node(node)
    read = core.read_node("registered")
    assert read.metadata.generation is None
    assert read.status.capacity == {"cpu": "4", "memory": "8Gi", "pods": "110"}
    assert [(c.type, c.status) for c in read.status.conditions] == [("Ready", "True")]
    assert read.status.node_info.kubelet_version == "v1.37.1"


def test_the_python_client_reads_daemon_and_stateful_sets_with_their_always_written_status_fields(
        apiserver: RunningServer, api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    template = {"metadata": {"labels": {"app": "z"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "zeros", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "z"}}, "template": template}}))
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "zeros", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "z"}}, "serviceName": "z", "template": template}}))
    daemons = apps.read_namespaced_daemon_set("zeros", "default")
    assert (daemons.status.current_number_scheduled, daemons.status.number_misscheduled,
            daemons.status.desired_number_scheduled, daemons.status.number_ready) == (0, 0, 0, 0)
    assert apps.read_namespaced_stateful_set("zeros", "default").status.replicas == 0
    # a status write that leaves them out gets them back, as Go's encoder writes them
    apiserver.kubectl("patch", "ds", "zeros", "--subresource=status", "--type=merge",
                      "-p", '{"status":{"numberReady":null}}')
    assert apps.read_namespaced_daemon_set_status("zeros", "default").status.number_ready == 0


CMS, SECRETS = "/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/secrets"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("path", "body", "causes"), [
    (CMS, {"data": {"bad key": "v"}},
     [("data[bad key]", "Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, "
                        "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                        "validation is '[-._a-zA-Z0-9]+')")]),
    (CMS, {"data": {"..hidden": "v"}}, [("data[..hidden]", "Invalid value: \"..hidden\": must not start with '..'")]),
    (CMS, {"data": {"k": "v"}, "binaryData": {"k": "AA=="}},
     [("data[k]", 'Invalid value: "k": duplicate of key present in binaryData')]),
    (CMS, {"data": {"big": "x" * (1024 * 1024 + 1)}}, [("[]", "Too long: may not be more than 1048576 bytes")]),
    (SECRETS, {"stringData": {"big": "x" * (1024 * 1024 + 1)}},
     [("data", "Too long: may not be more than 1048576 bytes")]),
    (SECRETS, {"data": {".": _b64("x")}}, [("data[.]", "Invalid value: \".\": must not be '.'")]),
    (SECRETS, {"type": "kubernetes.io/tls", "data": {"tls.crt": _b64("c")}},
     [("data[tls.key]", "Required value")]),
    (SECRETS, {"type": "kubernetes.io/dockerconfigjson", "data": {"x": _b64("{}")}},
     [("data[.dockerconfigjson]", "Required value")]),
    (SECRETS, {"type": "kubernetes.io/basic-auth", "data": {}},
     [("data[username]", "Required value"), ("data[password]", "Required value")]),
    (SECRETS, {"type": "kubernetes.io/ssh-auth", "stringData": {"other": "x"}},
     [("data[ssh-privatekey]", "Required value")]),
    (SECRETS, {"type": "kubernetes.io/service-account-token"},
     [("metadata.annotations[kubernetes.io/service-account.name]", "Required value")]),
])
def test_configmap_and_secret_keys_and_typed_secrets_are_validated_as_upstream(
        apiserver: RunningServer, path: str, body: dict[str, Any], causes: list[tuple[str, str]]) -> None:
    kind = "ConfigMap" if path == CMS else "Secret"
    code, status = apiserver.send("POST", path, {"apiVersion": "v1", "kind": kind, "metadata": {"name": "bad"}, **body})
    assert code == 422, status
    assert [(c["field"], c["message"]) for c in status["details"]["causes"]] == causes
    assert apiserver.send("GET", path + "/bad", None)[0] == 404


def test_typed_secrets_with_their_keys_are_accepted_and_the_type_cannot_change(apiserver: RunningServer) -> None:
    code, created = apiserver.send("POST", SECRETS, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls-ok"}, "type": "kubernetes.io/tls",
        "stringData": {"tls.crt": "cert", "tls.key": "key"}})
    assert code == 201, created
    code, status = apiserver.send("PATCH", SECRETS + "/tls-ok", {"type": "Opaque"})
    assert code == 422 and status["details"]["causes"][0]["field"] == "type", status


def test_an_immutable_configmaps_data_cannot_change(apiserver: RunningServer) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "frozen"}, "data": {"a": "1"},
            "immutable": True}
    assert apiserver.send("POST", CMS, body)[0] == 201
    code, status = apiserver.send("PATCH", CMS + "/frozen", {"data": {"a": "2"}})
    assert code == 422, status
    assert [(c["field"], c["message"]) for c in status["details"]["causes"]] == [
        ("data", "Forbidden: field is immutable when `immutable` is set")]


DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def test_scale_and_status_bodies_get_the_same_decoding_checks_as_the_object(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "deployment", "scaled", "--image=nginx", "-n", "default")
    code, status = apiserver.send("PUT", DEPLOYMENTS + "/scaled/scale", {
        "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "scaled"}, "spec": {"replicas": "3"}})
    assert (code, status["message"]) == (400, 'Scale in version "v1" cannot be handled as a Scale: json: cannot '
                                               'unmarshal string into Go struct field ScaleSpec.spec.replicas of '
                                               'type int32')
    code, status = apiserver.send("PATCH", DEPLOYMENTS + "/scaled/scale?fieldValidation=Strict",
                                  {"spec": {"replicas": 2, "replics": 4}})
    assert code == 422 and 'unknown field "spec.replics"' in status["message"]
    code, scale = apiserver.send("PATCH", DEPLOYMENTS + "/scaled/scale", {"spec": {"replicas": 2}})
    assert code == 200 and scale["spec"]["replicas"] == 2
    code, status = apiserver.send("PATCH", DEPLOYMENTS + "/scaled/status", {"status": {"replicas": "x"}})
    assert code == 422 and "cannot unmarshal string into Go struct field DeploymentStatus.status.replicas" in \
        status["message"]


def test_quantities_are_stored_in_the_canonical_form_upstream_stores(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sized", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {
            "requests": {"cpu": "0.5", "memory": "1024Mi"}, "limits": {"cpu": "1000m", "memory": "1.5Gi"}}}]}}))
    resources = _get(apiserver, "pod", "sized", "-n", "default")["spec"]["containers"][0]["resources"]
    assert resources == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1536Mi"}}
    result = apiserver.kubectl("create", "-f", "-", check=False, input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "unsized", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "lots"}}}]}}))
    assert result.returncode != 0 and "quantities must match the regular expression" in result.stderr
