"""Verb semantics as upstream answers them: dry runs, delete preconditions and propagation,
finalizers, generateName, resourceVersion rules, pagination expiry, watch framing (bookmarks,
initial events, timeouts, stale versions), body errors and patch content types."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from myriad.bench.apiserver_process import running_apiserver
from tests.apiserver.conftest import RunningServer

CMS = "/api/v1/namespaces/default/configmaps"


def configmap(name: str, **metadata: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **metadata}, "data": {"a": "1"}}


def watch_lines(apiserver: RunningServer, path: str, *, limit: int, timeout: float = 10) -> list[dict[str, Any]]:
    """The first ``limit`` events of a watch (or all of them if the server ends it first)."""
    events = []
    with urllib.request.urlopen(apiserver.url + path, timeout=timeout) as response:
        for line in response:
            events.append(json.loads(line))
            if len(events) == limit:
                break
    return events


def test_dry_run_validates_but_stores_nothing(apiserver: RunningServer) -> None:
    code, obj = apiserver.send("POST", CMS + "?dryRun=All", configmap("dry"))
    assert code == 201 and obj["metadata"]["uid"]
    assert apiserver.get(f"{CMS}/dry")[0] == 404
    code, status = apiserver.send("POST", CMS + "?dryRun=Maybe", configmap("dry"))
    assert code == 400


def test_generate_name_appends_five_characters(apiserver: RunningServer) -> None:
    code, obj = apiserver.send("POST", CMS, configmap("", generateName="gen-"))
    assert code == 201
    name = obj["metadata"]["name"]
    assert name.startswith("gen-") and len(name) == len("gen-") + 5


def test_delete_preconditions_must_match(apiserver: RunningServer) -> None:
    code, obj = apiserver.send("POST", CMS, configmap("guarded"))
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": {"uid": "not-the-uid"}}
    code, status = apiserver.send("DELETE", f"{CMS}/guarded", body)
    assert code == 409 and status["reason"] == "Conflict"
    assert "the UID in the precondition (not-the-uid) does not match" in status["message"]
    body = {"preconditions": {"resourceVersion": "1"}}
    code, status = apiserver.send("DELETE", f"{CMS}/guarded", body)
    assert code == 409 and "the ResourceVersion in the precondition (1) does not match" in status["message"]
    body = {"preconditions": {"uid": obj["metadata"]["uid"], "resourceVersion": obj["metadata"]["resourceVersion"]}}
    assert apiserver.send("DELETE", f"{CMS}/guarded", body)[0] == 200


def test_finalizers_hold_a_deleted_object_until_the_last_one_goes(apiserver: RunningServer) -> None:
    apiserver.send("POST", CMS, configmap("held", finalizers=["example.com/keep"]))
    code, marked = apiserver.send("DELETE", f"{CMS}/held", None)
    assert code == 200 and marked["metadata"]["deletionTimestamp"]
    code, status = apiserver.send("PATCH", f"{CMS}/held", {"metadata": {"finalizers": ["example.com/keep", "x/y"]}})
    assert code == 422 and "no new finalizers can be added if the object is being deleted" in status["message"]
    assert apiserver.send("PATCH", f"{CMS}/held", {"metadata": {"finalizers": None}})[0] == 200
    assert apiserver.get(f"{CMS}/held")[0] == 404


@pytest.mark.parametrize(("policy", "finalizer"), [("Foreground", "foregroundDeletion"), ("Orphan", "orphan")])
def test_propagation_policies_add_their_finalizer(apiserver: RunningServer, policy: str, finalizer: str) -> None:
    name = f"prop-{policy.lower()}"
    apiserver.send("POST", CMS, configmap(name))
    code, marked = apiserver.send("DELETE", f"{CMS}/{name}", {"propagationPolicy": policy})
    assert code == 200 and marked["metadata"]["finalizers"] == [finalizer]
    assert marked["metadata"]["deletionTimestamp"]


@pytest.mark.parametrize(("query", "code", "message"), [
    ("resourceVersionMatch=Exact", 422, "resourceVersionMatch is forbidden unless resourceVersion is provided"),
    ("resourceVersion=0&resourceVersionMatch=Exact", 422,
     'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'),
    ("resourceVersion=5&resourceVersionMatch=Sometimes", 422, 'Unsupported value: "Sometimes"'),
    ("resourceVersion=abc", 400, "invalid resource version: abc"),
    ("limit=1&continue=bogus", 400, "invalid continue token"),
])
def test_list_options_are_validated_as_upstream(apiserver: RunningServer, query: str, code: int,
                                                message: str) -> None:
    status, body = apiserver.get(f"{CMS}?{query}")
    assert status == code
    assert message in json.loads(body)["message"]


def test_an_exact_list_reads_the_past_and_a_future_version_times_out(apiserver: RunningServer) -> None:
    code, first = apiserver.send("POST", CMS, configmap("past-1"))
    apiserver.send("POST", CMS, configmap("past-2"))
    rv = first["metadata"]["resourceVersion"]
    status, body = apiserver.get(f"{CMS}?resourceVersion={rv}&resourceVersionMatch=Exact")
    names = [i["metadata"]["name"] for i in json.loads(body)["items"]]
    assert "past-1" in names and "past-2" not in names
    status, body = apiserver.get(f"{CMS}?resourceVersion=999999999&resourceVersionMatch=NotOlderThan")
    assert status == 504 and "Too large resource version: 999999999" in json.loads(body)["message"]


def test_watch_with_initial_events_ends_them_with_an_annotated_bookmark(apiserver: RunningServer) -> None:
    apiserver.send("POST", CMS, configmap("initial"))
    events = watch_lines(apiserver, f"{CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                                    "&allowWatchBookmarks=true&fieldSelector=metadata.name%3Dinitial", limit=2)
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_a_watch_honours_timeout_seconds(apiserver: RunningServer) -> None:
    started = time.monotonic()
    events = watch_lines(apiserver, f"{CMS}?watch=1&resourceVersion=999999999&timeoutSeconds=1", limit=100)
    assert events == [] and time.monotonic() - started < 5


@pytest.fixture(scope="module")
def compacting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server that keeps only a second of history, in storage and in its watch caches, so
    versions expire within a test."""
    data_dir = tmp_path_factory.mktemp("compacting")
    with running_apiserver(data_dir=data_dir, cpu=None, args=("--compaction-retention", "1",
                                                              "--watch-cache-window", "1")) as url:
        yield RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)


