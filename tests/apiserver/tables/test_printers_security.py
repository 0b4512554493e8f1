"""Cells of role bindings and the certificates.k8s.io kinds, against upstream's printers."""

from __future__ import annotations

import pytest

from tests.apiserver.tables.helpers import cells, meta

_RBAC = "rbac.authorization.k8s.io"


@pytest.mark.parametrize("plural", ["rolebindings", "clusterrolebindings"])
def test_binding_rows_split_subjects_by_kind_with_comma_space(plural: str) -> None:
    binding = {"metadata": meta("b"), "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": "admin"},
               "subjects": [{"kind": "User", "name": "alice"}, {"kind": "Group", "name": "devs"},
                            {"kind": "ServiceAccount", "namespace": "ci", "name": "bot"},
                            {"kind": "User", "name": "bob"}, {"kind": "Robot", "name": "r2"},
                            {"kind": "ServiceAccount", "name": "nameless-namespace"}]}
    assert cells(_RBAC, plural, binding) == ["b", "ClusterRole/admin", "60m", "alice, bob", "devs",
                                             "ci/bot, /nameless-namespace"]
    bare = {"metadata": meta("b"), "roleRef": {"kind": "Role", "name": "reader"}}
    assert cells(_RBAC, plural, bare) == ["b", "Role/reader", "60m", "", "", ""]


@pytest.mark.parametrize(("spec", "status", "expected"), [
    pytest.param({"signerName": "kubernetes.io/kube-apiserver-client", "username": "alice",
                  "expirationSeconds": 86400}, {},
                 ["csr", "60m", "kubernetes.io/kube-apiserver-client", "alice", "24h", "Pending"], id="pending"),
    pytest.param({"signerName": "example.com/s", "username": "bob", "expirationSeconds": 3600},
                 {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0t"},
                 ["csr", "60m", "example.com/s", "bob", "60m", "Approved,Issued"], id="issued"),
    pytest.param({"username": "eve"},
                 {"conditions": [{"type": "Approved", "status": "True"}, {"type": "Denied", "status": "False"},
                                 {"type": "Failed", "status": "True"}]},
                 ["csr", "60m", "<none>", "eve", "<none>", "Denied,Failed"], id="denied-whatever-its-status"),
])
def test_certificate_signing_request_rows_put_age_second(spec: dict[str, object], status: dict[str, object],
                                                         expected: list[object]) -> None:
    csr = {"metadata": meta("csr"), "spec": spec, "status": status}
    assert cells("certificates.k8s.io", "certificatesigningrequests", csr) == expected


def test_cluster_trust_bundle_rows_have_no_age() -> None:
    bundle = {"metadata": meta("example.com:foo:abc"), "spec": {"signerName": "example.com/foo", "trustBundle": ""}}
    assert cells("certificates.k8s.io", "clustertrustbundles", bundle) == ["example.com:foo:abc", "example.com/foo"]
    unsigned = {"metadata": meta("roots"), "spec": {"trustBundle": ""}}
    assert cells("certificates.k8s.io", "clustertrustbundles", unsigned) == ["roots", "<none>"]


@pytest.mark.parametrize(("conditions", "state"), [
    ([], "Pending"),
    ([{"type": "Issued", "status": "True"}], "Issued"),
    ([{"type": "Denied", "status": "True"}, {"type": "Progressing", "status": "True"}], "Denied"),
    ([{"type": "Issued", "status": "True"}, {"type": "Failed", "status": "True"}], "Failed"),
])
def test_pod_certificate_request_rows_take_the_last_terminal_condition(conditions: list[object], state: str) -> None:
    request = {"metadata": meta("pcr"), "spec": {
        "podName": "web-0", "serviceAccountName": "web", "nodeName": "n1", "signerName": "example.com/pod",
        "unverifiedUserAnnotations": {"example.com/b": "2", "example.com/a": "1"}},
        "status": {"conditions": conditions}}
    assert cells("certificates.k8s.io", "podcertificaterequests", request) == [
        "pcr", "web-0", "web", "n1", "example.com/pod", state, "example.com/a=1,example.com/b=2"]
