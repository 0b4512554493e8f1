"""Ingresses, IngressClasses, NetworkPolicies, IPAddresses and ServiceCIDRs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from myriad.apiserver.strategies.ipam import cidr_errors, ip_errors
from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

NET = "networking.k8s.io"
_BACKEND = {"service": {"name": "web", "port": {"number": 80}}}


def _ingress(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "default"}, "spec": spec}


def _rule(path: str, path_type: str | None = "Prefix", host: str = "example.com") -> dict[str, Any]:
    entry: dict[str, Any] = {"path": path, "backend": _BACKEND}
    if path_type is not None:
        entry["pathType"] = path_type
    return {"host": host, "http": {"paths": [entry]}}


@pytest.mark.parametrize(("spec", "expected"), [
    ({"rules": [_rule("/")]}, []),
    ({}, [("spec", "Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be "
             "specified")]),
    ({"rules": [_rule("/", None)]},
     [("spec.rules[0].http.paths[0].pathType", "Required value: pathType must be specified")]),
    ({"rules": [_rule("api")]}, [("spec.rules[0].http.paths[0].path", 'Invalid value: "api": must be an absolute '
                                                                       "path")]),
    ({"rules": [_rule("/a//b")]}, [("spec.rules[0].http.paths[0].path", "Invalid value: \"/a//b\": must not "
                                                                        "contain '//'")]),
    ({"rules": [_rule("/", host="10.0.0.1")]},
     [("spec.rules[0].host", 'Invalid value: "10.0.0.1": must be a DNS name, not an IP address')]),
    ({"rules": [_rule("/", "Regex")]},
     [("spec.rules[0].http.paths[0].pathType", 'Unsupported value: "Regex": supported values: "Exact", '
                                               '"ImplementationSpecific", "Prefix"')]),
    ({"defaultBackend": {"service": {"name": "web", "port": {}}}},
     [("spec.defaultBackend", "Required value: port name or number is required")]),
])
def test_ingress_specs_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                             expected: list[tuple[str, str]]) -> None:
    assert create(NET, "ingresses", _ingress(**spec))[1] == expected


def test_the_class_annotation_must_match_the_class_name_on_create_only() -> None:
    body = _ingress(ingressClassName="nginx", defaultBackend=_BACKEND)
    body["metadata"]["annotations"] = {"kubernetes.io/ingress.class": "traefik"}
    assert create(NET, "ingresses", body)[1] == [
        ("annotations.kubernetes.io/ingress.class", 'Invalid value: "traefik": must match `ingressClassName` when '
                                                    "both are specified")]
    assert update(NET, "ingresses", body, body)[1] == []


def test_a_new_ingress_has_an_empty_load_balancer() -> None:
    stored, _ = create(NET, "ingresses", {**_ingress(defaultBackend=_BACKEND), "status": {"loadBalancer": {
        "ingress": [{"ip": "1.2.3.4"}]}}})
    assert stored["status"] == {"loadBalancer": {}}


def test_an_ingress_class_scopes_its_parameters_to_the_cluster_and_keeps_its_controller() -> None:
    body = {"metadata": {"name": "nginx"}, "spec": {"controller": "example.com/ingress",
                                                   "parameters": {"kind": "Params", "name": "p"}}}
    stored, causes = create(NET, "ingressclasses", body)
    assert causes == [] and stored["spec"]["parameters"]["scope"] == "Cluster"
    moved = {"metadata": {"name": "nginx"}, "spec": {"controller": "example.com/other"}}
    assert update(NET, "ingressclasses", moved, stored)[1] == [
        ("spec.controller", 'Invalid value: "example.com/other": field is immutable')]
    assert create(NET, "ingressclasses", {"metadata": {"name": "x"}, "spec": {"controller": "nginx"}})[1] == [
        ("spec.controller", 'Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")')]


def test_a_network_policy_defaults_its_protocols_and_policy_types() -> None:
    body = {"metadata": {"name": "np", "namespace": "default"},
            "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}], "egress": [{}]}}
    stored, causes = create(NET, "networkpolicies", body)
    assert causes == []
    assert stored["spec"]["ingress"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    assert stored["spec"]["policyTypes"] == ["Ingress", "Egress"]
    ingress_only, _ = create(NET, "networkpolicies", {**body, "spec": {"podSelector": {}}})
    assert ingress_only["spec"]["policyTypes"] == ["Ingress"]


@pytest.mark.parametrize(("rule", "expected"), [
    ({"from": [{}]}, [("spec.ingress[0].from[0]", "Required value: must specify a peer")]),
    ({"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]},
     [("spec.ingress[0].from[0]", "Forbidden: may not specify both ipBlock and another peer")]),
    ({"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}]},
     [("spec.ingress[0].from[0].ipBlock.except[0]", 'Invalid value: "192.168.0.0/16": must be a strict subset of '
                                                    "`cidr`")]),
    ({"from": [{"ipBlock": {"cidr": "10.0.0/8"}}]},
     [("spec.ingress[0].from[0].ipBlock.cidr", 'Invalid value: "10.0.0/8": must be a valid CIDR value, (e.g. '
                                               '10.9.8.0/24 or 2001:db8::/64)')]),
    ({"ports": [{"port": 80, "endPort": 79}]},
     [("spec.ingress[0].ports[0].endPort", "Invalid value: 80: must be greater than or equal to `port`")]),
    ({"ports": [{"protocol": "ICMP"}]},
     [("spec.ingress[0].ports[0].protocol", 'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"')]),
])
def test_network_policy_rules_are_validated_with_upstreams_messages(rule: dict[str, Any],
                                                                   expected: list[tuple[str, str]]) -> None:
    body = {"metadata": {"name": "np", "namespace": "default"}, "spec": {"podSelector": {}, "ingress": [rule]}}
    assert create(NET, "networkpolicies", body)[1] == expected


@pytest.mark.parametrize(("value", "errors"), [
    ("10.0.0.1", []),
    ("2001:db8::1", []),
    ("2001:DB8::1", ['must be in canonical form ("2001:db8::1")']),
    ("010.0.0.1", ["must not have leading 0s"]),
    ("::ffff:1.2.3.4", ["must not be an IPv4-mapped IPv6 address"]),
    ("1.2.3", ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]),
])
def test_ip_addresses_are_checked_strictly(value: str, errors: list[str]) -> None:
    assert ip_errors(value) == errors


@pytest.mark.parametrize(("value", "errors"), [
    ("10.0.0.0/8", []),
    ("10.0.0.1/8", ["must not have bits set beyond the prefix length"]),
    ("10.0.0.0/08", ["must not have leading 0s in IP or prefix length"]),
    ("2001:DB8::/64", ['must be in canonical form ("2001:db8::/64")']),
    ("10.0.0.0/33", ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]),
])
def test_cidrs_are_checked_strictly(value: str, errors: list[str]) -> None:
    assert cidr_errors(value) == errors


def test_an_ip_address_is_named_by_its_address_and_points_at_its_owner() -> None:
    parent = {"group": "", "resource": "services", "name": "web", "namespace": "default"}
    assert create(NET, "ipaddresses", {"metadata": {"name": "10.96.0.10"}, "spec": {"parentRef": parent}})[1] == []
    assert create(NET, "ipaddresses", {"metadata": {"name": "10.96.0.010"}, "spec": {"parentRef": parent}})[1] == [
        ("metadata.name", 'Invalid value: "10.96.0.010": must not have leading 0s')]
    assert create(NET, "ipaddresses", {"metadata": {"name": "10.96.0.10"}, "spec": {}})[1] == [
        ("spec.parentRef", "Required value")]


def test_a_service_cidr_holds_one_range_per_family_and_may_only_gain_the_other_family() -> None:
    old, causes = create(NET, "servicecidrs", {"metadata": {"name": "kubernetes"}, "spec": {"cidrs": ["10.96.0.0/12"]}})
    assert causes == []
    two_v4 = {"metadata": {"name": "kubernetes"}, "spec": {"cidrs": ["10.96.0.0/12", "10.200.0.0/16"]}}
    assert [f for f, _ in create(NET, "servicecidrs", two_v4)[1]] == ["spec.cidrs"]
    dual = {"metadata": {"name": "kubernetes"}, "spec": {"cidrs": ["10.96.0.0/12", "fd00::/108"]}}
    assert update(NET, "servicecidrs", dual, old)[1] == []
    moved = {"metadata": {"name": "kubernetes"}, "spec": {"cidrs": ["10.100.0.0/16"]}}
    assert update(NET, "servicecidrs", moved, old)[1] == [
        ("spec.cidrs[0]", 'Invalid value: "10.100.0.0/16": field is immutable')]


def test_kubectl_create_stores_a_network_policys_defaults_and_generation(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "deny", "namespace": "default"},
        "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "ingress": [{"ports": [{"port": 5432}]}]}}))
    stored = json.loads(apiserver.kubectl("get", "networkpolicy", "deny", "-n", "default", "-o", "json").stdout)
    assert stored["spec"]["policyTypes"] == ["Ingress"]
    assert stored["spec"]["ingress"][0]["ports"][0]["protocol"] == "TCP"
    assert stored["metadata"]["generation"] == 1


def test_an_ingress_without_rules_or_backend_is_refused_by_the_server(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", **_ingress()})
    assert code == 422 and server_causes(status) == [
        ("spec", "Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be "
                 "specified")]
