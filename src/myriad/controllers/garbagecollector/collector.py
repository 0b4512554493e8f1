"""The garbage collector, as upstream's ``pkg/controller/garbagecollector``.

It watches every resource that can be listed, watched and deleted (events aside, as upstream),
builds the ownership graph (:mod:`.graph`) and works two kinds of key:

* ``("delete", uid)``, upstream's attemptToDelete. A virtual owner is looked up: missing (404,
  or another uid under its name), it is forgotten and its dependents checked. An object being
  deleted in the foreground loses its ``foregroundDeletion`` finalizer once no dependent blocks
  it. Any other object with owners is classified by them: with a *solid* owner (it exists and is
  not waiting for its dependents) it stays, only dropping references to missing owners or to
  owners deleting in the foreground; with none, it is deleted, in the foreground if an owner
  waits for it and it has dependents of its own, else with the policy its own finalizers ask
  (orphan, foreground, background).
* ``("orphan", uid)``: the owner's dependents lose their references to it, then it loses its
  ``orphan`` finalizer.

Deletes carry the uid as a precondition, so a namesake made meanwhile is never touched. Owners
not in the graph are read from the API, and those found missing are remembered.

Concurrency: loop only. Workers handle different uids at once (the queue's guarantee); the graph
is changed only by the informers' handlers and :meth:`Graph.forget` between awaits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler, SharedInformer
from myriad.client.types import PatchType
from myriad.client.views import OwnerReference
from myriad.controllers.discovery import Discovered, Mapper
from myriad.controllers.garbagecollector.graph import FOREGROUND, ORPHAN, Graph, Node, Work
from myriad.controllers.types import ControllerContext, Obj

NAME = "garbagecollector"
#: Resources upstream's collector leaves alone.
IGNORED = frozenset({("v1", "events"), ("events.k8s.io/v1", "events")})
_NEEDED = frozenset({"list", "watch", "delete"})
#: Owners found missing, remembered (upstream's absentOwnerCache holds 500).
ABSENT_CACHE = 500


class GarbageCollector(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.graph = Graph()
        self.mapper = Mapper(context.resources)
        self._absent: OrderedDict[str, None] = OrderedDict()
        self._informers: dict[str, tuple[SharedInformer, Discovered]] = {}
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=20), factory=context.factory)

    def setup(self) -> None:
        for item in self.context.resources:
            if not item.verbs >= _NEEDED or (item.api_version, item.resource.plural) in IGNORED:
                continue
            informer = self.factory.informer(item.resource, metadata_only=True)
            self._informers[f"{item.api_version}/{item.kind}"] = (informer, item)
            informer.add_handler(self._handler(item))

    def _handler(self, item: Discovered) -> Handler:
        def observe(obj: Obj, *_: Any) -> None:
            self._queue(self.graph.observe(obj, item.api_version, item.kind))

        def changed(old: Obj, new: Obj) -> None:
            if old.resource_version != new.resource_version:
                observe(new)

        def gone(obj: Obj) -> None:
            self._queue(self.graph.forget(obj.uid))

        return Handler(on_add=observe, on_update=changed, on_delete=gone)

    def _queue(self, work: list[Work]) -> None:
        for key in work:
            self.queue.add(key, event="update")

    # -- the work ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        action, uid = key  # type: ignore[misc]
        node = self.graph.nodes.get(uid)
        if node is None:
            return None
        if action == ORPHAN:
            await self._orphan(node)
        elif node.virtual:
            if not await self._exists(OwnerReference(api_version=node.api_version, kind=node.kind, name=node.name,
                                                     uid=uid), node.namespace):
                self._queue(self.graph.forget(uid))
        else:
            await self._attempt_to_delete(node)
        return None

    async def _attempt_to_delete(self, node: Node) -> None:
        if node.deleting_dependents:
            blocking = self.graph.blocking(node)
            if not blocking:
                await self._remove_finalizer(node, FOREGROUND)
            for dependent in blocking:
                if not dependent.deleting_dependents:
                    self.queue.add(("delete", dependent.uid), event="update")
            return
        if not node.owners or node.deleting:
            return
        solid, dangling, waiting = [], [], []
        for ref in node.owners:
            owner = self.graph.nodes.get(ref.uid)
            if owner is not None and not owner.virtual:
                (waiting if owner.deleting_dependents else solid).append(ref)
            elif await self._exists(ref, node.namespace):
                solid.append(ref)
            else:
                dangling.append(ref)
        if solid:
            if dangling or waiting:
                await self._drop_references(node, [ref.uid for ref in dangling + waiting])
            return
        if waiting and node.dependents:
            policy = "Foreground"
        elif ORPHAN in node.finalizers:
            policy = "Orphan"
        elif FOREGROUND in node.finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        await self._delete(node, policy)

    async def _orphan(self, owner: Node) -> None:
        for uid in list(owner.dependents):
            dependent = self.graph.nodes.get(uid)
            if dependent is not None and not dependent.virtual:
                await self._drop_references(dependent, [owner.uid])
        await self._remove_finalizer(owner, ORPHAN)

    # -- the API -------------------------------------------------------------------------------

    def _discovered(self, api_version: str, kind: str) -> Discovered | None:
        return self.mapper.resource(api_version, kind)

    async def _exists(self, ref: OwnerReference, namespace: str) -> bool:
        """Whether the owner ``ref`` names exists with its uid; an unknown kind counts as
        existing (nothing is collected on a guess)."""
        if ref.uid in self._absent:
            return False
        found = self._discovered(ref.api_version, ref.kind)
        if found is None:
            return True
        try:
            obj = await self.client.get(found.resource, ref.name,
                                        namespace=namespace if found.resource.namespaced else None)
        except errors.NotFound:
            obj = None
        if obj is not None and obj["metadata"].get("uid") == ref.uid:
            return True
        self._absent[ref.uid] = None
        if len(self._absent) > ABSENT_CACHE:
            self._absent.popitem(last=False)
        return False

    async def _delete(self, node: Node, policy: str) -> None:
        found = self._discovered(node.api_version, node.kind)
        if found is None:
            return
        try:
            await self.client.delete(found.resource, node.name, namespace=node.namespace or None,
                                     propagation_policy=policy, preconditions={"uid": node.uid})
        except (errors.NotFound, errors.Conflict):
            pass  # gone already, or a namesake

    async def _drop_references(self, node: Node, owners: list[str]) -> None:
        found = self._discovered(node.api_version, node.kind)
        if found is None:
            return
        patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid} for uid in owners],
                              "uid": node.uid}}
        try:
            await self.client.patch(found.resource, node.name, patch, patch_type=PatchType.STRATEGIC,
                                    namespace=node.namespace or None)
        except errors.UnsupportedMediaType:  # a custom resource: a JSON merge patch of the whole list
            current = await self.client.get(found.resource, node.name, namespace=node.namespace or None)
            kept = [r for r in current["metadata"].get("ownerReferences") or () if r.get("uid") not in owners]
            await self.client.patch(found.resource, node.name, {"metadata": {
                "ownerReferences": kept, "resourceVersion": current["metadata"]["resourceVersion"]}},
                namespace=node.namespace or None)
        except (errors.NotFound, errors.Conflict):
            pass

    async def _remove_finalizer(self, node: Node, finalizer: str) -> None:
        found = self._discovered(node.api_version, node.kind)
        if found is None:
            return
        namespace = node.namespace or None
        try:
            current = await self.client.get(found.resource, node.name, namespace=namespace)
        except errors.NotFound:
            return
        if current["metadata"].get("uid") != node.uid:
            return
        finalizers = list(current["metadata"].get("finalizers") or ())
        if finalizer not in finalizers:
            return
        finalizers.remove(finalizer)
        try:
            await self.client.patch(found.resource, node.name, {"metadata": {
                "finalizers": finalizers or None, "resourceVersion": current["metadata"]["resourceVersion"]}},
                namespace=namespace)
        except errors.NotFound:
            pass
