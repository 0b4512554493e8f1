"""Cells of Services, Endpoints, EndpointSlices, Ingresses, IngressClasses, NetworkPolicies,
IPAddresses and ServiceCIDRs, against upstream's printers."""

from __future__ import annotations

import pytest

from tests.apiserver.tables.helpers import cells, meta

_PORTS = [{"port": 80, "protocol": "TCP"}, {"port": 443, "nodePort": 30443, "protocol": "TCP"}]


@pytest.mark.parametrize(("spec", "status", "expected"), [
    pytest.param({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10", "fd00::a"],
                  "ports": _PORTS[:1], "selector": {"app": "web"}}, {},
                 ["s", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "60m", "app=web"], id="cluster-ip"),
    pytest.param({"type": "NodePort", "clusterIPs": ["10.96.0.11"], "externalIPs": ["1.2.3.4", "5.6.7.8"],
                  "ports": _PORTS}, {},
                 ["s", "NodePort", "10.96.0.11", "1.2.3.4,5.6.7.8", "80/TCP,443:30443/TCP", "60m", "<none>"],
                 id="node-port"),
    pytest.param({"type": "LoadBalancer", "clusterIPs": ["10.96.0.12"], "externalIPs": ["9.9.9.9"], "ports": []},
                 {"loadBalancer": {"ingress": [{"ip": "203.0.113.20"}, {"hostname": "lb.example.com"},
                                               {"ip": "203.0.113.20", "hostname": "x"}]}},
                 ["s", "LoadBalancer", "10.96.0.12", "203.0.113.20,lb.example.com,9.9.9.9", "<none>", "60m", "<none>"],
                 id="load-balancer-never-truncated"),
    pytest.param({"type": "LoadBalancer", "clusterIPs": ["10.96.0.13"]}, {},
                 ["s", "LoadBalancer", "10.96.0.13", "<pending>", "<none>", "60m", "<none>"], id="pending"),
    pytest.param({"type": "ExternalName", "externalName": "db.example.com"}, {},
                 ["s", "ExternalName", "<none>", "db.example.com", "<none>", "60m", "<none>"], id="external-name"),
    pytest.param({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}, {},
                 ["s", "ClusterIP", "None", "<none>", "<none>", "60m", "<none>"], id="headless"),
])
def test_service_rows(spec: dict[str, object], status: dict[str, object], expected: list[object]) -> None:
    assert cells("", "services", {"metadata": meta("s"), "spec": spec, "status": status}) == expected


@pytest.mark.parametrize(("subsets", "shown"), [
    ([], "<none>"),
    ([{"addresses": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}], "ports": [{"port": 80}, {"port": 443}]}],
     "10.0.0.1:80,[fd00::1]:80,10.0.0.1:443 + 1 more..."),
    ([{"addresses": [{"ip": "10.0.0.1"}]}, {"addresses": [{"ip": "10.0.0.2"}], "ports": [{"port": 53}]}],
     "10.0.0.1,10.0.0.2:53"),
    ([{"notReadyAddresses": [{"ip": "10.0.0.3"}], "ports": [{"port": 80}]}], ""),
])
def test_endpoints_show_three_host_ports_then_a_count(subsets: list[object], shown: str) -> None:
    assert cells("", "endpoints", {"metadata": meta("e"), "subsets": subsets}) == ["e", shown, "60m"]


@pytest.mark.parametrize(("ports", "endpoints", "shown"), [
    ([{"name": "http", "port": 80}, {"name": "dns"}, {}, {"port": 9090}],
     [{"addresses": ["10.0.0.1", "10.0.0.2"]}, {"addresses": ["10.0.0.3", "10.0.0.4", "10.0.0.5"]}],
     ["80,dns,* + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more..."]),
    ([], [], ["<unset>", "<unset>"]),
])
def test_endpoint_slices_list_ports_and_addresses(ports: list[object], endpoints: list[object],
                                                  shown: list[str]) -> None:
    slice_ = {"metadata": meta("s"), "addressType": "IPv4", "ports": ports, "endpoints": endpoints}
    assert cells("discovery.k8s.io", "endpointslices", slice_) == ["s", "IPv4", *shown, "60m"]


