"""Roles, ClusterRoles and their bindings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

RBAC = "rbac.authorization.k8s.io"
_REF = {"kind": "ClusterRole", "name": "view"}


def _binding(*subjects: dict[str, Any], ref: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": "b", "namespace": "default"}, "roleRef": dict(ref or _REF),
            "subjects": list(subjects)}


def test_a_binding_defaults_the_rbac_group_on_its_role_and_user_and_group_subjects() -> None:
    stored, causes = create(RBAC, "rolebindings", _binding({"kind": "User", "name": "alice"},
                                                           {"kind": "ServiceAccount", "name": "sa"}))
    assert causes == []
    assert stored["roleRef"]["apiGroup"] == RBAC
    assert stored["subjects"] == [{"kind": "User", "name": "alice", "apiGroup": RBAC},
                                  {"kind": "ServiceAccount", "name": "sa"}]


@pytest.mark.parametrize(("plural", "body", "expected"), [
    ("rolebindings", _binding({"kind": "User"}), [("subjects[0].name", "Required value")]),
    ("rolebindings", _binding({"kind": "Robot", "name": "r"}),
     [("subjects[0].kind", 'Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"')]),
    ("rolebindings", _binding(ref={"kind": "Policy", "name": "p"}),
     [("roleRef.kind", 'Unsupported value: "Policy": supported values: "Role", "ClusterRole"')]),
    ("rolebindings", _binding(ref={"kind": "Role"}), [("roleRef.name", "Required value")]),
    ("clusterrolebindings", _binding({"kind": "ServiceAccount", "name": "sa"}),
     [("subjects[0].namespace", "Required value")]),
    ("clusterrolebindings", _binding(ref={"kind": "Role", "name": "r"}),
     [("roleRef.kind", 'Unsupported value: "Role": supported values: "ClusterRole"')]),
])
def test_bindings_are_validated_with_upstreams_messages(plural: str, body: dict[str, Any],
                                                        expected: list[tuple[str, str]]) -> None:
    assert create(RBAC, plural, body)[1] == expected


def test_a_bindings_role_ref_may_never_change() -> None:
    old, _ = create(RBAC, "rolebindings", _binding())
    assert update(RBAC, "rolebindings", _binding(ref={"kind": "ClusterRole", "name": "edit"}), old)[1] == [
        ("roleRef", 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
                    'Name:"edit"}: cannot change roleRef')]


@pytest.mark.parametrize(("plural", "rules", "expected"), [
    ("roles", [{"apiGroups": [""], "resources": ["pods"]}],
     [("rules[0].verbs", "Required value: verbs must contain at least one value")]),
    ("roles", [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
     [("rules[0].nonResourceURLs", 'Invalid value: []string{"/healthz"}: namespaced rules cannot apply to '
                                   "non-resource URLs")]),
    ("clusterroles", [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}], []),
    ("clusterroles", [{"verbs": ["get"], "resources": ["pods"]}],
     [("rules[0].apiGroups", "Required value: resource rules must supply at least one api group")]),
])
def test_rules_are_validated_with_upstreams_messages(plural: str, rules: list[dict[str, Any]],
                                                     expected: list[tuple[str, str]]) -> None:
    assert create(RBAC, plural, {"metadata": {"name": "system:r", "namespace": "default"}, "rules": rules})[1] == \
        expected


def test_kubectl_create_rolebinding_stores_the_defaulted_group(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "rolebinding", "readers", "--clusterrole=view", "--user=alice",
                      "--serviceaccount=default:robot", "-n", "default")
    stored = json.loads(apiserver.kubectl("get", "rolebinding", "readers", "-n", "default", "-o", "json").stdout)
    assert stored["roleRef"] == {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"}
    assert {s["kind"]: s.get("apiGroup", "") for s in stored["subjects"]} == {"User": RBAC, "ServiceAccount": ""}
    assert "generation" not in stored["metadata"]


def test_changing_a_bindings_role_is_refused_by_the_server(apiserver: RunningServer) -> None:
    body = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            **_binding({"kind": "User", "name": "bob"})}
    body["metadata"]["name"] = "fixed"
    assert apiserver.send("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", body)[0] == 201
    code, status = apiserver.send("PATCH", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings/fixed",
                                  {"roleRef": {"name": "edit"}})
    assert code == 422 and server_causes(status) == [
        ("roleRef", 'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
                    'Name:"edit"}: cannot change roleRef')]


def test_a_put_may_create_a_role(apiserver: RunningServer) -> None:
    code, stored = apiserver.send("PUT", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/put-made", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "put-made", "namespace": "default"},
        "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]})
    assert code == 201 and stored["rules"][0]["verbs"] == ["get"]
