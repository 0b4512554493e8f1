"""HorizontalPodAutoscalers (their stored autoscaling/v2 form)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

_TARGET = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}


def _hpa(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {"scaleTargetRef": _TARGET, "maxReplicas": 5, **spec}}


def test_an_autoscaler_targets_80_percent_cpu_from_one_replica_by_default() -> None:
    stored, causes = create("autoscaling", "horizontalpodautoscalers", _hpa())
    assert causes == [] and stored["spec"]["minReplicas"] == 1
    assert stored["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    assert "behavior" not in stored["spec"]


def test_a_given_behavior_is_completed_with_upstreams_scaling_rules() -> None:
    stored, _ = create("autoscaling", "horizontalpodautoscalers", _hpa(behavior={
        "scaleDown": {"stabilizationWindowSeconds": 60}}))
    assert stored["spec"]["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                 {"type": "Percent", "value": 100, "periodSeconds": 15}]},
        "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max",
                      "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"minReplicas": 0}, [("spec.minReplicas", "Invalid value: 0: must be greater than or equal to 1"),
                          ("spec.metrics", "Forbidden: must specify at least one Object or External metric to "
                                           "support scaling to zero replicas")]),
    ({"maxReplicas": 0}, [("spec.maxReplicas", "Invalid value: 0: must be greater than 0"),
                          ("spec.maxReplicas", "Invalid value: 0: must be greater than or equal to `minReplicas`")]),
    ({"scaleTargetRef": {"kind": "Deployment"}}, [("spec.scaleTargetRef.name", "Required value")]),
    ({"metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]},
     [("spec.metrics[0].resource.target.averageUtilization",
       "Required value: must set either a target raw value or a target utilization")]),
    ({"metrics": [{"type": "Pods"}]},
     [("spec.metrics[0].pods", "Required value: must populate information for the given metric source")]),
    ({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 0, "periodSeconds": 15}]}}},
     [("spec.behavior.scaleUp.policies[0].value", "Invalid value: 0: must be greater than zero")]),
])
def test_autoscalers_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                           expected: list[tuple[str, str]]) -> None:
    assert create("autoscaling", "horizontalpodautoscalers", _hpa(**spec))[1] == expected


def test_status_replicas_may_not_be_negative() -> None:
    old, _ = create("autoscaling", "horizontalpodautoscalers", _hpa())
    new = {**old, "status": {"currentReplicas": -1, "desiredReplicas": 0}}
    assert update("autoscaling", "horizontalpodautoscalers", new, old, subresource="status")[1] == [
        ("status.currentReplicas", "Invalid value: -1: must be greater than or equal to 0")]


def test_kubectl_autoscale_stores_the_v2_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "autoscaling/v2",
                                                            "kind": "HorizontalPodAutoscaler", **_hpa()}))
    stored = json.loads(apiserver.kubectl("get", "hpa.v2.autoscaling", "web", "-n", "default", "-o",
                                          "json").stdout)
    assert stored["spec"]["minReplicas"] == 1
    assert stored["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}
    assert "generation" not in stored["metadata"]


def test_an_autoscaler_with_max_below_min_is_refused_by_the_server(apiserver: RunningServer) -> None:
    body = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", **_hpa(minReplicas=4, maxReplicas=2)}
    body["metadata"]["name"] = "upside-down"
    code, status = apiserver.send("POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", body)
    assert code == 422 and server_causes(status) == [
        ("spec.maxReplicas", "Invalid value: 2: must be greater than or equal to `minReplicas`")]


def test_an_autoscaler_written_as_v1_without_a_target_reads_back_with_the_default_cpu_target(
        apiserver: RunningServer) -> None:
    code, created = apiserver.send("POST", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", {
        "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "legacy", "namespace": "default"},
        "spec": {"scaleTargetRef": _TARGET, "maxReplicas": 3}})
    assert code == 201, created
    assert (created["spec"]["minReplicas"], created["spec"]["targetCPUUtilizationPercentage"]) == (1, 80)