@pytest.mark.parametrize(("spec", "status", "expected"), [
    pytest.param({"ingressClassName": "nginx", "rules": [{"host": "a.example.com"}, {}, {"host": "b.example.com"}],
                  "tls": [{"hosts": ["a.example.com"]}]},
                 {"loadBalancer": {"ingress": [{"ip": "192.0.2.9"}, {"hostname": "a-very-long-balancer.example.com"}]}},
                 ["i", "nginx", "a.example.com,b.example.com", "192.0.2.9,a-very-long-balancer.example.com", "80, 443",
                  "60m"], id="tls-and-balancers"),
    pytest.param({"rules": [{"host": "a"}, {"host": "b"}, {"host": "c"}, {}, {"host": "e"}]}, {},
                 ["i", "<none>", "a,b,c + 2 more...", "", "80", "60m"], id="more-counts-every-rule"),
    pytest.param({"rules": [{"host": "a"}, {"host": "b"}, {"host": "c"}]}, {},
                 ["i", "<none>", "a,b,c", "", "80", "60m"], id="exactly-three"),
    pytest.param({"defaultBackend": {"service": {"name": "web"}}}, {}, ["i", "<none>", "*", "", "80", "60m"],
                 id="no-hosts"),
])
def test_ingress_rows(spec: dict[str, object], status: dict[str, object], expected: list[object]) -> None:
    assert cells("networking.k8s.io", "ingresses", {"metadata": meta("i"), "spec": spec, "status": status}) == expected


@pytest.mark.parametrize(("annotations", "parameters", "expected"), [
    ({"ingressclass.kubernetes.io/is-default-class": "true"},
     {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb", "scope": "Cluster"},
     ["nginx (default)", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/external-lb", "60m"]),
    ({"ingressclass.kubernetes.io/is-default-class": "True"}, {"kind": "ConfigMap", "name": "cfg"},
     ["nginx", "k8s.io/ingress-nginx", "ConfigMap/cfg", "60m"]),
    ({}, None, ["nginx", "k8s.io/ingress-nginx", "<none>", "60m"]),
])
def test_ingress_classes_mark_the_default_and_name_their_parameters(annotations: dict[str, str], parameters: object,
                                                                    expected: list[object]) -> None:
    spec = {"controller": "k8s.io/ingress-nginx", **({"parameters": parameters} if parameters else {})}
    obj = {"metadata": meta("nginx", annotations=annotations), "spec": spec}
    assert cells("networking.k8s.io", "ingressclasses", obj) == expected


def test_network_policy_rows_format_the_pod_selector() -> None:
    policy = {"metadata": meta("np"), "spec": {"podSelector": {"matchExpressions": [
        {"key": "tier", "operator": "NotIn", "values": ["db", "cache"]}], "matchLabels": {"app": "web"}}}}
    assert cells("networking.k8s.io", "networkpolicies", policy) == ["np", "app=web,tier notin (cache,db)", "60m"]
    assert cells("networking.k8s.io", "networkpolicies", {"metadata": meta("np"), "spec": {"podSelector": {}}}) == [
        "np", "<none>", "60m"]


@pytest.mark.parametrize(("parent", "shown"), [
    ({"group": "", "resource": "services", "namespace": "default", "name": "kubernetes"},
     "services/default/kubernetes"),
    ({"group": "gateway.networking.k8s.io", "resource": "Gateways", "name": "gw"},
     "gateways.gateway.networking.k8s.io/gw"),
    (None, "<none>"),
])
def test_ip_address_rows_carry_an_age_past_their_two_columns(parent: object, shown: str) -> None:
    address = {"metadata": meta("10.96.0.1"), "spec": {"parentRef": parent} if parent else {}}
    assert cells("networking.k8s.io", "ipaddresses", address) == ["10.96.0.1", shown, "60m"]


def test_service_cidr_rows_join_the_cidrs() -> None:
    cidr = {"metadata": meta("kubernetes"), "spec": {"cidrs": ["10.96.0.0/12", "fd00:10:96::/112"]}}
    assert cells("networking.k8s.io", "servicecidrs", cidr) == ["kubernetes", "10.96.0.0/12,fd00:10:96::/112", "60m"]
