"""FlowSchemas and PriorityLevelConfigurations (flowcontrol.apiserver.k8s.io/v1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes

FLOW = "flowcontrol.apiserver.k8s.io"
_EVERYTHING = {"subjects": [{"kind": "Group", "group": {"name": "system:authenticated"}}],
               "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "clusterScope": True}]}


def _schema(name: str = "mine", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name},
            "spec": {"priorityLevelConfiguration": {"name": "global-default"}, "rules": [_EVERYTHING], **spec}}


def _level(name: str = "mine", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": spec}


def test_a_flow_schema_matches_at_precedence_1000_by_default() -> None:
    stored, causes = create(FLOW, "flowschemas", _schema())
    assert causes == [] and stored["spec"]["matchingPrecedence"] == 1000


@pytest.mark.parametrize(("spec", "expected"), [
    ({"matchingPrecedence": 1},
     [("spec.matchingPrecedence", "Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1")]),
    ({"matchingPrecedence": 10001},
     [("spec.matchingPrecedence", "Invalid value: 10001: must not be greater than 10000")]),
    ({"priorityLevelConfiguration": {}},
     [("spec.priorityLevelConfiguration.name", "Required value: must reference a priority level")]),
    ({"distinguisherMethod": {"type": "ByColour"}},
     [("spec.distinguisherMethod.type", 'Unsupported value: flowcontrol.FlowDistinguisherMethod{Type:"ByColour"}: '
                                        'supported values: "ByNamespace", "ByUser"')]),
    ({"rules": [{"subjects": [{"kind": "User"}], "nonResourceRules": [{"verbs": ["get"],
                                                                       "nonResourceURLs": ["healthz"]}]}]},
     [("spec.rules[0].subjects[0].user", "Required value: user is required when subject kind is 'User'"),
      ("spec.rules[0].nonResourceRules[0].nonResourceURLs[0]", 'Invalid value: "healthz": must start with slash')]),
    ({"rules": [{"subjects": [{"kind": "Group", "group": {"name": "g"}}],
                 "resourceRules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]}]},
     [("spec.rules[0].resourceRules[0].namespaces", "Required value: resource rules that are not cluster scoped "
                                                    "must supply at least one namespace")]),
])
def test_flow_schemas_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                            expected: list[tuple[str, str]]) -> None:
    assert create(FLOW, "flowschemas", _schema(**spec))[1] == expected


def test_a_limited_level_gets_30_shares_and_queues_of_64_hands_of_8_and_50_waiting() -> None:
    stored, causes = create(FLOW, "prioritylevelconfigurations", _level(type="Limited", limited={
        "limitResponse": {"type": "Queue", "queuing": {}}}))
    assert causes == []
    assert stored["spec"]["limited"] == {"nominalConcurrencyShares": 30, "lendablePercent": 0, "limitResponse": {
        "type": "Queue", "queuing": {"handSize": 8, "queues": 64, "queueLengthLimit": 50}}}


@pytest.mark.parametrize(("name", "spec", "expected"), [
    ("mine", {"type": "Exempt"}, [("spec.type", 'Invalid value: "Exempt": type must be \'Exempt\' if and only if '
                                                "name is 'exempt'")]),
    ("mine", {"type": "Limited"}, [("spec.limited", "Required value: must not be empty when type is Limited")]),
    ("mine", {"type": "Limited", "limited": {"lendablePercent": 101, "limitResponse": {"type": "Reject"}}},
     [("spec.limited.lendablePercent", "Invalid value: 101: must be between 0 and 100, inclusive")]),
    ("mine", {"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {"queues": 4,
                                                                                            "handSize": 5}}}},
     [("spec.limited.limitResponse.queuing.handSize", "Invalid value: 5: should not be greater than queues (4)")]),
    ("mine", {"type": "Sometimes"}, [("spec.type", 'Unsupported value: "Sometimes": supported values: "Exempt", '
                                                   '"Limited"')]),
])
def test_priority_levels_are_validated_with_upstreams_messages(name: str, spec: dict[str, Any],
                                                               expected: list[tuple[str, str]]) -> None:
    assert create(FLOW, "prioritylevelconfigurations", _level(name, **spec))[1] == expected


def test_kubectl_create_stores_a_flow_schemas_defaults_and_generation(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "flowcontrol.apiserver.k8s.io/v1",
                                                            "kind": "FlowSchema", **_schema("everyone-else")}))
    stored = json.loads(apiserver.kubectl("get", "flowschema", "everyone-else", "-o", "json").stdout)
    assert stored["spec"]["matchingPrecedence"] == 1000 and stored["metadata"]["generation"] == 1


def test_a_level_named_exempt_must_be_exempt_on_the_server(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", "/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations", {
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
        **_level("queued", type="Exempt")})
    assert code == 422 and server_causes(status) == [
        ("spec.type", "Invalid value: \"Exempt\": type must be 'Exempt' if and only if name is 'exempt'")]
