"""What the Endpoints and EndpointSlice controllers share (upstream's ``endpointutil``): which
Services a pod belongs to, which pods back a Service, a pod's readiness as an endpoint, and a
Service port resolved against a pod's named container ports.

Concurrency: loop only; :class:`ServiceSelectors` is touched by informer handlers and workers,
never across an await.
"""

from __future__ import annotations

from typing import Any

from myriad.api.selectors import LabelSelector, SelectorError, selector_from_object
from myriad.client.informers.informer import SharedInformer
from myriad.client.informers.store import BY_NAMESPACE
from myriad.controllers.podcontrol import ready_since
from myriad.controllers.types import Obj

ENDPOINTSLICES_API = "discovery.k8s.io/v1"


class ServiceSelectors:
    """Services by namespace with their parsed selectors (a Service without a selector has its
    endpoints managed by hand and is left out)."""

    def __init__(self, services: SharedInformer) -> None:
        self._services = services
        self._parsed: dict[str, tuple[str, LabelSelector | None]] = {}

    def selector(self, service: Obj) -> LabelSelector | None:
        uid = service["metadata"].get("uid", "")
        version = service["metadata"].get("resourceVersion", "")
        cached = self._parsed.get(uid)
        if cached is not None and cached[0] == version:
            return cached[1]
        raw = (service.get("spec") or {}).get("selector")
        try:
            parsed = selector_from_object({"matchLabels": raw}) if raw else None
        except SelectorError:
            parsed = None
        if len(self._parsed) > 4 * max(len(self._services.indexer), 1024):
            self._parsed.clear()  # bounded: services come and go
        self._parsed[uid] = (version, parsed)
        return parsed

    def for_pod(self, pod: Obj) -> list[Obj]:
        labels = pod["metadata"].get("labels") or {}
        found = []
        for service in self._services.indexer.by_index(BY_NAMESPACE, pod["metadata"].get("namespace", "")):
            selector = self.selector(service)
            if selector is not None and selector.matches(labels):
                found.append(service)
        return found


def backing_pods(pods: SharedInformer, service: Obj, selector: LabelSelector) -> list[Obj]:
    """The namespace's pods the selector matches that belong in endpoints (upstream's
    ShouldPodBeInEndpoints): with an IP, and not Succeeded or Failed."""
    found = []
    for pod in pods.indexer.by_index(BY_NAMESPACE, service["metadata"].get("namespace", "")):
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed") or not (status.get("podIP") or status.get("podIPs")):
            continue
        if selector.matches(pod["metadata"].get("labels")):
            found.append(pod)
    return sorted(found, key=lambda p: p["metadata"]["name"])


def pod_ip(pod: Obj, family: str = "IPv4") -> str | None:
    status = pod.get("status") or {}
    ips = [entry.get("ip") for entry in status.get("podIPs") or () if isinstance(entry, dict)] or \
        [status.get("podIP")]
    for ip in ips:
        if ip and ((":" in ip) == (family == "IPv6")):
            return ip
    return None


def conditions(pod: Obj, service: Obj) -> tuple[bool, bool, bool]:
    """(ready, serving, terminating) as upstream's EndpointSlice conditions: ready means serving
    and not terminating, unless the Service publishes not-ready addresses."""
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    terminating = bool(pod["metadata"].get("deletionTimestamp"))
    serving = publish or ready_since(pod) is not None
    return serving and (publish or not terminating), serving, terminating


def resolve_port(service_port: dict[str, Any], pod: Obj) -> int | None:
    """The port a Service port reaches on ``pod``: its targetPort number, or the container port
    of that name (and protocol); None when the pod has no such named port."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    for container in (pod.get("spec") or {}).get("containers") or ():
        for port in container.get("ports") or ():
            if port.get("name") == target and (port.get("protocol") or "TCP") == protocol:
                return int(port["containerPort"])
    return None
