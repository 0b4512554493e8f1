"""The DaemonSet controller, as upstream's ``pkg/controller/daemon``.

A sync of ``namespace/name``:
1. claims the set's pods and ControllerRevisions; finds the revision equal to the template (or
   makes it, or renumbers an older equal one, which is a rollback); its hash labels new pods;
2. when its expectations are satisfied, manages each node (upstream's ``podsShouldBeOnNode``):
   a node that should run a pod and has none gets one, pinned there by a required node affinity
   on ``metadata.name`` for the scheduler to bind; a Failed pod is deleted (with a per-node
   back-off, 1 s doubling to 15 min) to be made again; surplus pods go (the oldest stays);
   pods on nodes that may no longer keep them go. Creations run in slow-start batches;
3. under RollingUpdate, once nothing is pending, replaces old pods as
   :mod:`myriad.controllers.daemonset.update` plans;
4. writes ``status`` once, if it changed, and trims history beyond ``revisionHistoryLimit``.

Node changes queue the DaemonSets whose placement on that node they change.

Concurrency: loop only; a set is synced by one worker at a time (the queue's guarantee);
expectations and the back-off are touched only between awaits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import object_key
from myriad.client.objects import Object
from myriad.client.types import NODES, PODS, Resource
from myriad.controllers import history, podcontrol
from myriad.controllers.daemonset import placement
from myriad.controllers.daemonset.update import rolling_update, updated
from myriad.controllers.expectations import Expectations
from myriad.controllers.owned import AdoptCheck, OwnerEvents, selector
from myriad.controllers.podcontrol import BY_CONTROLLER, ORPHANS, Claims
from myriad.controllers.types import ControllerContext, Obj, ensure_index

NAME = "daemonset"
DAEMONSETS = Resource(api_version="apps/v1", plural="daemonsets")
#: Upstream's BurstReplicas for DaemonSets.
BURST_REPLICAS = 250
#: The failed-pod back-off: initial and longest delay.
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 900.0
_COUNTS = ("desiredNumberScheduled", "currentNumberScheduled", "numberMisscheduled", "numberReady",
           "updatedNumberScheduled", "numberAvailable", "numberUnavailable")


class DaemonSetController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None, *,
                 burst_replicas: int = BURST_REPLICAS) -> None:
        self.context = context
        self.clock = context.clock
        self.recorder = context.recorder
        self.burst_replicas = burst_replicas
        self.expectations = Expectations(clock=context.clock)
        #: (set key, node) -> (delay, not before): the failed-pod back-off.
        self.backoff: dict[tuple[str, str], tuple[float, float]] = {}
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=2), factory=context.factory)

    def setup(self) -> None:
        self.sets = self.factory.informer(DAEMONSETS)
        self.pods = self.factory.informer(PODS)
        self.nodes = self.factory.informer(NODES)
        self.revisions = self.factory.informer(history.CONTROLLERREVISIONS)
        for informer in (self.pods, self.revisions):
            ensure_index(informer, BY_CONTROLLER, podcontrol.by_controller)
            ensure_index(informer, ORPHANS, podcontrol.orphans)
        self.watch(self.sets)
        self.sets.add_handler(Handler(on_delete=lambda ds: self.expectations.forget(object_key(ds))))
        self.pods.add_handler(OwnerEvents(self.sets, "DaemonSet", self.queue, on_owned=self._observed).handler())
        self.revisions.add_handler(OwnerEvents(self.sets, "DaemonSet", self.queue).handler())
        self.nodes.add_handler(Handler(on_add=lambda node: self._node_changed(None, node),
                                       on_update=self._node_changed))

    def _observed(self, event: str, key: str, pod: Obj) -> None:
        if event == "delete" or pod["metadata"].get("deletionTimestamp"):
            self.expectations.deletion_observed(key, object_key(pod))
        elif event == "add":
            self.expectations.creation_observed(key)

    def _node_changed(self, old: Object | None, node: Object) -> None:
        if old is not None and old.labels == node.labels and old.view.spec.taints == node.view.spec.taints:
            return
        for ds in self.sets.indexer.list():
            if old is None or placement.should_run(ds, old) != placement.should_run(ds, node):
                self.queue.add(object_key(ds), event="update" if old else "add")

    # -- the sync ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        ds = self.sets.indexer.get(key)
        if ds is None:
            self.expectations.forget(key)
            return None
        chosen = selector(ds)
        if chosen is None:
            return None
        namespace, uid = ds["metadata"]["namespace"], ds["metadata"]["uid"]
        can_adopt = AdoptCheck(self.client, DAEMONSETS, ds)
        pods = await Claims(self.client, ds, chosen, can_adopt).claim(
            self.pods.indexer.by_index(BY_CONTROLLER, uid), self.pods.indexer.by_index(ORPHANS, namespace))
        revisions = await history.claimed(self.client, ds, chosen, can_adopt, self.revisions)
        current, collisions = await self._current_revision(ds, revisions)
        hash_ = _hash_of(current)
        by_node: dict[str, list[Obj]] = {}
        for pod in pods:
            by_node.setdefault(placement.target_node(pod) or "", []).append(pod)
        template_spec = placement.with_daemon_tolerations((ds["spec"].get("template") or {}).get("spec") or {})
        nodes = {n.name: n for n in self.nodes.indexer.list()}
        placements = {name: placement.should_run(ds, node, template_spec) for name, node in nodes.items()}
        now = self.clock.now()
        retry: float | None = None
        if not ds["metadata"].get("deletionTimestamp") and self.expectations.satisfied(key):
            create, delete, retry = self._manage(key, ds, by_node, placements, hash_, now)
            if not create and not delete and (ds["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate":
                plan = rolling_update(ds, {n: p for n, p in by_node.items() if n in nodes},
                                      lambda n: placements[n][0], hash_,
                                      desired=sum(1 for run, _ in placements.values() if run), now=now)
                create, delete = plan.create, plan.delete
            await self._sync_nodes(key, ds, create, delete, template_spec, hash_)
        status = self._status(ds, by_node, placements, hash_, collisions, now)
        await self._write_status(ds, status)
        hashes = {(p["metadata"].get("labels") or {}).get(history.POD_REVISION_LABEL) for p in pods}
        live = {current["metadata"]["name"]} | {r["metadata"]["name"] for r in revisions if _hash_of(r) in hashes}
        await history.truncate(self.client, revisions, live, int(ds["spec"].get("revisionHistoryLimit", 10)))
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        if min_ready > 0 and status["numberReady"] != status["numberAvailable"]:
            retry = min(retry or min_ready, float(min_ready))
        return retry

    async def _current_revision(self, ds: Obj, revisions: list[Obj]) -> tuple[Obj, int]:
        """Upstream's ``constructHistory``: the revision equal to the template, numbered after
        every other; made if there is none. Returns it and the collision count."""
        collisions = int((ds.get("status") or {}).get("collisionCount") or 0)
        data = history.template_data(ds["spec"].get("template") or {})
        wanted = history.new_revision(ds, data, 0, collisions)
        equal = [r for r in revisions if history.equal(r, wanted)]
        older = [r for r in revisions if not history.equal(r, wanted)]
        number = history.next_number(older)
        if not equal:
            current, collisions = await history.create(self.client, ds, data, number, collisions)
            return current, collisions
        return await history.renumber(self.client, equal[-1], max(number, int(equal[-1].get("revision") or 0))), \
            collisions

    def _manage(self, key: str, ds: Obj, by_node: dict[str, list[Obj]], placements: dict[str, tuple[bool, bool]],
                hash_: str, now: float) -> tuple[list[str], list[Obj], float | None]:
        """Upstream's ``podsShouldBeOnNode`` for every node: (nodes to get a pod, pods to
        delete, seconds until a back-off ends)."""
        create: list[str] = []
        delete: list[Obj] = []
        retry: float | None = None
        surge = bool(((ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}).get("maxSurge"))
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        for name, (run, keep) in placements.items():
            pods = [p for p in by_node.get(name, ()) if not podcontrol.deleting(p)]
            if run and name not in by_node:
                create.append(name)
            elif not keep:
                delete += pods
            elif pods:
                running = []
                for pod in pods:
                    phase = (pod.get("status") or {}).get("phase")
                    if phase == "Failed":
                        wait = self._backoff(key, name, now)
                        if wait is not None:
                            retry = wait if retry is None else min(retry, wait)
                            continue
                        self.recorder.event(ds, type="Warning", reason="FailedDaemonPod", action="Delete",
                                            note=f"Found failed daemon pod {pod['metadata']['namespace']}/"
                                                 f"{pod['metadata']['name']} on node {name}, will try to kill it")
                        delete.append(pod)
                    elif phase == "Succeeded":
                        delete.append(pod)
                    else:
                        running.append(pod)
                delete += _surplus(running, hash_, surge, min_ready, now)
        for name, pods in by_node.items():
            if name not in placements:  # pinned to a node that does not exist
                delete += [p for p in pods if not p["metadata"].get("deletionTimestamp")
                           and not (p.get("spec") or {}).get("nodeName")]
        return create, delete, retry

    def _backoff(self, key: str, node: str, now: float) -> float | None:
        """Seconds left of the node's back-off, or None (and the back-off doubled) to act now."""
        delay, not_before = self.backoff.get((key, node), (0.0, 0.0))
        if now < not_before:
            return not_before - now
        delay = min(max(delay * 2, BACKOFF_INITIAL), BACKOFF_MAX)
        self.backoff[(key, node)] = (delay, now + delay)
        return None

    async def _sync_nodes(self, key: str, ds: Obj, create: list[str], delete: list[Obj], template_spec: Obj,
                          hash_: str) -> None:
        create, delete = create[:self.burst_replicas], delete[:self.burst_replicas]
        if not create and not delete:
            return
        self.expectations.expect(key, creations=len(create), deletions=[object_key(p) for p in delete])
        template = ds["spec"].get("template") or {}
        labels = {**((template.get("metadata") or {}).get("labels") or {}), history.POD_REVISION_LABEL: hash_}
        queue = list(create)

        async def create_one() -> None:
            node = queue.pop()
            pod = podcontrol.pod_from_template({**template, "metadata": {**(template.get("metadata") or {}),
                                                                         "labels": labels},
                                                "spec": placement.pinned(template_spec, node)}, ds)
            try:
                await self.client.create(PODS, pod, namespace=ds["metadata"]["namespace"])
            except errors.ClientError as error:
                if podcontrol.namespace_terminating(error):
                    return
                self.recorder.event(ds, type="Warning", reason="FailedCreate", action="Create",
                                    note=f"Error creating: {error}")
                raise
            self.recorder.event(ds, reason="SuccessfulCreate", action="Create",
                                note=f"Created pod: {pod['metadata'].get('name') or pod['metadata']['generateName']}")
        done, failure = await podcontrol.slow_start(len(create), create_one, gate=self.context.writes)
        for _ in range(len(create) - done):
            self.expectations.creation_observed(key)
        results = await asyncio.gather(*(podcontrol.gated(self.context.writes, self._delete(key, ds, p))
                                         for p in delete), return_exceptions=True)
        failure = failure or next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            raise failure

    async def _delete(self, key: str, ds: Obj, pod: Obj) -> None:
        name = pod["metadata"]["name"]
        try:
            await self.client.delete(PODS, name, namespace=pod["metadata"]["namespace"],
                                     preconditions={"uid": pod["metadata"]["uid"]})
        except (errors.NotFound, errors.Conflict):
            self.expectations.deletion_observed(key, object_key(pod))
            return
        except errors.ClientError as error:
            self.expectations.deletion_observed(key, object_key(pod))
            self.recorder.event(ds, type="Warning", reason="FailedDelete", action="Delete",
                                note=f"Error deleting: {error}")
            raise
        self.recorder.event(ds, reason="SuccessfulDelete", action="Delete", note=f"Deleted pod: {name}")

    # -- status --------------------------------------------------------------------------------

    def _status(self, ds: Obj, by_node: dict[str, list[Obj]], placements: dict[str, tuple[bool, bool]], hash_: str,
                collisions: int, now: float) -> Obj:
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        counts = dict.fromkeys(_COUNTS, 0)
        for name, (run, _) in placements.items():
            pods = [p for p in by_node.get(name, ()) if not (podcontrol.deleting(p)
                                                             and podcontrol.phase(p) in ("Succeeded", "Failed"))]
            if not run:
                counts["numberMisscheduled"] += bool(pods)
                continue
            counts["desiredNumberScheduled"] += 1
            if not pods:
                continue
            counts["currentNumberScheduled"] += 1
            oldest = min(pods, key=_age)
            if podcontrol.ready_since(oldest) is not None:
                counts["numberReady"] += 1
                counts["numberAvailable"] += podcontrol.available(oldest, min_ready, now)
            counts["updatedNumberScheduled"] += updated(oldest, hash_)
        counts["numberUnavailable"] = counts["desiredNumberScheduled"] - counts["numberAvailable"]
        status: Obj = {**counts, "observedGeneration": ds["metadata"].get("generation")}
        if collisions:
            status["collisionCount"] = collisions
        return status

    async def _write_status(self, ds: Obj, status: Obj) -> None:
        previous = ds.get("status") or {}
        if all(previous.get(k, 0 if k in _COUNTS else None) == v for k, v in status.items()):
            return
        keep = {k: v for k, v in previous.items() if k not in status}
        try:
            await self.client.update(DAEMONSETS, {**ds, "status": {**keep, **status}}, subresource="status")
        except errors.NotFound:
            pass


def _hash_of(revision: Obj) -> str:
    """The revision's hash label; its name for one adopted without it (as upstream)."""
    return str((revision["metadata"].get("labels") or {}).get(history.HASH_LABEL) or revision["metadata"]["name"])


def _age(pod: Obj) -> tuple[str, str]:
    return pod["metadata"].get("creationTimestamp") or "", pod["metadata"]["name"]


def _surplus(running: list[Obj], hash_: str, surge: bool, min_ready: int, now: float) -> list[Obj]:
    """Of a node's running daemon pods, those to delete: all but the oldest; with surge, an
    old and a new pod may stand together until the new one is available."""
    running = sorted(running, key=_age)
    if not surge:
        return running[1:]
    newest_kept = next((p for p in running if updated(p, hash_)), None)
    oldest_old = next((p for p in running if not updated(p, hash_)), None)
    victims = [p for p in running if p is not newest_kept and p is not oldest_old]
    if newest_kept is not None and oldest_old is not None and (
            podcontrol.ready_since(oldest_old) is None or podcontrol.available(newest_kept, min_ready, now)):
        victims.append(oldest_old)
    return victims