def test_expired_versions_get_410_for_continues_and_error_events_for_watches(compacting: RunningServer) -> None:
    for i in range(3):
        assert compacting.send("POST", CMS, configmap(f"old-{i}"))[0] == 201
    status, body = compacting.get(f"{CMS}?limit=1")
    page = json.loads(body)
    token, old_rv = page["metadata"]["continue"], page["metadata"]["resourceVersion"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        compacting.send("POST", CMS, configmap(f"new-{time.monotonic_ns()}"))
        status, body = compacting.get(f"{CMS}?limit=1&continue={urllib.parse.quote(token)}")
        if status == 410:
            break
        time.sleep(0.3)
    expired = json.loads(body)
    assert status == 410 and expired["reason"] == "Expired"
    assert expired["message"].startswith("The provided continue parameter is too old")
    # The watch cache's window is time-sized (1 s here): once it has moved past old_rv, 410.
    deadline = time.monotonic() + 10
    while True:
        events = watch_lines(compacting, f"{CMS}?watch=1&resourceVersion={old_rv}&timeoutSeconds=5", limit=1)
        if events[0]["type"] == "ERROR" or time.monotonic() > deadline:
            break
        compacting.send("POST", CMS, configmap(f"later-{time.monotonic_ns()}"))
        time.sleep(0.3)
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410 and events[0]["object"]["reason"] == "Expired"
    assert events[0]["object"]["message"].startswith(f"too old resource version: {old_rv} (")


@pytest.mark.parametrize(("body", "content_type", "code", "message"), [
    (b"{not json", "application/json", 400, "error decoding request body"),
    (b'["a list"]', "application/json", 400, "must be a JSON object"),
    (b'{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}', "application/json", 400,
     "the kind in the data (Secret) does not match the expected kind (ConfigMap)"),
    (b'{"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}}', "application/json", 400,
     "the API version in the data (apps/v1) does not match the expected API version (v1)"),
    (b"a: b", "text/plain", 415, "the body of the request was in an unknown format"),
])
def test_bad_bodies_get_upstream_errors(apiserver: RunningServer, body: bytes, content_type: str, code: int,
                                        message: str) -> None:
    request = urllib.request.Request(apiserver.url + CMS, method="POST", data=body,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, answer = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, answer = error.code, json.loads(error.read())
    assert status == code and message in answer["message"]


def test_a_put_whose_name_differs_from_the_url_gets_400(apiserver: RunningServer) -> None:
    apiserver.send("POST", CMS, configmap("named"))
    code, status = apiserver.send("PUT", f"{CMS}/named", configmap("other"))
    assert code == 400 and "does not match the name" in status["message"]


@pytest.mark.parametrize(("content_type", "patch", "expected"), [
    ("application/json-patch+json", [{"op": "replace", "path": "/data/a", "value": "2"}], {"a": "2"}),
    ("application/merge-patch+json", {"data": {"b": "3"}}, {"a": "1", "b": "3"}),
    ("application/strategic-merge-patch+json", {"data": {"c": "4"}}, {"a": "1", "c": "4"}),
])
def test_each_patch_type_applies(apiserver: RunningServer, content_type: str, patch: Any,
                                 expected: dict[str, str]) -> None:
    name = "patched-" + content_type.split("/")[1].split("-patch")[0]
    apiserver.send("POST", CMS, configmap(name))
    code, obj = apiserver.send("PATCH", f"{CMS}/{name}", patch, content_type=content_type)
    assert code == 200 and obj["data"] == expected


def test_an_unknown_patch_type_gets_415_naming_the_patch_types_served(apiserver: RunningServer) -> None:
    apiserver.send("POST", CMS, configmap("unknown-patch"))
    code, status = apiserver.send("PATCH", f"{CMS}/unknown-patch", {"data": {}},
                                  content_type="application/foo-patch+json")
    assert code == 415 and status["reason"] == "UnsupportedMediaType"
    assert status["message"] == ("the body of the request was in an unknown format - accepted media types include: "
                                 "application/json-patch+json, application/merge-patch+json, "
                                 "application/strategic-merge-patch+json, application/apply-patch+yaml")
    code, status = apiserver.send("POST", CMS, configmap("text"), content_type="text/plain")
    assert code == 415 and status["message"].endswith(
        "application/json, application/yaml, application/vnd.kubernetes.protobuf")


@pytest.mark.parametrize(("token", "detail"), [
    ("a!b", "illegal base64 data at input byte 1"),
    ("YWJj=", "illegal base64 data at input byte 4"),
    ("", None),
    ("eyJmb28iOjF9", "server does not recognize this encoded version "),  # {"foo":1}
    ("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
    ("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NX0", "encoded start key empty (version meta.k8s.io/v1)"),
    ("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6IjUifQ",
     "json: cannot unmarshal string into Go struct field continueToken.rv of type int64"),
    ("eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NSwic3RhcnQiOiIuLi8uLi94In0", "../../x"),
    ("bm90IGpzb24", "invalid character 'n' looking for beginning of value"),
])
def test_a_bad_continue_token_gets_upstreams_400(apiserver: RunningServer, token: str, detail: str | None) -> None:
    status, body = apiserver.get(f"{CMS}?limit=1&continue={token}")
    if detail is None:
        assert status == 200
        return
    answer = json.loads(body)
    assert (status, answer["reason"]) == (400, "BadRequest")
    assert answer["message"] == f"invalid continue token: continue key is not valid: {detail}"


def test_answers_put_kind_and_api_version_first_and_metadata_in_go_order(apiserver: RunningServer) -> None:
    body = {"data": {"a": "1"}, "metadata": {"labels": {"x": "y"}, "name": "ordered"}, "apiVersion": "v1",
            "kind": "ConfigMap"}
    request = urllib.request.Request(apiserver.url + CMS, method="POST", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        created = response.read()
    assert created.startswith(b'{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"ordered","namespace"')
    assert list(json.loads(created)["metadata"])[:4] == ["name", "namespace", "uid", "resourceVersion"]


def test_a_strategic_patch_with_retain_keys_drops_the_other_keys(apiserver: RunningServer) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "retained"},
                  "spec": {"selector": {"matchLabels": {"app": "r"}}, "template": {
                      "metadata": {"labels": {"app": "r"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}},
                      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    deployments = "/apis/apps/v1/namespaces/default/deployments"
    assert apiserver.send("POST", deployments, deployment)[0] == 201
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    code, obj = apiserver.send("PATCH", f"{deployments}/retained", patch,
                               content_type="application/strategic-merge-patch+json")
    assert code == 200 and obj["spec"]["strategy"] == {"type": "Recreate"}


def test_a_half_sent_request_does_not_hold_up_others(apiserver: RunningServer) -> None:
    """(The 408 that ends it after the read timeout is in the edge tests, with a short timeout.)"""
    host, port = urllib.parse.urlsplit(apiserver.url).hostname, urllib.parse.urlsplit(apiserver.url).port
    with socket.create_connection((host, port), timeout=5) as slow:
        slow.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert apiserver.get("/healthz") == (200, b"ok")


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_the_immortal_namespaces_may_not_be_deleted(apiserver: RunningServer, name: str) -> None:
    code, status = apiserver.send("DELETE", f"/api/v1/namespaces/{name}", None)
    assert code == 403 and status["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    assert apiserver.get(f"/api/v1/namespaces/{name}")[0] == 200


def test_warn_reports_unknown_fields_in_warning_headers_even_for_table_answers(apiserver: RunningServer) -> None:
    body = json.dumps({"metadata": {"name": "warned"}, "dataa": {"x": "1"}}).encode()
    for accept, name in (("application/json", "warned"), ("application/json;as=Table;v=v1;g=meta.k8s.io", "tabled")):
        request = urllib.request.Request(apiserver.url + CMS, method="POST",
                                         data=body.replace(b"warned", name.encode()),
                                         headers={"Content-Type": "application/json", "Accept": accept})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            assert response.headers.get_all("Warning") == ['299 - "unknown field \\"dataa\\""']
            answer = json.loads(response.read())
        assert answer["kind"] == ("ConfigMap" if name == "warned" else "Table")


def test_strict_refuses_keys_given_twice(apiserver: RunningServer) -> None:
    body = b'{"metadata":{"name":"twice","name":"twice"},"data":{"x":"1"},"data":{"y":"2"},"dta":1}'
    request = urllib.request.Request(apiserver.url + CMS + "?fieldValidation=Strict", method="POST", data=body,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    status = json.loads(refused.value.read())
    assert refused.value.code == 400
    assert status["message"].endswith('strict decoding error: duplicate field "metadata.name", duplicate field '
                                      '"data", unknown field "dta"')


def test_put_and_patch_on_a_collection_get_405(apiserver: RunningServer) -> None:
    for method in ("PUT", "PATCH"):
        code, status = apiserver.send(method, CMS, configmap("collection"))
        assert code == 405 and status["reason"] == "MethodNotAllowed"


@pytest.mark.parametrize(("path", "message"), [
    (CMS, '"foo" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ("/api/v1/namespaces/default/pods", "field label not supported: foo"),
])
def test_unknown_field_selectors_get_each_kinds_message(apiserver: RunningServer, path: str, message: str) -> None:
    status, body = apiserver.get(f"{path}?fieldSelector=foo%3Dbar")
    assert status == 400 and json.loads(body)["message"] == message


def test_a_new_deployment_answers_with_an_empty_status(apiserver: RunningServer) -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fresh"},
                  "spec": {"selector": {"matchLabels": {"app": "f"}}, "template": {
                      "metadata": {"labels": {"app": "f"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}},
                  "status": {"replicas": 7}}
    code, created = apiserver.send("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
    assert code == 201 and created["status"] == {}


@pytest.mark.parametrize(("value", "json_type"), [({"b": 1}, "object"), (["l"], "array"), (7, "number")])
def test_label_values_that_are_not_strings_are_refused_as_go_refuses_to_decode_them(
        apiserver: RunningServer, value: Any, json_type: str) -> None:
    assert apiserver.send("POST", CMS, configmap("labelled-ok", labels={"seen": "v"}))[0] in (201, 409)
    code, status = apiserver.send("POST", CMS, configmap("labelled-bad", labels={"seen": value}))
    assert (code, status["reason"]) == (400, "BadRequest"), status
    assert status["message"].endswith(f"json: cannot unmarshal {json_type} into Go struct field "
                                      "ObjectMeta.metadata.labels of type string")


def test_a_null_map_value_is_stored_as_go_decodes_it_an_empty_string(apiserver: RunningServer) -> None:
    body = configmap("labelled-null", labels={"seen": None})
    body["data"] = {"a": None}
    code, created = apiserver.send("POST", CMS, body)
    assert code == 201, created
    assert created["metadata"]["labels"] == {"seen": ""} and created["data"] == {"a": ""}
    assert apiserver.send("GET", CMS + "/labelled-null", None)[1]["data"] == {"a": ""}


LEASES = "/apis/coordination.k8s.io/v1/namespaces/default/leases"


def lease(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": name}, "spec": spec}


@pytest.mark.parametrize(("method", "path", "body", "message"), [
    ("POST", LEASES, lease("garbage-time", renewTime="garbage"),
     'Lease in version "v1" cannot be handled as a Lease: parsing time "garbage" as '
     '"2006-01-02T15:04:05.000000Z07:00": cannot parse "garbage" as "2006"'),
    ("POST", LEASES, lease("whole-seconds", renewTime="2026-12-01T10:00:00Z"),
     'Lease in version "v1" cannot be handled as a Lease: parsing time "2026-12-01T10:00:00Z" as '
     '"2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'),
    ("PUT", LEASES + "/string-duration", lease("string-duration", leaseDurationSeconds="40"),
     'Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field '
     'LeaseSpec.spec.leaseDurationSeconds of type int32'),
    ("POST", CMS, {**configmap("number-value"), "data": {"a": 1}},
     'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct '
     'field ConfigMap.data of type string'),
])
def test_a_body_of_the_wrong_types_is_refused_with_400_and_nothing_stored(apiserver: RunningServer, method: str,
                                                                          path: str, body: dict, message: str) -> None:
    code, status = apiserver.send(method, path, body)
    assert (code, status["reason"], status["message"]) == (400, "BadRequest", message)
    collection = path.rsplit("/", 1)[0] if method == "PUT" else path
    assert apiserver.get(f"{collection}/{body['metadata']['name']}")[0] == 404


def test_a_patch_that_leaves_a_value_of_the_wrong_type_is_invalid(apiserver: RunningServer) -> None:
    assert apiserver.send("POST", CMS, configmap("patched-type"))[0] == 201
    code, status = apiserver.send("PATCH", CMS + "/patched-type", {"data": {"a": 2}})
    assert (code, status["reason"]) == (422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "patch"
    assert status["message"].endswith("json: cannot unmarshal number into Go struct field ConfigMap.data of type "
                                      "string")
    assert json.loads(apiserver.get(CMS + "/patched-type")[1])["data"] == {"a": "1"}


def test_lease_specs_are_validated_as_upstream_validates_them(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", LEASES, lease("bad-spec", leaseDurationSeconds=0, leaseTransitions=-1,
                                                         preferredHolder="me"))
    assert (code, status["reason"]) == (422, "Invalid")
    assert [(c["field"], c["message"]) for c in status["details"]["causes"]] == [
        ("spec.leaseDurationSeconds", "Invalid value: 0: must be greater than 0"),
        ("spec.leaseTransitions", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.preferredHolder", "Forbidden: may only be specified if `strategy` is defined")]
    code, stored = apiserver.send("POST", LEASES, lease("good-spec", holderIdentity="me", leaseDurationSeconds=40,
                                                        renewTime="2026-12-01T10:00:00.000000Z"))
    assert code == 201 and stored["spec"]["leaseDurationSeconds"] == 40


def test_a_lease_update_must_name_its_resource_version_and_a_lease_has_no_generation(
        apiserver: RunningServer) -> None:
    code, created = apiserver.send("PUT", LEASES + "/conditional", lease("conditional", holderIdentity="a"))
    assert code == 201 and "generation" not in created["metadata"]  # a PUT may still create
    code, status = apiserver.send("PUT", LEASES + "/conditional", lease("conditional", holderIdentity="b"))
    assert (code, status["reason"]) == (422, "Invalid")
    assert status["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "metadata.resourceVersion",
                                            "message": "Invalid value: 0x0: must be specified for an update"}]
    renewal = lease("conditional", holderIdentity="b")
    renewal["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    code, updated = apiserver.send("PUT", LEASES + "/conditional", renewal)
    assert code == 200 and updated["spec"]["holderIdentity"] == "b" and "generation" not in updated["metadata"]
