"""The resource registry: every served resource type, its kind, scope, verbs and subresources.

Built-in types come from :mod:`myriad.api.builtin`; custom resources are added and removed as
their CRDs come and go. Lookups are by (group, version, plural) for requests and by
(apiVersion, kind) for bodies; ``generation`` changes on every add or remove so discovery
documents can be cached between changes.

Concurrency: used from the event loop only; ``add`` replaces whole dicts, never mutating one a
reader may be iterating.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Subresource:
    name: str
    verbs: tuple[str, ...]
    #: The kind served, with its group and version when they differ from the parent's
    #: (``scale`` is autoscaling/v1 Scale, ``eviction`` is policy/v1 Eviction).
    kind: str
    group: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = ()
    #: The storage key prefix, ending in "/", as upstream lays out etcd (``/registry/pods/``).
    storage_prefix: str = ""
    #: True for resources served from a CRD.
    custom: bool = False
    #: False for resources answered without storage (access reviews, componentstatuses, bindings).
    stored: bool = True
    #: For custom resources: the CRD's name, its validation schema and printer columns.
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)
    _hash: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # hashed on every strategy and metrics lookup: compute it once
        object.__setattr__(self, "_hash", hash((self.group, self.version, self.plural, self.kind, self.custom)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return str(self.extra.get("list_kind") or self.kind + "List")

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None

    def prefix(self) -> str:
        return self.storage_prefix or (
            f"/registry/{self.group}/{self.plural}/" if self.custom else f"/registry/{self.plural}/")


class ResourceRegistry:
    def __init__(self, types: Iterable[ResourceType] = ()) -> None:
        self._by_path: dict[tuple[str, str, str], ResourceType] = {}
        self._by_kind: dict[tuple[str, str], ResourceType] = {}
        self.generation = 0
        for resource in types:
            self.add(resource)

    def add(self, resource: ResourceType) -> None:
        by_path = dict(self._by_path)
        by_kind = dict(self._by_kind)
        by_path[(resource.group, resource.version, resource.plural)] = resource
        by_kind[(resource.api_version, resource.kind)] = resource
        self._by_path, self._by_kind = by_path, by_kind
        self.generation += 1

    def remove(self, resource: ResourceType) -> None:
        by_path = dict(self._by_path)
        by_kind = dict(self._by_kind)
        if by_path.get((resource.group, resource.version, resource.plural)) is resource:
            del by_path[(resource.group, resource.version, resource.plural)]
        if by_kind.get((resource.api_version, resource.kind)) is resource:
            del by_kind[(resource.api_version, resource.kind)]
        self._by_path, self._by_kind = by_path, by_kind
        self.generation += 1

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((api_version, kind))

    def all(self) -> list[ResourceType]:
        return list(self._by_path.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Group → versions served, in registration order (the first is preferred)."""
        out: dict[str, list[str]] = {}
        for resource in self._by_path.values():
            versions = out.setdefault(resource.group, [])
            if resource.version not in versions:
                versions.append(resource.version)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [r for r in self._by_path.values() if r.group == group and r.version == version]
