"""APIServices and StorageVersionMigrations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

AGGREGATOR = "apiregistration.k8s.io"


def _service(name: str = "v1beta1.metrics.k8s.io", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                     "versionPriority": 100, "service": {"name": "metrics", "namespace": "kube-system"}, **spec}}


def test_an_api_service_reaches_its_service_on_443_by_default() -> None:
    stored, causes = create(AGGREGATOR, "apiservices", _service())
    assert causes == [] and stored["spec"]["service"]["port"] == 443


@pytest.mark.parametrize(("body", "expected"), [
    (_service("metrics"), [("metadata.name", 'Invalid value: "metrics": must be `spec.version+"."+spec.group`: '
                                             '"v1beta1.metrics.k8s.io"')]),
    (_service(groupPriorityMinimum=0),
     [("spec.groupPriorityMinimum", "Invalid value: 0: must be positive and less than 20000")]),
    (_service(service={"name": "metrics", "namespace": "kube-system", "port": 0}),
     [("spec.service.port", "Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive")]),
    (_service("v1beta1.", group=""),
     [("spec.group", "Required value: only v1 may have an empty group and it better be legacy kube")]),
])
def test_api_services_are_validated_with_kube_aggregators_messages(body: dict[str, Any],
                                                                   expected: list[tuple[str, str]]) -> None:
    assert create(AGGREGATOR, "apiservices", body)[1] == expected


def test_a_migration_names_its_resource_which_then_stays() -> None:
    migration = "storagemigration.k8s.io"
    body = {"metadata": {"name": "m"}, "spec": {"resource": {"group": "apps", "resource": "deployments"}}}
    old, causes = create(migration, "storageversionmigrations", body)
    assert causes == [] and old["status"] == {}
    assert create(migration, "storageversionmigrations", {"metadata": {"name": "m"}, "spec": {"resource": {}}})[1] == [
        ("spec.resource.resource", "Required value: resource is required")]
    moved = {**body, "spec": {"resource": {"group": "apps", "resource": "statefulsets"}}}
    assert [f for f, _ in update(migration, "storageversionmigrations", moved, old)[1]] == ["spec.resource"]
    running = {**old, "status": {"conditions": [{"type": "Running", "status": "True", "reason": "Started"},
                                                {"type": "Succeeded", "status": "True", "reason": "Done"}]}}
    assert update(migration, "storageversionmigrations", running, old, subresource="status")[1][0][1].endswith(
        "Running condition cannot be true when success condition is true")


def test_kubectl_create_stores_an_api_services_default_port(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "apiregistration.k8s.io/v1",
                                                            "kind": "APIService", **_service()}))
    stored = json.loads(apiserver.kubectl("get", "apiservice", "v1beta1.metrics.k8s.io", "-o", "json").stdout)
    assert stored["spec"]["service"]["port"] == 443 and "generation" not in stored["metadata"]


def test_a_misnamed_api_service_is_refused_by_the_server(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", "/apis/apiregistration.k8s.io/v1/apiservices", {
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", **_service("metrics")})
    assert code == 422 and server_causes(status) == [
        ("metadata.name", 'Invalid value: "metrics": must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"')]
