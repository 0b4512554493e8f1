"""Serving custom resources: what a CustomResourceDefinition makes the server serve, kept in step
with the CRDs in storage.

:func:`resource_types` turns a CRD into one :class:`ResourceType` per served version, carrying
the version's schema, printer columns and scale paths in ``extra``. :class:`CRDRegistrar` lists
the stored CRDs at start and then follows them with a storage watch, so a CRD written through any
API server is served by every one; the server that wrote it also calls :meth:`CRDRegistrar.apply`
directly so its resources are served before the create returns.

Concurrency: event loop only. The registrar's watch task is the only other writer of the
registry's custom entries, and both run on the loop without awaiting between read and update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from myriad.api import gojson
from myriad.api.registry import ResourceRegistry, ResourceType, Subresource
from myriad.storage.errors import CompactedError, StorageError
from myriad.storage.interfaces import EventType, Store, prefix_end

log = logging.getLogger(__name__)

_RW = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_SUB = ("get", "patch", "update")
CRD_PREFIX = b"/registry/apiextensions.k8s.io/customresourcedefinitions/"


def resource_types(crd: dict[str, object]) -> list[ResourceType]:
    """The resource types a CRD serves (one per served version). While the CRD is being deleted
    they are still served, marked ``terminating``: reads and deletes work, creates do not."""
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    metadata = crd.get("metadata") if isinstance(crd.get("metadata"), dict) else {}
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    assert isinstance(names, dict)
    group, plural, kind = str(spec.get("group", "")), str(names.get("plural", "")), str(names.get("kind", ""))
    singular = str(names.get("singular") or kind.lower())
    out = []
    for version in spec.get("versions") or []:
        if not isinstance(version, dict) or not version.get("served"):
            continue
        subresources = version.get("subresources") if isinstance(version.get("subresources"), dict) else {}
        assert isinstance(subresources, dict)
        subs = []
        if "status" in subresources:
            subs.append(Subresource("status", _SUB, kind))
        scale = subresources.get("scale")
        if isinstance(scale, dict):
            subs.append(Subresource("scale", _SUB, "Scale", "autoscaling", "v1"))
        schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
        out.append(ResourceType(
            group, str(version.get("name")), plural, singular, kind, spec.get("scope") == "Namespaced", _RW,
            short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
            subresources=tuple(subs), custom=True,
            extra={"crd": str(metadata.get("name", "")), "schema": schema,  # type: ignore[union-attr]
                   "columns": tuple(version.get("additionalPrinterColumns") or ()),
                   "scale": scale if isinstance(scale, dict) else None,
                   "list_kind": str(names.get("listKind") or kind + "List"),
                   "terminating": bool(metadata.get("deletionTimestamp"))}))  # type: ignore[union-attr]
    return out


def _definition(resource: ResourceType) -> dict[str, object]:
    """What a CRD defined for ``resource`` (``extra`` without the strategy cached there)."""
    return {key: value for key, value in resource.extra.items() if key != "strategy"}


class CRDRegistrar:
    def __init__(self, registry: ResourceRegistry, storage: Store) -> None:
        self._registry = registry
        self._storage = storage
        self._served: dict[str, list[ResourceType]] = {}  # CRD name -> what it registered
        self._revisions: dict[str, int] = {}  # CRD name -> revision of the state applied
        self._task: asyncio.Task[None] | None = None

    def apply(self, name: str, crd: dict[str, object] | None, revision: int) -> None:
        """Serves what ``crd`` defines as of ``revision`` (None: it is gone), replacing what it
        served before; a state older than one already applied is ignored (the watch may trail a
        write this server applied itself)."""
        if revision < self._revisions.get(name, 0):
            return
        self._revisions[name] = revision
        wanted = resource_types(crd) if crd is not None else []
        before = self._served.pop(name, [])
        if before == wanted and all(_definition(a) == _definition(b) for a, b in zip(before, wanted, strict=True)):
            if before:
                self._served[name] = before  # the registered objects, which remove() finds by identity
            return
        for resource in before:
            self._registry.remove(resource)
        for resource in wanted:
            self._registry.add(resource)
        if wanted:
            self._served[name] = wanted

    async def start(self) -> None:
        """Serves every stored CRD, then follows changes in the background."""
        revision = await self._load()
        self._task = asyncio.get_running_loop().create_task(self._follow(revision))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _load(self) -> int:
        result = await self._storage.range(CRD_PREFIX, prefix_end(CRD_PREFIX))
        present = set()
        for kv in result.kvs:
            name = kv.key[len(CRD_PREFIX):].decode()
            present.add(name)
            self.apply(name, gojson.loads(kv.value), kv.mod_revision)
        for name in set(self._served) - present:
            self.apply(name, None, result.revision)
        return result.revision

    async def _follow(self, revision: int) -> None:
        while True:
            watch = self._storage.watch(CRD_PREFIX, prefix_end(CRD_PREFIX), start_revision=revision + 1)
            try:
                async for batch in watch:
                    for event in batch.events:
                        name = event.kv.key[len(CRD_PREFIX):].decode()
                        crd = gojson.loads(event.kv.value) if event.type is EventType.PUT else None
                        self.apply(name, crd, event.kv.mod_revision)
                    revision = batch.revision
            except CompactedError:
                revision = await self._load()
            except StorageError as exc:
                log.warning("CRD watch failed, relisting: %s", exc)
                await asyncio.sleep(1.0)
                revision = await self._load()
            finally:
                await watch.aclose()
