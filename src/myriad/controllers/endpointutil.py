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
from myriad.client.objects import Object
from myriad.controllers.types import Obj, ensure_index

ENDPOINTSLICES_API = "discovery.k8s.io/v1"


#: The Services' index by one pair of their selectors (``namespace/key=value``).
BY_SELECTOR_PAIR = "endpoints.selectorPair"
#: The pods' index by each pair of their labels (``namespace/key=value``).
BY_LABEL_PAIR = "endpoints.labelPair"


def by_selector_pair(service: Obj) -> tuple[str, ...]:
    """A Service under the first pair of its selector: a pod it selects carries that pair."""
    selector = service.view.spec.selector
    if not selector:
        return ()
    key = min(selector)
    return (f"{service.namespace}/{key}={selector[key]}",)


def by_label_pair(pod: Obj) -> tuple[str, ...]:
    """A pod under each pair of its labels."""
    namespace = pod.namespace
    return tuple(f"{namespace}/{key}={value}" for key, value in pod.labels.items())


class ServiceSelectors:
    """Services with their parsed selectors (a Service without a selector has its endpoints
    managed by hand and is left out), and the two lookups between Services and pods, both
    through indexes: a pod's Services by one pair of their selectors, so a pod event costs a
    lookup per label of the pod, not a selector match per Service of its namespace; a Service's
    pods by each pair of their labels, so a Service sync reads the pods of its selector's
    smallest pair, not every pod of its namespace."""

    def __init__(self, services: SharedInformer, pods: SharedInformer) -> None:
        self._services = services
        self._pods = pods
        self._parsed: dict[str, tuple[str, LabelSelector | None]] = {}
        ensure_index(services, BY_SELECTOR_PAIR, by_selector_pair)
        ensure_index(pods, BY_LABEL_PAIR, by_label_pair)

    def selector(self, service: Object) -> LabelSelector | None:
        uid, version = service.uid, service.resource_version
        cached = self._parsed.get(uid)
        if cached is not None and cached[0] == version:
            return cached[1]
        raw = service.view.spec.selector
        try:
            parsed = selector_from_object({"matchLabels": raw}) if raw else None
        except SelectorError:
            parsed = None
        if len(self._parsed) > 4 * max(len(self._services.indexer), 1024):
            self._parsed.clear()  # bounded: services come and go
        self._parsed[uid] = (version, parsed)
        return parsed

    def for_pod(self, pod: Object) -> list[Object]:
        labels = pod.labels
        found: dict[str, Object] = {}
        by_index = self._services.indexer.by_index
        for key, value in labels.items():
            for service in by_index(BY_SELECTOR_PAIR, f"{pod.namespace}/{key}={value}"):
                selector = self.selector(service)
                if selector is not None and selector.matches(labels):
                    found[service.key] = service
        return list(found.values())

    def backing_pods(self, service: Object, selector: LabelSelector) -> list[Object]:
        """The pods ``selector`` (the Service's, from :meth:`selector`) matches that belong in
        endpoints (upstream's ShouldPodBeInEndpoints): with an IP, and not Succeeded or Failed,
        sorted by name. Reads views only."""
        indexer = self._pods.indexer
        pairs = [f"{service.namespace}/{key}={value}" for key, value in service.view.spec.selector.items()]
        smallest = min(pairs, key=lambda pair: indexer.index_size(BY_LABEL_PAIR, pair))
        return _serving(indexer.by_index(BY_LABEL_PAIR, smallest), selector)


def _serving(pods: list[Object], selector: LabelSelector) -> list[Object]:
    found = []
    for pod in pods:
        status = pod.view.status
        if status.phase in ("Succeeded", "Failed") or not status.pod_ip:
            continue
        if selector.matches(pod.labels):
            found.append(pod)
    return sorted(found, key=lambda p: p.name)


def pod_ip(pod: Object, family: str = "IPv4") -> str | None:
    ip = pod.view.status.pod_ip
    if ip and (":" in ip) == (family == "IPv6"):
        return ip  # the primary IP, from the view
    status = pod.get("status") or {}
    ips = [entry.get("ip") for entry in status.get("podIPs") or () if isinstance(entry, dict)] or \
        [status.get("podIP")]
    for ip in ips:
        if ip and ((":" in ip) == (family == "IPv6")):
            return ip
    return None


def conditions(pod: Object, service: Obj) -> tuple[bool, bool, bool]:
    """(ready, serving, terminating) as upstream's EndpointSlice conditions: ready means serving
    and not terminating, unless the Service publishes not-ready addresses."""
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    terminating = bool(pod.view.metadata.deletion_timestamp)
    serving = publish or pod.view.status.condition("Ready") == "True"
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
