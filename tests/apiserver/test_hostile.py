"""Hostile requests against a real server: none may exhaust it, and each gets upstream's 4xx."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

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


def _deployment(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
                "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}, **spec}}


@pytest.mark.parametrize(("path", "body", "causes"), [
    ("/apis/apps/v1/namespaces/default/deployments", _deployment("neg-ready", minReadySeconds=-1),
     [("spec.minReadySeconds", "Invalid value: -1: must be greater than or equal to 0")]),
    ("/apis/apps/v1/namespaces/default/deployments", _deployment("neg-history", revisionHistoryLimit=-1),
     [("spec.revisionHistoryLimit", "Invalid value: -1: must be greater than or equal to 0")]),
    ("/apis/apps/v1/namespaces/default/deployments", _deployment("bogus", strategy={"type": "Bogus"}),
     [("spec.strategy", 'Unsupported value: apps.DeploymentStrategy{Type:"Bogus", '
                        'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", '
                        '"RollingUpdate"')]),
    ("/api/v1/namespaces/default/services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "tp"},
                                             "spec": {"ports": [{"port": 80, "targetPort": 70000}]}},
     [("spec.ports[0].targetPort", "Invalid value: 70000: must be between 1 and 65535, inclusive")]),
    (CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owned", "ownerReferences": [
        {"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": ""}]}},
     [("metadata.ownerReferences.uid", 'Invalid value: "": uid must not be empty')]),
    ("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bad-fin"},
                            "spec": {"finalizers": ["Bad Fin"]}},
     [("spec.finalizers", "Invalid value: \"Bad Fin\": name part must consist of alphanumeric characters, '-', '_' "
                          "or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
                          "'my.name',  or '123-abc', regex used for validation is "
                          "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
      ("spec.finalizers", 'Invalid value: "Bad Fin": name is neither a standard finalizer name nor is it fully '
                          "qualified")]),
])
def test_bad_objects_upstream_refuses_are_refused_with_its_causes(apiserver: RunningServer, path: str,
                                                                  body: dict[str, Any],
                                                                  causes: list[tuple[str, str]]) -> None:
    code, status = apiserver.send("POST", path, body)
    assert code == 422, status
    assert [(c["field"], c["message"]) for c in status["details"]["causes"]] == causes


def test_a_deployment_with_null_replicas_gets_one_and_a_namespace_keeps_its_own_finalizers(
        apiserver: RunningServer) -> None:
    code, created = apiserver.send("POST", "/apis/apps/v1/namespaces/default/deployments",
                                   _deployment("null-replicas", replicas=None))
    assert code == 201 and created["spec"]["replicas"] == 1
    code, created = apiserver.send("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "own-fin"},
        "spec": {"finalizers": ["example.com/cleanup"]}})
    assert code == 201 and created["spec"]["finalizers"] == ["example.com/cleanup", "kubernetes"]


@pytest.mark.parametrize("patch", [{"metadata": {"name": "other"}}, {"metadata": {"namespace": "kube-system"}}])
def test_a_patch_may_not_rename_or_move_an_object(apiserver: RunningServer, patch: dict[str, Any]) -> None:
    apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stay"}})
    code, status = apiserver.send("PATCH", CMS + "/stay", patch)
    assert (code, status["reason"]) == (400, "BadRequest"), status
    assert status["message"] in ("the name of the object (other) does not match the name on the URL (stay)",
                                 "the namespace of the object (kube-system) does not match the namespace on the "
                                 "request (default)")


SMP = "application/strategic-merge-patch+json"
NAMELESS = "the name of the object (directed based on URL) was undeterminable: name parameter required."


@pytest.mark.parametrize(("patch", "code", "message", "data"), [
    # upstream's strategicpatch errors, 400 as its interpretStrategicMergePatchError makes them
    ({"data": {"$retainKeys": [1, 2], "x": "9"}}, 400, "invalid patch format of retainKeys", None),
    ({"data": {"$retainKeys": "notalist"}}, 400, "invalid patch format of retainKeys", None),
    ({"data": {"$retainKeys": ["x"], "q": "5"}}, 400, "invalid patch format of retainKeys", None),
    ({"metadata": {"$setElementOrder/finalizers": "x"}}, 400, "invalid patch format of setElementOrder list", None),
    ({"data": {"$patch": "bogus"}}, 400, "unknown patch type: bogus in map: map[$patch:bogus]", None),
    # the whole object replaced, or every key dropped: no name left (upstream's checkName)
    ({"$patch": "replace", "data": {"z": "3"}}, 400, NAMELESS, None),
    ({"$retainKeys": ["data"]}, 400, NAMELESS, None),
    # what upstream applies
    ({"data": {"$retainKeys": ["x", "q"], "q": "5"}}, 200, None, {"x": "1", "q": "5"}),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": "notalist"}}, 200, None, {"x": "1", "y": "2"}),
    ({"data": {"$patch": "delete"}}, 200, None, None),
    ({"$patch": "replace", "metadata": {"name": "directed"}, "data": {"z": "3"}}, 200, None, {"z": "3"}),
])
def test_strategic_merge_patch_directives_are_checked_as_upstream_checks_them(
        apiserver: RunningServer, patch: dict[str, Any], code: int, message: str | None,
        data: dict[str, str] | None) -> None:
    apiserver.send("DELETE", CMS + "/directed", None)
    assert apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "directed", "labels": {"app": "x"}}, "data": {"x": "1", "y": "2"}})[0] == 201
    got, answer = apiserver.send("PATCH", CMS + "/directed", patch, content_type=SMP)
    assert got == code, answer
    stored = apiserver.send("GET", CMS + "/directed", None)[1]
    if code == 400:
        assert (answer["reason"], answer["message"]) == ("BadRequest", message)
        assert stored["data"] == {"x": "1", "y": "2"}  # nothing was applied
    else:
        assert stored.get("data") == data
        assert ("labels" in stored["metadata"]) == ("$patch" not in patch)  # a top-level replace drops them


@pytest.mark.parametrize(("operations", "detail"), [
    ([{"op": "replace", "path": "/kind", "value": "Secret"}], "unable to decode /v1, Kind=Secret into *core.ConfigMap"),
    ([{"op": "replace", "path": "/apiVersion", "value": "v9"}],
     'no kind "ConfigMap" is registered for version "v9" in scheme "pkg/api/legacyscheme/scheme.go:30"'),
])
def test_a_json_patch_that_changes_kind_or_api_version_gets_422_on_the_field_patch(
        apiserver: RunningServer, operations: list[dict[str, Any]], detail: str) -> None:
    apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typed"}})
    code, body, _ = _patch(apiserver, CMS + "/typed", operations)
    status = json.loads(body)
    assert (code, status["reason"]) == (422, "Invalid"), status
    [cause] = status["details"]["causes"]
    assert cause["field"] == "patch" and cause["message"].endswith(": " + detail)
    # the same change in a merge patch is refused too; a strategic one sets the type's own
    assert apiserver.send("PATCH", CMS + "/typed", {"kind": "Foo"})[0] == 422
    code, stored = apiserver.send("PATCH", CMS + "/typed", {"kind": "Foo"}, content_type=SMP)
    assert (code, stored["kind"]) == (200, "ConfigMap")


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_values_nested_as_deep_as_go_reads_them_are_kept_and_served_and_deeper_ones_get_400(
        apiserver: RunningServer) -> None:
    """Go reads 10,000 levels; orjson reads 1,024 and writes 254 (a ControllerRevision's
    RawExtension 300 levels deep was a 500)."""
    revisions = "/apis/apps/v1/namespaces/default/controllerrevisions"
    body = b'{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"deep"},"revision":1,' \
           b'"data":{"x":%s}}' % _nested(9_000)
    request = urllib.request.Request(apiserver.url + revisions, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
    for path in (revisions + "/deep", revisions, revisions + "?watch=1&timeoutSeconds=1"):
        code, served = apiserver.get(path)
        assert code == 200 and _nested(9_000) in served, path
    for kind in ("merge-patch+json", "strategic-merge-patch+json"):
        request = urllib.request.Request(apiserver.url + revisions + "/deep", method="PATCH",
                                         data=b'{"metadata":{"labels":{"patched":"%s"}}}' % kind[:5].encode(),
                                         headers={"Content-Type": f"application/{kind}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            patched = response.read()
            assert response.status == 200 and b'"patched":"%s"' % kind[:5].encode() in patched
            assert _nested(9_000) in patched
    # an unknown field at the deepest level Go reads (the object itself is the first) is dropped
    # with a warning, as any unknown field
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"extra":%s}' % _nested(9_999)
    request = urllib.request.Request(apiserver.url + CMS, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201 and response.headers["Warning"] == '299 - "unknown field \\"extra\\""'
    body = body.replace(b'"deep"', b'"deeper"').replace(b"[", b"[[", 1).replace(b"]", b"]]", 1)  # 10,001
    request = urllib.request.Request(apiserver.url + CMS, data=body, headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    status = json.loads(refused.value.read())
    assert (refused.value.code, status["reason"]) == (400, "BadRequest")
    assert "invalid character '[' exceeded max depth" in status["message"]


def _yaml_request(apiserver: RunningServer, method: str, path: str, body: bytes | None,
                  content_type: str = "application/yaml") -> tuple[int, bytes, str]:
    request = urllib.request.Request(apiserver.url + path, method=method, data=body,
                                     headers={"Content-Type": content_type, "Accept": "application/yaml"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def test_yaml_bodies_are_read_and_yaml_is_served_as_kubectl_and_other_tools_use_them(
        apiserver: RunningServer) -> None:
    manifest = b"""apiVersion: v1
