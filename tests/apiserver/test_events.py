"""core/v1 and events.k8s.io/v1 Events: one storage, two APIs, each with upstream's validation."""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer

CORE = "/api/v1/namespaces/default/events"
V1 = "/apis/events.k8s.io/v1/namespaces/default/events"


def v1_event(name: str, **changes: Any) -> dict[str, Any]:
    event = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name},
             "eventTime": "2026-11-23T10:00:00.123456+01:00", "reportingController": "example.com/ctrl",
             "reportingInstance": "ctrl-1", "action": "Scheduling", "reason": "Scheduled", "type": "Normal",
             "note": "placed on node-1",
             "regarding": {"kind": "Pod", "namespace": "default", "name": f"{name}-pod", "apiVersion": "v1"}}
    event.update(changes)
    return event


def test_an_events_v1_event_reads_back_through_core_v1_with_core_names(apiserver: RunningServer) -> None:
    code, created = apiserver.send("POST", V1, v1_event("moved"))
    assert code == 201, created
    assert created["apiVersion"] == "events.k8s.io/v1" and created["note"] == "placed on node-1"
    assert created["eventTime"] == "2026-11-23T09:00:00.123456Z"
    code, core = apiserver.send("GET", f"{CORE}/moved", None)
    assert code == 200
    assert core["apiVersion"] == "v1"
    assert core["message"] == "placed on node-1"
    assert core["involvedObject"]["name"] == "moved-pod"
    assert core["reportingComponent"] == "example.com/ctrl"
    assert core["firstTimestamp"] is None and core["source"] == {}
    assert core["metadata"]["uid"] == created["metadata"]["uid"]
    assert core["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert "note" not in core and "regarding" not in core


def test_a_core_event_reads_back_through_events_v1_with_deprecated_fields(apiserver: RunningServer) -> None:
    event = {"metadata": {"name": "legacy"}, "involvedObject": {"kind": "Node", "name": "n1", "namespace": "default"},
             "reason": "Rebooted", "message": "node rebooted", "type": "Warning", "count": 3,
             "source": {"component": "kubelet", "host": "n1"},
             "firstTimestamp": "2026-11-23T10:00:00+02:00", "lastTimestamp": "2026-11-23T08:05:00Z"}
    code, created = apiserver.send("POST", CORE, event)
    assert code == 201, created
    assert created["firstTimestamp"] == "2026-11-23T08:00:00Z"
    code, v1 = apiserver.send("GET", f"{V1}/legacy", None)
    assert code == 200
    assert v1["regarding"] == {"kind": "Node", "name": "n1", "namespace": "default"}
    assert v1["note"] == "node rebooted"
    assert v1["deprecatedSource"] == {"component": "kubelet", "host": "n1"}
    assert v1["deprecatedCount"] == 3
    assert v1["deprecatedFirstTimestamp"] == "2026-11-23T08:00:00Z"
    assert v1["eventTime"] is None
    assert "message" not in v1 and "reportingController" not in v1


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"eventTime": None}, "eventTime", "FieldValueRequired"),
    ({"reportingController": ""}, "reportingController", "FieldValueRequired"),
    ({"action": ""}, "action", "FieldValueRequired"),
    ({"note": "x" * 1025}, "message", "FieldValueInvalid"),
    ({"type": "Odd"}, "type", "FieldValueInvalid"),
    ({"deprecatedCount": 2}, "count", "FieldValueInvalid"),
    ({"series": {"count": 1, "lastObservedTime": "2026-11-23T10:00:00.000000Z"}}, "series.count",
     "FieldValueInvalid"),
])
def test_events_v1_creates_get_the_strict_validation(apiserver: RunningServer, changes: dict[str, Any], field: str,
                                                     reason: str) -> None:
    code, status = apiserver.send("POST", V1, v1_event("strict", **changes))
    assert code == 422, status
    assert {"reason": reason, "field": field} in [{"reason": c["reason"], "field": c["field"]}
                                                  for c in status["details"]["causes"]]


def test_core_events_get_only_the_legacy_namespace_check(apiserver: RunningServer) -> None:
    event = {"metadata": {"name": "elsewhere"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "other"},
             "reason": "X"}
    code, status = apiserver.send("POST", CORE, event)
    assert code == 422
    assert status["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "involvedObject.namespace",
                                            "message": 'Invalid value: "other": does not match event.namespace'}]
    code, _ = apiserver.send("POST", CORE, {**event, "involvedObject": {"kind": "Pod", "name": "p"},
                                            "type": "AnythingGoes"})
    assert code == 201


def test_events_v1_updates_may_not_change_what_happened(apiserver: RunningServer) -> None:
    code, created = apiserver.send("POST", V1, v1_event("fixed"))
    assert code == 201
    code, status = apiserver.send("PATCH", f"{V1}/fixed", {"note": "rewritten"})
    assert code == 422
    assert status["details"]["causes"][0]["field"] == "message"
    series = {"series": {"count": 2, "lastObservedTime": "2026-11-23T10:01:00.000000Z"}}
    code, updated = apiserver.send("PATCH", f"{V1}/fixed", series)
    assert code == 200 and updated["series"]["count"] == 2


