"""Services: defaults, validation, and cluster IP and node port allocation (through
:class:`~myriad.apiserver.rest.allocator.ServiceAllocator`, claimed before the service is
stored and released when it no longer holds them)."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.allocator import (
    AlreadyAllocatedError,
    OutOfRangeError,
    RangeFullError,
    ServiceAllocator,
)
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy

TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
_FIELDS = frozenset({"metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"})


def _spec(obj: Obj | None) -> dict[str, object]:
    spec = obj.get("spec") if obj is not None else None
    return spec if isinstance(spec, dict) else {}


def _ports(obj: Obj | None) -> list[dict[str, object]]:
    return [p for p in _spec(obj).get("ports") or [] if isinstance(p, dict)]  # type: ignore[union-attr]


def _needs_ip(spec: dict[str, object]) -> bool:
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None"


def _needs_node_ports(spec: dict[str, object]) -> bool:
    return spec.get("type") == "NodePort" or (spec.get("type") == "LoadBalancer"
                                               and spec.get("allocateLoadBalancerNodePorts", True) is not False)


def _needs_health_check_port(spec: dict[str, object]) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _externally_accessible(spec: dict[str, object]) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer") or bool(spec.get("externalIPs"))


def _drop_type_dependent_fields(new: Obj, old: Obj) -> None:
    """Upstream's dropTypeDependentFields: a type change leaves behind what the old type needed
    (cluster IPs, node ports, the health check port, the load balancer's settings and status),
    but only values the update did not itself change."""
    new_spec, old_spec = _spec(new), _spec(old)
    if _needs_ip(old_spec) and not _needs_ip(new_spec):
        if new_spec.get("clusterIPs") == old_spec.get("clusterIPs") and \
                new_spec.get("clusterIP") == old_spec.get("clusterIP"):
            new_spec.pop("clusterIP", None)
            new_spec.pop("clusterIPs", None)
        for field in ("ipFamilies", "ipFamilyPolicy"):
            if new_spec.get(field) == old_spec.get(field):
                new_spec.pop(field, None)
    if _needs_node_ports(old_spec) and not _needs_node_ports(new_spec) and \
            [p.get("nodePort") for p in _ports(new)] == [p.get("nodePort") for p in _ports(old)]:
        for port in _ports(new):
            port.pop("nodePort", None)
    if _needs_health_check_port(old_spec) and not _needs_health_check_port(new_spec) and \
            new_spec.get("healthCheckNodePort") == old_spec.get("healthCheckNodePort"):
        new_spec.pop("healthCheckNodePort", None)
    if old_spec.get("type") == "LoadBalancer" and new_spec.get("type") != "LoadBalancer":
        for field in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
            if new_spec.get(field) == old_spec.get(field):
                new_spec.pop(field, None)
        new["status"] = {**(new.get("status") or {}), "loadBalancer": {}}  # type: ignore[dict-item]
    if _externally_accessible(old_spec) and not _externally_accessible(new_spec) and \
            new_spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy"):
        new_spec.pop("externalTrafficPolicy", None)


def _node_ports(obj: Obj | None) -> set[int]:
    return {p["nodePort"] for p in _ports(obj) if isinstance(p.get("nodePort"), int)}  # type: ignore[misc]


def _owner(obj: Obj) -> str:
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return f"{metadata.get('namespace')}/{metadata.get('name')}"  # type: ignore[union-attr]


class ServiceStrategy(GenericStrategy):
    tracks_generation = False
    fields = _FIELDS
    name_rule = "label"
    return_deleted_object = True
    allocator: ServiceAllocator | None = None

    def prepare_for_create(self, obj: Obj) -> None:
        obj["status"] = {"loadBalancer": {}}

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        kind = spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        for port in _ports(obj):
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, "") and "port" in port:  # Go's zero IntOrString, as upstream
                port["targetPort"] = port["port"]
        if kind == "ExternalName":
            return
        spec.setdefault("internalTrafficPolicy", "Cluster")
        if kind in ("NodePort", "LoadBalancer") or spec.get("externalIPs"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if kind == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        if spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        super().prepare_for_update(new, old, subresource=subresource)
        new_spec, old_spec = _spec(new), _spec(old)
        if subresource or not new_spec:
            return
        _drop_type_dependent_fields(new, old)
        if _needs_ip(old_spec) and _needs_ip(new_spec) and not new_spec.get("clusterIP"):
            new_spec["clusterIP"] = old_spec.get("clusterIP")
            new_spec["clusterIPs"] = old_spec.get("clusterIPs")
        if _needs_node_ports(old_spec) and _needs_node_ports(new_spec):
            held = {(p.get("port"), p.get("protocol")): p.get("nodePort") for p in _ports(old)}
            for port in _ports(new):
                if not port.get("nodePort") and held.get((port.get("port"), port.get("protocol"))):
                    port["nodePort"] = held[(port.get("port"), port.get("protocol"))]

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [*causes, meta.required("spec")]
        kind = spec.get("type")
        if kind not in TYPES:
            causes.append(meta.unsupported("spec.type", kind or "", TYPES))
        if kind == "ExternalName":
            if not spec.get("externalName"):
                causes.append(meta.required("spec.externalName"))
        elif not _ports(obj) and spec.get("clusterIP") != "None":
            causes.append(meta.required("spec.ports"))
        ports = _ports(obj)
        names: set[object] = set()
        for i, port in enumerate(ports):
            path = f"spec.ports[{i}]"
            number = port.get("port")
            if not isinstance(number, int) or not 1 <= number <= 65535:
                causes.append(meta.invalid(f"{path}.port", number if number is not None else 0,
                                           "must be between 1 and 65535, inclusive"))
            if port.get("protocol") not in PROTOCOLS:
                causes.append(meta.unsupported(f"{path}.protocol", port.get("protocol") or "", PROTOCOLS))
            target = port.get("targetPort")
            if isinstance(target, int) and not isinstance(target, bool) and not 1 <= target <= 65535:
                causes.append(meta.invalid(f"{path}.targetPort", target, "must be between 1 and 65535, inclusive"))
            name = port.get("name")
            if len(ports) > 1 and not name:
                causes.append(meta.required(f"{path}.name"))
            elif name in names:
                causes.append(meta.duplicate(f"{path}.name", name))
            names.add(name)
            if port.get("nodePort") and kind == "ClusterIP":
                causes.append(meta.forbidden(f"{path}.nodePort", "may not be used when `type` is 'ClusterIP'"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        old_ip, new_ip = _spec(old).get("clusterIP"), _spec(new).get("clusterIP")
        if old_ip and _needs_ip(_spec(new)) and new_ip != old_ip:
            causes.append(meta.invalid("spec.clusterIPs[0]", new_ip or "", "may not change once set"))
        return causes

    # -- allocation ----------------------------------------------------------------------------

    async def reserve(self, new: Obj, old: Obj | None) -> list[Cause]:
        allocator = self.allocator
        spec = _spec(new)
        if allocator is None or not spec:
            return []
        owner = _owner(new)
        causes: list[Cause] = []
        if _needs_ip(spec) and not (old is not None and _spec(old).get("clusterIP") == spec.get("clusterIP")):
            wanted = spec.get("clusterIP")
            try:
                if wanted:
                    await allocator.claim_ip(str(wanted), owner)
                else:
                    spec["clusterIP"] = await allocator.allocate_ip(owner)
                    spec["clusterIPs"] = [spec["clusterIP"]]
            except AlreadyAllocatedError:
                causes.append(meta.invalid("spec.clusterIPs", [wanted], f"failed to allocate IP {wanted}: provided IP "
                                                                        "is already allocated"))
            except OutOfRangeError:
                causes.append(meta.invalid("spec.clusterIPs", [wanted], f"failed to allocate IP {wanted}: the "
                                           f"provided IP ({wanted}) is not in the valid range. The range of valid "
                                           f"IPs is {allocator.ip_range_text()}"))
            except RangeFullError:
                causes.append(meta.invalid("spec.clusterIPs[0]", "", "range is full"))
        elif spec.get("clusterIP") == "None":
            spec["clusterIPs"] = ["None"]
        if _needs_node_ports(spec):
            held = _node_ports(old)
            for i, port in enumerate(_ports(new)):
                wanted = port.get("nodePort")
                if isinstance(wanted, int) and wanted in held:
                    continue
                try:
                    if wanted:
                        await allocator.claim_port(int(wanted), owner)  # type: ignore[call-overload]
                    else:
                        port["nodePort"] = await allocator.allocate_port(owner)
                except AlreadyAllocatedError:
                    causes.append(meta.invalid(f"spec.ports[{i}].nodePort", wanted, "provided port is already "
                                                                                    "allocated"))
                except OutOfRangeError:
                    causes.append(meta.invalid(f"spec.ports[{i}].nodePort", wanted, "provided port is not in the "
                                               "valid range. The range of valid ports is "
                                               f"{allocator.port_range_text()}"))
                except RangeFullError:
                    causes.append(meta.invalid(f"spec.ports[{i}].nodePort", 0, "range is full"))
        else:
            for port in _ports(new):
                port.pop("nodePort", None)
        return causes

    async def release(self, obj: Obj, kept: Obj | None) -> None:
        allocator = self.allocator
        if allocator is None:
            return
        ip = _spec(obj).get("clusterIP")
        if ip and ip != "None" and (kept is None or _spec(kept).get("clusterIP") != ip):
            await allocator.release_ip(str(ip))
        for port in _node_ports(obj) - _node_ports(kept):
            await allocator.release_port(port)
