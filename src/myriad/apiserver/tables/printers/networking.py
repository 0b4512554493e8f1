"""Services and the network around them: Services, Endpoints, EndpointSlices, Ingresses,
IngressClasses, NetworkPolicies, IPAddresses and ServiceCIDRs."""

from __future__ import annotations

from myriad.apiserver.tables.format import NONE, UNKNOWN, dig, labels_text, selector_text
from myriad.apiserver.tables.printers.base import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    age,
    doc,
    entries,
    integer,
    list_with_more,
    mapping,
    name,
    text,
)


def _load_balancers(status: object) -> list[str]:
    """The sorted, distinct IPs (or hostnames) a load balancer status lists; never truncated, as
    the server always prints wide."""
    found = {text(i.get("ip")) or text(i.get("hostname")) for i in entries(dig(status, "loadBalancer", "ingress"))}
    return sorted(found - {""})


def _service_cells(svc: Obj, now: float) -> list[object]:
    spec = mapping(svc.get("spec"))
    kind = text(spec.get("type"))
    ips = spec.get("externalIPs")
    external = [text(ip) for ip in ips] if isinstance(ips, list) else []
    if kind in ("ClusterIP", "NodePort"):
        external_text = ",".join(external) or NONE
    elif kind == "LoadBalancer":
        external_text = ",".join(_load_balancers(svc.get("status")) + external) or "<pending>"
    elif kind == "ExternalName":
        external_text = text(spec.get("externalName"))
    else:
        external_text = UNKNOWN
    ports = []
    for port in entries(spec.get("ports")):
        node_port = integer(port.get("nodePort"))
        number, protocol = integer(port.get("port")), text(port.get("protocol"))
        ports.append(f"{number}:{node_port}/{protocol}" if node_port > 0 else f"{number}/{protocol}")
    return [name(svc), kind, dig(spec, "clusterIPs", 0) or NONE, external_text, ",".join(ports) or NONE, age(svc, now),
            labels_text(spec.get("selector"))]


_SERVICE_SPEC = "core.v1.ServiceSpec"

SERVICES = Printer(
    (NAME, Column("Type", description=doc(_SERVICE_SPEC, "type")),
     Column("Cluster-IP", description=doc(_SERVICE_SPEC, "clusterIP")),
     Column("External-IP", description=doc(_SERVICE_SPEC, "externalIPs")),
     Column("Port(s)", description=doc(_SERVICE_SPEC, "ports")), AGE,
     Column("Selector", description=doc(_SERVICE_SPEC, "selector"), priority=1)),
    _service_cells)


def _host_port(ip: str, port: int) -> str:
    """``net.JoinHostPort``: IPv6 addresses in brackets."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _endpoints_text(endpoints: Obj) -> str:
    """The first three ``ip:port`` pairs (bare IPs for a subset without ports), ``+ N more...``."""
    subsets = entries(endpoints.get("subsets"))
    if not subsets:
        return NONE
    pairs: list[str] = []
    for subset in subsets:
        ips = [text(a.get("ip")) for a in entries(subset.get("addresses"))]
        ports = [integer(p.get("port")) for p in entries(subset.get("ports"))]
        pairs.extend([_host_port(ip, port) for port in ports for ip in ips] if ports else ips)
    joined = ",".join(pairs[:3])
    return f"{joined} + {len(pairs) - 3} more..." if len(pairs) > 3 else joined


ENDPOINTS = Printer((NAME, Column("Endpoints", description=doc("core.v1.Endpoints", "subsets")), AGE),
                    lambda ep, now: [name(ep), _endpoints_text(ep), age(ep, now)])


def _slice_ports(slice_: Obj) -> str:
    ports = entries(slice_.get("ports"))
    shown = [str(p["port"]) if p.get("port") is not None else text(p["name"]) if p.get("name") is not None else "*"
             for p in ports[:3]]
    return list_with_more(shown, len(ports), 3)


def _slice_endpoints(slice_: Obj) -> str:
    addresses = [text(a) for e in entries(slice_.get("endpoints")) for a in e.get("addresses") or []]
    return list_with_more(addresses[:3], len(addresses), 3)


_SLICE = "discovery.v1.EndpointSlice"

ENDPOINTSLICES = Printer(
    (NAME, Column("AddressType", description=doc(_SLICE, "addressType")),
     Column("Ports", description=doc(_SLICE, "ports")),
     Column("Endpoints", description=doc(_SLICE, "endpoints")), AGE),
    lambda s, now: [name(s), text(s.get("addressType")), _slice_ports(s), _slice_endpoints(s), age(s, now)])


def _ingress_hosts(rules: list[dict[str, object]]) -> str:
    """Up to three hosts; once three are listed, any further rule (with a host or not) counts
    towards ``+ N more...``; ``*`` when no rule names a host."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and rule.get("host"):
            hosts.append(text(rule.get("host")))
    if not hosts:
        return "*"
    return f"{','.join(hosts)} + {len(rules) - 3} more..." if more else ",".join(hosts)