def test_an_event_without_a_note_can_start_a_series(apiserver: RunningServer) -> None:
    # An empty note is stored as an omitted message; Go sees no change between the two.
    code, _ = apiserver.send("POST", V1, v1_event("silent", note=""))
    assert code == 201
    series = {"series": {"count": 2, "lastObservedTime": "2026-11-23T10:01:00.000000Z"}}
    code, updated = apiserver.send("PATCH", f"{V1}/silent", series)
    assert code == 200 and updated["series"]["count"] == 2


def test_field_selectors_use_each_apis_own_labels(apiserver: RunningServer) -> None:
    apiserver.send("POST", V1, v1_event("select-me"))
    status, body = apiserver.get(f"{V1}?fieldSelector=regarding.name%3Dselect-me-pod")
    assert status == 200
    assert [e["metadata"]["name"] for e in json.loads(body)["items"]] == ["select-me"]
    status, body = apiserver.get(f"{CORE}?fieldSelector=involvedObject.name%3Dselect-me-pod")
    assert [e["metadata"]["name"] for e in json.loads(body)["items"]] == ["select-me"]
    status, body = apiserver.get(f"{V1}?fieldSelector=involvedObject.name%3Dselect-me-pod")
    assert status == 400
    assert json.loads(body)["message"] == 'field label not supported: involvedObject.name'


def test_an_events_v1_watch_sees_core_writes_in_its_own_form(apiserver: RunningServer) -> None:
    seen: list[dict[str, Any]] = []
    ready = threading.Event()

    def watch() -> None:
        request = urllib.request.Request(apiserver.url + V1 + "?watch=1&fieldSelector=metadata.name%3Dwatched"
                                         "&timeoutSeconds=5")
        with urllib.request.urlopen(request, timeout=10) as response:
            ready.set()
            for line in response:
                seen.append(json.loads(line))
                return

    thread = threading.Thread(target=watch)
    thread.start()
    assert ready.wait(5)
    event = {"metadata": {"name": "watched"}, "involvedObject": {"kind": "Pod", "name": "p"}, "message": "hi"}
    assert apiserver.send("POST", CORE, event)[0] == 201
    thread.join(10)
    assert seen and seen[0]["type"] == "ADDED"
    assert seen[0]["object"]["apiVersion"] == "events.k8s.io/v1" and seen[0]["object"]["note"] == "hi"


def test_events_v1_tables_print_the_event_columns(apiserver: RunningServer) -> None:
    apiserver.send("POST", V1, v1_event("tabled"))
    status, body = apiserver.get(f"{V1}/tabled", accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    assert status == 200
    table = json.loads(body)
    assert [c["name"] for c in table["columnDefinitions"]][:5] == ["Last Seen", "Type", "Reason", "Object", "Subobject"]
    cells = table["rows"][0]["cells"]
    assert cells[1:4] == ["Normal", "Scheduled", "pod/tabled-pod"]
    assert cells[6] == "placed on node-1"


def test_kubectl_lists_both_apis_events(apiserver: RunningServer) -> None:
    apiserver.send("POST", V1, v1_event("for-kubectl"))
    core = apiserver.kubectl("get", "events", "-n", "default",
                             "--field-selector", "involvedObject.name=for-kubectl-pod")
    assert "Scheduled" in core.stdout and "pod/for-kubectl-pod" in core.stdout
    v1 = apiserver.kubectl("get", "events.v1.events.k8s.io", "-n", "default", "-o", "json")
    names = [e["metadata"]["name"] for e in json.loads(v1.stdout)["items"]]
    assert "for-kubectl" in names


def test_events_are_served_from_storage_as_upstream_keeps_them_out_of_the_watch_cache(
        apiserver: RunningServer) -> None:
    namespace = "events-uncached"
    apiserver.send("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
    status, _ = apiserver.send("POST", f"/api/v1/namespaces/{namespace}/events", {
        "metadata": {"name": "e1"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": namespace},
        "reason": "Started", "message": "m", "type": "Normal"})
    assert status == 201
    status, body = apiserver.get(f"/apis/events.k8s.io/v1/namespaces/{namespace}/events")
    assert status == 200 and [e["metadata"]["name"] for e in json.loads(body)["items"]] == ["e1"]
    status, metrics = apiserver.get("/metrics", accept="text/plain")
    assert status == 200 and b'apiserver_watch_cache_objects{group="",resource="namespaces"}' in metrics
    cached = [line for line in metrics.splitlines() if line.startswith(b"apiserver_watch_cache_objects{")]
    assert cached and not [line for line in cached if b'resource="events"' in line]
