"""The disruption controller, as upstream's ``pkg/controller/disruption``: the status of each
PodDisruptionBudget, which the eviction subresource spends.

For a budget's pods (those of its namespace its selector matches; an empty selector matches
all, a missing one none):
- ``expectedPods``: with ``maxUnavailable`` or a percentage ``minAvailable``, the summed scale
  of the pods' controllers (a ReplicaSet's Deployment, a ReplicaSet, a ReplicationController, a
  StatefulSet); with an integer ``minAvailable``, the pods counted;
- ``desiredHealthy``: the integer ``minAvailable``, the percentage of expectedPods (rounded up),
  or expectedPods less ``maxUnavailable``;
- ``currentHealthy``: the Ready pods not being deleted and not recently evicted (an eviction is
  held in ``disruptedPods`` for two minutes or until its pod is seen deleted);
- ``disruptionsAllowed``: currentHealthy − desiredHealthy (never below 0), with the
  ``DisruptionAllowed`` condition (SufficientPods / InsufficientPods). A pod whose controller
  cannot be found fails the sync safe: no disruptions allowed, reason ``SyncFailed``.

Concurrency: loop only; a budget is synced by one worker at a time (the queue's guarantee).
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.api.intstr import scaled
from myriad.api.meta import parse_time, rfc3339
from myriad.api.selectors import LabelSelector, SelectorError, selector_from_object
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler, SharedInformer
from myriad.client.informers.store import BY_NAMESPACE, object_key
from myriad.client.types import (
    DEPLOYMENTS,
    PODDISRUPTIONBUDGETS,
    PODS,
    REPLICASETS,
    REPLICATIONCONTROLLERS,
    STATEFULSETS,
    Resource,
)
from myriad.controllers import podcontrol
from myriad.controllers.podcontrol import controller_of
from myriad.controllers.types import ControllerContext, Obj

NAME = "disruption"
#: Upstream's DeletionTimeout: how long an eviction is held in ``disruptedPods``.
DELETION_TIMEOUT = 120.0
_SCALED = {"ReplicationController": REPLICATIONCONTROLLERS, "ReplicaSet": REPLICASETS,
           "Deployment": DEPLOYMENTS, "StatefulSet": STATEFULSETS}


class NoController(Exception):
    """A pod's controller reference names nothing this controller can scale."""


