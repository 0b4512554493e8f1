"""The Deployment controller, as upstream's ``pkg/controller/deployment``.

A sync of ``namespace/name`` claims the ReplicaSets the Deployment selects (adopting orphans,
releasing those it no longer selects), then, in upstream's order:
* being deleted: status only;
* a Progressing condition for pause and resume (``DeploymentPaused``/``DeploymentResumed``);
* paused, or a scaling event (an active ReplicaSet's desired-replicas annotation differs from
  ``spec.replicas``): scale, proportionally across the ReplicaSets of a rollout in flight;
* else roll out: ``RollingUpdate`` grows the new ReplicaSet within maxSurge and shrinks old ones
  within maxUnavailable (unhealthy replicas first), one step a sync; ``Recreate`` scales the old
  ones to zero, waits for their pods to go, then scales the new one up.

The new ReplicaSet is the one whose template equals the Deployment's (``pod-template-hash``
aside); one is made, named ``<deployment>-<hash>``, when none is. Revisions are annotations
(``deployment.kubernetes.io/revision``, ``revision-history``), and old ReplicaSets beyond
``revisionHistoryLimit`` are deleted once the rollout completes. The status carries the counts
and the Available and Progressing conditions; a rollout that makes no progress for
progressDeadlineSeconds gets ``ProgressDeadlineExceeded``. ``kubectl rollout undo`` needs
nothing here: kubectl writes the old template back.

Concurrency: loop only; one Deployment is never synced by two workers at once.
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.api.meta import parse_time
from myriad.api.selectors import LabelSelector
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import BY_NAMESPACE, object_key
from myriad.client.types import DEPLOYMENTS, PODS, REPLICASETS
from myriad.controllers import podcontrol
from myriad.controllers.deployment import util
from myriad.controllers.deployment.util import Obj, replicas
from myriad.controllers.owned import AdoptCheck
from myriad.controllers.owned import selector as selector_of
from myriad.controllers.podcontrol import BY_CONTROLLER, ORPHANS, Claims, controller_of
from myriad.controllers.types import ControllerContext, ensure_index

NAME = "deployment"
_COUNTS = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas",
           "terminatingReplicas", "observedGeneration", "collisionCount")


class DeploymentController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.clock = context.clock
        self.recorder = context.recorder
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.deployments = self.factory.informer(DEPLOYMENTS)
        self.replicasets = self.factory.informer(REPLICASETS)
        self.pods = self.factory.informer(PODS)
        for informer in (self.replicasets, self.pods):
            ensure_index(informer, BY_CONTROLLER, podcontrol.by_controller)
            ensure_index(informer, ORPHANS, podcontrol.orphans)
        self.watch(self.deployments)
        self.replicasets.add_handler(Handler(on_add=self._rs_changed, on_update=self._rs_updated,
                                             on_delete=self._rs_changed))
        self.pods.add_handler(Handler(on_delete=self._pod_deleted))

    # -- events --------------------------------------------------------------------------------

    def _owner(self, obj: Obj, ref: Obj | None) -> Obj | None:
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.deployments.indexer.get(f"{obj.namespace}/{ref.get('name')}")
        return d if d is not None and d.uid == ref.get("uid") else None

    def _rs_changed(self, rs: Obj) -> None:
        d = self._owner(rs, controller_of(rs))
        if d is not None:
            self.queue.add(object_key(d), event="update")
        elif controller_of(rs) is None:
            for candidate in self._selecting(rs):
                self.queue.add(object_key(candidate), event="update")

    def _rs_updated(self, old: Obj, new: Obj) -> None:
        if old.resource_version == new.resource_version:
            return
        if controller_of(old) != controller_of(new):
            self._rs_changed(old)
        self._rs_changed(new)

    def _pod_deleted(self, pod: Obj) -> None:
        """A Recreate rollout waits for the old pods to go."""
        namespace = pod.namespace
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.replicasets.indexer.get(f"{namespace}/{ref.get('name')}")
        d = self._owner(rs, controller_of(rs)) if rs is not None else None
        if d is not None and not util.rolling(d):
            self.queue.add(object_key(d), event="delete")

    def _selecting(self, rs: Obj) -> list[Obj]:
        labels = rs.labels
        found = []
        for d in self.deployments.indexer.by_index(BY_NAMESPACE, rs.namespace):
            selector = selector_of(d)
            if selector is not None and not selector.empty and selector.matches(labels):
                found.append(d)
        return found

    # -- the sync ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        cached = self.deployments.indexer.get(key)
        if cached is None:
            return None
        d = {**cached, "status": dict(cached.get("status") or {})}
        selector = selector_of(d)
        if selector is None:
            return None
        if selector.empty:
            self.recorder.event(d, type="Warning", reason="SelectingAll", action="Sync",
                                note="This deployment is selecting all pods. A non-empty selector is required.")
            if (d["status"].get("observedGeneration") or 0) < (d["metadata"].get("generation") or 0):
                await self._write_status(d, {**d["status"], "observedGeneration": d["metadata"].get("generation")})
            return None
        rss = await self._claim(d, selector)
        if d["metadata"].get("deletionTimestamp"):
            new_rs, old_rss = await self._new_and_old(d, rss, create=False)
            await self._sync_status(d, [*old_rss, *([new_rs] if new_rs else [])], new_rs)
            return None
        d = await self._paused_condition(d)
        if (d.get("spec") or {}).get("paused") or self._scaling(d, rss):
            return await self._scale_sync(d, rss)
        if util.rolling(d):
            return await self._rolling(d, rss)
        return await self._recreate(d, rss)

    async def _claim(self, d: Obj, selector: LabelSelector) -> list[Obj]:
        namespace = d["metadata"]["namespace"]
        owned = self.replicasets.indexer.by_index(BY_CONTROLLER, d["metadata"]["uid"])
        orphans = self.replicasets.indexer.by_index(ORPHANS, namespace)
        claims = Claims(self.client, d, selector, AdoptCheck(self.client, DEPLOYMENTS, d), resource=REPLICASETS)
        return await claims.claim(list(owned), list(orphans))

    async def _new_and_old(self, d: Obj, rss: list[Obj], *, create: bool) -> tuple[Obj | None, list[Obj]]:
        """The new ReplicaSet (made if ``create`` and missing, its annotations brought up to
        date) and the old ones."""
        template = (d.get("spec") or {}).get("template") or {}
        matching = [rs for rs in util.by_creation(rss)
                    if util.same_template((rs.get("spec") or {}).get("template") or {}, template)]
        new_rs = matching[0] if matching else None
        old_rss = [rs for rs in rss if rs is not new_rs]
        new_revision = max((util.revision(rs) for rs in old_rss), default=0) + 1
        if new_rs is not None:
            copy = {**new_rs, "metadata": {**new_rs["metadata"],
                                           "annotations": dict(new_rs["metadata"].get("annotations") or {})},
                    "spec": dict(new_rs.get("spec") or {})}
            changed = util.set_rs_annotations(d, copy, new_revision, exists=True)
            min_ready = (d.get("spec") or {}).get("minReadySeconds") or 0
            if changed or (copy["spec"].get("minReadySeconds") or 0) != min_ready:
                copy["spec"]["minReadySeconds"] = min_ready
                new_rs = await self.client.update(REPLICASETS, copy)
            await self._set_revision(d, str(util.revision(new_rs)))
            if util.has_deadline(d) and util.condition(d["status"], "Progressing") is None:
                util.set_condition(d["status"], "Progressing", "True", "FoundNewReplicaSet",
                                   f'Found new replica set "{new_rs["metadata"]["name"]}"', self.clock.now())
                await self._write_status(d, d["status"])
            return new_rs, old_rss
        if not create:
            return None, old_rss
        return await self._create_new(d, old_rss, new_revision), old_rss

    async def _create_new(self, d: Obj, old_rss: list[Obj], new_revision: int) -> Obj:
        spec = d.get("spec") or {}
        collisions = d["status"].get("collisionCount")
        template = spec.get("template") or {}
        pod_hash = util.template_hash(template, collisions)
        labels = {**((template.get("metadata") or {}).get("labels") or {}), util.HASH_LABEL: pod_hash}
        selector = dict(spec.get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), util.HASH_LABEL: pod_hash}
        name = f"{d['metadata']['name']}-{pod_hash}"
        rs: Obj = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": name, "namespace": d["metadata"]["namespace"], "labels": labels,
                                "ownerReferences": [podcontrol.controller_ref(d)]},
                   "spec": {"replicas": 0, "minReadySeconds": spec.get("minReadySeconds") or 0, "selector": selector,
                            "template": {**template, "metadata": {**(template.get("metadata") or {}),
                                                                   "labels": labels}}}}
        rs["spec"]["replicas"] = util.new_rs_replicas(d, [*old_rss, rs], rs)
        util.set_rs_annotations(d, rs, new_revision, exists=False)
        try:
            made = await self.client.create(REPLICASETS, rs)
        except errors.AlreadyExists:
            existing = await self.client.get(REPLICASETS, name, namespace=d["metadata"]["namespace"])
            ref = controller_of(existing)
            if ref is not None and ref.get("uid") == d["metadata"]["uid"] and \
                    util.same_template(existing["spec"]["template"], template):
                return existing
            d["status"]["collisionCount"] = (collisions or 0) + 1  # a hash collision: next time, another name
            await self._write_status(d, d["status"])
            raise
        except errors.ClientError as error:
            if podcontrol.namespace_terminating(error):
                raise
            message = f'Failed to create new replica set "{name}": {error}'
            if util.has_deadline(d):
                util.set_condition(d["status"], "Progressing", "False", "ReplicaSetCreateError", message,
                                   self.clock.now())
                await self._write_status(d, d["status"])
            self.recorder.event(d, type="Warning", reason="ReplicaSetCreateError", action="Create", note=message)
            raise
        if replicas(made) > 0:
            self.recorder.event(d, reason="ScalingReplicaSet", action="Scale",
                                note=f"Scaled up replica set {name} from 0 to {replicas(made)}")
        await self._set_revision(d, str(new_revision))
        if util.has_deadline(d):
            util.set_condition(d["status"], "Progressing", "True", "NewReplicaSetCreated",
                               f'Created new replica set "{name}"', self.clock.now())
            await self._write_status(d, d["status"])
        return made

    async def _set_revision(self, d: Obj, value: str) -> None:
        """The Deployment's revision annotation (upstream writes it with the status; here the
        status subresource keeps metadata, so it is a patch of its own, made only on change)."""
        if (d["metadata"].get("annotations") or {}).get(util.REVISION) == value:
            return
        patched = await self.client.patch(DEPLOYMENTS, d["metadata"]["name"],
                                          {"metadata": {"annotations": {util.REVISION: value}}},
                                          namespace=d["metadata"]["namespace"])
        d["metadata"] = {**d["metadata"], "annotations": patched["metadata"].get("annotations"),
                         "resourceVersion": patched["metadata"]["resourceVersion"]}

    async def _paused_condition(self, d: Obj) -> Obj:
        if not util.has_deadline(d):
            return d
        current = util.condition(d["status"], "Progressing")
        if current is not None and current.get("reason") == "ProgressDeadlineExceeded":
            return d
        paused = bool((d.get("spec") or {}).get("paused"))
        shown = current is not None and current.get("reason") == "DeploymentPaused"
        if paused and not shown:
            util.set_condition(d["status"], "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                               self.clock.now())
        elif not paused and shown:
            util.set_condition(d["status"], "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed",
                               self.clock.now())
        else:
            return d
        await self._write_status(d, d["status"])
        return d

    def _scaling(self, d: Obj, rss: list[Obj]) -> bool:
        for rs in rss:
            if replicas(rs) > 0:
                desired = util.annotated(rs, util.DESIRED_REPLICAS)
                if desired is not None and desired != replicas(d):
                    return True
        return False

    # -- scaling -------------------------------------------------------------------------------

    async def _scale_sync(self, d: Obj, rss: list[Obj]) -> float | None:
        new_rs, old_rss = await self._new_and_old(d, rss, create=False)
        written: dict[str, Obj] = {}
        await self._scale(d, new_rs, old_rss, written)
        if (d.get("spec") or {}).get("paused"):
            await self._cleanup(d, old_rss)
        new_rs = _current(new_rs, written)
        return await self._sync_status(d, [_current(rs, written) for rs in old_rss] + ([new_rs] if new_rs else []),
                                       new_rs)

    async def _scale(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj], written: dict[str, Obj]) -> None:
        wanted = replicas(d)
        newest_first = sorted(old_rss, key=util.created, reverse=True)
        active = [rs for rs in [*newest_first, *([new_rs] if new_rs else [])] if replicas(rs) > 0]
        if len(active) <= 1:
            target = active[0] if active else (new_rs or (newest_first[0] if newest_first else None))
            if target is not None and replicas(target) != wanted:
                await self._scale_rs(d, target, wanted, written)
            return
        if new_rs is not None and util.annotated(new_rs, util.DESIRED_REPLICAS) == wanted and \
                util.status_of(new_rs, "availableReplicas") == wanted and replicas(new_rs) == wanted:
            for rs in old_rss:
                if replicas(rs) > 0:
                    await self._scale_rs(d, rs, 0, written)
            return
        if not util.rolling(d):
            return
        allowed = wanted + util.max_surge(d) if wanted > 0 else 0
        to_add = allowed - sum(replicas(rs) for rs in active)
        if to_add > 0:  # larger first; of the same size, newer first when growing, older first when shrinking
            active.sort(key=lambda rs: (-replicas(rs), -util.created(rs), rs["metadata"]["name"]))
        elif to_add < 0:
            active.sort(key=lambda rs: (-replicas(rs), util.created(rs), rs["metadata"]["name"]))
        sizes: dict[str, int] = {}
        added = 0
        for rs in active:
            share = util.proportion(rs, d, to_add, added) if to_add else 0
            sizes[rs["metadata"]["name"]] = replicas(rs) + share
            added += share
        for i, rs in enumerate(active):
            name = rs["metadata"]["name"]
            if i == 0 and to_add:
                sizes[name] = max(sizes[name] + to_add - added, 0)
            await self._scale_rs(d, rs, sizes[name], written, operation="up" if to_add > 0 else "down")

    async def _scale_rs(self, d: Obj, rs: Obj, size: int, written: dict[str, Obj], *,
                        operation: str | None = None) -> Obj:
        """Sets the ReplicaSet's size and its desired/max-replicas annotations, remembering the
        result in ``written`` (by uid) for the rest of the sync; an event when the size changed."""
        current = replicas(rs)
        copy = {**rs, "metadata": {**rs["metadata"], "annotations": dict(rs["metadata"].get("annotations") or {})},
                "spec": {**(rs.get("spec") or {}), "replicas": size}}
        annotations_changed = util.set_replica_annotations(copy, replicas(d), replicas(d) + util.max_surge(d))
        if current == size and not annotations_changed:
            return rs
        updated = await self.client.update(REPLICASETS, copy)
        if current != size:
            direction = operation or ("up" if size > current else "down")
            name = rs["metadata"]["name"]
            self.recorder.event(d, reason="ScalingReplicaSet", action="Scale",
                                note=f"Scaled {direction} replica set {name} from {current} to {size}")
        written[updated["metadata"]["uid"]] = updated
        return updated

    # -- rolling out ---------------------------------------------------------------------------

    async def _rolling(self, d: Obj, rss: list[Obj]) -> float | None:
        new_rs, old_rss = await self._new_and_old(d, rss, create=True)
        assert new_rs is not None
        all_rss = [*old_rss, new_rs]
        wanted = replicas(d)
        written: dict[str, Obj] = {}
        if replicas(new_rs) != wanted:
            size = wanted if replicas(new_rs) > wanted else util.new_rs_replicas(d, all_rss, new_rs)
            if size != replicas(new_rs):
                new_rs = await self._scale_rs(d, new_rs, size, written)
                return await self._sync_status(d, [*old_rss, new_rs], new_rs)
        if await self._scale_down_old(d, old_rss, new_rs, written):
            return await self._sync_status(d, [_current(rs, written) for rs in old_rss] + [new_rs], new_rs)
        status = util.calculate_status(d, all_rss, new_rs, self.clock.now())
        if util.complete(d, status):
            await self._cleanup(d, old_rss)
        return await self._sync_status(d, all_rss, new_rs)

    async def _scale_down_old(self, d: Obj, old_rss: list[Obj], new_rs: Obj, written: dict[str, Obj]) -> bool:
        """Upstream's reconcileOldReplicaSets: unhealthy replicas first, then within
        maxUnavailable, oldest ReplicaSets first."""
        active = util.by_creation([rs for rs in old_rss if replicas(rs) > 0])
        if not active:
            return False
        all_count = sum(replicas(rs) for rs in [*old_rss, new_rs])
        min_available = replicas(d) - util.max_unavailable(d)
        new_unavailable = replicas(new_rs) - util.status_of(new_rs, "availableReplicas")
        room = all_count - min_available - new_unavailable
        if room <= 0:
            return False
        cleaned = 0
        for i, rs in enumerate(active):
            if cleaned >= room:
                break
            unhealthy = replicas(rs) - util.status_of(rs, "availableReplicas")
            if replicas(rs) == 0 or unhealthy <= 0:
                continue
            step = min(room - cleaned, unhealthy)
            active[i] = await self._scale_rs(d, rs, replicas(rs) - step, written)
            cleaned += step
        available = sum(util.status_of(rs, "availableReplicas") for rs in [*active, new_rs])
        scaled = 0
        if available > min_available:
            budget = available - min_available
            for rs in active:
                if scaled >= budget:
                    break
                if replicas(rs) == 0:
                    continue
                step = min(replicas(rs), budget - scaled)
                await self._scale_rs(d, rs, replicas(rs) - step, written)
                scaled += step
        return cleaned + scaled > 0

    async def _recreate(self, d: Obj, rss: list[Obj]) -> float | None:
        new_rs, old_rss = await self._new_and_old(d, rss, create=False)
        written: dict[str, Obj] = {}
        for rs in old_rss:
            if replicas(rs) > 0:
                await self._scale_rs(d, rs, 0, written)
        if written:
            return await self._sync_status(d, [_current(rs, written) for rs in old_rss] + ([new_rs] if new_rs else []),
                                           new_rs)
        if self._old_pods_running(new_rs, old_rss):
            return await self._sync_status(d, [*old_rss, *([new_rs] if new_rs else [])], new_rs)
        if new_rs is None:
            new_rs, old_rss = await self._new_and_old(d, rss, create=True)
            assert new_rs is not None
        if replicas(new_rs) != replicas(d):
            new_rs = await self._scale_rs(d, new_rs, replicas(d), written)
        all_rss = [*old_rss, new_rs]
        if util.complete(d, util.calculate_status(d, all_rss, new_rs, self.clock.now())):
            await self._cleanup(d, old_rss)
        return await self._sync_status(d, all_rss, new_rs)

    def _old_pods_running(self, new_rs: Obj | None, old_rss: list[Obj]) -> bool:
        if sum(util.status_of(rs, "replicas") for rs in old_rss) > 0:
            return True
        for rs in old_rss:
            for pod in self.pods.indexer.by_index(BY_CONTROLLER, rs["metadata"]["uid"]):
                if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    return True
        return False

    async def _cleanup(self, d: Obj, old_rss: list[Obj]) -> None:
        """Old ReplicaSets beyond revisionHistoryLimit, lowest revisions first, once empty."""
        limit = (d.get("spec") or {}).get("revisionHistoryLimit")
        if limit is None:
            return
        alive = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        surplus = len(alive) - int(limit)
        for rs in sorted(alive, key=lambda rs: (util.revision(rs), util.created(rs)))[:max(surplus, 0)]:
            if util.status_of(rs, "replicas") or replicas(rs) or \
                    (rs["metadata"].get("generation") or 0) > util.status_of(rs, "observedGeneration"):
                continue
            try:
                await self.client.delete(REPLICASETS, rs["metadata"]["name"], namespace=rs["metadata"]["namespace"])
            except errors.NotFound:
                pass

    # -- status --------------------------------------------------------------------------------

    async def _sync_status(self, d: Obj, all_rss: list[Obj], new_rs: Obj | None) -> float | None:
        """Upstream's syncRolloutStatus: the counts, Progressing by progress or its deadline,
        and the ReplicaSets' ReplicaFailure; returns when to look again at a stuck rollout."""
        now = self.clock.now()
        status = util.calculate_status(d, all_rss, new_rs, now)
        if not util.has_deadline(d):
            util.remove_condition(status, "Progressing")
        current = util.condition(d["status"], "Progressing")
        finished = status["replicas"] == status["updatedReplicas"] and current is not None and \
            current.get("reason") == "NewReplicaSetAvailable"
        what = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{d["metadata"]["name"]}"'
        if util.has_deadline(d) and not finished:
            if util.complete(d, status):
                util.set_condition(status, "Progressing", "True", "NewReplicaSetAvailable",
                                   f"{what} has successfully progressed.", now)
            elif util.progressing(d, status):
                util.remove_condition(status, "Progressing")
                util.set_condition(status, "Progressing", "True", "ReplicaSetUpdated", f"{what} is progressing.", now)
                if current is not None and current.get("status") == "True":
                    util.condition(status, "Progressing")["lastTransitionTime"] = current.get(  # type: ignore[index]
                        "lastTransitionTime")
            elif util.timed_out(d, status, now):
                util.set_condition(status, "Progressing", "False", "ProgressDeadlineExceeded",
                                   f"{what} has timed out progressing.", now)
        failure = next((c for rs in all_rss for c in (rs.get("status") or {}).get("conditions") or ()
                        if c.get("type") == "ReplicaFailure" and c.get("status") == "True"), None)
        if failure is not None:
            util.set_condition(status, "ReplicaFailure", "True", failure.get("reason", ""),
                               failure.get("message", ""), now)
        else:
            util.remove_condition(status, "ReplicaFailure")
        if not _same_status(d["status"], status):
            await self._write_status(d, status)
        return self._stuck_after(d, status, now)

    def _stuck_after(self, d: Obj, status: Obj, now: float) -> float | None:
        """Seconds until a rollout without progress times out (upstream's requeueStuckDeployment)."""
        current = util.condition(status, "Progressing")
        if not util.has_deadline(d) or current is None or util.complete(d, status) or \
                current.get("reason") == "ProgressDeadlineExceeded":
            return None
        since = parse_time(current.get("lastUpdateTime")) or now
        return max(since + int(d["spec"]["progressDeadlineSeconds"]) - now, 0.0) + 1.0

    async def _write_status(self, d: Obj, status: Obj) -> None:
        body = {**d, "status": {k: v for k, v in status.items() if v is not None}}
        try:
            updated = await self.client.update(DEPLOYMENTS, body, subresource="status")
        except errors.NotFound:
            return
        d["metadata"] = {**d["metadata"], "resourceVersion": updated["metadata"]["resourceVersion"]}
        d["status"] = updated.get("status") or {}


def _current(rs: Obj | None, written: dict[str, Obj]) -> Obj | None:
    """The ReplicaSet as this sync last wrote it."""
    return None if rs is None else written.get(rs["metadata"]["uid"], rs)


def _same_status(a: Obj, b: Obj) -> bool:
    if any((a.get(k) or 0) != (b.get(k) or 0) for k in _COUNTS):
        return False
    return (a.get("conditions") or []) == (b.get("conditions") or [])

