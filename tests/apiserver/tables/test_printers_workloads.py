"""Cells of workload controllers, HorizontalPodAutoscalers and PodDisruptionBudgets, against
upstream's printers."""

from __future__ import annotations

import pytest

from tests.apiserver.tables.helpers import ago, cells, meta

_TEMPLATE = {"spec": {"containers": [{"name": "web", "image": "nginx:1"}, {"name": "log", "image": "fluentd"}]}}
_SELECTOR = {"matchLabels": {"app": "web"}}


def test_deployment_rows_carry_integers_under_string_columns_and_the_raw_selector() -> None:
    deployment = {"metadata": meta("d"), "spec": {"replicas": 3, "selector": _SELECTOR, "template": _TEMPLATE},
                  "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}}
    assert cells("apps", "deployments", deployment) == ["d", "2/3", 3, 2, "60m", "web,log", "nginx:1,fluentd",
                                                        "app=web"]
    empty = {"metadata": meta("d"), "spec": {"selector": {}}}
    assert cells("apps", "deployments", empty) == ["d", "0/0", 0, 0, "60m", "", "", ""]
    bad = {"metadata": meta("d"), "spec": {"selector": {"matchExpressions": [{"key": "k", "operator": "Near"}]}}}
    assert cells("apps", "deployments", bad)[-1] == "<invalid>"


@pytest.mark.parametrize(("group", "plural", "selector", "shown"), [
    ("apps", "replicasets", _SELECTOR, "app=web"),
    ("", "replicationcontrollers", {"app": "web", "tier": "front"}, "app=web,tier=front"),
])
def test_replica_rows_count_desired_current_and_ready(group: str, plural: str, selector: object, shown: str) -> None:
    obj = {"metadata": meta("r"), "spec": {"replicas": 3, "selector": selector, "template": _TEMPLATE},
           "status": {"replicas": 2, "readyReplicas": 1}}
    assert cells(group, plural, obj) == ["r", 3, 2, 1, "60m", "web,log", "nginx:1,fluentd", shown]
    assert cells(group, plural, {"metadata": meta("r"), "spec": {}}) == ["r", 0, 0, 0, "60m", "", "", "<none>"]


def test_stateful_and_daemon_set_rows() -> None:
    sts = {"metadata": meta("s"), "spec": {"replicas": 2, "template": _TEMPLATE}, "status": {"readyReplicas": 1}}
    assert cells("apps", "statefulsets", sts) == ["s", "1/2", "60m", "web,log", "nginx:1,fluentd"]
    ds = {"metadata": meta("ds"), "spec": {"selector": _SELECTOR, "template": {
        "spec": {"nodeSelector": {"os": "linux"}, "containers": [{"name": "a", "image": "i"}]}}},
        "status": {"desiredNumberScheduled": 5, "currentNumberScheduled": 4, "numberReady": 3,
                   "updatedNumberScheduled": 2, "numberAvailable": 1}}
    assert cells("apps", "daemonsets", ds) == ["ds", 5, 4, 3, 2, 1, "os=linux", "60m", "a", "i", "app=web"]


@pytest.mark.parametrize(("owners", "controller"), [
    ([{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": True}], "statefulset.apps/web"),
    ([{"apiVersion": "v1", "kind": "Pod", "name": "p"},
      {"apiVersion": "v1", "kind": "ReplicationController", "name": "rc", "controller": True}],
     "replicationcontroller/rc"),
    ([{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds", "controller": False}], "<none>"),
    ([], "<none>"),
])
def test_controller_revision_rows_name_the_controller_by_group_kind(owners: list[object], controller: str) -> None:
    revision = {"metadata": meta("r", ownerReferences=owners), "revision": 7}
    assert cells("apps", "controllerrevisions", revision) == ["r", controller, 7, "60m"]


def _job(conditions: list[dict[str, str]], **spec: object) -> dict[str, object]:
    return {"metadata": meta("j"), "spec": {"template": _TEMPLATE, **spec},
            "status": {"succeeded": 1, "startTime": ago(600), "conditions": conditions}}


@pytest.mark.parametrize(("job", "status", "completions"), [
    (_job([], completions=3), "Running", "1/3"),
    (_job([{"type": "SuccessCriteriaMet", "status": "True"}], parallelism=4), "SuccessCriteriaMet", "1/1 of 4"),
    (_job([{"type": "FailureTarget", "status": "True"}, {"type": "Failed", "status": "True"}]), "Failed", "1/1"),
    (_job([{"type": "Suspended", "status": "False"}, {"type": "Suspended", "status": "True"}]), "Running", "1/1"),
    (_job([{"type": "Complete", "status": "True"}, {"type": "Failed", "status": "True"}]), "Complete", "1/1"),
])
def test_job_status_follows_upstreams_precedence(job: dict[str, object], status: str, completions: str) -> None:
    assert cells("batch", "jobs", job) == ["j", status, completions, "10m", "60m", "web,log", "nginx:1,fluentd",
                                           "<none>"]


@pytest.mark.parametrize(("spec", "status", "expected"), [
    pytest.param({"schedule": "*/5 * * * *", "suspend": False, "jobTemplate": {"spec": {"template": _TEMPLATE}}}, {},
                 ["c", "*/5 * * * *", "<none>", "False", 0, "<none>", "60m", "web,log", "nginx:1,fluentd", "<none>"],
                 id="never-scheduled"),
    pytest.param({"schedule": "@hourly", "timeZone": "Etc/UTC", "suspend": True,
                  "jobTemplate": {"spec": {"selector": _SELECTOR}}},
                 {"active": [{"name": "c-1"}, {"name": "c-2"}], "lastScheduleTime": ago(90)},
                 ["c", "@hourly", "Etc/UTC", "True", 2, "90s", "60m", "", "", "app=web"], id="suspended-with-jobs"),
    pytest.param({"schedule": "@daily"}, {}, ["c", "@daily", "<none>", "<unset>", 0, "<none>", "60m", "", "", "<none>"],
                 id="suspend-unset"),
])
def test_cronjob_suspend_is_a_string_under_a_boolean_column(spec: dict[str, object], status: dict[str, object],
                                                            expected: list[object]) -> None:
    assert cells("batch", "cronjobs", {"metadata": meta("c"), "spec": spec, "status": status}) == expected


def _resource(name: str, target: dict[str, object], kind: str = "Resource") -> dict[str, object]:
    field = "resource" if kind == "Resource" else "containerResource"
    return {"type": kind, field: {"name": name, "container": "app", "target": target}}


def _current(name: str, current: dict[str, object], kind: str = "Resource") -> dict[str, object]:
    field = "resource" if kind == "Resource" else "containerResource"
    return {"type": kind, field: {"name": name, "current": current}}


_PODS = {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}}
_EXTERNAL = {"type": "External", "external": {"target": {"type": "AverageValue", "averageValue": "30"}}}
_OBJECT = {"type": "Object", "object": {"target": {"type": "Value", "value": "2000"}}}


@pytest.mark.parametrize(("metrics", "current", "targets"), [
    pytest.param([], [], "<none>", id="no-metrics"),
    pytest.param([_resource("cpu", {"type": "Utilization", "averageUtilization": 80})],
                 [_current("cpu", {"averageUtilization": 45, "averageValue": "100m"})], "cpu: 45%/80%",
                 id="utilization"),
    pytest.param([_resource("memory", {"type": "Utilization", "averageUtilization": 60})], [],
                 "memory: <unknown>/60%", id="no-status-yet"),
    pytest.param([_resource("memory", {"type": "AverageValue", "averageValue": "1024Mi"}, "ContainerResource")],
                 [_current("memory", {"averageValue": "0.5Gi"}, "ContainerResource")], "memory: 512Mi/1Gi",
                 id="container-average-value"),
    pytest.param([_PODS, _EXTERNAL, _OBJECT],
                 [{"type": "Pods", "pods": {"current": {"averageValue": "1500m"}}}, {},
                  {"type": "Object", "object": {"current": {"value": "1000"}}}],
                 "1500m/1k, <unknown>/30 (avg) + 1 more...", id="first-two-then-more"),
    pytest.param([_OBJECT, {"type": "Bogus"}], [{"type": "Object", "object": {"current": {"value": "1000"}}}],
                 "1k/2k, <unknown type>", id="object-value-and-unknown-type"),
    pytest.param([_EXTERNAL, _PODS], [{"type": "Pods", "pods": {"current": {"averageValue": "1"}}}],
                 "<unknown>/30 (avg), <unknown>/1k", id="statuses-pair-by-position-not-by-type"),
])
def test_hpa_targets_pair_metrics_with_statuses_by_position(metrics: list[object], current: list[object],
                                                            targets: str) -> None:
    hpa = {"metadata": meta("h"), "spec": {
        "scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 10,
        "metrics": metrics}, "status": {"currentReplicas": 3, "currentMetrics": current}}
    assert cells("autoscaling", "horizontalpodautoscalers", hpa) == ["h", "Deployment/web", targets, "2", 10, 3, "60m"]


def test_hpa_without_min_replicas_shows_unset() -> None:
    hpa = {"metadata": meta("h"), "spec": {"scaleTargetRef": {"kind": "StatefulSet", "name": "db"}, "maxReplicas": 1}}
    assert cells("autoscaling", "horizontalpodautoscalers", hpa) == ["h", "StatefulSet/db", "<none>", "<unset>", 1, 0,
                                                                      "60m"]


@pytest.mark.parametrize(("spec", "shown"), [
    ({"minAvailable": 2}, ["2", "N/A"]),
    ({"maxUnavailable": "25%"}, ["N/A", "25%"]),
])
def test_pod_disruption_budget_rows(spec: dict[str, object], shown: list[str]) -> None:
    pdb = {"metadata": meta("b"), "spec": spec, "status": {"disruptionsAllowed": 1}}
    assert cells("policy", "poddisruptionbudgets", pdb) == ["b", *shown, 1, "60m"]