def _ingress_cells(ingress: Obj, now: float) -> list[object]:
    spec = mapping(ingress.get("spec"))
    class_name = spec.get("ingressClassName")
    return [name(ingress), class_name if isinstance(class_name, str) else NONE,
            _ingress_hosts(entries(spec.get("rules"))), ",".join(_load_balancers(ingress.get("status"))),
            "80, 443" if entries(spec.get("tls")) else "80", age(ingress, now)]


INGRESSES = Printer(
    (NAME, Column("Class", description="The name of the IngressClass resource that should be used for additional "
                                       "configuration"),
     Column("Hosts", description="Hosts that incoming requests are matched against before the ingress rule"),
     Column("Address", description="Address is a list containing ingress points for the load-balancer"),
     Column("Ports", description="Ports of TLS configurations that open"), AGE),
    _ingress_cells)


def _ingress_class_cells(ingress_class: Obj, now: float) -> list[object]:
    title = text(name(ingress_class))
    if mapping(dig(ingress_class, "metadata", "annotations")).get("ingressclass.kubernetes.io/is-default-class") \
            == "true":
        title += " (default)"
    parameters = dig(ingress_class, "spec", "parameters")
    reference = NONE
    if isinstance(parameters, dict):
        group = parameters.get("apiGroup")
        reference = text(parameters.get("kind")) + (f".{group}" if isinstance(group, str) else "") \
            + f"/{text(parameters.get('name'))}"
    return [title, text(dig(ingress_class, "spec", "controller")), reference, age(ingress_class, now)]


INGRESSCLASSES = Printer(
    (NAME, Column("Controller", description="Controller that is responsible for handling this class"),
     Column("Parameters", description="A reference to a resource with additional parameters"), AGE),
    _ingress_class_cells)

NETWORKPOLICIES = Printer(
    (NAME, Column("Pod-Selector", description=doc("networking.v1.NetworkPolicySpec", "podSelector")), AGE),
    lambda np, now: [name(np), selector_text(dig(np, "spec", "podSelector")), age(np, now)])


def _parent_ref(address: Obj) -> str:
    """``resource[.group][/namespace]/name`` in lower case, ``<none>`` without a parent."""
    ref = dig(address, "spec", "parentRef")
    if not isinstance(ref, dict):
        return NONE
    group, resource = text(ref.get("group")), text(ref.get("resource"))
    out = (f"{resource}.{group}" if group else resource).lower()
    if ref.get("namespace"):
        out += f"/{text(ref.get('namespace'))}"
    return f"{out}/{text(ref.get('name'))}"


#: Upstream declares no Age column for IPAddresses but its rows carry the age all the same: three
#: cells under two columns (kubectl prints the first two).
IPADDRESSES = Printer(
    (NAME, Column("ParentRef", description=doc("networking.v1.IPAddressSpec", "parentRef"))),
    lambda ip, now: [name(ip), _parent_ref(ip), age(ip, now)])

SERVICECIDRS = Printer(
    (NAME, Column("CIDRs", description=doc("networking.v1.ServiceCIDRSpec", "cidrs")), AGE),
    lambda cidr, now: [name(cidr), ",".join(text(c) for c in dig(cidr, "spec", "cidrs") or []), age(cidr, now)])

PRINTERS = {
    ("", "services"): SERVICES, ("", "endpoints"): ENDPOINTS, ("discovery.k8s.io", "endpointslices"): ENDPOINTSLICES,
    ("networking.k8s.io", "ingresses"): INGRESSES, ("networking.k8s.io", "ingressclasses"): INGRESSCLASSES,
    ("networking.k8s.io", "networkpolicies"): NETWORKPOLICIES, ("networking.k8s.io", "ipaddresses"): IPADDRESSES,
    ("networking.k8s.io", "servicecidrs"): SERVICECIDRS,
}
