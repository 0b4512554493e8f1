"""ResourceQuotas and LimitRanges."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update


def _quota(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "q", "namespace": "default"}, "spec": spec}


def _limits(*items: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "limits", "namespace": "default"}, "spec": {"limits": list(items)}}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"hard": {"pods": "10", "requests.cpu": "4", "count/deployments.apps": "3"}}, []),
    ({"hard": {"widgets": "1"}},
     [("spec.hard[widgets]", 'Invalid value: "widgets": must be a standard resource type or fully qualified')]),
    ({"hard": {"storage": "1Gi"}},
     [("spec.hard[storage]", 'Invalid value: "storage": must be a standard resource for quota')]),
    ({"hard": {"pods": "-1"}}, [("spec.hard[pods]", 'Invalid value: "-1": must be greater than or equal to 0')]),
    ({"hard": {"pods": "1500m"}}, [("spec.hard[pods]", 'Invalid value: "1500m": must be an integer')]),
    ({"hard": {"pods": "1"}, "scopes": ["BestEffort", "NotBestEffort"]},
     [("spec.scopes", 'Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting '
                      "scopes")]),
])
def test_quota_specs_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                           expected: list[tuple[str, str]]) -> None:
    assert create("", "resourcequotas", _quota(**spec))[1] == expected


def test_quota_scopes_may_not_change_and_a_new_quota_has_no_status() -> None:
    old, _ = create("", "resourcequotas", {**_quota(hard={"pods": "1"}), "status": {"used": {"pods": "3"}}})
    assert "status" not in old or old["status"] == {}
    causes = update("", "resourcequotas", _quota(hard={"pods": "1"}, scopes=["Terminating"]), old)[1]
    assert causes == [("spec.scopes", 'Invalid value: []core.ResourceQuotaScope{"Terminating"}: field is immutable')]


def test_a_container_limit_defaults_its_limit_to_the_max_and_its_request_to_the_limit_or_min() -> None:
    stored, causes = create("", "limitranges", _limits({"type": "Container", "max": {"cpu": "2"},
                                                        "min": {"memory": "64Mi"}}))
    assert causes == []
    item = stored["spec"]["limits"][0]
    assert item["default"] == {"cpu": "2"} and item["defaultRequest"] == {"cpu": "2", "memory": "64Mi"}


def test_a_pod_limit_gets_no_container_defaults() -> None:
    stored, _ = create("", "limitranges", _limits({"type": "Pod", "max": {"cpu": "2"}}))
    assert stored["spec"]["limits"][0] == {"type": "Pod", "max": {"cpu": "2"}}


@pytest.mark.parametrize(("items", "expected"), [
    ([{"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}}],
     [("spec.limits[0].min[cpu]", 'Invalid value: "2": min value 2 is greater than max value 1'),
      ("spec.limits[0].defaultRequest[cpu]", 'Invalid value: "1": min value 2 is greater than default request '
                                             "value 1"),
      ("spec.limits[0].default[cpu]", 'Invalid value: "2": min value 2 is greater than default value 1')]),
    ([{"type": "Pod", "default": {"cpu": "1"}}],
     [("spec.limits[0].default", "Forbidden: may not be specified when `type` is 'Pod'")]),
    ([{"type": "PersistentVolumeClaim"}],
     [("spec.limits[0].limits", "Required value: either minimum or maximum storage value is required, but neither "
                                "was provided")]),
    ([{"type": "Container"}, {"type": "Container"}], [("spec.limits[1].type", 'Duplicate value: "Container"')]),
    ([{"type": "Gadget"}],
     [("spec.limits[0].type", 'Invalid value: "Gadget": must be a standard limit type or fully qualified')]),
    ([{"type": "Container", "maxLimitRequestRatio": {"cpu": "500m"}}],
     [("spec.limits[0].maxLimitRequestRatio[cpu]", 'Invalid value: "500m": ratio 500m is less than 1')]),
])
def test_limit_ranges_are_validated_with_upstreams_messages(items: list[dict[str, Any]],
                                                            expected: list[tuple[str, str]]) -> None:
    assert create("", "limitranges", _limits(*items))[1] == expected


def test_a_limit_range_without_a_name_is_given_one() -> None:
    stored, causes = create("", "limitranges", {"metadata": {"namespace": "default"}, "spec": {"limits": []}})
    assert causes == [] and len(stored["metadata"]["name"]) == 36


def test_kubectl_create_stores_a_limit_ranges_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "LimitRange", **_limits({"type": "Container", "max": {"memory": "1Gi"}})}))
    stored = json.loads(apiserver.kubectl("get", "limitrange", "limits", "-n", "default", "-o", "json").stdout)
    assert stored["spec"]["limits"][0]["default"] == {"memory": "1Gi"}
    assert stored["spec"]["limits"][0]["defaultRequest"] == {"memory": "1Gi"}
    assert "generation" not in stored["metadata"]


def test_a_put_may_create_a_limit_range(apiserver: RunningServer) -> None:
    body = {"apiVersion": "v1", "kind": "LimitRange", **_limits()}
    body["metadata"]["name"] = "put"
    code, _ = apiserver.send("PUT", "/api/v1/namespaces/default/limitranges/put", body)
    assert code == 201


def test_a_quota_on_an_unknown_resource_is_refused_by_the_server(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", "/api/v1/namespaces/default/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", **_quota(hard={"gpus": "1"})})
    assert code == 422 and server_causes(status) == [
        ("spec.hard[gpus]", 'Invalid value: "gpus": must be a standard resource type or fully qualified')]


def test_a_limit_range_posted_without_a_name_is_stored_under_a_random_one(apiserver: RunningServer) -> None:
    code, stored = apiserver.send("POST", "/api/v1/namespaces/default/limitranges", {
        "apiVersion": "v1", "kind": "LimitRange", "metadata": {}, "spec": {"limits": [{"type": "Pod"}]}})
    assert code == 201, stored
    assert len(stored["metadata"]["name"]) == 36
