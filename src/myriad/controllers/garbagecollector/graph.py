"""The garbage collector's dependency graph (upstream's ``GraphBuilder``): one node per object
any watched resource holds, linked to the owners its ownerReferences name, and the work each
change calls for.

An owner named but not seen is a *virtual* node, to be checked against the API: if it does not
exist its dependents are orphans of a missing owner and get collected. The graph returns work as
``(action, uid)`` pairs: ``delete`` (decide whether the object should go: upstream's
attemptToDelete) and ``orphan`` (strip the object's dependents of their references to it, then
its ``orphan`` finalizer).

Concurrency: loop only; nothing awaits. Informer handlers apply changes; the collector's
workers read nodes between awaits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from myriad.client.objects import Object
from myriad.client.views import OwnerReference

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"

Work = tuple[str, str]


#: What a node with no dependents holds (most objects own nothing: no empty set each).
NO_DEPENDENTS: frozenset[str] = frozenset()


@dataclass(slots=True, eq=False)
class Node:
    """One object (or a virtual owner). Its strings and its owner list are the informer view's,
    shared, never copied."""

    uid: str
    api_version: str
    kind: str
    namespace: str
    name: str
    owners: Sequence[OwnerReference] = ()
    dependents: set[str] | frozenset[str] = NO_DEPENDENTS
    #: Named as an owner, not (yet) seen in any informer.
    virtual: bool = False
    deleting: bool = False
    finalizers: tuple[str, ...] = ()

    @property
    def deleting_dependents(self) -> bool:
        """Being deleted in the foreground: it waits for its blocking dependents to go."""
        return self.deleting and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.deleting and ORPHAN in self.finalizers


def owner_refs(obj: Object) -> Sequence[OwnerReference]:
    """The object's owner references that name a uid (the view's shared list when all do)."""
    refs = obj.view.metadata.owner_references or ()
    return refs if all(ref.uid for ref in refs) else tuple(ref for ref in refs if ref.uid)


class Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def observe(self, obj: Object, api_version: str, kind: str) -> list[Work]:
        """An object was added or changed; returns the work it calls for."""
        meta = obj.view.metadata
        uid = meta.uid
        if not uid:
            return []
        work: list[Work] = []
        node = self.nodes.get(uid)
        was_deleting_dependents = was_orphaning = False
        if node is None:
            node = self.nodes[uid] = Node(uid, api_version, kind, meta.namespace, meta.name)
        elif node.virtual:
            node.virtual = False
            node.api_version, node.kind = api_version, kind
            node.namespace, node.name = meta.namespace, meta.name
        else:
            was_deleting_dependents, was_orphaning = node.deleting_dependents, node.orphaning
        owners = owner_refs(obj)
        if owners != node.owners:
            work += self._relink(node, owners)
        node.deleting = bool(meta.deletion_timestamp)
        node.finalizers = tuple(meta.finalizers or ())
        if node.orphaning and not was_orphaning:
            work.append((ORPHAN, uid))
        elif node.deleting_dependents and not was_deleting_dependents:
            work += [("delete", dependent) for dependent in node.dependents]
            work.append(("delete", uid))
        return work

    def forget(self, uid: str) -> list[Work]:
        """An object (or a virtual owner found missing) is gone: its dependents are checked, and
        owners waiting for their dependents to go may be done."""
        node = self.nodes.pop(uid, None)
        if node is None:
            return []
        work: list[Work] = [("delete", dependent) for dependent in node.dependents]
        for ref in node.owners:
            owner = self.nodes.get(ref.uid)
            if owner is not None:
                owner.dependents.discard(uid)
                if owner.deleting_dependents:
                    work.append(("delete", owner.uid))
                elif owner.virtual and not owner.dependents:
                    del self.nodes[owner.uid]
        if node.dependents:  # they still name it: it stays, as a virtual owner to be checked
            self.nodes[uid] = Node(uid, node.api_version, node.kind, node.namespace, node.name,
                                   dependents=node.dependents, virtual=True)
        return work

    def _relink(self, node: Node, owners: Sequence[OwnerReference]) -> list[Work]:
        work: list[Work] = []
        before = {ref.uid for ref in node.owners}
        after = {ref.uid for ref in owners}
        for ref in node.owners:
            if ref.uid in after:
                continue
            owner = self.nodes.get(ref.uid)
            if owner is not None:
                owner.dependents.discard(node.uid)
                if owner.deleting_dependents:
                    work.append(("delete", owner.uid))  # one fewer dependent to wait for
                elif owner.virtual and not owner.dependents:
                    del self.nodes[owner.uid]
        for ref in owners:
            if ref.uid in before:
                continue
            owner = self.nodes.get(ref.uid)
            if owner is None:
                owner = self.nodes[ref.uid] = Node(ref.uid, ref.api_version, ref.kind, node.namespace, ref.name,
                                                   virtual=True)
                work.append(("delete", ref.uid))  # is it there at all?
            if owner.dependents is NO_DEPENDENTS:
                owner.dependents = set()
            owner.dependents.add(node.uid)
        node.owners = owners
        return work

    def blocking(self, node: Node) -> list[Node]:
        """Its dependents whose reference to it blocks its deletion."""
        found = []
        for uid in node.dependents:
            dependent = self.nodes.get(uid)
            if dependent is not None and not dependent.virtual and \
                    any(ref.uid == node.uid and ref.block_owner_deletion for ref in dependent.owners):
                found.append(dependent)
        return found
