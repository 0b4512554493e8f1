"""The EndpointSlice controller, as upstream's ``pkg/controller/endpointslice``: for each Service
with a selector, the pods it selects as endpoints in slices of at most 100, one set of slices
per address family and port set (a named targetPort can resolve differently pod to pod).

An endpoint is the pod's IP with its conditions (ready, serving, terminating), nodeName, zone
and a reference to the pod. Reconciling keeps churn low, as upstream's reconciler does: an
endpoint stays in the slice it is in; slices lose what is gone, then the ones with room take
what is new, and new slices are made only for the rest. A slice left empty is deleted, but a
Service with no endpoints at all keeps one empty placeholder slice. Slices carry the labels
``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by``, and the Service
as their controller (the garbage collector removes them with it).

Pod changes are batched: a Service is synced ``endpoint_updates_batch_period`` after the first
change to one of its pods, every change in that window taken at once.

A Service is not reconciled while the slices informer has not yet shown a write this controller
made to its slices (upstream's ``EndpointSliceTracker``): reconciling from a cache missing a
slice just made would make another for the same endpoints. It is tried again ``STALE_RETRY``
later; an expectation older than ``STALE_TTL``, or whose slice was seen deleted, is dropped.

Concurrency: loop only; one Service is never synced by two workers at once.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import object_key
from myriad.client.types import NODES, PODS, SERVICES, Resource
from myriad.controllers import endpointutil
from myriad.controllers.endpointutil import ServiceSelectors
from myriad.controllers.podcontrol import controller_ref
from myriad.controllers.types import ControllerContext, Obj, ensure_index

NAME = "endpointslice"
ENDPOINTSLICES = Resource(api_version="discovery.k8s.io/v1", plural="endpointslices")
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"
SERVICE_NAME = "kubernetes.io/service-name"
#: Upstream's --max-endpoints-per-slice default.
MAX_ENDPOINTS = 100
_ZONE = "topology.kubernetes.io/zone"
#: Seconds before a Service whose slices the cache has not caught up with is tried again.
STALE_RETRY = 0.1
#: Seconds after which a write not yet seen in the cache is no longer waited for.
STALE_TTL = 30.0
#: The slices' index by the Service that owns them (``namespace/name``), for slices this
#: controller manages.
BY_SERVICE = "endpointslice.service"


def by_service(endpoint_slice: Obj) -> tuple[str, ...]:
    """A slice this controller manages, under its Service's key (from its labels' view)."""
    labels = endpoint_slice.labels
    name = labels.get(SERVICE_NAME)
    if not name or labels.get(MANAGED_BY) != CONTROLLER:
        return ()
    return (f"{endpoint_slice.namespace}/{name}",)


class EndpointSliceController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None, *,
                 max_endpoints: int = MAX_ENDPOINTS) -> None:
        self.context = context
        self.batch = context.settings.endpoint_updates_batch_period
        self.max_endpoints = max_endpoints
        self.clock = context.clock
        #: Service key -> slice name -> (resourceVersion written, or -1 for deleted; when).
        self._written: dict[str, dict[str, tuple[int, float]]] = {}
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.services = self.factory.informer(SERVICES)
        self.pods = self.factory.informer(PODS)
        self.nodes = self.factory.informer(NODES)
        self.slices = self.factory.informer(ENDPOINTSLICES)
        self.selectors = ServiceSelectors(self.services, self.pods)
        ensure_index(self.slices, BY_SERVICE, by_service)
        self.watch(self.services)
        self.pods.add_handler(Handler(on_add=self._pod, on_update=self._pod_changed, on_delete=self._pod))
        self.slices.add_handler(Handler(on_delete=self._slice_gone))

    def _pod(self, pod: Obj) -> None:
        for service in self.selectors.for_pod(pod):
            self.queue.add_after(object_key(service), self.batch)

    def _pod_changed(self, old: Obj, new: Obj) -> None:
        if old.resource_version == new.resource_version:
            return
        services = {object_key(s): s for s in [*self.selectors.for_pod(old), *self.selectors.for_pod(new)]}
        for key in services:
            self.queue.add_after(key, self.batch)

    def _slice_gone(self, endpoint_slice: Obj) -> None:
        for key in by_service(endpoint_slice):
            self._written.get(key, {}).pop(endpoint_slice.name, None)
            self.queue.add(key, event="delete")

    def _stale(self, key: str, namespace: str) -> bool:
        """Whether a write to the Service's slices is not in the cache yet (those that are, or
        that expired, are forgotten)."""
        written = self._written.get(key)
        if not written:
            return False
        now = self.clock.monotonic()
        for name, (version, at) in list(written.items()):
            cached = self.slices.indexer.get(f"{namespace}/{name}")
            seen = cached is None if version < 0 else \
                cached is not None and int(cached.resource_version or 0) >= version
            if seen or now - at > STALE_TTL:
                del written[name]
        if not written:
            del self._written[key]
            return False
        return True

    # -- the sync ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        service = self.services.indexer.get(key)
        if service is None or (service.get("spec") or {}).get("type") == "ExternalName":
            self._written.pop(key, None)
            return None
        if self._stale(key, service["metadata"]["namespace"]):
            return STALE_RETRY
        selector = self.selectors.selector(service)
        if selector is None:
            return None
        pods = self.selectors.backing_pods(service, selector)
        for family in (service.get("spec") or {}).get("ipFamilies") or ["IPv4"]:
            await self._reconcile_family(service, family, pods)
        return None

    def _owned(self, service: Obj, family: str) -> list[Obj]:
        return [s for s in self.slices.indexer.by_index(BY_SERVICE, service.key) if s.get("addressType") == family]

    def _desired(self, service: Obj, family: str, pods: list[Obj]) -> dict[tuple, dict[str, Obj]]:
        """Port set → endpoint key (the pod's uid) → endpoint."""
        desired: dict[tuple, dict[str, Obj]] = {}
        service_ports = (service.get("spec") or {}).get("ports") or ()
        for pod in pods:
            ip = endpointutil.pod_ip(pod, family)
            if ip is None:
                continue
            ports = []
            for port in service_ports:
                number = endpointutil.resolve_port(port, pod)
                if number is not None:
                    ports.append(_port(port, number))
            ready, serving, terminating = endpointutil.conditions(pod, service)
            endpoint: Obj = {"addresses": [ip],
                             "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
                             "targetRef": {"kind": "Pod", "namespace": pod["metadata"]["namespace"],
                                           "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}}
            spec = pod.get("spec") or {}
            if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
                endpoint["hostname"] = spec["hostname"]
            if spec.get("nodeName"):
                endpoint["nodeName"] = spec["nodeName"]
                node = self.nodes.indexer.get(spec["nodeName"])
                zone = node.labels.get(_ZONE) if node is not None else None  # the view: no decode
                if zone:
                    endpoint["zone"] = zone
            desired.setdefault(_port_key(ports), {})[pod["metadata"]["uid"]] = endpoint
        return desired

    async def _reconcile_family(self, service: Obj, family: str, pods: list[Obj]) -> None:
        desired = self._desired(service, family, pods)
        existing = sorted(self._owned(service, family), key=lambda s: s["metadata"]["name"])
        updates: list[Obj] = []
        deletes: list[Obj] = []
        kept: list[tuple[Obj, tuple, list[Obj]]] = []
        for current in existing:
            key = _port_key(current.get("ports") or [])
            wanted = desired.get(key, {})
            endpoints = []
            for endpoint in current.get("endpoints") or ():
                uid = (endpoint.get("targetRef") or {}).get("uid")
                if uid in wanted:
                    endpoints.append(wanted.pop(uid))
            kept.append((current, key, endpoints))
        for key, wanted in desired.items():  # fill slices with room before making new ones
            for _, slice_key, endpoints in kept:
                if slice_key == key and wanted and 0 < len(endpoints) < self.max_endpoints:
                    while wanted and len(endpoints) < self.max_endpoints:
                        endpoints.append(wanted.pop(next(iter(wanted))))
        total = sum(len(e) for _, _, e in kept) + sum(len(w) for w in desired.values())
        placeholder_kept = False
        for current, _, endpoints in kept:
            if not endpoints:
                if total == 0 and not placeholder_kept:
                    placeholder_kept = True
                    if current.get("endpoints") or current.get("ports"):
                        updates.append({**current, "ports": [], "endpoints": []})
                    continue
                deletes.append(current)
            elif endpoints != (current.get("endpoints") or []):
                updates.append({**current, "endpoints": endpoints})
        creates = [self._new_slice(service, family, key, chunk)
                   for key, wanted in desired.items()
                   for chunk in _chunks(list(wanted.values()), self.max_endpoints)]
        if total == 0 and not placeholder_kept:
            creates.append(self._new_slice(service, family, (), []))
        key = object_key(service)
        for body in creates:
            await self._write(key, self.client.create(ENDPOINTSLICES, body))
        for body in updates:
            await self._write(key, self.client.update(ENDPOINTSLICES, body))
        for body in deletes:
            if await self._write(key, self.client.delete(ENDPOINTSLICES, body["metadata"]["name"],
                                                         namespace=body["metadata"]["namespace"])):
                self._written.setdefault(key, {})[body["metadata"]["name"]] = (-1, self.clock.monotonic())

    def _new_slice(self, service: Obj, family: str, key: tuple, endpoints: list[Obj]) -> Obj:
        meta = service["metadata"]
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in (SERVICE_NAME, MANAGED_BY)}
        labels.update({SERVICE_NAME: meta["name"], MANAGED_BY: CONTROLLER})
        if (service.get("spec") or {}).get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": f"{meta['name']}-", "namespace": meta["namespace"], "labels": labels,
                             "ownerReferences": [controller_ref({"apiVersion": "v1", "kind": "Service", **service})]},
                "addressType": family, "ports": [dict(p) for p in key], "endpoints": endpoints}

    async def _write(self, key: str, call: Any) -> bool:
        """Awaits one write; a created or updated slice is remembered until the cache shows it.
        False if the slice changed or went meanwhile (the informer's event brings the next sync)."""
        try:
            written = await call
        except (errors.NotFound, errors.Conflict):
            return False
        metadata = written.get("metadata") or {}
        if written.get("kind") == "EndpointSlice" and metadata.get("name") and metadata.get("resourceVersion"):
            self._written.setdefault(key, {})[metadata["name"]] = (int(metadata["resourceVersion"]),
                                                                    self.clock.monotonic())
        return True


def _port(service_port: Obj, number: int) -> Obj:
    port: Obj = {"name": service_port.get("name", ""), "port": number,
                 "protocol": service_port.get("protocol") or "TCP"}
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _port_key(ports: list[Obj]) -> tuple:
    return tuple(tuple(sorted(p.items())) for p in ports)


def _chunks(items: list[Obj], size: int) -> list[list[Obj]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
