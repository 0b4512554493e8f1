"""The ResourceQuota controller, as upstream's ``pkg/controller/resourcequota``: each quota's
``status.hard`` (its spec's) and ``status.used`` (every hard resource, counted from the objects
of its namespace its scopes select; :mod:`myriad.api.quota` says what each counts).

The API server charges each create to ``status.used`` as it admits it; this controller recounts:
when a quota is made or changed, when a counted object is deleted or stops counting (a pod
that finished; replenishment, batched over ``REPLENISH_DELAY``), and every ``--resource-quota-
sync-period`` (5 minutes, upstream's full resync). Everything is counted from the shared
informers: the core kinds' from the start, another resource's from the moment a quota first names
its ``count/<r>.<g>`` (made then, or shared with the controller already watching it).

Concurrency: loop only; a quota is synced by one worker at a time (the queue's guarantee).
"""

from __future__ import annotations

from collections.abc import Hashable
from fractions import Fraction

from myriad.api import quota as q
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler, SharedInformer
from myriad.client.informers.store import BY_NAMESPACE, object_key
from myriad.client.types import CONFIGMAPS, PODS, REPLICATIONCONTROLLERS, SECRETS, SERVICES, Resource
from myriad.controllers.types import ControllerContext, Obj

NAME = "resourcequota"
RESOURCEQUOTAS = Resource(api_version="v1", plural="resourcequotas")
PERSISTENTVOLUMECLAIMS = Resource(api_version="v1", plural="persistentvolumeclaims")
#: Upstream's --resource-quota-sync-period.
RESYNC_PERIOD = 300.0
#: Replenishments of one quota within this many seconds are recounted once.
REPLENISH_DELAY = 0.2
_INFORMED = (PODS, SERVICES, CONFIGMAPS, SECRETS, REPLICATIONCONTROLLERS, RESOURCEQUOTAS, PERSISTENTVOLUMECLAIMS)


class ResourceQuotaController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.clock = context.clock
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        #: (plural, group) -> the informer counting it.
        self.informers: dict[tuple[str, str], SharedInformer] = {}
        for resource in _INFORMED:
            self._count(resource)
        self.quotas = self.informers[("resourcequotas", "")]
        # A quota's own status updates (the API server's charges, this controller's counts)
        # queue nothing: a recount then could miss a create the informers have not shown yet
        # and hand back room already taken (upstream's reasoning too).
        self.watch(self.quotas, changed=_spec_changed)

    def _count(self, resource: Resource) -> SharedInformer:
        """The shared informer of ``resource``, with the replenishing handlers (once)."""
        plural, group = resource.plural, resource.api_version.rpartition("/")[0]
        informer = self.informers.get((plural, group))
        if informer is None:
            informer = self.informers[(plural, group)] = self.factory.informer(resource)
            if (plural, group) != ("resourcequotas", ""):
                informer.add_handler(self._replenisher(plural, group))
        return informer

    def _replenisher(self, plural: str, group: str) -> Handler:
        """Queues the namespace's quotas when an object goes or counts differently; an object
        in a namespace without quotas costs an index lookup."""
        def quotas_of(obj: Obj) -> list[Obj]:
            return self.quotas.indexer.by_index(BY_NAMESPACE, obj["metadata"].get("namespace", ""))

        def replenish(obj: Obj) -> None:
            for quota in quotas_of(obj):
                self.queue.add_after(object_key(quota), REPLENISH_DELAY, event="update")

        def updated(old: Obj, new: Obj) -> None:
            if not quotas_of(new):
                return
            now = self.clock.now()
            if q.usage(plural, group, old, now=now) != q.usage(plural, group, new, now=now):
                replenish(new)
        return Handler(on_update=updated, on_delete=replenish)

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        quota = self.quotas.indexer.get(key)
        if quota is None:
            return None
        hard = (quota.get("spec") or {}).get("hard") or {}
        namespace = quota["metadata"]["namespace"]
        used: dict[str, Fraction] = dict.fromkeys(hard, Fraction(0))
        for plural, group, objects in await self._counted(namespace, set(hard)):
            names = q.matching(plural, group) & hard.keys()
            now = self.clock.now()
            for obj in objects:
                if not q.selects(quota, plural, group, obj):
                    continue
                for name, amount in q.usage(plural, group, obj, now=now).items():
                    if name in names:
                        used[name] += amount
        status = {"hard": dict(hard), "used": q.render_list(used)}
        if (quota.get("status") or {}) != status:
            try:
                await self.client.update(RESOURCEQUOTAS, {**quota, "status": status}, subresource="status")
            except errors.NotFound:
                return None
        return RESYNC_PERIOD

    async def _counted(self, namespace: str, hard: set[str]) -> list[tuple[str, str, list[Obj]]]:
        """(plural, group, objects of the namespace) for every resource some hard name counts;
        a resource first named here gets its informer now, and is counted once it has synced."""
        for name in sorted(hard):
            if not name.startswith("count/"):
                continue
            plural, _, group = name.removeprefix("count/").partition(".")
            resource = next((d.resource for d in self.context.resources
                             if d.resource.plural == plural and d.resource.api_version.rpartition("/")[0] == group
                             and d.resource.namespaced), None)
            if resource is not None and (plural, group) not in self.informers:
                await self._count(resource).wait_for_sync()
        return [(plural, group, informer.indexer.by_index(BY_NAMESPACE, namespace))
                for (plural, group), informer in self.informers.items() if q.matching(plural, group) & hard]


def _spec_changed(old: Obj, new: Obj) -> bool:
    return (old.get("spec") or {}) != (new.get("spec") or {})
