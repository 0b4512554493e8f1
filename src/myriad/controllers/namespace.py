"""The namespace controller, as upstream's ``pkg/controller/namespace``: a namespace being
deleted is emptied, then released.

While a Terminating namespace still has the ``kubernetes`` finalizer in ``spec.finalizers``, each
sync deletes every namespaced resource in it (a delete-collection per resource that allows one,
in the background so the garbage collector takes dependents), counts what remains and writes
upstream's five deletion conditions (NamespaceDeletionDiscoveryFailure,
NamespaceDeletionGroupVersionParsingFailure, NamespaceDeletionContentFailure,
NamespaceContentRemaining, NamespaceFinalizersRemaining). When nothing remains it removes the
finalizer through ``/finalize``, and the API server deletes the namespace. Content that takes time
to go (pods in their grace period, objects held by finalizers) has the namespace looked at again
after a short, doubling wait.

Concurrency: loop only; one namespace is never synced by two workers at once.
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.api.meta import rfc3339
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.types import NAMESPACES
from myriad.controllers.discovery import Discovered
from myriad.controllers.types import ControllerContext, Obj

NAME = "namespace"
FINALIZER = "kubernetes"
#: Seconds before a namespace with content left is looked at again (upstream requeues with its
#: rate limiter, or after the pods' grace period).
RECHECK = 1.0


class NamespaceController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.resources = [r for r in context.resources
                          if r.resource.namespaced and {"list", "delete"} <= r.verbs]
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=10), factory=context.factory)

    def setup(self) -> None:
        self.namespaces = self.factory.informer(NAMESPACES)
        self.watch(self.namespaces)

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        ns = self.namespaces.indexer.get(key)
        if ns is None or not ns["metadata"].get("deletionTimestamp") or \
                FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or ()):
            return None
        failures: list[str] = []
        for item in self.resources:
            if "deletecollection" in item.verbs:
                try:
                    await self.client.delete_collection(item.resource, namespace=key, propagation_policy="Background")
                except errors.NotFound:
                    pass
                except errors.ClientError as error:
                    failures.append(f"{item.resource.plural}: {error}")
        remaining, held = await self._remaining(key)
        await self._conditions(ns, failures, remaining, held)
        if failures or remaining:
            return RECHECK
        finalizers = [f for f in (ns.get("spec") or {}).get("finalizers") or () if f != FINALIZER]
        body = {**ns, "spec": {**(ns.get("spec") or {}), "finalizers": finalizers}}
        try:
            await self.client.update(NAMESPACES, body, subresource="finalize")
        except errors.NotFound:
            pass
        return None

    async def _remaining(self, namespace: str) -> tuple[dict[str, int], dict[str, int]]:
        """Objects left, by resource, and finalizers holding them, by finalizer; items without
        ``delete-collection`` are deleted one by one here."""
        remaining: dict[str, int] = {}
        held: dict[str, int] = {}
        for item in self.resources:
            try:
                listed = (await self.client.list(item.resource, namespace=namespace))["items"]
            except errors.NotFound:
                continue
            if "deletecollection" not in item.verbs:
                for obj in listed:
                    if not obj["metadata"].get("deletionTimestamp"):
                        await self._delete_one(item, obj, namespace)
            if listed:
                remaining[_group_resource(item)] = len(listed)
            for obj in listed:
                for finalizer in obj["metadata"].get("finalizers") or ():
                    held[finalizer] = held.get(finalizer, 0) + 1
        return remaining, held

    async def _delete_one(self, item: Discovered, obj: Obj, namespace: str) -> None:
        try:
            await self.client.delete(item.resource, obj["metadata"]["name"], namespace=namespace,
                                     propagation_policy="Background")
        except (errors.NotFound, errors.Conflict):
            pass

    async def _conditions(self, ns: Obj, failures: list[str], remaining: dict[str, int],
                          held: dict[str, int]) -> None:
        """Upstream's deletion conditions, written only when they change."""
        content = (f"Failed to delete all resource types, {len(failures)} remaining: {', '.join(failures)}"
                   if failures else "All content successfully deleted, may be waiting on finalization")
        left = ("Some resources are remaining: " + ", ".join(
            f"{r} has {n} resource instances" for r, n in sorted(remaining.items()))) if remaining \
            else "All content successfully removed"
        finalized = ("Some content in the namespace has finalizers remaining: " + ", ".join(
            f"{f} in {n} resource instances" for f, n in sorted(held.items()))) if held \
            else "All content-preserving finalizers finished"
        wanted = [
            ("NamespaceDeletionDiscoveryFailure", False, "ResourcesDiscovered",
             "All resources successfully discovered"),
            ("NamespaceDeletionGroupVersionParsingFailure", False, "ParsedGroupVersions",
             "All legacy kube types successfully parsed"),
            ("NamespaceDeletionContentFailure", bool(failures),
             "ContentDeletionFailed" if failures else "ContentDeleted", content),
            ("NamespaceContentRemaining", bool(remaining),
             "SomeResourcesRemain" if remaining else "ContentRemoved", left),
            ("NamespaceFinalizersRemaining", bool(held),
             "SomeFinalizersRemain" if held else "ContentHasNoFinalizers", finalized),
        ]
        status = ns.get("status") or {}
        current = {c.get("type"): c for c in status.get("conditions") or ()}
        now = rfc3339(self.context.clock.now())
        conditions = []
        changed = False
        for kind, state, reason, message in wanted:
            text = "True" if state else "False"
            old = current.get(kind)
            if old is not None and (old.get("status"), old.get("reason"), old.get("message")) == \
                    (text, reason, message):
                conditions.append(old)
                continue
            changed = True
            conditions.append({"type": kind, "status": text, "lastTransitionTime": now, "reason": reason,
                               "message": message})
        if not changed:
            return
        try:
            await self.client.update(NAMESPACES, {**ns, "status": {**status, "conditions": conditions}},
                                     subresource="status")
        except (errors.NotFound, errors.Conflict):
            pass  # gone, or changed: the next sync writes them


def _group_resource(item: Discovered) -> str:
    """``pods`` for the core group, ``deployments.apps`` otherwise (Go's GroupResource.String())."""
    group = item.api_version.rpartition("/")[0]
    return f"{item.resource.plural}.{group}" if group else item.resource.plural
