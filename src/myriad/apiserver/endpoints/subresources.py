"""Subresources with a shape of their own: ``*/scale`` (autoscaling/v1 Scale over the parent's
replicas), ``pods/binding`` (assign a node once) and ``pods/eviction`` (a delete that honours
PodDisruptionBudgets). Each reads and writes the parent through the object store, so
compare-and-swap, strategies and validation are the parent's."""

from __future__ import annotations

from collections.abc import Callable

from myriad.api import gojson, meta
from myriad.api.errors import (
    BadRequestError,
    Cause,
    ConflictError,
    InternalError,
    InvalidError,
    TooManyRequestsError,
)
from myriad.api.registry import ResourceRegistry, ResourceType
from myriad.api.selectors import SelectorError, label_selector_string, selector_from_object
from myriad.apiserver.endpoints.patching import Patch
from myriad.apiserver.rest.interfaces import ListOptions, Obj, ReadPath
from myriad.apiserver.rest.store import DeleteOptions, ObjectStore
from myriad.clock import Clock

SCALE_VERSION = "autoscaling/v1"


def _path(text: str) -> list[str]:
    return [step for step in text.strip().lstrip(".").split(".") if step]


def _get(obj: object, path: list[str]) -> object:
    for step in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def _set(obj: Obj, path: list[str], value: object) -> None:
    for step in path[:-1]:
        child = obj.get(step)
        if not isinstance(child, dict):
            child = obj[step] = {}
        obj = child  # type: ignore[assignment]
    obj[path[-1]] = value


class ScalePaths:
    """Where a resource keeps its replicas and selector: fixed for built-ins, from the CRD's
    ``subresources.scale`` for custom resources."""

    def __init__(self, resource: ResourceType) -> None:
        scale = resource.extra.get("scale")
        if isinstance(scale, dict):
            self.spec = _path(str(scale.get("specReplicasPath", ".spec.replicas")))
            self.status = _path(str(scale.get("statusReplicasPath", ".status.replicas")))
            selector = scale.get("labelSelectorPath")
            self.selector = _path(str(selector)) if selector else None
            self.selector_is_text = True
        else:
            self.spec, self.status = ["spec", "replicas"], ["status", "replicas"]
            self.selector, self.selector_is_text = ["spec", "selector"], False

    def scale_of(self, obj: Obj) -> Obj:
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        assert isinstance(metadata, dict)
        scale_meta = {key: metadata[key] for key in ("name", "namespace", "uid", "resourceVersion",
                                                     "creationTimestamp") if key in metadata}
        replicas = _get(obj, self.spec)
        status: dict[str, object] = {"replicas": _get(obj, self.status) or 0}
        if self.selector is not None:
            selector = _get(obj, self.selector)
            if self.selector_is_text:
                if isinstance(selector, str) and selector:
                    status["selector"] = selector
            elif selector is not None:
                try:
                    status["selector"] = label_selector_string(selector)
                except SelectorError:
                    pass
        return {"kind": "Scale", "apiVersion": SCALE_VERSION, "metadata": scale_meta,
                "spec": {"replicas": replicas} if isinstance(replicas, int) else {}, "status": status}


def _replicas(scale: Obj, name: str) -> int:
    spec = scale.get("spec") if isinstance(scale.get("spec"), dict) else {}
    replicas = spec.get("replicas", 0)  # type: ignore[union-attr]
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise BadRequestError(f"Scale in version \"v1\" cannot be handled as a Scale: spec.replicas must be an "
                              f"integer, not {replicas!r}")
    if replicas < 0:
        raise InvalidError.of("Scale", "autoscaling", name, [meta.invalid("spec.replicas", replicas,
                                                                          "must be greater than or equal to 0")])
    return replicas


