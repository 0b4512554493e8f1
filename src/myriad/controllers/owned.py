"""Turning the events of owned objects (pods, ControllerRevisions) into the keys of their
owners, for controllers that own by controller reference and adopt by selector (StatefulSet,
DaemonSet): an owned object's event queues its controller, an orphan's every owner in its
namespace whose selector matches it.

Concurrency: loop only; the handlers run on informer events and never await.
"""

from __future__ import annotations

from collections.abc import Callable

from myriad.api.selectors import LabelSelector, SelectorError, selector_from_object
from myriad.client import errors
from myriad.client.informers.informer import Handler, SharedInformer
from myriad.client.informers.store import BY_NAMESPACE, object_key
from myriad.client.objects import Object
from myriad.client.rest import Client
from myriad.client.types import Resource
from myriad.client.workqueue.priority import PriorityQueue
from myriad.controllers.types import Obj


def selector(owner: Object | Obj) -> LabelSelector | None:
    """The owner's ``spec.selector``; None if it is invalid (the API server refuses those)."""
    chosen = owner.view.spec.selector if isinstance(owner, Object) else (owner.get("spec") or {}).get("selector")
    try:
        return selector_from_object(chosen)
    except SelectorError:
        return None


class AdoptCheck:
    """Upstream's RecheckDeletionTimestamp for :class:`~myriad.controllers.podcontrol.Claims`:
    a fresh read of the owner, so one deleted and made again under its name, or being deleted,
    adopts nothing. Read once however many claims ask."""

    def __init__(self, client: Client, resource: Resource, owner: Obj) -> None:
        self._client = client
        self._resource = resource
        self._owner = owner
        self._answer: bool | None = None

    async def __call__(self) -> bool:
        if self._answer is None:
            metadata = self._owner["metadata"]
            try:
                fresh = await self._client.get(self._resource, metadata["name"], namespace=metadata["namespace"])
            except errors.NotFound:
                self._answer = False
            else:
                self._answer = fresh["metadata"].get("uid") == metadata["uid"] and \
                    not fresh["metadata"].get("deletionTimestamp")
        return self._answer


class OwnerEvents:
    """Queues owners of kind ``kind`` (cached by ``owners``) on ``queue`` for the events of the
    objects they own. ``on_owned`` sees each event's object with its owner's key, before the
    key is queued (where a controller notes what it observed)."""

    def __init__(self, owners: SharedInformer, kind: str, queue: PriorityQueue, *,
                 on_owned: Callable[[str, str, Obj], None] | None = None) -> None:
        self._owners = owners
        self._kind = kind
        self._queue = queue
        self._on_owned = on_owned

    def handler(self) -> Handler:
        return Handler(on_add=lambda obj: self._event("add", obj), on_update=self._updated,
                       on_delete=lambda obj: self._event("delete", obj))

    def owner(self, obj: Obj) -> Obj | None:
        """The owner ``obj``'s controller reference names, if cached with that uid."""
        ref = obj.view.metadata.controller()
        if ref is None or ref.kind != self._kind:
            return None
        owner = self._owners.indexer.get(f"{obj.namespace}/{ref.name}")
        return owner if owner is not None and owner.uid == ref.uid else None

    def selecting(self, obj: Obj) -> list[Obj]:
        """The namespace's owners whose selector matches ``obj``'s labels."""
        labels = obj.labels
        found = []
        for owner in self._owners.indexer.by_index(BY_NAMESPACE, obj.namespace):
            chosen = selector(owner)
            if chosen is not None and not chosen.empty and chosen.matches(labels):
                found.append(owner)
        return found

    def _event(self, event: str, obj: Obj) -> None:
        if obj.view.metadata.controller() is not None:
            owner = self.owner(obj)
            if owner is not None:
                key = object_key(owner)
                if self._on_owned is not None:
                    self._on_owned(event, key, obj)
                self._queue.add(key, event=event)
            return
        if event != "delete":
            for owner in self.selecting(obj):
                self._queue.add(object_key(owner), event=event)

    def _updated(self, old: Obj, new: Obj) -> None:
        if old.resource_version == new.resource_version:
            return
        old_ref, ref = old.view.metadata.controller(), new.view.metadata.controller()
        if old_ref != ref and old_ref is not None:
            previous = self.owner(old)
            if previous is not None:
                self._queue.add(object_key(previous), event="update")
        if ref is None and old.labels == new.labels and old_ref == ref:
            return
        self._event("update", new)
