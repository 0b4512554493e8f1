"""Health, metrics, discovery and subresource paths over plain HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.apiserver.conftest import RunningServer


def _get(server: RunningServer, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _send(server: RunningServer, method: str, path: str, body: object) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(server.url + path, method=method, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/merge-patch+json" if method == "PATCH"
                                              else "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_endpoints_answer_ok(apiserver: RunningServer) -> None:
    for path in ("/healthz", "/livez", "/readyz"):
        assert _get(apiserver, path) == (200, b"ok")


def test_metrics_count_requests_and_stored_objects(apiserver: RunningServer) -> None:
    _get(apiserver, "/api/v1/namespaces")
    status, body = _get(apiserver, "/metrics")
    text = body.decode()
    assert status == 200
    assert 'apiserver_request_total{code="200",group="",resource="namespaces",subresource="",verb="LIST",' \
           'version="v1"}' in text
    assert 'apiserver_storage_objects{resource="namespaces"} ' in text
    namespaces = next(line for line in text.splitlines() if line.startswith('apiserver_storage_objects{resource="na'))
    assert float(namespaces.split()[-1]) >= 4


def test_api_advertises_the_port_actually_listened_on(apiserver: RunningServer) -> None:
    _, body = _get(apiserver, "/api")
    address = json.loads(body)["serverAddressByClientCIDRs"][0]["serverAddress"]
    assert apiserver.url.endswith(address)


def test_status_subresource_changes_only_status(apiserver: RunningServer) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "st"},
                  "spec": {"selector": {"matchLabels": {"a": "b"}},
                           "template": {"metadata": {"labels": {"a": "b"}},
                                        "spec": {"containers": [{"name": "c", "image": "i"}]}}},
                  "status": {"replicas": 9}}
    status, created = _send(apiserver, "POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
    assert status == 201 and "status" not in created
    path = "/apis/apps/v1/namespaces/default/deployments/st"
    status, patched = _send(apiserver, "PATCH", path + "/status",
                            {"status": {"replicas": 2}, "spec": {"paused": True}})
    assert status == 200 and patched["status"] == {"replicas": 2} and "paused" not in patched["spec"]
    status, patched = _send(apiserver, "PATCH", path, {"status": {"replicas": 5}, "spec": {"paused": True}})
    assert status == 200 and patched["status"] == {"replicas": 2} and patched["spec"]["paused"] is True
    assert patched["metadata"]["generation"] == 2


def test_unserved_subresources_answer_404_not_a_wrong_object(apiserver: RunningServer) -> None:
    status, body = _get(apiserver, "/apis/apps/v1/namespaces/default/deployments/st/scale")
    assert status == 404 and json.loads(body)["reason"] == "NotFound"