class Subresources:
    def __init__(self, store: ObjectStore, reads: ReadPath, registry: ResourceRegistry, *, clock: Clock) -> None:
        self._store = store
        self._reads = reads
        self._registry = registry
        self._clock = clock

    # -- scale ---------------------------------------------------------------------------------

    async def get_scale(self, resource: ResourceType, namespace: str, name: str) -> Obj:
        return ScalePaths(resource).scale_of(await self._store.get(resource, namespace, name))

    async def update_scale(self, resource: ResourceType, namespace: str, name: str, scale: Obj, *,
                           dry_run: bool, manager: str) -> Obj:
        paths = ScalePaths(resource)
        replicas = _replicas(scale, name)
        wanted_rv = (scale.get("metadata") or {}).get("resourceVersion")  # type: ignore[union-attr]

        def mutate(current: Obj) -> Obj:
            new = gojson.clone(current)
            _set(new, paths.spec, replicas)
            if wanted_rv:
                new["metadata"]["resourceVersion"] = wanted_rv  # type: ignore[index]
            return new

        stored = await self._store.patch(resource, namespace, name, mutate, subresource="scale", dry_run=dry_run,
                                         manager=manager)
        return paths.scale_of(stored)

    async def patch_scale(self, resource: ResourceType, namespace: str, name: str, patch: Patch, *,
                          dry_run: bool, manager: str, check: Callable[[Obj], None] | None = None) -> Obj:
        """Patches the parent's Scale; ``check`` sees (and may refuse) the patched Scale."""
        paths = ScalePaths(resource)

        def mutate(current: Obj) -> Obj:
            patched = patch.apply(paths.scale_of(current), SCALE_VERSION, "Scale")
            if check is not None:
                check(patched)
            new = gojson.clone(current)
            _set(new, paths.spec, _replicas(patched, name))
            return new

        stored = await self._store.patch(resource, namespace, name, mutate, subresource="scale", dry_run=dry_run,
                                         manager=manager)
        return paths.scale_of(stored)

    async def apply_scale(self, resource: ResourceType, namespace: str, name: str, config: Obj, *, manager: str,
                          force: bool, dry_run: bool) -> Obj:
        """Server-side apply of a Scale: its ``spec.replicas`` applied to the parent's replicas
        path by ``manager`` through ``scale`` (the parent's entries own it there, as upstream's
        scale handler converts them); raises ApplyConflicts."""
        paths = ScalePaths(resource)
        parent: Obj = {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": {"name": name}}
        spec = config.get("spec")
        if isinstance(spec, dict) and "replicas" in spec:
            _set(parent, paths.spec, _replicas(config, name))

        def mutate(current: Obj) -> Obj:
            return self._store.fields.applied(resource, current, parent, manager, "scale", force=force)

        stored = await self._store.patch(resource, namespace, name, mutate, subresource="scale", dry_run=dry_run,
                                         manager=None)
        return paths.scale_of(stored)

    # -- pods/binding --------------------------------------------------------------------------

    async def bind(self, pods: ResourceType, namespace: str, name: str, binding: Obj, *, dry_run: bool) -> None:
        """Sets ``spec.nodeName`` once, with the binding's annotations and a PodScheduled
        condition; a pod that has a node already gets 409."""
        target = binding.get("target") if isinstance(binding.get("target"), dict) else {}
        node = target.get("name") if isinstance(target, dict) else None
        if not node:
            raise InvalidError.of("Binding", "", name, [meta.required("target.name")])
        annotations = (binding.get("metadata") or {}).get("annotations") or {}  # type: ignore[union-attr]
        now = meta.rfc3339(self._clock.now())

        def mutate(new: Obj) -> Obj:  # the store's own decoding of the pod: changed in place
            metadata, spec = new["metadata"], new.setdefault("spec", {})
            assert isinstance(metadata, dict) and isinstance(spec, dict)
            if metadata.get("deletionTimestamp"):
                raise ConflictError.of("pods/binding", "", name, f"pod {name} is being deleted, cannot be assigned "
                                                                   "to a host")
            if spec.get("nodeName"):
                raise ConflictError.of("pods/binding", "", name, f"pod {name} is already assigned to node "
                                                                   f"\"{spec['nodeName']}\"")
            spec["nodeName"] = node
            if annotations:
                metadata["annotations"] = {**(metadata.get("annotations") or {}), **annotations}
            status = new.setdefault("status", {})
            assert isinstance(status, dict)
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": now})
            status["conditions"] = conditions
            return new

        await self._store.patch(pods, namespace, name, mutate, subresource="binding", dry_run=dry_run)

    # -- pods/eviction -------------------------------------------------------------------------

    async def evict(self, pods: ResourceType, namespace: str, name: str, eviction: Obj) -> None:
        """Deletes the pod unless a PodDisruptionBudget selecting it allows no disruption (429);
        an allowed eviction spends one of the budget's ``disruptionsAllowed``."""
        pod = await self._store.get(pods, namespace, name)
        options = eviction.get("deleteOptions") if isinstance(eviction.get("deleteOptions"), dict) else {}
        assert isinstance(options, dict)
        phase = (pod.get("status") or {}).get("phase")  # type: ignore[union-attr]
        deleting = bool(pod["metadata"].get("deletionTimestamp"))  # type: ignore[union-attr,index]
        if phase not in ("Succeeded", "Failed", "Pending") and not deleting:
            await self._spend_budget(namespace, name, pod)
        grace = options.get("gracePeriodSeconds")
        preconditions = options.get("preconditions") or {}
        await self._store.delete(pods, namespace, name, DeleteOptions(
            grace_period=grace if isinstance(grace, int) else None, uid=preconditions.get("uid"),
            resource_version=preconditions.get("resourceVersion"), dry_run=bool(options.get("dryRun"))))

    async def _spend_budget(self, namespace: str, pod_name: str, pod: Obj) -> None:
        budgets = self._registry.get("policy", "v1", "poddisruptionbudgets")
        if budgets is None:
            return
        listing = await self._reads.list(budgets, ListOptions(namespace=namespace))
        labels = pod["metadata"].get("labels") or {}  # type: ignore[index]
        matching = []
        for pdb in listing.objects():
            try:
                selector = selector_from_object((pdb.get("spec") or {}).get("selector"))  # type: ignore[union-attr]
            except SelectorError:
                continue
            if not selector.empty and selector.matches(labels):
                matching.append(pdb)
        if not matching:
            return
        if len(matching) > 1:
            raise InternalError.of("This pod has more than one PodDisruptionBudget, which the eviction subresource "
                                   "does not support.")
        pdb = matching[0]
        pdb_name = pdb["metadata"]["name"]  # type: ignore[index]
        now = meta.rfc3339(self._clock.now())

        def mutate(current: Obj) -> Obj:
            status = current.get("status") if isinstance(current.get("status"), dict) else {}
            assert isinstance(status, dict)
            allowed = status.get("disruptionsAllowed", 0)
            if not isinstance(allowed, int) or allowed <= 0:
                error = TooManyRequestsError("Cannot evict pod as it would violate the pod's disruption budget.",
                                             retry_after=0)
                error.causes = (Cause("DisruptionBudget", f"The disruption budget {pdb_name} needs "
                                           f"{status.get('desiredHealthy', 0)} healthy pods and has "
                                           f"{status.get('currentHealthy', 0)} currently", ""),)
                raise error
            new = gojson.clone(current)
            new_status = new.setdefault("status", {})
            assert isinstance(new_status, dict)
            new_status["disruptionsAllowed"] = allowed - 1
            new_status["disruptedPods"] = {**(new_status.get("disruptedPods") or {}), pod_name: now}
            return new

        await self._store.patch(budgets, namespace, str(pdb_name), mutate, subresource="status")

