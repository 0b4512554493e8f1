"""What every controller that owns pods shares: pods made from a template, creations in
slow-start batches, and the claiming of pods by selector and controller reference (upstream's
``PodControl``, ``slowStartBatch`` and ``PodControllerRefManager``).

Concurrency: loop only. Creations within a batch run concurrently; batches run one after the
other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from myriad.api.meta import dns1123_subdomain_errors, parse_time
from myriad.api.selectors import LabelSelector
from myriad.client import errors
from myriad.client.objects import Object
from myriad.client.rest import Client
from myriad.client.types import PODS, PatchType, Resource

Obj = dict[str, Any]
#: Upstream's SlowStartInitialBatchSize.
SLOW_START_INITIAL_BATCH = 1


#: Index of an informer's objects by the uid of their controller.
BY_CONTROLLER = "controllerUID"
#: Index of objects without a controller, by namespace: who may be adopted.
ORPHANS = "orphans"


def by_controller(obj: Object) -> tuple[str, ...]:
    ref = obj.view.metadata.controller()
    return (ref.uid,) if ref is not None and ref.uid else ()


def orphans(obj: Object) -> tuple[str, ...]:
    namespace = obj.namespace
    return (namespace,) if namespace and obj.view.metadata.controller() is None else ()


def phase(pod: Object | Obj) -> str:
    """``status.phase`` (from the view of an informer's pod; claims may hand back decoded ones)."""
    if isinstance(pod, Object):
        return pod.view.status.phase
    return (pod.get("status") or {}).get("phase") or ""


def deleting(obj: Object | Obj) -> bool:
    """It has a ``deletionTimestamp``."""
    if isinstance(obj, Object):
        return bool(obj.view.metadata.deletion_timestamp)
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def labels(obj: Object | Obj) -> Mapping[str, str]:
    """``metadata.labels`` (from the view of an informer's object, without decoding it)."""
    if isinstance(obj, Object):
        return obj.labels
    return (obj.get("metadata") or {}).get("labels") or {}


def namespace(obj: Object | Obj) -> str:
    """``metadata.namespace`` (from the view of an informer's object)."""
    if isinstance(obj, Object):
        return obj.namespace
    return (obj.get("metadata") or {}).get("namespace") or ""


def active(pod: Object | Obj) -> bool:
    """Upstream's ``IsPodActive``: not Succeeded or Failed, and not being deleted."""
    return phase(pod) not in ("Succeeded", "Failed") and not deleting(pod)


def terminating(pod: Object | Obj) -> bool:
    """Upstream's ``IsPodTerminating``: being deleted, and not yet Succeeded or Failed."""
    return phase(pod) not in ("Succeeded", "Failed") and deleting(pod)


def ready_condition(pod: Object | Obj) -> Obj | None:
    """The pod's Ready condition if it is True (the pod is Ready), else None."""
    if isinstance(pod, Object) and pod.view.status.condition("Ready") != "True":
        return None
    for condition in (pod.get("status") or {}).get("conditions") or ():
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            return condition if condition.get("status") == "True" else None
    return None


def ready(pod: Object | Obj) -> bool:
    """Upstream's ``IsPodReady`` (from the view of an informer's pod, without decoding it)."""
    if isinstance(pod, Object):
        return pod.view.status.condition("Ready") == "True"
    return ready_condition(pod) is not None


def ready_since(pod: Obj) -> float | None:
    """When the pod became Ready (0.0 when it is Ready with no time), or None if it is not."""
    condition = ready_condition(pod)
    if condition is None:
        return None
    return parse_time(condition.get("lastTransitionTime")) or 0.0


def available(pod: Object | Obj, min_ready_seconds: int, now: float) -> bool:
    """Upstream's ``IsPodAvailable``: Ready for at least ``min_ready_seconds``."""
    if min_ready_seconds <= 0 and isinstance(pod, Object):
        return pod.view.status.condition("Ready") == "True"
    since = ready_since(pod)
    if since is None:
        return False
    return min_ready_seconds <= 0 or (since > 0 and since + min_ready_seconds < now)


def controller_ref(owner: Obj) -> Obj:
    """The ownerReference a controller puts on what it makes (``controller`` and
    ``blockOwnerDeletion`` true)."""
    metadata = owner["metadata"]
    return {"apiVersion": owner.get("apiVersion", ""), "kind": owner.get("kind", ""), "name": metadata["name"],
            "uid": metadata["uid"], "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: Object | Obj) -> Obj | None:
    """The ownerReference marked ``controller``, if any."""
    if isinstance(obj, Object):
        found = obj.view.metadata.controller()
        return None if found is None else found.to_dict()
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def pod_from_template(template: Obj, owner: Obj) -> Obj:
    """Upstream's ``GetPodFromTemplate``: the template's labels, annotations, finalizers and spec,
    ``generateName`` ``<owner>-`` (the owner's name alone if that is not a valid prefix) and the
    owner's controller reference."""
    meta = template.get("metadata") or {}
    name = owner["metadata"]["name"]
    prefix = f"{name}-"
    valid = not dns1123_subdomain_errors(f"{name}a")  # as a prefix: the trailing dash masked, as upstream's
    metadata: Obj = {"generateName": prefix if valid else name,
                     "ownerReferences": [controller_ref(owner)]}
    for key in ("labels", "annotations", "finalizers"):
        if meta.get(key):
            metadata[key] = meta[key]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec") or {}}


async def slow_start(count: int, create: Callable[[], Awaitable[None]], *, gate: asyncio.Semaphore | None = None,
                     initial: int = SLOW_START_INITIAL_BATCH) -> tuple[int, BaseException | None]:
    """Runs ``create`` ``count`` times in batches of 1, 2, 4, … (each batch concurrently, at
    most ``gate`` allows in flight), stopping after the first batch with a failure, so a quota
    or a bad template costs one call rather than ``count``. Returns the successes and the
    first error."""
    async def one() -> None:
        if gate is None:
            return await create()
        async with gate:
            return await create()
    done, batch = 0, min(count, initial)
    while batch > 0:
        results = await asyncio.gather(*(one() for _ in range(batch)), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        done += batch - len(failures)
        for failure in failures:
            if isinstance(failure, asyncio.CancelledError):
                raise failure
        if failures:
            return done, failures[0]
        count -= batch
        batch = min(2 * batch, count)
    return done, None


async def gated(gate: asyncio.Semaphore, call: Awaitable[None]) -> None:
    """Awaits ``call`` once ``gate`` lets it in (bounded concurrency for pod deletions)."""
    async with gate:
        await call


def namespace_terminating(error: BaseException) -> bool:
    """A create refused because the namespace is being deleted (upstream ignores those)."""
    return isinstance(error, errors.APIError) and any(c.get("reason") == "NamespaceTerminating"
                                                      for c in error.causes if isinstance(c, dict))


class Claims:
    """Upstream's ``ClaimPods`` / ``ClaimReplicaSets``: of the namespace's ``resource`` objects,
    those ``owner`` controls and its selector still matches; orphans it matches are adopted (if
    ``can_adopt`` agrees, asked once), and owned ones it no longer matches are released."""

    def __init__(self, client: Client, owner: Obj, selector: LabelSelector,
                 can_adopt: Callable[[], Awaitable[bool]], *, resource: Resource = PODS) -> None:
        self._client = client
        self._resource = resource
        self._owner = owner
        self._uid = owner["metadata"]["uid"]
        self._selector = selector
        self._can_adopt = can_adopt
        self._adopt_checked: bool | None = None

    async def claim(self, owned: list[Obj], orphans: list[Obj]) -> list[Obj]:
        claimed: list[Obj] = []
        owner_deleting = bool(self._owner["metadata"].get("deletionTimestamp"))
        for pod in owned:  # from the views: claiming decodes none of them
            if self._selector.matches(labels(pod)):
                claimed.append(pod)
            elif not owner_deleting:
                await self._release(pod)
        if owner_deleting:
            return claimed
        for pod in orphans:
            if deleting(pod) or not self._selector.matches(labels(pod)):
                continue
            if self._adopt_checked is None:
                self._adopt_checked = await self._can_adopt()
            if not self._adopt_checked:
                break
            adopted = await self._adopt(pod)
            if adopted is not None:
                claimed.append(adopted)
        return claimed

    async def _adopt(self, pod: Obj) -> Obj | None:
        patch = {"metadata": {"ownerReferences": [controller_ref(self._owner)], "uid": pod["metadata"]["uid"]}}
        try:
            return await self._client.patch(self._resource, pod["metadata"]["name"], patch,
                                            patch_type=PatchType.STRATEGIC,
                                            namespace=pod["metadata"]["namespace"])
        except (errors.NotFound, errors.Conflict):
            return None  # gone, or replaced by another of the same name

    async def _release(self, pod: Obj) -> None:
        patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": self._uid}],
                              "uid": pod["metadata"]["uid"]}}
        try:
            await self._client.patch(self._resource, pod["metadata"]["name"], patch, patch_type=PatchType.STRATEGIC,
                                     namespace=pod["metadata"]["namespace"])
        except (errors.NotFound, errors.Conflict, errors.Invalid):
            pass  # gone, replaced, or already released
