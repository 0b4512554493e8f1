"""Tables built from whole lists and from served objects: list-wide rows (the default
StorageClass, FlowSchema order) and objects printed in their stored form."""

from __future__ import annotations

from typing import Any

from myriad.api.builtin import BUILTIN
from myriad.api.registry import ResourceType
from myriad.apiserver.tables.convert import TableConverter, View
from tests.apiserver.tables.helpers import NOW, ago, meta

_CONVERTER = TableConverter(now=lambda: NOW)


def _resource(group: str, version: str, plural: str) -> ResourceType:
    return next(r for r in BUILTIN if (r.group, r.version, r.plural) == (group, version, plural))


def _rows(table: dict[str, Any]) -> list[dict[str, Any]]:
    return table["rows"]


def test_only_a_listed_storage_class_says_it_is_the_default() -> None:
    classes = [{"metadata": {"name": n, "creationTimestamp": ago(age),
                             "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": "p"} for n, age in (("older", 600), ("newer", 60))]
    resource = _resource("storage.k8s.io", "v1", "storageclasses")
    listed = _CONVERTER.list_body(resource, View("Table"), classes, {"resourceVersion": "5"})
    assert [row["cells"][0] for row in _rows(listed)] == ["older", "newer (default)"]
    alone = _CONVERTER.object_body(resource, View("Table"), classes[1])
    assert _rows(alone)[0]["cells"][0] == "newer"


def test_flow_schema_rows_and_their_objects_go_by_precedence() -> None:
    schemas = [{"metadata": meta(name), "spec": {"priorityLevelConfiguration": {"name": "pl"},
                                                 "matchingPrecedence": precedence}}
               for name, precedence in (("catch-all", 10000), ("exempt", 1), ("system", 500))]
    resource = _resource("flowcontrol.apiserver.k8s.io", "v1", "flowschemas")
    table = _CONVERTER.list_body(resource, View("Table", include="Object"), schemas, {})
    rows = _rows(table)
    assert [row["cells"][0] for row in rows] == ["exempt", "system", "catch-all"]
    assert [row["object"]["metadata"]["name"] for row in rows] == ["exempt", "system", "catch-all"]


def test_an_autoscaling_v1_object_prints_from_its_v2_form_and_is_returned_as_served() -> None:
    served = {"metadata": meta("web"), "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1,
        "maxReplicas": 4, "targetCPUUtilizationPercentage": 50},
        "status": {"currentReplicas": 2, "desiredReplicas": 2, "currentCPUUtilizationPercentage": 30}}
    resource = _resource("autoscaling", "v1", "horizontalpodautoscalers")
    row = _rows(_CONVERTER.object_body(resource, View("Table", include="Object"), served))[0]
    assert row["cells"] == ["web", "Deployment/web", "cpu: 30%/50%", "1", 4, 2, "60m"]
    assert row["object"]["apiVersion"] == "autoscaling/v1"
    assert row["object"]["spec"]["targetCPUUtilizationPercentage"] == 50


def test_an_events_v1_event_prints_as_the_core_event_it_is_stored_as() -> None:
    event = {"metadata": meta("e"), "regarding": {"kind": "Pod", "name": "web-0"}, "reason": "Started",
             "note": "started", "type": "Normal", "eventTime": ago(120).replace("Z", ".000000Z"),
             "reportingController": "kubelet", "reportingInstance": "n1", "action": "Start"}
    resource = _resource("events.k8s.io", "v1", "events")
    row = _rows(_CONVERTER.object_body(resource, View("Table"), event))[0]
    assert row["cells"] == ["2m", "Normal", "Started", "pod/web-0", "", "kubelet, n1", "started", "2m", 1, "e"]


def test_ip_address_rows_keep_upstreams_extra_age_cell() -> None:
    resource = _resource("networking.k8s.io", "v1", "ipaddresses")
    table = _CONVERTER.object_body(resource, View("Table"), {"metadata": meta("10.96.0.1"), "spec": {}})
    assert len(table["columnDefinitions"]) == 2
    assert _rows(table)[0]["cells"] == ["10.96.0.1", "<none>", "60m"]
