"""The ReplicaSet controller, as upstream's ``pkg/controller/replicaset``.

A sync of ``namespace/name``:
1. claims pods: those it controls and still selects, plus orphans it selects (adopted, after a
   fresh read of the ReplicaSet confirms it is not being deleted), releasing owned pods it no
   longer selects;
2. when its expectations are satisfied, creates the missing pods in slow-start batches (1, 2,
   4, …; at most ``burst_replicas`` a sync, at most ``ControllerContext.writes`` in flight) or
   deletes the surplus in upstream's ranking
   (:mod:`myriad.controllers.ranking`), expecting each creation and deletion first so a
   lagging informer never makes it act twice;
3. writes ``status`` once, and only if it changed: replicas, fullyLabeledReplicas,
   readyReplicas, availableReplicas (Ready for minReadySeconds), terminatingReplicas,
   observedGeneration and the ReplicaFailure condition.

While creations or deletions are still expected, a sync is a full pass (claims and status,
O(owned pods)) at most once every ``PENDING_PASS_INTERVAL`` seconds; between those it only queues
itself for the rest of the interval, and the observation that satisfies the expectations queues
it at once. Upstream makes a full pass on every event: for one ReplicaSet of 50,000 pods that was
~0.4 s of this process's CPU per pass, several passes per burst of creations.

Pod events map to their controller's key (an orphan's to every ReplicaSet selecting it); a
pod's creation or deletion seen lowers its owner's expectations. A pod that turns Ready under a
ReplicaSet with minReadySeconds queues it again once it may count as available.

Concurrency: loop only. Workers reconcile different ReplicaSets at once; one ReplicaSet is never
synced by two (the queue's guarantee), and expectations are touched only between awaits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

from myriad.api.meta import rfc3339
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import object_key
from myriad.client.objects import Object
from myriad.client.types import PODS, REPLICASETS
from myriad.controllers import podcontrol
from myriad.controllers.expectations import Expectations
from myriad.controllers.owned import AdoptCheck, OwnerEvents, selector
from myriad.controllers.podcontrol import BY_CONTROLLER, ORPHANS, Claims, controller_of
from myriad.controllers.ranking import pods_to_delete
from myriad.controllers.types import ControllerContext, Obj, ensure_index

NAME = "replicaset"
#: Pods created or deleted in one sync at most (upstream's BurstReplicas is 500). Each sync
#: that a ReplicaSet's satisfied expectations allow is a pass over all its pods: with 500, a
#: ReplicaSet of 50,000 made 100 of them, most of this process's CPU; with 5,000, ten. Creations
#: stay bounded by the manager's writes in flight (``ControllerContext.writes``).
BURST_REPLICAS = 5000
#: Seconds between full passes over a ReplicaSet while its expectations are pending.
PENDING_PASS_INTERVAL = 1.0
_STATUS_FIELDS = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "terminatingReplicas")


class ReplicaSetController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None, *,
                 burst_replicas: int = BURST_REPLICAS) -> None:
        self.context = context
        self.clock = context.clock
        self.recorder = context.recorder
        self.burst_replicas = burst_replicas
        self.expectations = Expectations(clock=context.clock)
        #: ReplicaSet key -> monotonic time of its last full pass.
        self._passed: dict[str, float] = {}
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.replicasets = self.factory.informer(REPLICASETS)
        self.pods = self.factory.informer(PODS)
        for informer in (self.replicasets, self.pods):
            ensure_index(informer, BY_CONTROLLER, podcontrol.by_controller)
        ensure_index(self.pods, ORPHANS, podcontrol.orphans)
        self.watch(self.replicasets)
        self._lookup = OwnerEvents(self.replicasets, "ReplicaSet", self.queue)
        self.replicasets.add_handler(Handler(on_delete=self._forget))
        self.pods.add_handler(Handler(on_add=self._pod_added, on_update=self._pod_updated,
                                      on_delete=self._pod_deleted))

    def _forget(self, rs: Obj) -> None:
        self.expectations.forget(object_key(rs))
        self._passed.pop(object_key(rs), None)

    # -- pod events ----------------------------------------------------------------------------

    def _pod_added(self, pod: Object) -> None:
        if pod.view.metadata.deletion_timestamp:
            self._pod_deleted(pod)  # seen first while terminating: not a creation
            return
        ref = pod.view.metadata.controller()
        if ref is not None:
            rs = self._lookup.owner(pod)
            if rs is not None:
                key = object_key(rs)
                self.expectations.creation_observed(key)
                self.queue.add(key, event="add")
            return
        for rs in self._lookup.selecting(pod):
            self.queue.add(object_key(rs), event="add")

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old.resource_version == new.resource_version:
            return
        labels_changed = old.labels != new.labels
        if new.view.metadata.deletion_timestamp:
            self._pod_deleted(new)
            if labels_changed:
                self._pod_deleted(old)
            return
        ref, old_ref = new.view.metadata.controller(), old.view.metadata.controller()
        if ref != old_ref and old_ref is not None:
            previous = self._lookup.owner(old)
            if previous is not None:
                self.queue.add(object_key(previous), event="update")
        if ref is not None:
            rs = self._lookup.owner(new)
            if rs is None:
                return
            self.queue.add(object_key(rs), event="update")
            min_ready = rs.view.spec.min_ready_seconds
            if min_ready > 0 and podcontrol.ready_since(old) is None and podcontrol.ready_since(new) is not None:
                self.queue.add_after(object_key(rs), min_ready + 1)
            return
        if labels_changed or ref != old_ref:
            for rs in self._lookup.selecting(new):
                self.queue.add(object_key(rs), event="update")

    def _pod_deleted(self, pod: Obj) -> None:
        rs = self._lookup.owner(pod)
        if rs is not None:
            key = object_key(rs)
            self.expectations.deletion_observed(key, object_key(pod))
            self.queue.add(key, event="delete")

    # -- the sync ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        rs = self.replicasets.indexer.get(key)
        if rs is None:
            self.expectations.forget(key)
            self._passed.pop(key, None)
            return None
        chosen = selector(rs)
        if chosen is None:
            return None  # invalid: the API server refuses these, so nothing to retry
        needs_sync = self.expectations.satisfied(key)
        now = self.clock.monotonic()
        if not needs_sync:
            since = now - self._passed.get(key, -PENDING_PASS_INTERVAL)
            if since < PENDING_PASS_INTERVAL:
                return PENDING_PASS_INTERVAL - since
        self._passed[key] = now
        uid = rs["metadata"]["uid"]
        namespace = rs["metadata"]["namespace"]
        active: list[Obj] = []
        terminating = 0
        for pod in self.pods.indexer.by_index(BY_CONTROLLER, uid):  # one loop: O(owned pods), views only
            if pod.view.status.phase in ("Succeeded", "Failed"):
                continue
            if not pod.view.metadata.deletion_timestamp:
                active.append(pod)
            elif chosen.matches(pod.labels):
                terminating += 1
        claims = Claims(self.client, rs, chosen, AdoptCheck(self.client, REPLICASETS, rs))
        pods = await claims.claim(active, [p for p in self.pods.indexer.by_index(ORPHANS, namespace)
                                           if podcontrol.active(p)])
        failure: BaseException | None = None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            failure = await self._manage(key, rs, pods)
        status = self._status(rs, pods, terminating, failure)
        updated = await self._write_status(rs, status)
        spec = updated.get("spec") or {}
        wanted = int(spec.get("replicas", 1))
        min_ready = int(spec.get("minReadySeconds") or 0)
        if failure is not None:
            raise failure
        if min_ready > 0 and status.get("readyReplicas") == wanted and status.get("availableReplicas") != wanted:
            return float(min_ready)
        return None

    async def _manage(self, key: str, rs: Obj, pods: list[Obj]) -> BaseException | None:
        wanted = int((rs.get("spec") or {}).get("replicas", 1))
        diff = len(pods) - wanted
        if diff < 0:
            count = min(-diff, self.burst_replicas)
            self.expectations.expect_creations(key, count)
            done, failure = await podcontrol.slow_start(count, lambda: self._create(rs), gate=self.context.writes)
            for _ in range(count - done):
                self.expectations.creation_observed(key)  # skipped or failed: never to be seen
            return failure
        if diff > 0:
            count = min(diff, self.burst_replicas)
            victims = pods_to_delete(pods, self._related(rs), count, now=self.clock.now())
            self.expectations.expect_deletions(key, [object_key(p) for p in victims])
            results = await asyncio.gather(*(podcontrol.gated(self.context.writes, self._delete(key, rs, pod))
                                             for pod in victims), return_exceptions=True)
            return next((r for r in results if isinstance(r, BaseException)), None)
        return None

    async def _create(self, rs: Obj) -> None:
        template = (rs.get("spec") or {}).get("template") or {}
        try:
            pod = await self.client.create(PODS, podcontrol.pod_from_template(template, rs),
                                           namespace=rs["metadata"]["namespace"])
        except errors.ClientError as error:
            if podcontrol.namespace_terminating(error):
                return
            self.recorder.event(rs, type="Warning", reason="FailedCreate", action="Create",
                                note=f"Error creating: {error}")
            raise
        self.recorder.event(rs, reason="SuccessfulCreate", action="Create",
                            note=f"Created pod: {pod['metadata']['name']}")

    async def _delete(self, key: str, rs: Obj, pod: Obj) -> None:
        name = pod["metadata"]["name"]
        try:
            await self.client.delete(PODS, name, namespace=pod["metadata"]["namespace"],
                                     preconditions={"uid": pod["metadata"]["uid"]})
        except errors.NotFound:
            return  # already gone: the informer will see it
        except errors.ClientError as error:
            self.expectations.deletion_observed(key, object_key(pod))
            self.recorder.event(rs, type="Warning", reason="FailedDelete", action="Delete",
                                note=f"Error deleting: {error}")
            raise
        self.recorder.event(rs, reason="SuccessfulDelete", action="Delete", note=f"Deleted pod: {name}")

    def _related(self, rs: Obj) -> list[Obj]:
        """Active pods of the ReplicaSets sharing ``rs``'s controller (a Deployment's): their
        crowding on nodes ranks which pods go first. None for a ReplicaSet without one."""
        ref = controller_of(rs)
        if ref is None or not ref.get("uid"):
            return []
        related = []
        for sibling in self.replicasets.indexer.by_index(BY_CONTROLLER, ref["uid"]):
            related += [p for p in self.pods.indexer.by_index(BY_CONTROLLER, sibling["metadata"]["uid"])
                        if podcontrol.active(p)]
        return related

    # -- status --------------------------------------------------------------------------------

    def _status(self, rs: Obj, pods: list[Obj], terminating: int, failure: BaseException | None) -> Obj:
        spec = rs.get("spec") or {}
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock.now()
        labelled = ready = available = 0
        wanted_labels = template_labels.items()
        for pod in pods:  # one loop: this is O(owned pods)
            labels = podcontrol.labels(pod)
            labelled += all(labels.get(k) == v for k, v in wanted_labels)
            if podcontrol.ready(pod):
                ready += 1
                available += min_ready <= 0 or podcontrol.available(pod, min_ready, now)
        status: Obj = {"replicas": len(pods), "fullyLabeledReplicas": labelled, "readyReplicas": ready,
                       "availableReplicas": available, "terminatingReplicas": terminating}
        conditions = [c for c in (rs.get("status") or {}).get("conditions") or () if isinstance(c, dict)]
        failed = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
        if failure is not None and failed is None:
            wanted = int(spec.get("replicas", 1))
            reason = "FailedCreate" if len(pods) < wanted else "FailedDelete"
            conditions.append({"type": "ReplicaFailure", "status": "True", "reason": reason, "message": str(failure),
                               "lastTransitionTime": rfc3339(now)})
        elif failure is None and failed is not None:
            conditions.remove(failed)
        if conditions:
            status["conditions"] = conditions
        return status

    async def _write_status(self, rs: Obj, status: Obj) -> Obj:
        """Writes ``status`` (and observedGeneration) unless the ReplicaSet already shows it;
        one retry on a conflict, from a fresh read (upstream's statusUpdateRetries)."""
        for attempt in range(2):
            current = rs.get("status") or {}
            generation = rs["metadata"].get("generation")
            if all((current.get(f) or 0) == status[f] for f in _STATUS_FIELDS) and \
                    current.get("observedGeneration") == generation and \
                    (current.get("conditions") or []) == (status.get("conditions") or []):
                return rs
            body = {**rs, "status": {**status, "observedGeneration": generation}}
            try:
                return await self.client.update(REPLICASETS, body, subresource="status")
            except errors.NotFound:
                return rs
            except errors.Conflict:
                if attempt:
                    raise
                rs = await self.client.get(REPLICASETS, rs["metadata"]["name"], namespace=rs["metadata"]["namespace"])
        return rs
