"""networking.k8s.io/v1 Ingresses, IngressClasses and NetworkPolicies, as upstream's strategies,
defaults (SetDefaults_IngressClass, SetDefaults_NetworkPolicy*) and
pkg/apis/networking/validation treat them. All three track a generation; an Ingress has a
``/status`` with its load balancer, an IngressClass's controller is fixed once created."""

from __future__ import annotations

import re

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import (
    as_dict,
    dicts,
    dns1035_label_errors,
    go_strings,
    immutable_if_changed,
    label_selector_errors,
    port_name_errors,
    port_number_errors,
    raw_invalid,
    spec_of,
    strings,
)
from myriad.apiserver.strategies.ipam import cidr_errors, ip_errors, parse_cidr, parse_ip

PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
POLICY_TYPES = ["Ingress", "Egress"]
SCOPES = ["Cluster", "Namespace"]
_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_INVALID_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_SUFFIXES = ("/..", "/.")
_WILDCARD = re.compile(r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_HTTP_PATH = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"
_MAX_CONTROLLER = 250


def wildcard_subdomain_errors(value: str) -> list[str]:
    """IsWildcardDNS1123Subdomain."""
    errors = [] if len(value) <= meta.DNS1123_SUBDOMAIN_MAX else [
        f"must be no more than {meta.DNS1123_SUBDOMAIN_MAX} characters"]
    if not _WILDCARD.fullmatch(value):
        errors.append("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which "
                      "must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric "
                      "character (e.g. '*.example.com', regex used for validation is "
                      "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return errors


def _host_errors(host: str, path: str) -> list[Cause]:
    errors = wildcard_subdomain_errors(host) if "*" in host else meta.dns1123_subdomain_errors(host)
    return [meta.invalid(path, host, e) for e in errors]


class IngressStrategy(GenericStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        causes = self._validate(obj, None)
        annotation = as_dict(as_dict(obj.get("metadata")).get("annotations")).get(_CLASS_ANNOTATION)
        class_name = spec_of(obj).get("ingressClassName")
        if annotation is not None and class_name is not None and annotation != class_name:
            causes.append(meta.invalid(f"annotations.{_CLASS_ANNOTATION}", annotation,
                                       "must match `ingressClassName` when both are specified"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new) + _load_balancer_errors(as_dict(new.get("status")))
        return self._validate(new, old)

    def _validate(self, obj: Obj, old: Obj | None) -> list[Cause]:
        """ValidateIngressSpec; an update tolerates the invalid TLS secret names and wildcard
        rules its old object already had."""
        spec = spec_of(obj)
        old_spec = spec_of(old)
        allow_secret = any(_secret_name_errors(tls.get("secretName")) for tls in dicts(old_spec.get("tls")))
        allow_wildcard = any("*" in str(rule.get("host", "")) and _rule_value_errors(rule, "")
                             for rule in dicts(old_spec.get("rules")))
        causes = self.validate_metadata(obj)
        rules = dicts(spec.get("rules"))
        default_backend = spec.get("defaultBackend")
        if not rules and default_backend is None:
            causes.append(raw_invalid("spec", "[]networking.IngressRule(nil)",
                                      "either `defaultBackend` or `rules` must be specified"))
        if isinstance(default_backend, dict):
            causes += _backend_errors(default_backend, "spec.defaultBackend")
        for i, rule in enumerate(rules):
            host = rule.get("host")
            wildcard = False
            if isinstance(host, str) and host:
                if parse_ip(host)[0] is not None:
                    causes.append(meta.invalid(f"spec.rules[{i}].host", host, "must be a DNS name, not an IP "
                                                                                "address"))
                wildcard = "*" in host
                causes += _host_errors(host, f"spec.rules[{i}].host")
            if not wildcard or not allow_wildcard:
                causes += _rule_value_errors(rule, f"spec.rules[{i}]")
        for i, tls in enumerate(dicts(spec.get("tls"))):
            for j, host in enumerate(strings(tls.get("hosts"))):
                causes += _host_errors(host, f"spec.tls[{i}].hosts[{j}]")
            if not allow_secret:
                secret = tls.get("secretName")
                causes += [meta.invalid(f"spec.tls[{i}].secretName", secret, e) for e in _secret_name_errors(secret)]
        class_name = spec.get("ingressClassName")
        if isinstance(class_name, str):
            causes += [meta.invalid("spec.ingressClassName", class_name, e)
                       for e in meta.dns1123_subdomain_errors(class_name)]
        return causes


def _secret_name_errors(name: object) -> list[str]:
    return meta.dns1123_subdomain_errors(name) if isinstance(name, str) and name else []


def _rule_value_errors(rule: dict[str, object], path: str) -> list[Cause]:
    http = rule.get("http")
    if not isinstance(http, dict):
        return []
    paths = dicts(http.get("paths"))
    causes = [] if paths else [meta.required(f"{path}.http.paths")]
    for j, entry in enumerate(paths):
        causes += _http_path_errors(entry, f"{path}.http.paths[{j}]")
    return causes


def _http_path_errors(entry: dict[str, object], path: str) -> list[Cause]:
    kind = entry.get("pathType")
    if kind is None:
        return [meta.required(f"{path}.pathType", "pathType must be specified")]
    value = entry.get("path") if isinstance(entry.get("path"), str) else ""
    assert isinstance(value, str)
    causes = []
    if kind in ("Exact", "Prefix"):
        if not value.startswith("/"):
            causes.append(meta.invalid(f"{path}.path", value, "must be an absolute path"))
        causes += [meta.invalid(f"{path}.path", value, f"must not contain '{seq}'")
                   for seq in _INVALID_SEQUENCES if seq in value]
        causes += [meta.invalid(f"{path}.path", value, f"cannot end with '{suffix}'")
                   for suffix in _INVALID_SUFFIXES if value.endswith(suffix)]
    elif kind == "ImplementationSpecific":
        if value and not value.startswith("/"):
            causes.append(meta.invalid(f"{path}.path", value, "must be an absolute path"))
    else:
        causes.append(meta.unsupported(f"{path}.pathType", kind, PATH_TYPES))
    return causes + _backend_errors(as_dict(entry.get("backend")), f"{path}.backend")


def _backend_errors(backend: dict[str, object], path: str) -> list[Cause]:
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [meta.invalid(path, "", "cannot set both resource and service backends")]
    if isinstance(resource, dict):
        return typed_reference_errors(resource, f"{path}.resource")
    if not isinstance(service, dict):
        return [meta.invalid(path, "", "resource or service backend is required")]
    name = service.get("name")
    causes = [meta.required(f"{path}.service.name")] if not name else [
        meta.invalid(f"{path}.service.name", name, e) for e in dns1035_label_errors(str(name))]
    port = as_dict(service.get("port"))
    port_name, number = port.get("name"), port.get("number")
    if port_name and number:
        causes.append(meta.invalid(path, "", "cannot set both port name & port number"))
    elif port_name:
        causes += [meta.invalid(f"{path}.service.port.name", port_name, e) for e in port_name_errors(str(port_name))]
    elif number:
        causes += [meta.invalid(f"{path}.service.port.number", number, e) for e in port_number_errors(number)]
    else:
        causes.append(meta.required(path, "port name or number is required"))
    return causes


def typed_reference_errors(ref: dict[str, object], path: str) -> list[Cause]:
    """validateIngressTypedLocalObjectReference."""
    causes = []
    group = ref.get("apiGroup")
    if isinstance(group, str):
        causes += [meta.invalid(f"{path}.apiGroup", group, e) for e in meta.dns1123_subdomain_errors(group)]
    for key in ("kind", "name"):
        value = ref.get(key)
        if not value:
            causes.append(meta.required(f"{path}.{key}", f"{key} is required"))
        else:
            causes += [meta.invalid(f"{path}.{key}", value, e) for e in meta.path_segment_errors(str(value))]
    return causes


def _load_balancer_errors(status: dict[str, object]) -> list[Cause]:
    causes = []
    for i, ingress in enumerate(dicts(as_dict(status.get("loadBalancer")).get("ingress"))):
        path = f"status.loadBalancer.ingress[{i}]"
        ip, hostname = ingress.get("ip"), ingress.get("hostname")
        if isinstance(ip, str) and ip:
            causes += [meta.invalid(f"{path}.ip", ip, e) for e in ip_errors(ip, strict=False)]
        if isinstance(hostname, str) and hostname:
            causes += [meta.invalid(f"{path}.hostname", hostname, e) for e in meta.dns1123_subdomain_errors(hostname)]
            if parse_ip(hostname)[0] is not None:
                causes.append(meta.invalid(f"{path}.hostname", hostname, "must be a DNS name, not an IP address"))
    return causes


class IngressClassStrategy(GenericStrategy):
    def default(self, obj: Obj) -> None:
        parameters = spec_of(obj).get("parameters")
        if isinstance(parameters, dict) and parameters.get("scope") is None:
            parameters["scope"] = "Cluster"

    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj)
        controller = spec.get("controller") if isinstance(spec.get("controller"), str) else ""
        assert isinstance(controller, str)
        if len(controller) > _MAX_CONTROLLER:
            causes.append(meta.too_long("spec.controller", _MAX_CONTROLLER))
        causes += domain_prefixed_path_errors(controller, "spec.controller")
        parameters = spec.get("parameters")
        if isinstance(parameters, dict):
            causes += _parameters_errors(parameters, "spec.parameters")
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        return immutable_if_changed(spec_of(new).get("controller"), spec_of(old).get("controller"),
                                    "spec.controller") + self.validate(new)


def domain_prefixed_path_errors(value: str, path: str) -> list[Cause]:
    """IsDomainPrefixedPath: ``example.com/some/path``."""
    if not value:
        return [meta.required(path)]
    host, slash, rest = value.partition("/")
    if not slash or not host or not rest:
        return [meta.invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    causes = [meta.invalid(path, host, e) for e in meta.dns1123_subdomain_errors(host)]
    if not re.fullmatch(_HTTP_PATH, rest):
        causes.append(meta.invalid(path, rest, f"Invalid path (regex used for validation is '{_HTTP_PATH}')"))
    return causes


def _parameters_errors(parameters: dict[str, object], path: str) -> list[Cause]:
    causes = typed_reference_errors(parameters, path)
    scope = parameters.get("scope")
    if scope is None:
        return [*causes, meta.required(f"{path}.scope")]
    if scope not in SCOPES:
        return [*causes, meta.unsupported(f"{path}.scope", scope, SCOPES)]
    namespace = parameters.get("namespace")
    if scope == "Namespace":
        if namespace is None:
            causes.append(meta.required(f"{path}.namespace", "`parameters.scope` is set to 'Namespace'"))
        else:
            causes += [meta.invalid(f"{path}.namespace", namespace, e)
                       for e in meta.dns1123_label_errors(str(namespace))]
    elif namespace is not None:
        causes.append(meta.forbidden(f"{path}.namespace", "`parameters.scope` is set to 'Cluster'"))
    return causes


class NetworkPolicyStrategy(GenericStrategy):
    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        for direction in ("ingress", "egress"):
            for rule in dicts(spec.get(direction)):
                for port in dicts(rule.get("ports")):
                    if port.get("protocol") is None:
                        port["protocol"] = "TCP"
        if not spec.get("policyTypes"):
            spec["policyTypes"] = ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]

    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj) + label_selector_errors(spec.get("podSelector"), "spec.podSelector")
        for direction, peers in (("ingress", "from"), ("egress", "to")):
            for i, rule in enumerate(dicts(spec.get(direction))):
                path = f"spec.{direction}[{i}]"
                for j, port in enumerate(dicts(rule.get("ports"))):
                    causes += _port_errors(port, f"{path}.ports[{j}]")
                for j, peer in enumerate(dicts(rule.get(peers))):
                    causes += _peer_errors(peer, f"{path}.{peers}[{j}]")
        types = strings(spec.get("policyTypes"))
        if len(types) > len(POLICY_TYPES):
            return [*causes, raw_invalid("spec.policyTypes", go_strings("networking.PolicyType", types),
                                         "may not specify more than two policyTypes")]
        return causes + [meta.unsupported(f"spec.policyTypes[{i}]", kind, POLICY_TYPES)
                         for i, kind in enumerate(types) if kind not in POLICY_TYPES]


def _port_errors(port: dict[str, object], path: str) -> list[Cause]:
    causes = []
    protocol = port.get("protocol")
    if protocol is not None and protocol not in PROTOCOLS:
        causes.append(meta.unsupported(f"{path}.protocol", protocol, PROTOCOLS))
    number, end = port.get("port"), port.get("endPort")
    if number is None:
        if end is not None:
            causes.append(meta.invalid(f"{path}.endPort", end, "may not be specified when `port` is not specified"))
    elif isinstance(number, int):
        causes += [meta.invalid(f"{path}.port", number, e) for e in port_number_errors(number)]
        if isinstance(end, int):
            if end < number:
                causes.append(meta.invalid(f"{path}.endPort", number, "must be greater than or equal to `port`"))
            causes += [meta.invalid(f"{path}.endPort", end, e) for e in port_number_errors(end)]
    else:
        if end is not None:
            causes.append(meta.invalid(f"{path}.endPort", end, "may not be specified when `port` is non-numeric"))
        causes += [meta.invalid(f"{path}.port", number, e) for e in port_name_errors(str(number))]
    return causes


def _peer_errors(peer: dict[str, object], path: str) -> list[Cause]:
    causes: list[Cause] = []
    peers = 0
    for key in ("podSelector", "namespaceSelector"):
        if peer.get(key) is not None:
            peers += 1
            causes += label_selector_errors(peer[key], f"{path}.{key}")
    block = peer.get("ipBlock")
    if isinstance(block, dict):
        peers += 1
        causes += _ip_block_errors(block, f"{path}.ipBlock")
    if not peers:
        causes.append(meta.required(path, "must specify a peer"))
    elif peers > 1 and block is not None:
        causes.append(meta.forbidden(path, "may not specify both ipBlock and another peer"))
    return causes


def _ip_block_errors(block: dict[str, object], path: str) -> list[Cause]:
    cidr = block.get("cidr")
    if not cidr or not isinstance(cidr, str):
        return [meta.required(f"{path}.cidr")]
    causes = [meta.invalid(f"{path}.cidr", cidr, e) for e in cidr_errors(cidr, strict=False)]
    network = parse_cidr(cidr)[0]
    if network is None:
        return causes
    for i, excepted in enumerate(strings(block.get("except"))):
        errors = cidr_errors(excepted, strict=False)
        causes += [meta.invalid(f"{path}.except[{i}]", excepted, e) for e in errors]
        inner = parse_cidr(excepted)[0]
        if inner is None:
            continue
        if inner.version != network.version or inner.network_address not in network or \
                network.prefixlen >= inner.prefixlen:
            causes.append(meta.invalid(f"{path}.except[{i}]", excepted, "must be a strict subset of `cidr`"))
    return causes