kind: ConfigMap
metadata:
  name: from-yaml
  labels: {tier: web}
data:
  day: 2024-01-01       # a date stays the string it was written as
  answer: "42"
"""
    code, body, content_type = _yaml_request(apiserver, "POST", CMS, manifest)
    assert (code, content_type) == (201, "application/yaml"), body
    assert b"data:\n  answer: '42'\n  day: '2024-01-01'\nkind: ConfigMap\n" in body  # keys sorted
    stored = apiserver.send("GET", CMS + "/from-yaml", None)[1]
    assert stored["data"] == {"day": "2024-01-01", "answer": "42"} and stored["metadata"]["labels"] == {"tier": "web"}
    code, body, _ = _yaml_request(apiserver, "PUT", CMS + "/from-yaml", manifest.replace(b'"42"', b'"43"'))
    assert code == 200 and b"answer: '43'" in body
    code, body, content_type = _yaml_request(apiserver, "GET", CMS + "?labelSelector=tier%3Dweb", None)
    assert (code, content_type) == (200, "application/yaml") and b"kind: ConfigMapList" in body
    assert b"items:\n- data:\n    answer: '43'\n" in body  # items without kind, as upstream lists them
    # there is no plain YAML patch type upstream either, and no YAML watch stream
    assert _yaml_request(apiserver, "PATCH", CMS + "/from-yaml", b"data: {a: b}")[0] == 415
    assert _yaml_request(apiserver, "GET", CMS + "?watch=1&timeoutSeconds=1", None)[0] == 406


@pytest.mark.parametrize(("body", "message"), [
    (b"a: [1\nb: 2", "error converting YAML to JSON: yaml: line 2: did not find expected ',' or ']'"),
    (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" + b"".join(
        b"l%d: &l%d [%s]\n" % (i, i, b",".join([b"*l%d" % (i - 1)] * 9) if i else b'"lol"') for i in range(10)),
     "error converting YAML to JSON: yaml: document contains excessive aliasing"),
    (b"[" * 1001 + b"]" * 1001, "error converting YAML to JSON: yaml: line 1: exceeded maximum nesting depth"),
    (b"{[1]: x}", "error converting YAML to JSON: yaml: line 1: found unhashable key"),
])
def test_bad_yaml_and_yaml_bombs_get_400_at_once(apiserver: RunningServer, body: bytes, message: str) -> None:
    started = time.monotonic()
    code, answer, _ = _yaml_request(apiserver, "POST", CMS, body)
    status = json.loads(answer)
    assert (code, status["reason"], status["message"]) == (400, "BadRequest", message)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(("validation", "warnings"), [
    ("", ['299 - "duplicate field \\"data.a\\""', '299 - "unknown field \\"extra\\""']),  # Warn, the default
    ("?fieldValidation=Warn", ['299 - "duplicate field \\"data.a\\""', '299 - "unknown field \\"extra\\""']),
    ("?fieldValidation=Ignore", None),
])
def test_keys_given_twice_are_warned_about_as_unknown_fields_are(apiserver: RunningServer, validation: str,
                                                                 warnings: list[str] | None) -> None:
    name = f"twice{len(validation)}"
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},"data":{"a":"1", "a" : "2"},"extra":1}' % (
        name.encode())
    request = urllib.request.Request(apiserver.url + CMS + validation, data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201 and json.loads(response.read())["data"] == {"a": "2"}  # the last one wins
        assert response.headers.get_all("Warning") == warnings


def test_a_warning_quoting_a_field_name_is_utf_8_and_cannot_add_a_header(apiserver: RunningServer) -> None:
    """A Warning naming an unknown field "Ā" was a 500 (Latin-1 headers); one with CR LF in it
    could have added a header."""
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "warned"},
                       "\u0100": 1, "x\r\nSet-Cookie: a=b": 2}).encode()
    with socket.create_connection(apiserver.url.removeprefix("http://").split(":"), timeout=10) as conn:
        conn.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (CMS.encode(), len(body), body))
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert head[0] == b"HTTP/1.1 201 Created"
    assert 'Warning: 299 - "unknown field \\"\u0100\\""'.encode() in head
    assert b'Warning: 299 - "unknown field \\"x  Set-Cookie: a=b\\""' in head
    assert not any(line.lower().startswith(b"set-cookie") for line in head)


@pytest.mark.parametrize("path", [
    "/api/v1/namespaces/default/pods/x/status/extra",
    "/api/v1/namespaces/default/nodes",
    "/api/v1/namespaces/default/namespaces",
    "/livez/bogus",
])
def test_paths_no_route_serves_get_404(apiserver: RunningServer, path: str) -> None:
    assert apiserver.get(path)[0] == 404


def test_a_delete_body_of_another_kind_gets_400(apiserver: RunningServer) -> None:
    apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}})
    code, status = apiserver.send("DELETE", CMS + "/kept", {"kind": "Pod", "apiVersion": "v1"})
    assert (code, status["reason"]) == (400, "BadRequest")
    assert apiserver.send("GET", CMS + "/kept", None)[0] == 200
    assert apiserver.send("DELETE", CMS + "/kept", {"kind": "DeleteOptions", "apiVersion": "v1"})[0] == 200


@pytest.mark.parametrize(("query", "message"), [
    ("limit=99999999999999999999", 'strconv.ParseInt: parsing "99999999999999999999": value out of range'),
    ("limit=ten", 'strconv.ParseInt: parsing "ten": invalid syntax'),
    ("limit=1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'),
    ("timeoutSeconds=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'),
])
def test_integer_parameters_go_cannot_parse_get_400_with_strconvs_error(apiserver: RunningServer, query: str,
                                                                         message: str) -> None:
    code, body = apiserver.get(f"{CMS}?{query}")
    assert code == 400
    assert json.loads(body)["message"] == message


def test_a_watch_flag_is_false_only_for_zero_or_false(apiserver: RunningServer) -> None:
    apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flagged"}})
    for value in ("0", "FALSE"):
        code, body = apiserver.get(f"{CMS}?watch={value}")
        assert code == 200 and json.loads(body)["kind"] == "ConfigMapList"
    request = urllib.request.Request(f"{apiserver.url}{CMS}?watch=notabool&timeoutSeconds=1&resourceVersion=0")
    with urllib.request.urlopen(request, timeout=10) as response:
        first = json.loads(response.readline())
    assert first["type"] == "ADDED"


@pytest.mark.parametrize(("method", "kind"), [("POST", "CreateOptions"), ("PUT", "UpdateOptions"),
                                              ("PATCH", "PatchOptions")])
def test_a_field_manager_over_128_characters_gets_422_and_writes_nothing(apiserver: RunningServer, method: str,
                                                                         kind: str) -> None:
    name = f"managed-{method.lower()}"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}}
    if method != "POST":
        assert apiserver.send("POST", CMS, body)[0] == 201
    path = CMS if method == "POST" else f"{CMS}/{name}"
    code, answer = apiserver.send(method, f"{path}?fieldManager={'m' * 129}", {**body, "data": {"a": "2"}})
    assert code == 422
    assert answer["message"] == (f'{kind}.meta.k8s.io "" is invalid: '
                                 "fieldManager: Too long: may not be more than 128 bytes")
    code, stored = apiserver.send("GET", f"{CMS}/{name}", None)
    assert (code, stored.get("data")) == ((404, None) if method == "POST" else (200, {"a": "1"}))


@pytest.mark.parametrize(("raw", "stored"), [
    (b"\xff\xfe", "\ufffd\ufffd"),  # each byte that is not UTF-8 is one U+FFFD, as Go's DecodeRune reads it
    (b"\xe2\x82A", "\ufffd\ufffdA"),
    (rb"\ud800", "\ufffd"),  # a high surrogate escape alone
    (rb"x\udc00", "x\ufffd"),  # a low one alone
    (rb"\ud800\ud83d\ude00", "\ufffd\U0001f600"),  # the pair after a lone half is kept
    (rb"\\ud800", "\\ud800"),  # an escaped backslash, not an escape
])
def test_strings_go_would_repair_are_stored_with_u_fffd(apiserver: RunningServer, raw: bytes, stored: str) -> None:
    name = f"utf8-{raw.hex()}"
    body = (b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' + name.encode()
            + b'"},"data":{"k":"' + raw + b'"}}')
    request = urllib.request.Request(apiserver.url + CMS, method="POST", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
    code, answer = apiserver.send("GET", f"{CMS}/{name}", None)
    assert code == 200 and answer["data"] == {"k": stored}
    patch = b'{"data":{"k":"' + raw + b'"}}'
    request = urllib.request.Request(f"{apiserver.url}{CMS}/{name}", method="PATCH", data=patch,
                                     headers={"Content-Type": "application/merge-patch+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["data"] == {"k": stored}


def test_a_body_that_is_not_json_still_gets_400_after_the_repair(apiserver: RunningServer) -> None:
    request = urllib.request.Request(apiserver.url + CMS, method="POST", data=b'{"kind":"ConfigMap",\xff}',
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["message"].startswith("error decoding request body: ")


def test_a_service_of_type_null_is_a_cluster_ip_and_null_fields_are_left_out(apiserver: RunningServer) -> None:
    code, created = apiserver.send("POST", "/api/v1/namespaces/default/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "typeless", "labels": None, "annotations": None},
        "spec": {"type": None, "selector": None, "ports": [{"port": 80}]}})
    assert code == 201
    assert created["spec"]["type"] == "ClusterIP" and "selector" not in created["spec"]
    assert "labels" not in created["metadata"] and "annotations" not in created["metadata"]
