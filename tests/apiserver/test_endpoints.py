"""Health, metrics, discovery and subresource paths over plain HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.api.test_protobuf import entry, envelope, nested, text
from tests.apiserver.conftest import RunningServer


def test_health_endpoints_answer_ok(apiserver: RunningServer) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        assert apiserver.get(path) == (200, b"ok")


def test_verbose_health_lists_each_check_and_single_checks_answer_alone(apiserver: RunningServer) -> None:
    status, body = apiserver.get("/readyz?verbose")
    lines = body.decode().splitlines()
    assert status == 200 and lines[-1] == "readyz check passed"
    assert lines[:5] == ["[+]ping ok", "[+]log ok", "[+]etcd ok", "[+]etcd-readiness ok", "[+]informer-sync ok"]
    assert "[+]poststarthook/rbac/bootstrap-roles ok" in lines and lines[-2] == "[+]shutdown ok"
    status, body = apiserver.get("/livez?verbose&exclude=etcd")
    lines = body.decode().splitlines()
    assert "[+]etcd excluded: ok" in lines and lines[-1] == "livez check passed" and "[+]shutdown ok" not in lines
    assert apiserver.get("/readyz/etcd") == (200, b"ok")
    assert apiserver.get("/livez/informer-sync")[0] == 404
    assert "readyz check passed" in apiserver.kubectl("get", "--raw", "/readyz?verbose").stdout


def test_metrics_count_requests_and_stored_objects(apiserver: RunningServer) -> None:
    apiserver.get("/api/v1/namespaces")
    status, body = apiserver.get("/metrics")
    text = body.decode()
    assert status == 200
    assert 'apiserver_request_total{code="200",group="",resource="namespaces",scope="cluster",subresource="",' \
           'verb="LIST",version="v1"}' in text
    assert 'apiserver_storage_objects{resource="namespaces"} ' in text
    namespaces = next(line for line in text.splitlines() if line.startswith('apiserver_storage_objects{resource="na'))
    assert float(namespaces.split()[-1]) >= 4
    count = next(line for line in text.splitlines() if line.startswith(
        'apiserver_request_duration_seconds_count{group="",resource="namespaces",scope="cluster",subresource="",'
        'verb="LIST"'))
    assert float(count.split()[-1]) >= 1
    assert 'apiserver_request_duration_seconds_bucket{group="",le="+Inf",resource="namespaces"' in text
    assert "# TYPE apiserver_longrunning_requests gauge" in text
    assert "process_cpu_seconds_total " in text


def test_an_open_watch_shows_in_the_watchers_gauge(apiserver: RunningServer) -> None:
    with urllib.request.urlopen(apiserver.url + "/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=5",
                                timeout=10):
        _, body = apiserver.get("/metrics")
        gauge = next(line for line in body.decode().splitlines() if line.startswith(
            'apiserver_longrunning_requests{group="",resource="secrets"'))
        assert float(gauge.split()[-1]) == 1


def test_api_advertises_the_port_actually_listened_on(apiserver: RunningServer) -> None:
    _, body = apiserver.get("/api")
    address = json.loads(body)["serverAddressByClientCIDRs"][0]["serverAddress"]
    assert apiserver.url.endswith(address)


def test_status_subresource_changes_only_status(apiserver: RunningServer) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "st"},
                  "spec": {"selector": {"matchLabels": {"a": "b"}},
                           "template": {"metadata": {"labels": {"a": "b"}},
                                        "spec": {"containers": [{"name": "c", "image": "i"}]}}},
                  "status": {"replicas": 9}}
    status, created = apiserver.send("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
    assert status == 201 and created["status"] == {}
    path = "/apis/apps/v1/namespaces/default/deployments/st"
    status, patched = apiserver.send("PATCH", path + "/status",
                            {"status": {"replicas": 2}, "spec": {"paused": True}})
    assert status == 200 and patched["status"] == {"replicas": 2} and "paused" not in patched["spec"]
    status, patched = apiserver.send("PATCH", path, {"status": {"replicas": 5}, "spec": {"paused": True}})
    assert status == 200 and patched["status"] == {"replicas": 2} and patched["spec"]["paused"] is True
    assert patched["metadata"]["generation"] == 2


def test_scale_reads_and_writes_the_parents_replicas(apiserver: RunningServer) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments/st/scale"
    status, body = apiserver.get(path)
    scale = json.loads(body)
    assert status == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 1} and scale["status"] == {"replicas": 2, "selector": "a=b"}
    assert set(scale["metadata"]) == {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}
    status, error = apiserver.send("PUT", path, {**scale, "spec": {"replicas": -1}})
    assert status == 422 and error["message"] == ('Scale.autoscaling "st" is invalid: spec.replicas: Invalid value: '
                                                  '-1: must be greater than or equal to 0')
    status, updated = apiserver.send("PUT", path, {**scale, "spec": {"replicas": 4}})
    assert status == 200 and updated["spec"] == {"replicas": 4}
    status, stale = apiserver.send("PUT", path, {**scale, "spec": {"replicas": 5}})
    assert status == 409
    status, patched = apiserver.send("PATCH", path, {"spec": {"replicas": 6}})
    assert status == 200 and patched["spec"] == {"replicas": 6}
    _, deployment = apiserver.get("/apis/apps/v1/namespaces/default/deployments/st")
    assert json.loads(deployment)["spec"]["replicas"] == 6


def post_protobuf(apiserver: RunningServer, path: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(apiserver.url + path, method="POST", data=body,
                                     headers={"Content-Type": "application/vnd.kubernetes.protobuf",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_protobuf_bodies_create_objects_and_bad_ones_get_400(apiserver: RunningServer) -> None:
    configmap = envelope("v1", "ConfigMap", nested(1, text(1, "from-proto")) + entry(2, "k", text(2, "v")))
    code, created = post_protobuf(apiserver, "/api/v1/namespaces/default/configmaps", configmap)
    assert code == 201 and created["data"] == {"k": "v"}
    code, status = post_protobuf(apiserver, "/api/v1/namespaces/default/configmaps", b"k8s\x00\x0a\xff")
    assert code == 400 and status["message"].startswith("error decoding request body: malformed protobuf")
    code, status = post_protobuf(apiserver, "/api/v1/namespaces/default/configmaps",
                                 envelope("v1", "Secret", nested(1, text(1, "x"))))
    assert code == 400 and "does not match the expected kind" in status["message"]
