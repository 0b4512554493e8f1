"""Webhook configurations and admission policies (admissionregistration.k8s.io/v1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

ADMISSION = "admissionregistration.k8s.io"
_RULE = {"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}


def _webhook(**fields: Any) -> dict[str, Any]:
    return {"name": "check.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"service": {"name": "hook", "namespace": "default"}}, "rules": [dict(_RULE)], **fields}


def _config(*webhooks: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "hooks"}, "webhooks": list(webhooks)}


def test_a_webhook_gets_upstreams_v1_defaults() -> None:
    stored, causes = create(ADMISSION, "mutatingwebhookconfigurations", _config(_webhook()))
    assert causes == []
    (hook,) = stored["webhooks"]
    assert {k: hook[k] for k in ("failurePolicy", "matchPolicy", "timeoutSeconds", "namespaceSelector",
                                 "objectSelector", "reinvocationPolicy")} == {
        "failurePolicy": "Fail", "matchPolicy": "Equivalent", "timeoutSeconds": 10, "namespaceSelector": {},
        "objectSelector": {}, "reinvocationPolicy": "Never"}
    assert hook["rules"][0]["scope"] == "*" and hook["clientConfig"]["service"]["port"] == 443
    validating, _ = create(ADMISSION, "validatingwebhookconfigurations", _config(_webhook()))
    assert "reinvocationPolicy" not in validating["webhooks"][0]


@pytest.mark.parametrize(("hook", "expected"), [
    (_webhook(name="check"),
     [("webhooks[0].name", 'Invalid value: "check": should be a domain with at least three segments separated by '
                           "dots")]),
    ({k: v for k, v in _webhook().items() if k != "sideEffects"},
     [("webhooks[0].sideEffects", "Required value: must specify one of None, NoneOnDryRun")]),
    (_webhook(sideEffects="Some"),
     [("webhooks[0].sideEffects", 'Unsupported value: "Some": supported values: "None", "NoneOnDryRun"')]),
    (_webhook(timeoutSeconds=31),
     [("webhooks[0].timeoutSeconds", "Invalid value: 31: the timeout value must be between 1 and 30 seconds")]),
    (_webhook(clientConfig={}),
     [("webhooks[0].clientConfig", "Required value: exactly one of url or service is required")]),
    (_webhook(clientConfig={"url": "http://hook.example.com/check"}),
     [("webhooks[0].clientConfig.url", "Invalid value: \"http\": 'https' is the only allowed URL scheme; desired "
                                       "format: https://host[/path]")]),
    (_webhook(admissionReviewVersions=[]),
     [("webhooks[0].admissionReviewVersions", "Required value: must specify one of v1, v1beta1")]),
    (_webhook(rules=[{**_RULE, "operations": ["*", "CREATE"]}]),
     [("webhooks[0].rules[0].operations", 'Invalid value: []admissionregistration.OperationType{"*", "CREATE"}: '
                                          "if '*' is present, must not specify other operations")]),
    (_webhook(matchConditions=[{"name": "c"}]),
     [("webhooks[0].matchConditions[0].expression", "Required value")]),
])
def test_webhooks_are_validated_with_upstreams_messages(hook: dict[str, Any],
                                                        expected: list[tuple[str, str]]) -> None:
    assert create(ADMISSION, "validatingwebhookconfigurations", _config(hook))[1] == expected


def test_an_update_tolerates_what_the_stored_configuration_already_does() -> None:
    old = _config(_webhook(sideEffects="Unknown"), _webhook(sideEffects="Unknown"))
    assert update(ADMISSION, "validatingwebhookconfigurations", old, old)[1] == []
    assert [f for f, _ in create(ADMISSION, "validatingwebhookconfigurations", old)[1]] == [
        "webhooks[0].sideEffects", "webhooks[1].sideEffects", "webhooks[1].name"]


def _policy(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "policy"},
            "spec": {"matchConstraints": {"resourceRules": [dict(_RULE)]},
                     "validations": [{"expression": "object.spec.replicas < 5"}], **spec}}


def test_a_validating_policy_fails_closed_and_matches_everything_by_default() -> None:
    stored, causes = create(ADMISSION, "validatingadmissionpolicies", _policy())
    assert causes == []
    assert stored["spec"]["failurePolicy"] == "Fail"
    assert stored["spec"]["matchConstraints"] == {
        "resourceRules": [{**_RULE, "scope": "*"}], "matchPolicy": "Equivalent", "namespaceSelector": {},
        "objectSelector": {}}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"validations": []},
     [("spec.validations", "Required value: validations or auditAnnotations must contain at least one item"),
      ("spec.auditAnnotations", "Required value: validations or auditAnnotations must contain at least one item")]),
    ({"matchConstraints": {}}, [("spec.matchConstraints.resourceRules", "Required value")]),
    ({"variables": [{"name": "1x", "expression": "1"}]},
     [("spec.variables[0].name", 'Invalid value: "1x": name is not a valid CEL identifier')]),
    ({"paramKind": {"apiVersion": "v1"}}, [("spec.paramKind.kind", "Required value")]),
])
def test_validating_policies_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                                   expected: list[tuple[str, str]]) -> None:
    assert create(ADMISSION, "validatingadmissionpolicies", _policy(**spec))[1] == expected


@pytest.mark.parametrize(("spec", "expected"), [
    ({"policyName": "policy", "validationActions": ["Deny"]}, []),
    ({"validationActions": ["Deny"]}, [("spec.policyName", "Required value")]),
    ({"policyName": "policy", "validationActions": []},
     [("spec.validationActions", "Required value: at least one validation action is required")]),
    ({"policyName": "policy", "validationActions": ["Deny", "Warn"]},
     [("spec.validationActions", 'Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn"}: must not '
                                 "contain both Deny and Warn (repeating the same validation failure information in "
                                 "the API response and headers serves no purpose)")]),
    ({"policyName": "policy", "validationActions": ["Deny"], "paramRef": {"name": "p"}},
     [("spec.paramRef.parameterNotFoundAction", "Required value")]),
])
def test_policy_bindings_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                               expected: list[tuple[str, str]]) -> None:
    body = {"metadata": {"name": "binding"}, "spec": spec}
    assert create(ADMISSION, "validatingadmissionpolicybindings", body)[1] == expected


def test_a_mutating_policy_needs_mutations_of_a_known_patch_type() -> None:
    body = {"metadata": {"name": "m"}, "spec": {"matchConstraints": {"resourceRules": [dict(_RULE)]}}}
    stored, causes = create(ADMISSION, "mutatingadmissionpolicies", body)
    assert stored["spec"]["failurePolicy"] == "Fail"
    assert causes == [("spec.mutations", "Required value: mutations must contain at least one item")]
    body["spec"]["mutations"] = [{"patchType": "JSONPatch", "jsonPatch": {"expression": "[]"}}]
    assert create(ADMISSION, "mutatingadmissionpolicies", body)[1] == []


def test_kubectl_create_stores_a_webhooks_defaults_and_generation(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        **_config(_webhook())}))
    stored = json.loads(apiserver.kubectl("get", "validatingwebhookconfiguration", "hooks", "-o", "json").stdout)
    assert stored["webhooks"][0]["timeoutSeconds"] == 10 and stored["webhooks"][0]["failurePolicy"] == "Fail"
    assert stored["metadata"]["generation"] == 1


def test_a_webhook_configuration_update_must_be_conditional(apiserver: RunningServer) -> None:
    body = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            **_config(_webhook())}
    body["metadata"]["name"] = "conditional"
    assert apiserver.send("POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
                          body)[0] == 201
    code, status = apiserver.send("PUT", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/"
                                         "conditional", body)
    assert code == 422 and server_causes(status) == [
        ("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")]
