"""The scheduler's view of a pod (:class:`~myriad.scheduler.types.PodInfo`), derived once per
pod version from the informer's object: identity, labels and requests from its typed view, the
rest (tolerations, ports, affinity, spread constraints) from the whole object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from myriad.api.podrequests import pod_requests, resource_list
from myriad.client.objects import Object, ObjectCodec
from myriad.client.views import PodView
from myriad.scheduler.nodetable import normalized_image
from myriad.scheduler.selectors import AffinityTerm, parse_affinity_term, parse_spread_constraint
from myriad.scheduler.types import DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, HostPort, PodInfo, Toleration

DEFAULT_SCHEDULER = "default-scheduler"


_CODEC = ObjectCodec(PodView)
#: Distinct requests, tolerations and images kept for sharing before the table starts again.
SHARED_LIMIT = 1 << 14
_shared: dict[Any, Any] = {}


def _share(value: Any) -> Any:
    """An equal value already held by another PodInfo, else ``value``: the pods of one template
    share their requests, tolerations and images (a placed pod's PodInfo lives as long as it)."""
    found = _shared.get(value)
    if found is None:
        if len(_shared) >= SHARED_LIMIT:
            _shared.clear()
        found = _shared[value] = value
    return found


def pod_info(pod: Object | Mapping[str, Any]) -> PodInfo:
    """``pod`` is an informer's Object (a decoded pod is made into one)."""
    if not isinstance(pod, Object):
        pod = _CODEC.from_dict(pod)
    view = pod.view
    meta, spec = view.metadata, pod.get("spec") or {}
    namespace, name = meta.namespace, meta.name
    containers = spec.get("containers") or []
    init = spec.get("initContainers") or []
    sidecars = [c for c in init if c.get("restartPolicy") == "Always"]
    requests = pod_requests(spec)
    nonzero_cpu, nonzero_memory = _nonzero(spec)
    labels = pod.labels
    affinity = spec.get("affinity") or {}
    pod_affinity, anti_affinity = affinity.get("podAffinity") or {}, affinity.get("podAntiAffinity") or {}
    return PodInfo(
        pod=pod, key=pod.key, uid=meta.uid, namespace=namespace, name=name,
        priority=view.spec.priority,
        scheduler_name=view.spec.scheduler_name or DEFAULT_SCHEDULER,
        node_name=view.spec.node_name,
        labels=labels,
        requests=_share(requests), nonzero_cpu=nonzero_cpu, nonzero_memory=nonzero_memory,
        tolerations=_share(tuple(Toleration(t.get("key") or "", t.get("operator") or "Equal", t.get("value") or "",
                                            t.get("effect") or "") for t in spec.get("tolerations") or [])),
        host_ports=tuple(HostPort(p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(p["hostPort"]))
                         for c in [*containers, *sidecars] for p in c.get("ports") or [] if p.get("hostPort")),
        images=_share(tuple(normalized_image(c["image"]) for c in [*init, *containers] if c.get("image"))),
        scheduling_gated=bool(spec.get("schedulingGates")),
        deleting=bool(meta.deletion_timestamp),
        required_affinity=_required(pod_affinity, namespace, labels),
        required_anti_affinity=_required(anti_affinity, namespace, labels),
        preferred_affinity=_preferred(pod_affinity, namespace, labels),
        preferred_anti_affinity=_preferred(anti_affinity, namespace, labels),
        spread_constraints=tuple(parse_spread_constraint(c, labels)
                                 for c in spec.get("topologySpreadConstraints") or ()),
    )


def _required(affinity: Mapping[str, Any], namespace: str, labels: Mapping[str, str]) -> tuple[AffinityTerm, ...]:
    return tuple(parse_affinity_term(t, namespace, labels)
                 for t in affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or ())


def _preferred(affinity: Mapping[str, Any], namespace: str, labels: Mapping[str, str]) -> tuple[AffinityTerm, ...]:
    return tuple(parse_affinity_term(t.get("podAffinityTerm"), namespace, labels, int(t.get("weight") or 0))
                 for t in affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or ())


def _nonzero(spec: Mapping[str, Any]) -> tuple[int, int]:
    """cpu and memory requested, a container asking for none counted at upstream's defaults
    (100m, 200 MiB): the sum over containers and sidecars, or the largest init container
    when that is larger, plus overhead (upstream's NonMissingContainerRequests)."""
    def one(container: Mapping[str, Any]) -> tuple[int, int]:
        given = (container.get("resources") or {}).get("requests") or {}
        amounts = resource_list(given)
        return (amounts.cpu_milli if "cpu" in given else DEFAULT_MILLI_CPU_REQUEST,
                amounts.memory if "memory" in given else DEFAULT_MEMORY_REQUEST)

    cpu = memory = 0
    for container in spec.get("containers") or []:
        c, m = one(container)
        cpu, memory = cpu + c, memory + m
    init_cpu = init_memory = 0
    for container in spec.get("initContainers") or []:
        c, m = one(container)
        if container.get("restartPolicy") == "Always":
            cpu, memory = cpu + c, memory + m
        else:
            init_cpu, init_memory = max(init_cpu, c), max(init_memory, m)
    overhead = resource_list(spec.get("overhead"))
    return max(cpu, init_cpu) + overhead.cpu_milli, max(memory, init_memory) + overhead.memory
