"""PriorityClasses and RuntimeClasses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

SCHEDULING = "scheduling.k8s.io"


def _class(name: str = "high", **fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "value": 1000, **fields}


def test_a_priority_class_preempts_lower_priorities_by_default() -> None:
    stored, causes = create(SCHEDULING, "priorityclasses", _class())
    assert causes == [] and stored["preemptionPolicy"] == "PreemptLowerPriority"


@pytest.mark.parametrize(("body", "expected"), [
    (_class(value=2000000000),
     [("value", "Forbidden: maximum allowed value of a user defined priority is 1000000000")]),
    (_class("system-special"),
     [("metadata.name", "Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
                        "error: system-special is not a known system priority class")]),
    (_class("system-node-critical", value=5),
     [("metadata.name", "Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
                        "error: value of system-node-critical PriorityClass must be 2000001000")]),
    (_class(preemptionPolicy="Sometimes"),
     [("preemptionPolicy", 'Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"')]),
])
def test_priority_classes_are_validated_with_upstreams_messages(body: dict[str, Any],
                                                                expected: list[tuple[str, str]]) -> None:
    assert create(SCHEDULING, "priorityclasses", body)[1] == expected


def test_a_priority_class_keeps_its_value_and_policy() -> None:
    old, _ = create(SCHEDULING, "priorityclasses", _class())
    assert update(SCHEDULING, "priorityclasses", _class(value=5, preemptionPolicy="Never"), old)[1] == [
        ("value", "Forbidden: may not be changed in an update."),
        ("preemptionPolicy", 'Invalid value: "Never": field is immutable')]


def test_a_runtime_class_handler_is_a_dns_label_that_stays() -> None:
    node = "node.k8s.io"
    assert create(node, "runtimeclasses", {"metadata": {"name": "gvisor"}, "handler": "runsc"})[1] == []
    assert [f for f, _ in create(node, "runtimeclasses", {"metadata": {"name": "x"}, "handler": "Run_SC"})[1]] == [
        "handler"]
    old = {"metadata": {"name": "gvisor"}, "handler": "runsc"}
    assert update(node, "runtimeclasses", {**old, "handler": "kata"}, old)[1] == [
        ("handler", 'Invalid value: "kata": field is immutable')]
    tolerating = {**old, "scheduling": {"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]}}
    assert [f for f, _ in create(node, "runtimeclasses", tolerating)[1]] == ["scheduling.tolerations[0].operator"]


def test_the_system_priority_classes_may_not_be_deleted(apiserver: RunningServer) -> None:
    code, status = apiserver.send("DELETE", "/apis/scheduling.k8s.io/v1/priorityclasses/system-node-critical", None)
    assert (code, status["reason"]) == (403, "Forbidden")
    assert status["message"] == ('priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a '
                                 "system priority class and cannot be deleted")


def test_kubectl_create_stores_a_priority_class_with_its_policy(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "priorityclass", "batch-low", "--value=10")
    stored = json.loads(apiserver.kubectl("get", "priorityclass", "batch-low", "-o", "json").stdout)
    assert stored["preemptionPolicy"] == "PreemptLowerPriority" and "generation" not in stored["metadata"]


def test_a_user_class_above_a_billion_is_refused_by_the_server(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", {
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", **_class("too-high", value=1000000001)})
    assert code == 422 and server_causes(status) == [
        ("value", "Forbidden: maximum allowed value of a user defined priority is 1000000000")]
