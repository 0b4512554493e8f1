"""The objects every cluster starts with, created when the server starts if they are missing, as
upstream's post-start hooks and bootstrap controller create them:

* the namespaces default, kube-system, kube-public and kube-node-lease (their ``default``
  ServiceAccounts come from the controller manager's ServiceAccount controller, as upstream's);
* the ``kubernetes`` Service in ``default``, with the Endpoints and EndpointSlice that point at
  this server;
* the system PriorityClasses ``system-node-critical`` and ``system-cluster-critical``;
* upstream's bootstrap RBAC roles and bindings (:mod:`.bootstrap_rbac`), cluster-wide and in
  kube-system and kube-public;
* a FlowSchema and a PriorityLevelConfiguration for each priority level and flow schema that
  flow control really uses, with its real shares and queue length (:mod:`.flowcontrol`);
* a local APIService for every built-in group version, as kube-aggregator registers them (CRD
  group versions are not registered yet).

Objects are created concurrently, so their writes share commits.
"""

from __future__ import annotations

import asyncio

from myriad.api import meta
from myriad.api.errors import AlreadyExistsError, NotFoundError
from myriad.api.registry import ResourceRegistry, ResourceType
from myriad.apiserver import bootstrap_rbac
from myriad.apiserver.flowcontrol.types import FlowControlOptions
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.rest.store import ObjectStore
from myriad.clock import Clock

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
#: Upstream's system PriorityClasses: name → (value, description).
PRIORITY_CLASSES = {
    "system-node-critical": (2000001000, "Used for system critical pods that must not be moved from their current "
                                         "node."),
    "system-cluster-critical": (2000000000, "Used for system critical pods that must run in the cluster, but can be "
                                            "moved to another node if necessary."),
}
#: Flow schemas flow control reports (flowcontrol/classify.py) → (level, matching precedence, subjects).
FLOW_SCHEMAS: dict[str, tuple[str, int, list[Obj]]] = {
    "exempt": ("exempt", 1, [{"kind": "Group", "group": {"name": "system:masters"}}]),
    "system-leader-election": ("leader-election", 100, [
        {"kind": "User", "user": {"name": "system:kube-controller-manager"}},
        {"kind": "User", "user": {"name": "system:kube-scheduler"}},
        {"kind": "ServiceAccount", "serviceAccount": {"namespace": "kube-system", "name": "*"}}]),
    "system-node-high": ("node-high", 400, [{"kind": "Group", "group": {"name": "system:nodes"}}]),
    "kube-system-components": ("workload-high", 800, [
        {"kind": "User", "user": {"name": "system:kube-controller-manager"}},
        {"kind": "User", "user": {"name": "system:kube-scheduler"}},
        {"kind": "Group", "group": {"name": "system:nodes"}}]),
    "catch-all": ("catch-all", 10000, [{"kind": "Group", "group": {"name": "system:unauthenticated"}},
                                      {"kind": "Group", "group": {"name": "system:authenticated"}}]),
}
_EVERYTHING: list[Obj] = [{"subjects": [], "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"],
                                                             "clusterScope": True, "namespaces": ["*"]}],
                           "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}]}]
#: Upstream's order of local APIServices: group → (groupPriorityMinimum, versionPriority per version)
#: (resource.k8s.io v1's versionPriority is not confirmed from upstream's source).
API_SERVICE_PRIORITIES: dict[str, tuple[int, dict[str, int]]] = {
    "": (18000, {"v1": 1}),
    "apps": (17800, {"v1": 15}),
    "events.k8s.io": (17750, {"v1": 15}),
    "authentication.k8s.io": (17700, {"v1": 15}),
    "authorization.k8s.io": (17600, {"v1": 15}),
    "autoscaling": (17500, {"v2": 30, "v1": 15}),
    "batch": (17400, {"v1": 15}),
    "certificates.k8s.io": (17300, {"v1": 15}),
    "networking.k8s.io": (17200, {"v1": 15}),
    "policy": (17100, {"v1": 15}),
    "rbac.authorization.k8s.io": (17000, {"v1": 15}),
    "storage.k8s.io": (16800, {"v1": 15}),
    "admissionregistration.k8s.io": (16700, {"v1": 15}),
    "apiextensions.k8s.io": (16700, {"v1": 15}),
    "scheduling.k8s.io": (16600, {"v1": 15}),
    "coordination.k8s.io": (16500, {"v1": 15}),
    "node.k8s.io": (16300, {"v1": 15}),
    "discovery.k8s.io": (16200, {"v1": 15}),
    "flowcontrol.apiserver.k8s.io": (16100, {"v1": 21}),
    "resource.k8s.io": (16200, {"v1": 21}),
    "storagemigration.k8s.io": (15800, {"v1": 15}),
}


