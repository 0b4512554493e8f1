"""Cells of admission webhooks and policies, API Priority and Fairness objects, APIServices and
storage version migrations, against upstream's printers."""

from __future__ import annotations

import pytest

from myriad.apiserver.tables.printers import BY_RESOURCE
from tests.apiserver.tables.helpers import NOW, cells, meta

_ADMISSION = "admissionregistration.k8s.io"
_APF = "flowcontrol.apiserver.k8s.io"


@pytest.mark.parametrize("plural", ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"])
def test_webhook_configurations_count_their_webhooks(plural: str) -> None:
    config = {"metadata": meta("w"), "webhooks": [{"name": "a.example.com"}, {"name": "b.example.com"}]}
    assert cells(_ADMISSION, plural, config) == ["w", 2, "60m"]
    assert cells(_ADMISSION, plural, {"metadata": meta("w")}) == ["w", 0, "60m"]


@pytest.mark.parametrize(("plural", "rules"), [("validatingadmissionpolicies", "validations"),
                                               ("mutatingadmissionpolicies", "mutations")])
def test_admission_policies_count_rules_and_name_the_param_kind(plural: str, rules: str) -> None:
    policy = {"metadata": meta("p"), "spec": {rules: [{"expression": "true"}] * 3,
                                              "paramKind": {"apiVersion": "example.com/v1", "kind": "Limits"}}}
    assert cells(_ADMISSION, plural, policy) == ["p", 3, "example.com/v1/Limits", "60m"]
    assert cells(_ADMISSION, plural, {"metadata": meta("p"), "spec": {}}) == ["p", 0, "<unset>", "60m"]


@pytest.mark.parametrize(("param_ref", "shown"), [
    ({"name": "limits", "namespace": "team-a"}, "team-a/limits"),
    ({"name": "limits"}, "*/limits"),
    ({"selector": {"matchLabels": {"tier": "gold", "app": "web"},
                   "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "stage"]},
                                        {"key": "canary", "operator": "DoesNotExist"}]}},
     "&LabelSelector{MatchLabels:map[string]string{app: web,tier: gold,},MatchExpressions:[]LabelSelectorRequirement{"
     "LabelSelectorRequirement{Key:env,Operator:In,Values:[prod stage],},"
     "LabelSelectorRequirement{Key:canary,Operator:DoesNotExist,Values:[],},},}"),
    ({"selector": {}},
     "&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{},}"),
    ({"parameterNotFoundAction": "Deny"}, "<unset>"),
    (None, "<unset>"),
])
@pytest.mark.parametrize("plural", ["validatingadmissionpolicybindings", "mutatingadmissionpolicybindings"])
def test_policy_bindings_show_the_param_ref(plural: str, param_ref: object, shown: str) -> None:
    spec = {"policyName": "p", **({"paramRef": param_ref} if param_ref is not None else {})}
    assert cells(_ADMISSION, plural, {"metadata": meta("b"), "spec": spec}) == ["b", "p", shown, "60m"]


def _schema(name: str, precedence: int, **spec: object) -> dict[str, object]:
    return {"metadata": meta(name), "spec": {"priorityLevelConfiguration": {"name": "workload-low"},
                                             "matchingPrecedence": precedence, **spec}}


def test_flow_schema_rows_carry_the_precedence_as_an_integer_and_the_dangling_status() -> None:
    schema = {**_schema("fs", 9000, distinguisherMethod={"type": "ByUser"}),
              "status": {"conditions": [{"type": "Dangling", "status": "False"}]}}
    assert cells(_APF, "flowschemas", schema) == ["fs", "workload-low", 9000, "ByUser", "60m", "False"]
    assert cells(_APF, "flowschemas", _schema("fs", 1)) == ["fs", "workload-low", 1, "<none>", "60m", "?"]


def test_a_flow_schema_list_is_ordered_by_precedence_then_name() -> None:
    schemas = [_schema("global-default", 9900), _schema("b", 500), _schema("exempt", 1), _schema("a", 500)]
    printer = BY_RESOURCE[(_APF, "flowschemas")]
    assert printer.listing is not None
    order, row = printer.listing(schemas)
    assert [row(schemas[i], NOW)[0] for i in order] == ["exempt", "a", "b", "global-default"]


@pytest.mark.parametrize(("spec", "expected"), [
    pytest.param({"type": "Exempt", "exempt": {}}, ["pl", "Exempt", "<none>", "<none>", "<none>", "<none>", "60m"],
                 id="exempt"),
    pytest.param({"type": "Limited", "limited": {"nominalConcurrencyShares": 30, "limitResponse": {"type": "Reject"}}},
                 ["pl", "Limited", 30, "<none>", "<none>", "<none>", "60m"], id="reject"),
    pytest.param({"type": "Limited", "limited": {"nominalConcurrencyShares": 100, "limitResponse": {
        "type": "Queue", "queuing": {"queues": 64, "handSize": 6, "queueLengthLimit": 50}}}},
                 ["pl", "Limited", 100, 64, 6, 50, "60m"], id="queuing"),
])
def test_priority_level_rows_mix_integers_and_none_under_string_columns(spec: dict[str, object],
                                                                        expected: list[object]) -> None:
    assert cells(_APF, "prioritylevelconfigurations", {"metadata": meta("pl"), "spec": spec}) == expected


@pytest.mark.parametrize(("spec", "conditions", "expected"), [
    ({"service": {"namespace": "kube-system", "name": "metrics-server", "port": 443}},
     [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}],
     ["v1beta1.metrics.k8s.io", "kube-system/metrics-server", "False (MissingEndpoints)", "60m"]),
    ({}, [{"type": "Available", "status": "True", "reason": "Local"}],
     ["v1beta1.metrics.k8s.io", "Local", "True", "60m"]),
    ({}, [{"type": "Available", "status": "Unknown"}], ["v1beta1.metrics.k8s.io", "Local", "Unknown", "60m"]),
    ({}, [], ["v1beta1.metrics.k8s.io", "Local", "Unknown", "60m"]),
])
def test_api_service_rows_show_the_backend_and_availability(spec: dict[str, object], conditions: list[object],
                                                            expected: list[object]) -> None:
    service = {"metadata": meta("v1beta1.metrics.k8s.io"), "spec": spec, "status": {"conditions": conditions}}
    assert cells("apiregistration.k8s.io", "apiservices", service) == expected


@pytest.mark.parametrize(("resource", "conditions", "expected"), [
    ({"group": "apps", "resource": "deployments"},
     [{"type": "Running", "status": "True"}, {"type": "Succeeded", "status": "True"}],
     ["m", "deployments.apps", "Succeeded"]),
    ({"resource": "secrets"}, [{"type": "Running", "status": "True"}, {"type": "Failed", "status": "False"}],
     ["m", "secrets", "Running"]),
    ({"resource": "secrets"}, [], ["m", "secrets", "Unknown"]),
])
def test_storage_version_migration_rows_have_no_age(resource: dict[str, str], conditions: list[object],
                                                    expected: list[object]) -> None:
    migration = {"metadata": meta("m"), "spec": {"resource": resource}, "status": {"conditions": conditions}}
    assert cells("storagemigration.k8s.io", "storageversionmigrations", migration) == expected
