"""The Endpoints controller, as upstream's ``pkg/controller/endpoint``: for each Service with a
selector, a ``v1`` Endpoints object of the same name whose subsets group the pods' addresses by
resolved port set, ready ones in ``addresses`` and the rest in ``notReadyAddresses`` (terminating
pods left out unless the Service publishes not-ready addresses).

At most 1,000 addresses are written, ready ones kept first, and the object is then annotated
``endpoints.kubernetes.io/over-capacity: truncated``, as upstream caps it; the EndpointSlices hold
them all. Pod changes are batched as the EndpointSlice controller batches them.

Concurrency: loop only; one Service is never synced by two workers at once.
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import object_key
from myriad.client.types import PODS, SERVICES, Resource
from myriad.controllers import endpointutil
from myriad.controllers.endpointutil import ServiceSelectors
from myriad.controllers.types import ControllerContext, Obj

NAME = "endpoint"
ENDPOINTS = Resource(api_version="v1", plural="endpoints")
#: Upstream's maxCapacity.
MAX_ADDRESSES = 1000
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"


def subsets(service: Obj, pods: list[Obj]) -> tuple[list[Obj], bool]:
    """The Endpoints subsets for ``pods`` and whether they were cut at :data:`MAX_ADDRESSES`."""
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    groups: dict[tuple, tuple[list[Obj], list[Obj]]] = {}
    for pod in pods:
        ready, _, terminating = endpointutil.conditions(pod, service)
        if terminating and not publish:
            continue
        ip = endpointutil.pod_ip(pod)
        if ip is None:
            continue
        ports = []
        for port in (service.get("spec") or {}).get("ports") or ():
            number = endpointutil.resolve_port(port, pod)
            if number is not None:
                entry = {"port": number, "protocol": port.get("protocol") or "TCP"}
                if port.get("name"):  # omitted when empty, as Go writes a v1 EndpointPort
                    entry["name"] = port["name"]
                if port.get("appProtocol"):
                    entry["appProtocol"] = port["appProtocol"]
                ports.append(tuple(sorted(entry.items())))
        address: Obj = {"ip": ip, "targetRef": {"kind": "Pod", "namespace": pod["metadata"]["namespace"],
                                                "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]}}
        spec = pod.get("spec") or {}
        if spec.get("nodeName"):
            address["nodeName"] = spec["nodeName"]
        if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
            address["hostname"] = spec["hostname"]
        ready_list, waiting = groups.setdefault(tuple(ports), ([], []))
        (ready_list if ready else waiting).append(address)
    budget = MAX_ADDRESSES
    truncated = False
    result = []
    for key in sorted(groups):  # ready addresses first, everywhere, then not-ready ones
        ready_list, _ = groups[key]
        if len(ready_list) > budget:
            del ready_list[budget:]
            truncated = True
        budget -= len(ready_list)
    for key in sorted(groups):
        ready_list, waiting = groups[key]
        if len(waiting) > budget:
            del waiting[budget:]
            truncated = True
        budget -= len(waiting)
        if not ready_list and not waiting:
            continue
        subset: Obj = {}
        if ready_list:
            subset["addresses"] = ready_list
        if waiting:
            subset["notReadyAddresses"] = waiting
        subset["ports"] = [dict(p) for p in key]
        result.append(subset)
    return result, truncated


class EndpointsController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.batch = context.settings.endpoint_updates_batch_period
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.services = self.factory.informer(SERVICES)
        self.pods = self.factory.informer(PODS)
        self.endpoints = self.factory.informer(ENDPOINTS)
        self.selectors = ServiceSelectors(self.services, self.pods)
        self.watch(self.services)
        self.endpoints.add_handler(Handler(on_delete=lambda ep: self.queue.add(object_key(ep), event="delete")))
        self.pods.add_handler(Handler(on_add=self._pod, on_update=self._pod_changed, on_delete=self._pod))

    def _pod(self, pod: Obj) -> None:
        for service in self.selectors.for_pod(pod):
            self.queue.add_after(object_key(service), self.batch)

    def _pod_changed(self, old: Obj, new: Obj) -> None:
        if old.resource_version != new.resource_version:
            for key in {object_key(s) for s in [*self.selectors.for_pod(old), *self.selectors.for_pod(new)]}:
                self.queue.add_after(key, self.batch)

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        service = self.services.indexer.get(key)
        if service is None:  # a Service deleted: its Endpoints go too (they carry no owner reference)
            if self.endpoints.indexer.get(key) is not None:
                namespace, _, name = key.partition("/")
                try:
                    await self.client.delete(ENDPOINTS, name, namespace=namespace)
                except errors.NotFound:
                    pass
            return None
        selector = self.selectors.selector(service)
        if selector is None:
            return None
        wanted, truncated = subsets(service, self.selectors.backing_pods(service, selector))
        current = self.endpoints.indexer.get(key)
        meta = service["metadata"]
        labels = dict(meta.get("labels") or {})
        if (service.get("spec") or {}).get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        annotations = dict((current or {}).get("metadata", {}).get("annotations") or {})
        annotations.pop(OVER_CAPACITY, None)
        if truncated:
            annotations[OVER_CAPACITY] = "truncated"
        if current is not None and (current.get("subsets") or []) == wanted and \
                (current["metadata"].get("labels") or {}) == labels and \
                (current["metadata"].get("annotations") or {}) == annotations:
            return None
        body = {"apiVersion": "v1", "kind": "Endpoints",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"], "labels": labels,
                             "annotations": annotations}, "subsets": wanted}
        try:
            if current is None:
                await self.client.create(ENDPOINTS, body)
            else:
                body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                await self.client.update(ENDPOINTS, body)
        except (errors.AlreadyExists, errors.Conflict, errors.NotFound):
            pass  # the informer brings the object as it is, and with it the next sync
        return None