class Bootstrap:
    def __init__(self, objects: ObjectStore, registry: ResourceRegistry, *, flow: FlowControlOptions,
                 kubernetes_ip: str, clock: Clock) -> None:
        self._clock = clock
        self._objects = objects
        self._registry = registry
        self._flow = flow
        self._kubernetes_ip = kubernetes_ip

    def _resource(self, group: str, plural: str) -> ResourceType:
        resource = self._registry.get(group, "v1", plural)
        assert resource is not None, plural
        return resource

    async def _ensure(self, resource: ResourceType, obj: Obj) -> None:
        """Creates ``obj`` unless it exists; a status it carries is then written through
        ``/status``, as the controller that owns it would."""
        metadata = obj["metadata"]
        namespace = str(metadata.get("namespace", ""))  # type: ignore[union-attr]
        status = obj.get("status")  # the create resets it
        try:
            created = await self._objects.create(resource, namespace, obj)
        except AlreadyExistsError:
            return
        if status is not None and resource.subresource("status") is not None:
            await self._objects.update(resource, namespace, str(metadata["name"]),  # type: ignore[index]
                                       {**created, "status": status}, subresource="status")

    async def run(self, *, port: int) -> None:
        namespaces = self._resource("", "namespaces")
        await asyncio.gather(*(self._ensure(namespaces, {"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": name}}) for name in SYSTEM_NAMESPACES))
        await asyncio.gather(
            self._kubernetes_service(port),
            *(self._ensure(self._resource("scheduling.k8s.io", "priorityclasses"), _priority_class(name))
              for name in PRIORITY_CLASSES),
            *(self._ensure(self._resource("rbac.authorization.k8s.io", "clusterroles"), role)
              for role in bootstrap_rbac.cluster_roles()),
            *(self._ensure(self._resource("rbac.authorization.k8s.io", "clusterrolebindings"), binding)
              for binding in bootstrap_rbac.cluster_role_bindings()),
            *(self._ensure(self._resource("rbac.authorization.k8s.io", "roles"), role)
              for role in bootstrap_rbac.roles()),
            *(self._ensure(self._resource("rbac.authorization.k8s.io", "rolebindings"), binding)
              for binding in bootstrap_rbac.role_bindings()),
            *(self._ensure(self._resource("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"), level)
              for level in self._priority_levels()),
            *(self._ensure(self._resource("flowcontrol.apiserver.k8s.io", "flowschemas"),
                           _flow_schema(name, meta.rfc3339(self._clock.now()))) for name in FLOW_SCHEMAS),
            *(self._ensure(self._resource("apiregistration.k8s.io", "apiservices"), service)
              for service in self._api_services()))

    async def _kubernetes_service(self, port: int) -> None:
        """The ``kubernetes`` Service in ``default`` with the first service IP, targeting this
        server's port, and its Endpoints and EndpointSlice pointing at this server, as upstream's
        bootstrap controller keeps them."""
        services = self._resource("", "services")
        labels = {"component": "apiserver", "provider": "kubernetes"}
        ports = [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]
        try:
            service = await self._objects.get(services, "default", "kubernetes")
        except NotFoundError:
            await self._ensure(services, {
                "apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kubernetes", "namespace": "default", "labels": labels},
                "spec": {"type": "ClusterIP", "clusterIP": self._kubernetes_ip, "ports": ports}})
        else:
            if (service.get("spec") or {}).get("ports") != ports:  # type: ignore[union-attr]
                service["spec"]["ports"] = ports  # type: ignore[index]
                await self._objects.update(services, "default", "kubernetes", service)
        await self._objects.update(self._resource("", "endpoints"), "default", "kubernetes", {
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": "127.0.0.1"}],
                         "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]})
        await self._objects.update(self._resource("discovery.k8s.io", "endpointslices"), "default", "kubernetes", {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}]})

    def _priority_levels(self) -> list[Obj]:
        levels: list[Obj] = [{"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
                              "metadata": {"name": "exempt"},
                              "spec": {"type": "Exempt", "exempt": {"nominalConcurrencyShares": 0,
                                                                    "lendablePercent": 0}}}]
        for level in self._flow.levels:
            queuing = {"queues": 1, "handSize": 1, "queueLengthLimit": level.queue_length}
            levels.append({"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
                           "metadata": {"name": level.name},
                           "spec": {"type": "Limited", "limited": {
                               "nominalConcurrencyShares": level.shares, "lendablePercent": 0,
                               "limitResponse": {"type": "Queue", "queuing": queuing}}}})
        return levels

    def _api_services(self) -> list[Obj]:
        """One per built-in group version but apiregistration's own, which kube-aggregator serves
        without one."""
        out = []
        for group, versions in self._registry.group_versions().items():
            if group not in API_SERVICE_PRIORITIES:
                continue
            group_minimum, priorities = API_SERVICE_PRIORITIES[group]
            for version in versions:
                out.append({
                    "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                    "metadata": {"name": f"{version}.{group}",
                                 "labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"}},
                    "spec": {"group": group, "version": version, "groupPriorityMinimum": group_minimum,
                             "versionPriority": priorities.get(version, 15)},
                    "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local",
                                               "message": "Local APIServices are always available"}]}})
        return out


def _priority_class(name: str) -> Obj:
    value, description = PRIORITY_CLASSES[name]
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, "description": description, "preemptionPolicy": "PreemptLowerPriority"}


def _flow_schema(name: str, now: str) -> Obj:
    level, precedence, subjects = FLOW_SCHEMAS[name]
    rules = [{**_EVERYTHING[0], "subjects": subjects}]
    spec: Obj = {"priorityLevelConfiguration": {"name": level}, "matchingPrecedence": precedence, "rules": rules}
    if level != "exempt":
        spec["distinguisherMethod"] = {"type": "ByUser"}
    return {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": name},
            "spec": spec, "status": {"conditions": [dangling_condition(level, True, now)]}}


def dangling_condition(level: str, exists: bool, now: str) -> Obj:
    """A FlowSchema's Dangling condition, as upstream's APF configuration controller (which runs
    in the API server) writes it."""
    if exists:
        return {"type": "Dangling", "status": "False", "lastTransitionTime": now, "reason": "Found",
                "message": f'This FlowSchema references the PriorityLevelConfiguration object named "{level}" and '
                           "it exists"}
    return {"type": "Dangling", "status": "True", "lastTransitionTime": now, "reason": "NotFound",
            "message": f'This FlowSchema references the PriorityLevelConfiguration object named "{level}" but '
                       "there is no such object"}
