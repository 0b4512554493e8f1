"""Upstream's CRD finalizer: a deleted CustomResourceDefinition goes only after its custom objects
have, each deleted as a client's delete would delete it, so their own finalizers hold them.

For a CRD marked for deletion that carries ``customresourcecleanup.apiextensions.k8s.io``:

1. its Terminating condition becomes ``InstanceDeletionInProgress``;
2. every custom object not yet marked is deleted through the object store (an object with
   finalizers is only marked, and stays until its finalizers are removed);
3. the objects left are checked every ``poll`` seconds, and every object not yet marked is
   deleted again (one created meanwhile through another server, say); after ``check_after``
   seconds the condition says ``InstanceDeletionCheck``, as upstream's does when its wait times
   out, and the checks go on;
4. once none is left, the finalizer is removed and the CRD goes (``forget``).

A server that starts with such a CRD in storage resumes its cleanup (:meth:`CRDCleanup.resume`).
Concurrency: event loop only; one task per CRD being cleaned up, keyed by name.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from myriad.api import gojson, meta
from myriad.api.errors import ConflictError, NotFoundError
from myriad.api.registry import ResourceRegistry, ResourceType
from myriad.apiserver.crds import CRD_PREFIX
from myriad.apiserver.rest.store import DeleteOptions, ObjectStore
from myriad.apiserver.strategies.crds import CLEANUP_FINALIZER
from myriad.clock import Clock
from myriad.storage.interfaces import Store, prefix_end

Obj = dict[str, object]


def custom_objects(crd: Obj) -> tuple[bytes, bytes]:
    """The key range of a CRD's custom objects."""
    spec = crd.get("spec") or {}
    prefix = f"/registry/{spec.get('group')}/{(spec.get('names') or {}).get('plural')}/".encode()  # type: ignore[union-attr]
    return prefix, prefix_end(prefix)


class CRDCleanup:
    def __init__(self, objects: ObjectStore, storage: Store, registry: ResourceRegistry, *, clock: Clock,
                 forget: Callable[[Obj, int], Awaitable[None]], poll: float = 1.0, check_after: float = 60.0) -> None:
        self._objects = objects
        self._storage = storage
        self._registry = registry
        self._clock = clock
        self._forget = forget
        self._poll = poll
        self._check_after = check_after
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, crd: Obj) -> None:
        """Cleans up after ``crd`` (marked for deletion) in the background, once per CRD."""
        name = str(crd["metadata"]["name"])  # type: ignore[index]
        if name not in self._tasks:
            task = asyncio.get_running_loop().create_task(self._run(name, crd))
            self._tasks[name] = task
            task.add_done_callback(lambda _t, n=name: self._tasks.pop(n, None))

    async def resume(self) -> None:
        """Starts the cleanup of every stored CRD that is marked for deletion and still holds
        the cleanup finalizer (the server stopped during one)."""
        result = await self._storage.range(CRD_PREFIX, prefix_end(CRD_PREFIX))
        for kv in result.kvs:
            crd = gojson.loads(kv.value)
            metadata = crd.get("metadata") or {}
            if metadata.get("deletionTimestamp") and CLEANUP_FINALIZER in (metadata.get("finalizers") or ()):
                self.start(crd)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, name: str, crd: Obj) -> None:
        crds = self._registry.get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        resource = self._served(crd)
        assert crds is not None
        await self._condition(crds, name, "InstanceDeletionInProgress", "CustomResource deletion is in progress")
        start, end = custom_objects(crd)
        began, checked = self._clock.monotonic(), False
        while True:
            left = (await self._storage.range(start, end)).kvs
            if not left:
                break
            for kv in left:
                obj = gojson.loads(kv.value)
                metadata = obj.get("metadata") or {}
                if metadata.get("deletionTimestamp") or resource is None:
                    continue
                with contextlib.suppress(NotFoundError, ConflictError):
                    await self._objects.delete(resource, metadata.get("namespace", ""), metadata.get("name", ""),
                                               DeleteOptions())
            if not checked and self._clock.monotonic() - began >= self._check_after:
                checked = True
                await self._condition(crds, name, "InstanceDeletionCheck",
                                      "could not confirm zero CustomResources remaining: timed out waiting for the "
                                      "condition")
            await self._clock.sleep(self._poll)

        def release(current: Obj) -> Obj:
            metadata = current["metadata"]
            metadata["finalizers"] = [f for f in metadata.get("finalizers") or []  # type: ignore[index,union-attr]
                                      if f != CLEANUP_FINALIZER]
            return current

        try:
            gone = await self._objects.patch(crds, "", name, release)
        except NotFoundError:
            return
        await self._forget(gone, int(gone["metadata"]["resourceVersion"]))  # type: ignore[index,call-overload]

    def _served(self, crd: Obj) -> ResourceType | None:
        """A version of the CRD's resource that the server serves (any: they share storage)."""
        spec = crd.get("spec") or {}
        plural = (spec.get("names") or {}).get("plural", "")  # type: ignore[union-attr]
        for version in spec.get("versions") or []:  # type: ignore[union-attr]
            found = self._registry.get(str(spec.get("group", "")), str(version.get("name", "")), str(plural))  # type: ignore[union-attr]
            if found is not None:
                return found
        return None

    async def _condition(self, crds: ResourceType, name: str, reason: str, message: str) -> None:
        def terminating(current: Obj) -> Obj:
            status = current.setdefault("status", {})
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "Terminating"]  # type: ignore[union-attr]
            conditions.append({"type": "Terminating", "status": "True",
                               "lastTransitionTime": meta.rfc3339(self._clock.now()),
                               "reason": reason, "message": message})
            status["conditions"] = conditions  # type: ignore[index]
            return current

        with contextlib.suppress(NotFoundError, ConflictError):
            await self._objects.patch(crds, "", name, terminating, subresource="status")
