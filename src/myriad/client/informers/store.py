"""The informer's local cache: objects by key, with indexes (client-go's ``Indexer``).

Keys are ``namespace/name`` for namespaced objects and ``name`` for cluster-scoped ones. An
index function maps an object to the index values it belongs under; lookups by value cost
O(matches). :data:`BY_NAMESPACE` and :data:`BY_NODE_NAME` are built in; any other function can be
added before the first object arrives.

Objects are compact :class:`~myriad.client.objects.Object` values (JSON bytes plus a typed view); like
client-go's shared caches, what the cache hands out is shared and never changed.

Concurrency: loop only; nothing awaits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from myriad.client.objects import Object

Obj = Object
IndexFunc = Callable[[Obj], Iterable[str]]


def object_key(obj: Object | Mapping[str, Any]) -> str:
    """``namespace/name`` (``name`` when cluster-scoped), of an Object or a decoded object."""
    if isinstance(obj, Object):
        return obj.key
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name', '')}" if namespace else metadata.get("name", "")


def by_namespace(obj: Obj) -> Iterable[str]:
    namespace = obj.view.metadata.namespace
    return (namespace,) if namespace else ()


def by_node_name(obj: Obj) -> Iterable[str]:
    node = obj.view.node_name
    return (node,) if node else ()


BY_NAMESPACE = "namespace"
BY_NODE_NAME = "nodeName"
BUILTIN_INDEXERS: dict[str, IndexFunc] = {BY_NAMESPACE: by_namespace, BY_NODE_NAME: by_node_name}


class Indexer:
    def __init__(self, indexers: dict[str, IndexFunc] | None = None) -> None:
        self._objects: dict[str, Obj] = {}
        self._indexers: dict[str, IndexFunc] = dict(indexers or {})
        self._indices: dict[str, dict[str, set[str]]] = {name: {} for name in self._indexers}
        #: Bytes of JSON held (compressed, for packed objects).
        self.raw_bytes = 0

    def add_indexer(self, name: str, function: IndexFunc) -> None:
        """Adds an index; allowed only while the cache is empty (as in client-go)."""
        if self._objects:
            raise ValueError(f"cannot add index {name!r} to a cache that already holds objects")
        if name in self._indexers:
            raise ValueError(f"index {name!r} already exists")
        self._indexers[name] = function
        self._indices[name] = {}

    def has_index(self, name: str) -> bool:
        return name in self._indexers

    def get(self, key: str) -> Obj | None:
        return self._objects.get(key)

    def list(self) -> list[Obj]:
        return list(self._objects.values())

    def keys(self) -> list[str]:
        return list(self._objects)

    def snapshot(self) -> dict[str, Obj]:
        """A shallow copy of key → object."""
        return dict(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def __contains__(self, key: str) -> bool:
        return key in self._objects

    def by_index(self, name: str, value: str) -> list[Obj]:
        """Objects whose index ``name`` includes ``value``; KeyError for an unknown index."""
        keys = self._indices[name].get(value, ())
        return [self._objects[key] for key in keys]

    def index_size(self, name: str, value: str) -> int:
        """How many objects index ``name`` holds under ``value``; KeyError for an unknown index."""
        return len(self._indices[name].get(value, ()))

    def put(self, obj: Obj) -> Obj | None:
        """Adds or replaces ``obj``; returns the object it replaced."""
        key = obj.key
        old = self._objects.get(key)
        self._objects[key] = obj
        self.raw_bytes += len(obj.raw) - (len(old.raw) if old is not None else 0)
        self._reindex(key, old, obj)
        return old

    def remove(self, key: str) -> Obj | None:
        old = self._objects.pop(key, None)
        if old is not None:
            self.raw_bytes -= len(old.raw)
            self._reindex(key, old, None)
        return old

    def replace(self, objects: Iterable[Obj]) -> None:
        """Replaces everything with ``objects``."""
        self._objects = {obj.key: obj for obj in objects}
        self.raw_bytes = sum(len(obj.raw) for obj in self._objects.values())
        self._indices = {name: {} for name in self._indexers}
        for key, obj in self._objects.items():
            self._reindex(key, None, obj)

    def _reindex(self, key: str, old: Obj | None, new: Obj | None) -> None:
        for name, function in self._indexers.items():
            index = self._indices[name]
            before = set(function(old)) if old is not None else set()
            after = set(function(new)) if new is not None else set()
            for value in before - after:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
            for value in after - before:
                index.setdefault(value, set()).add(key)
