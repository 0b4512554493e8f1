"""CertificateSigningRequests (and /approval), ClusterTrustBundles and PodCertificateRequests."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import NOW, create, server_causes, update

CERTS = "certificates.k8s.io"
_CSR_PEM = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBAA==\n-----END CERTIFICATE REQUEST-----\n"
_CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _csr(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "node-csr"},
            "spec": {"request": _b64(_CSR_PEM), "signerName": "example.com/signer", "usages": ["client auth"],
                     **spec}}


def test_a_new_request_is_made_by_the_requesting_user_and_has_no_status() -> None:
    stored, causes = create(CERTS, "certificatesigningrequests", {
        **_csr(username="admin", groups=["system:masters"]),
        "status": {"conditions": [{"type": "Approved", "status": "True"}]}})
    assert causes == []
    assert (stored["spec"]["username"], stored["spec"]["groups"]) == ("system:anonymous", ["system:unauthenticated"])
    assert stored["status"] == {}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"usages": []}, [("spec.usages", "Required value")]),
    ({"usages": ["client auth", "client auth"]}, [("spec.usages[1]", 'Duplicate value: "client auth"')]),
    ({"signerName": "kubernetes.io/legacy-unknown"},
     [("spec.signerName", 'Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via '
                          "this API version")]),
    ({"signerName": "signer"},
     [("spec.signerName", "Invalid value: \"signer\": must be a fully qualified domain and path of the form "
                          "'example.com/signer-name'")]),
    ({"expirationSeconds": 60},
     [("spec.expirationSeconds", "Invalid value: 60: may not specify a duration less than 600 seconds (10 "
                                 "minutes)")]),
    ({"request": _b64("hi")},
     [("spec.request", "Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST")]),
])
def test_requests_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                        expected: list[tuple[str, str]]) -> None:
    assert create(CERTS, "certificatesigningrequests", _csr(**spec))[1] == expected


def test_unknown_usages_are_listed_with_every_known_one() -> None:
    (field, message), = create(CERTS, "certificatesigningrequests", _csr(usages=["magic"]))[1]
    assert field == "spec.usages[0]"
    assert message.startswith('Unsupported value: "magic": supported values: "any", "cert sign", "client auth"')


def test_the_main_endpoint_changes_metadata_only_and_may_not_approve() -> None:
    old, _ = create(CERTS, "certificatesigningrequests", _csr())
    new = {**_csr(usages=["server auth"]), "metadata": {"name": "node-csr", "labels": {"a": "b"}},
           "status": {"conditions": [{"type": "Approved", "status": "True"}]}}
    stored, causes = update(CERTS, "certificatesigningrequests", new, old)
    assert causes == [] and stored["spec"] == old["spec"] and stored["status"] == {}
    assert stored["metadata"]["labels"] == {"a": "b"}


def test_approval_sets_conditions_only_and_stamps_their_times() -> None:
    old, _ = create(CERTS, "certificatesigningrequests", _csr())
    approving = {**old, "spec": {**old["spec"], "usages": ["server auth"]},
                 "status": {"conditions": [{"type": "Approved", "status": "True", "reason": "OK"}],
                            "certificate": _b64(_CERT_PEM)}}
    stored, causes = update(CERTS, "certificatesigningrequests", approving, old, subresource="approval")
    assert causes == [] and stored["spec"] == old["spec"] and "certificate" not in stored["status"]
    assert stored["status"]["conditions"] == [{"type": "Approved", "status": "True", "reason": "OK",
                                               "lastUpdateTime": NOW, "lastTransitionTime": NOW}]
    denied = {**stored, "status": {"conditions": [*stored["status"]["conditions"],
                                                  {"type": "Denied", "status": "True"}]}}
    assert update(CERTS, "certificatesigningrequests", denied, stored, subresource="approval")[1] == [
        ("status.conditions", 'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive')]


def test_status_may_set_a_certificate_once_but_not_add_approvals() -> None:
    old, _ = create(CERTS, "certificatesigningrequests", _csr())
    issued, causes = update(CERTS, "certificatesigningrequests",
                            {**old, "status": {"certificate": _b64(_CERT_PEM)}}, old, subresource="status")
    assert causes == [] and issued["status"]["certificate"] == _b64(_CERT_PEM)
    assert update(CERTS, "certificatesigningrequests", {**old, "status": {"certificate": _b64("junk")}}, old,
                  subresource="status")[1] == [
        ("status.certificate", 'Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM '
                               "block")]
    approving = {**old, "status": {"conditions": [{"type": "Approved", "status": "True"}]}}
    assert update(CERTS, "certificatesigningrequests", approving, old, subresource="status")[1] == [
        ("status.conditions", 'Forbidden: updates may not add a condition of type "Approved"')]


def test_a_trust_bundle_for_a_signer_is_named_after_it_and_holds_certificates() -> None:
    spec = {"signerName": "example.com/signer", "trustBundle": _CERT_PEM}
    assert create(CERTS, "clustertrustbundles", {"metadata": {"name": "example.com:signer:roots"},
                                                 "spec": spec})[1] == []
    assert create(CERTS, "clustertrustbundles", {"metadata": {"name": "roots"}, "spec": spec})[1] == [
        ("metadata.name", 'Invalid value: "roots": ClusterTrustBundle for signerName example.com/signer must be '
                          "named with prefix example.com:signer:")]
    assert create(CERTS, "clustertrustbundles", {"metadata": {"name": "roots"}, "spec": {
        "trustBundle": _CERT_PEM + _CERT_PEM}})[1] == [
        ("spec.trustBundle", 'Invalid value: "<value omitted>": duplicate trust anchor (indices [0 1])')]
    assert create(CERTS, "clustertrustbundles", {"metadata": {"name": "roots"}, "spec": {"trustBundle": ""}})[1] == [
        ("spec.trustBundle", 'Invalid value: "<value omitted>": at least one trust anchor must be provided')]


def test_a_pod_certificate_request_names_its_pod_node_and_account_and_never_changes() -> None:
    spec = {"signerName": "example.com/signer", "podName": "p", "podUID": "u1", "serviceAccountName": "sa",
            "serviceAccountUID": "u2", "nodeName": "n", "nodeUID": "u3", "maxExpirationSeconds": 86400,
            "stubPKCS10Request": "AA=="}
    body = {"metadata": {"name": "pcr", "namespace": "default"}, "spec": spec}
    old, causes = create(CERTS, "podcertificaterequests", body)
    assert causes == [] and old["status"] == {}
    assert create(CERTS, "podcertificaterequests", {**body, "spec": {**spec, "podUID": "",
                                                                       "maxExpirationSeconds": 60}})[1] == [
        ("spec.podUID", 'Invalid value: "": must not be empty'),
        ("spec.maxExpirationSeconds", "Invalid value: 60: must be in the range [3600, 7862400]")]
    assert [f for f, _ in update(CERTS, "podcertificaterequests", {**body, "spec": {**spec, "podName": "q"}},
                                 old)[1]] == ["spec"]


def test_kubectl_create_stamps_the_requesting_user_over_the_claimed_one(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "certificates.k8s.io/v1",
                                                            "kind": "CertificateSigningRequest",
                                                            **_csr(username="admin")}))
    stored = json.loads(apiserver.kubectl("get", "csr", "node-csr", "-o", "json").stdout)
    assert stored["spec"]["username"] == "system:anonymous"
    assert stored["spec"]["groups"] == ["system:unauthenticated"]
    assert stored["status"] == {} and "generation" not in stored["metadata"]


def test_a_request_without_usages_is_refused_by_the_server(apiserver: RunningServer) -> None:
    body = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", **_csr(usages=[])}
    body["metadata"]["name"] = "no-usages"
    code, status = apiserver.send("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", body)
    assert code == 422 and server_causes(status) == [("spec.usages", "Required value")]
