"""The StatefulSet controller, as upstream's ``pkg/controller/statefulset``.

A sync of ``namespace/name``:
1. claims the set's pods (named ``<set>-<ordinal>`` and selected; orphans adopted, strays
   released) and its ControllerRevisions;
2. finds the update revision (the set's template; an equal older revision is renumbered, which
   is a rollback, else a new one is made) and the current one (``status.currentRevision``, or
   the update revision for a new set);
3. runs one pass over the pods (:mod:`myriad.controllers.statefulset.control`);
4. writes ``status`` once, if it changed: replicas, readyReplicas, availableReplicas,
   currentReplicas, updatedReplicas, the two revisions, collisionCount, observedGeneration.
   When a rolling update has every pod updated and ready, the update revision becomes current;
5. deletes the oldest revisions no pod uses beyond ``revisionHistoryLimit``.

Pods have fixed names, so a creation the informer has not shown yet fails AlreadyExists
harmlessly: no expectations are needed (as upstream).

Concurrency: loop only; a set is synced by one worker at a time (the queue's guarantee).
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.types import PODS, STATEFULSETS, PatchType, Resource
from myriad.controllers import history, podcontrol
from myriad.controllers.owned import AdoptCheck, OwnerEvents, selector
from myriad.controllers.podcontrol import BY_CONTROLLER, ORPHANS, Claims
from myriad.controllers.statefulset import identity as ident
from myriad.controllers.statefulset.control import Pass
from myriad.controllers.types import ControllerContext, Obj, ensure_index

NAME = "statefulset"
PERSISTENTVOLUMECLAIMS = Resource(api_version="v1", plural="persistentvolumeclaims")
_COUNTS = ("replicas", "readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas")


class StatefulSetController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.clock = context.clock
        self.recorder = context.recorder
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.sets = self.factory.informer(STATEFULSETS)
        self.pods = self.factory.informer(PODS)
        self.revisions = self.factory.informer(history.CONTROLLERREVISIONS)
        self.claims = self.factory.informer(PERSISTENTVOLUMECLAIMS)
        for informer in (self.pods, self.revisions):
            ensure_index(informer, BY_CONTROLLER, podcontrol.by_controller)
            ensure_index(informer, ORPHANS, podcontrol.orphans)
        self.watch(self.sets)
        events = OwnerEvents(self.sets, "StatefulSet", self.queue)
        self.pods.add_handler(events.handler())
        self.revisions.add_handler(events.handler())

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        s = self.sets.indexer.get(key)
        if s is None:
            return None
        chosen = selector(s)
        if chosen is None:
            return None
        namespace, uid = s["metadata"]["namespace"], s["metadata"]["uid"]
        can_adopt = AdoptCheck(self.client, STATEFULSETS, s)
        pods = await Claims(self.client, s, chosen, can_adopt).claim(
            [p for p in self.pods.indexer.by_index(BY_CONTROLLER, uid) if ident.member(s, p)],
            [p for p in self.pods.indexer.by_index(ORPHANS, namespace) if ident.member(s, p)])
        revisions = await history.claimed(self.client, s, chosen, can_adopt, self.revisions)
        current, update, collisions = await self._revisions(s, revisions)
        now = self.clock.now()
        one = Pass(s, pods, _Actions(self), current=current["metadata"]["name"], update=update["metadata"]["name"],
                   current_template=history.template_of(current), update_template=history.template_of(update),
                   now=now)
        deleted = await one.run()
        status = self._status(s, pods, current, update, collisions, now, deleted)
        await self._write_status(s, status)
        live = {status["currentRevision"], status["updateRevision"], *(ident.revision_of(p) for p in pods)}
        await history.truncate(self.client, revisions, live, int(ident.spec(s).get("revisionHistoryLimit", 10)))
        min_ready = int(ident.spec(s).get("minReadySeconds") or 0)
        if min_ready > 0 and status["readyReplicas"] != status["availableReplicas"]:
            return float(min_ready)
        return None

    async def _revisions(self, s: Obj, revisions: list[Obj]) -> tuple[Obj, Obj, int]:
        """Upstream's ``getStatefulSetRevisions``: (current, update, collision count)."""
        collisions = int((s.get("status") or {}).get("collisionCount") or 0)
        data = history.template_data(ident.spec(s).get("template") or {})
        number = history.next_number(revisions)
        wanted = history.new_revision(s, data, number, collisions)
        equal = [r for r in revisions if history.equal(r, wanted)]
        if equal and revisions[-1] is equal[-1]:
            update = revisions[-1]
        elif equal:
            update = await history.renumber(self.client, equal[-1], number)
        else:
            update, collisions = await history.create(self.client, s, data, number, collisions)
        current_name = (s.get("status") or {}).get("currentRevision")
        current = next((r for r in revisions if r["metadata"]["name"] == current_name), update)
        return current, update, collisions

    def _status(self, s: Obj, pods: list[Obj], current: Obj, update: Obj, collisions: int, now: float,
                deleted: int) -> Obj:
        min_ready = int(ident.spec(s).get("minReadySeconds") or 0)
        created = [p for p in pods if ident.phase(p)]
        status: Obj = {
            "observedGeneration": s["metadata"].get("generation"),
            "replicas": len(created),
            "readyReplicas": sum(1 for p in created if ident.running_and_ready(p)),
            "availableReplicas": sum(1 for p in created if ident.running_and_available(p, min_ready, now)),
            "currentReplicas": max(sum(1 for p in created if ident.revision_of(p) == current["metadata"]["name"])
                                   - deleted, 0),
            "updatedReplicas": sum(1 for p in created if ident.revision_of(p) == update["metadata"]["name"]),
            "currentRevision": current["metadata"]["name"],
            "updateRevision": update["metadata"]["name"],
            "collisionCount": collisions,
        }
        rolling = ((ident.spec(s).get("updateStrategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"
        if rolling and status["updatedReplicas"] == status["replicas"] == status["readyReplicas"]:
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        return status

    async def _write_status(self, s: Obj, status: Obj) -> None:
        previous = s.get("status") or {}
        keep = {k: v for k, v in previous.items() if k not in status}
        if all(previous.get(k, 0 if k in _COUNTS else None) == v for k, v in status.items()):
            return
        try:
            await self.client.update(STATEFULSETS, {**s, "status": {**keep, **status}}, subresource="status")
        except errors.NotFound:
            pass


class _Actions:
    """The API calls of a pass (upstream's ``StatefulPodControl``), with their events."""

    def __init__(self, controller: StatefulSetController) -> None:
        self.c = controller

    def _claim_of(self, claim: Obj) -> Obj | None:
        return self.c.claims.indexer.get(f"{claim['metadata']['namespace']}/{claim['metadata']['name']}")

    async def _ensure_claims(self, s: Obj, pod: Obj) -> None:
        """Creates the pod's missing claims (a claim being deleted blocks the pod until it is gone)."""
        for claim in ident.claims(s, pod).values():
            existing = self._claim_of(claim)
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    raise RuntimeError(f"pod {pod['metadata']['name']}: claim {claim['metadata']['name']} "
                                       "is being deleted")
                continue
            refs = ident.retention_refs(s, pod, claim)
            if refs:
                claim["metadata"]["ownerReferences"] = refs
            try:
                await self.c.client.create(PERSISTENTVOLUMECLAIMS, claim, namespace=s["metadata"]["namespace"])
            except errors.AlreadyExists:
                continue
            except errors.ClientError as error:
                self.c.recorder.event(s, type="Warning", reason="FailedCreate", action="Create",
                                      note=f"create Claim {claim['metadata']['name']} for Pod "
                                           f"{pod['metadata']['name']} in StatefulSet {s['metadata']['name']} "
                                           f"failed error: {error}")
                raise
            self.c.recorder.event(s, reason="SuccessfulCreate", action="Create",
                                  note=f"create Claim {claim['metadata']['name']} Pod {pod['metadata']['name']} "
                                       f"in StatefulSet {s['metadata']['name']} success")

    async def create(self, s: Obj, pod: Obj) -> None:
        await self._ensure_claims(s, pod)
        name = pod["metadata"]["name"]
        try:
            await self.c.client.create(PODS, pod, namespace=s["metadata"]["namespace"])
        except errors.AlreadyExists:
            return  # made by an earlier pass the informer has not shown yet
        except errors.ClientError as error:
            if podcontrol.namespace_terminating(error):
                return
            self.c.recorder.event(s, type="Warning", reason="FailedCreate", action="Create",
                                  note=f"create Pod {name} in StatefulSet {_name(s)} failed error: {error}")
            raise
        self.c.recorder.event(s, reason="SuccessfulCreate", action="Create",
                              note=f"create Pod {name} in StatefulSet {s['metadata']['name']} successful")

    async def delete(self, s: Obj, pod: Obj) -> None:
        name = pod["metadata"]["name"]
        try:
            await self.c.client.delete(PODS, name, namespace=s["metadata"]["namespace"],
                                       preconditions={"uid": pod["metadata"]["uid"]})
        except (errors.NotFound, errors.Conflict):
            return
        except errors.ClientError as error:
            self.c.recorder.event(s, type="Warning", reason="FailedDelete", action="Delete",
                                  note=f"delete Pod {name} in StatefulSet {_name(s)} failed error: {error}")
            raise
        self.c.recorder.event(s, reason="SuccessfulDelete", action="Delete",
                              note=f"delete Pod {name} in StatefulSet {s['metadata']['name']} successful")

    def fixed(self, s: Obj, pod: Obj) -> bool:
        if not (ident.identity_matches(s, pod) and ident.storage_matches(s, pod)):
            return False
        for claim in ident.claims(s, pod).values():
            existing = self._claim_of(claim)
            if existing is None or ident.retention_refs(s, pod, existing) is not None:
                return False
        return True

    async def fix(self, s: Obj, pod: Obj) -> None:
        """Upstream's ``UpdateStatefulPod``: identity and storage restored (one retry on a
        conflict, from a fresh read), missing claims made, claim owners set."""
        await self._ensure_claims(s, pod)
        await self.condemn(s, pod)
        for attempt in range(2):
            if ident.identity_matches(s, pod) and ident.storage_matches(s, pod):
                return
            body = {**pod, "metadata": {**pod["metadata"], "labels": dict(pod["metadata"].get("labels") or {})},
                    "spec": dict(pod.get("spec") or {})}
            ident.update_identity(s, body)
            ident.update_storage(s, body)
            try:
                await self.c.client.update(PODS, body)
                return
            except errors.NotFound:
                return
            except errors.Conflict:
                if attempt:
                    raise
                pod = await self.c.client.get(PODS, pod["metadata"]["name"], namespace=s["metadata"]["namespace"])

    async def condemn(self, s: Obj, pod: Obj) -> None:
        for claim in ident.claims(s, pod).values():
            existing = self._claim_of(claim)
            refs = None if existing is None else ident.retention_refs(s, pod, existing)
            if existing is None or refs is None:
                continue
            try:
                await self.c.client.patch(PERSISTENTVOLUMECLAIMS, existing["metadata"]["name"],
                                          {"metadata": {"ownerReferences": refs,
                                                        "resourceVersion": existing["metadata"]["resourceVersion"]}},
                                          patch_type=PatchType.MERGE, namespace=s["metadata"]["namespace"])
            except (errors.NotFound, errors.Conflict):
                continue


def _name(obj: Obj) -> str:
    return str(obj["metadata"]["name"])
