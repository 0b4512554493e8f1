"""Hostile requests against a real server: none may exhaust it, and each gets upstream's 4xx."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from tests.apiserver.conftest import RunningServer

CMS = "/api/v1/namespaces/default/configmaps"


def _resident_bytes(apiserver: RunningServer) -> float:
    _, body = apiserver.get("/metrics")
    line = next(line for line in body.decode().splitlines() if line.startswith("process_resident_memory_bytes "))
    return float(line.split()[1])


def _patch(apiserver: RunningServer, path: str, operations: list[dict[str, Any]]) -> tuple[int, bytes, float]:
    request = urllib.request.Request(apiserver.url + path, method="PATCH", data=json.dumps(operations).encode(),
                                     headers={"Content-Type": "application/json-patch+json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.monotonic() - started


def test_a_json_patch_of_doubling_copies_is_refused_quickly_and_leaves_memory_alone(
        apiserver: RunningServer) -> None:
    """A 10,000-key ConfigMap and 25 copies of /data into itself: each copy doubles the object,
    so unbounded this needs 2^25 times its size (the server was OOM-killed)."""
    data = {f"key-{i}": f"value-{i}" for i in range(10_000)}
    assert apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap",
                                        "metadata": {"name": "copied"}, "data": data})[0] == 201
    before = _resident_bytes(apiserver)
    doubling = [{"op": "copy", "from": "/data", "path": f"/data/dup{i}"} for i in range(25)]
    code, body, took = _patch(apiserver, CMS + "/copied", doubling)
    assert code == 422 and json.loads(body)["reason"] == "Invalid"
    assert took < 5 and len(body) < 64 * 1024
    assert _resident_bytes(apiserver) - before < 200 * 1024 * 1024
    # a patch within the limit applies; a Go decode error quoting the patched object stays small
    code, body, _ = _patch(apiserver, CMS + "/copied", doubling[:1])
    assert code == 422 and len(body) < 8 * 1024  # data.dup0 is an object where a string belongs
    assert "more characters" in json.loads(body)["message"]
    code, stored = apiserver.send("GET", CMS + "/copied", None)
    assert code == 200 and len(stored["data"]) == 10_000


def test_a_json_patch_of_more_than_ten_thousand_operations_gets_413(apiserver: RunningServer) -> None:
    apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "many-ops"}})
    operations = [{"op": "test", "path": "/metadata/name", "value": "many-ops"}] * 10_001
    code, body, _ = _patch(apiserver, CMS + "/many-ops", operations)
    answer = json.loads(body)
    assert (code, answer["reason"]) == (413, "RequestEntityTooLarge")
    assert answer["message"] == "The allowed maximum operations in a JSON patch is 10000, got 10001"
    assert _patch(apiserver, CMS + "/many-ops", operations[:10_000])[0] == 200


def test_a_name_too_long_for_a_storage_key_gets_404_on_reads_and_422_on_create(apiserver: RunningServer) -> None:
    name = "n" * 9000
    for method in ("GET", "DELETE"):
        code, status = apiserver.send(method, f"{CMS}/{name}", None)
        assert (code, status["reason"]) == (404, "NotFound"), status
    code, status = apiserver.send("PATCH", f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}", {"rules": []})
    assert (code, status["reason"]) == (404, "NotFound")
    code, status = apiserver.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}})
    assert (code, status["reason"]) == (422, "Invalid"), status
    assert status["details"]["causes"] == [{"reason": "FieldValueTooLong", "field": "metadata.name",
                                            "message": "Too long: may not be more than 8192 bytes"}]


def test_an_object_too_large_for_storage_gets_413_not_500(apiserver: RunningServer) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "blobs.example.org"},
           "spec": {"group": "example.org", "scope": "Namespaced", "names": {"plural": "blobs", "kind": "Blob"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}
    assert apiserver.send("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)[0] == 201
    code, status = apiserver.send("POST", "/apis/example.org/v1/namespaces/default/blobs", {
        "apiVersion": "example.org/v1", "kind": "Blob", "metadata": {"name": "big"}, "data": "x" * (2 * 1024 * 1024)})
    assert (code, status["reason"], status["message"]) == (413, "RequestEntityTooLarge",
                                                           "etcdserver: request is too large")