class DisruptionController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.clock = context.clock
        self.recorder = context.recorder
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=1), factory=context.factory)

    def setup(self) -> None:
        self.budgets = self.factory.informer(PODDISRUPTIONBUDGETS)
        self.pods = self.factory.informer(PODS)
        self.scalable: dict[Resource, SharedInformer] = {r: self.factory.informer(r) for r in _SCALED.values()}
        self.watch(self.budgets)
        self.pods.add_handler(Handler(on_add=self._pod_changed, on_update=lambda old, new: self._pod_changed(new, old),
                                      on_delete=self._pod_changed))

    def _pod_changed(self, pod: Obj, old: Obj | None = None) -> None:
        for pdb in self._budgets_of(pod) + (self._budgets_of(old) if old is not None else []):
            self.queue.add(object_key(pdb), event="update")

    def _budgets_of(self, pod: Obj) -> list[Obj]:
        labels = podcontrol.labels(pod)  # the view's: a pod event decodes nothing here
        found = []
        for pdb in self.budgets.indexer.by_index(BY_NAMESPACE, podcontrol.namespace(pod)):
            selector = _selector(pdb)
            if selector is not None and selector.matches(labels):
                found.append(pdb)
        return found

    # -- the sync ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        pdb = self.budgets.indexer.get(key)
        if pdb is None:
            return None
        selector = _selector(pdb)
        namespace = pdb["metadata"]["namespace"]
        pods = [] if selector is None else [p for p in self.pods.indexer.by_index(BY_NAMESPACE, namespace)
                                            if selector.matches(podcontrol.labels(p))]
        if not pods:
            self.recorder.event(pdb, reason="NoPods", action="Sync", note="No matching pods found")
        now = self.clock.now()
        try:
            expected, desired = self._expected(pdb, pods)
        except NoController as error:
            self.recorder.event(pdb, type="Warning", reason="CalculateExpectedPodCountFailed", action="Sync",
                                note=f"Failed to calculate the number of expected pods: {error}")
            await self._write(pdb, {**(pdb.get("status") or {}), "disruptionsAllowed": 0},
                              ("False", "SyncFailed", str(error)), now)
            raise
        disrupted, recheck = self._disrupted(pdb, pods, now)
        healthy = sum(1 for p in pods if not p["metadata"].get("deletionTimestamp")
                      and p["metadata"]["name"] not in disrupted and podcontrol.ready_since(p) is not None)
        allowed = healthy - desired if expected > 0 else 0
        status: Obj = {"currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": expected,
                       "disruptionsAllowed": max(allowed, 0)}
        if disrupted:
            status["disruptedPods"] = disrupted
        condition = ("True", "SufficientPods", "") if allowed > 0 else ("False", "InsufficientPods", "")
        await self._write(pdb, status, condition, now)
        return recheck

    def _expected(self, pdb: Obj, pods: list[Obj]) -> tuple[int, int]:
        """Upstream's ``getExpectedPodCount``: (expectedPods, desiredHealthy)."""
        spec = pdb.get("spec") or {}
        if spec.get("maxUnavailable") is not None:
            expected = self._scale(pdb, pods)
            return expected, max(expected - scaled(spec["maxUnavailable"], expected, round_up=True), 0)
        least = spec.get("minAvailable")
        if isinstance(least, int):
            return len(pods), least
        if least is not None:
            expected = self._scale(pdb, pods)
            return expected, scaled(least, expected, round_up=True)
        return len(pods), 0

    def _scale(self, pdb: Obj, pods: list[Obj]) -> int:
        """The summed ``spec.replicas`` of the pods' controllers, each counted once; pods
        without a controller are left out (upstream warns of them)."""
        scales: dict[str, int] = {}
        unmanaged = 0
        for pod in pods:
            ref = controller_of(pod)
            if ref is None:
                unmanaged += 1
                continue
            if ref.get("uid") in scales:
                continue
            owner = self._cached(pod, ref)
            if owner is None:
                raise NoController(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            top = controller_of(owner) if ref.get("kind") == "ReplicaSet" else None
            if top is not None and top.get("kind") == "Deployment":
                deployment = self._cached(owner, top)
                if deployment is not None:
                    owner, ref = deployment, top
            scales[str(ref.get("uid"))] = int((owner.get("spec") or {}).get("replicas", 1))
        if unmanaged:
            self.recorder.event(pdb, type="Warning", reason="UnmanagedPods", action="Sync",
                                note="Pods selected by this PodDisruptionBudget were found to be unmanaged. As a "
                                     "result, the status of the PDB cannot be calculated correctly, which may result "
                                     "in undefined behavior. To account for these pods please set "
                                     '".spec.minAvailable" field of the PDB to an integer value.')
        return sum(scales.values())

    def _cached(self, obj: Obj, ref: Obj) -> Obj | None:
        resource = _SCALED.get(ref.get("kind", ""))
        if resource is None:
            return None
        informer = self.scalable[resource]
        owner = informer.indexer.get(f"{obj['metadata'].get('namespace')}/{ref.get('name')}")
        return owner if owner is not None and owner["metadata"].get("uid") == ref.get("uid") else None

    def _disrupted(self, pdb: Obj, pods: list[Obj], now: float) -> tuple[dict[str, str], float | None]:
        """Upstream's ``buildDisruptedPodMap``: evictions still pending (pod not yet seen
        deleted, and less than two minutes old), and seconds until the first expires."""
        held = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        recheck: float | None = None
        for pod in pods:
            name = pod["metadata"]["name"]
            if name not in held or pod["metadata"].get("deletionTimestamp"):
                continue
            expiry = (parse_time(held[name]) or 0.0) + DELETION_TIMEOUT
            if expiry < now:
                continue
            kept[name] = held[name]
            recheck = expiry - now if recheck is None else min(recheck, expiry - now)
        return kept, recheck

    async def _write(self, pdb: Obj, status: Obj, condition: tuple[str, str, str], now: float) -> None:
        generation = pdb["metadata"].get("generation")
        previous = pdb.get("status") or {}
        conditions = [dict(c) for c in previous.get("conditions") or () if isinstance(c, dict)]
        state, reason, message = condition
        current = next((c for c in conditions if c.get("type") == "DisruptionAllowed"), None)
        wanted = {"type": "DisruptionAllowed", "status": state, "reason": reason, "message": message,
                  "observedGeneration": generation,
                  "lastTransitionTime": current["lastTransitionTime"] if current is not None and
                  current.get("status") == state and current.get("lastTransitionTime") else rfc3339(now)}
        conditions = [c for c in conditions if c.get("type") != "DisruptionAllowed"] + [wanted]
        new = {**status, "observedGeneration": generation, "conditions": conditions}
        if {k: v for k, v in previous.items() if v or k != "disruptedPods"} == new:
            return
        try:
            await self.client.update(PODDISRUPTIONBUDGETS, {**pdb, "status": new}, subresource="status")
        except errors.NotFound:
            pass


def _selector(pdb: Obj) -> LabelSelector | None:
    """The budget's selector (policy/v1: an empty one selects every pod), or None if it has
    none or it is invalid."""
    raw = (pdb.get("spec") or {}).get("selector")
    if raw is None:
        return None
    try:
        return selector_from_object(raw)
    except SelectorError:
        return None
