"""The pod garbage collector, as upstream's ``pkg/controller/podgc``. Every 20 s it:
* deletes terminated pods (Succeeded or Failed) beyond ``--terminated-pod-gc-threshold``
  (12,500), the oldest first;
* deletes pods bound to a node that does not exist, once a read of the node confirms it is gone
  (upstream's quarantine: the node must be missing from two passes), after marking them Failed
  with the DisruptionTarget condition ``DeletionByPodGC``;
* force-deletes unscheduled pods that are terminating (no kubelet will ever finish them).

Deletions here have grace period 0, as upstream's.

Concurrency: loop only; one key, ``gc``, queued again after each pass.
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.api.meta import parse_time, rfc3339
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.objects import Object
from myriad.client.types import NODES, PODS, PatchType
from myriad.controllers.types import ControllerContext

NAME = "pod-garbage-collector"
#: Upstream's gcCheckPeriod.
PERIOD = 20.0
KEY = "gc"


class PodGCController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None, *,
                 period: float = PERIOD) -> None:
        self.context = context
        self.period = period
        self.threshold = context.settings.terminated_pod_gc_threshold
        #: Nodes found missing in the last pass: their pods go if they are still missing now.
        self._missing: set[str] = set()
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=1), factory=context.factory)

    def setup(self) -> None:
        self.pods = self.factory.informer(PODS)
        self.nodes = self.factory.informer(NODES)

    async def lead(self) -> None:
        self.queue.add(KEY, event="sync")
        await super().lead()

    async def reconcile(self, key: Hashable) -> float | None:
        pods = self.pods.indexer.list()
        await self._terminated(pods)
        await self._orphaned(pods)
        for pod in pods:
            if pod.view.metadata.deletion_timestamp and not pod.view.node_name:
                await self._delete(pod)
        return self.period

    async def _terminated(self, pods: list[Object]) -> None:
        if self.threshold <= 0:
            return
        done = [p for p in pods if p.view.status.phase in ("Succeeded", "Failed")]
        surplus = len(done) - self.threshold
        if surplus <= 0:
            return
        done.sort(key=lambda p: (parse_time(p["metadata"].get("creationTimestamp")) or 0.0, p["metadata"]["name"]))
        for pod in done[:surplus]:
            await self._delete(pod)

    async def _orphaned(self, pods: list[Object]) -> None:
        absent = {name for p in pods if (name := p.view.node_name) and self.nodes.indexer.get(name) is None}
        confirmed = set()
        for name in absent & self._missing:
            try:
                await self.client.get(NODES, name)
            except errors.NotFound:
                confirmed.add(name)
        self._missing = absent - confirmed
        for pod in pods:
            if pod.view.node_name in confirmed:
                await self._fail(pod)
                await self._delete(pod)

    async def _fail(self, pod: Object) -> None:
        meta = pod.view.metadata
        if pod.view.status.phase in ("Succeeded", "Failed"):
            return
        condition = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                     "message": "PodGC: node no longer exists",
                     "lastTransitionTime": rfc3339(self.context.clock.now())}
        try:
            await self.client.patch(PODS, meta.name, {"metadata": {"uid": meta.uid}, "status": {
                "phase": "Failed", "conditions": [condition]}}, patch_type=PatchType.STRATEGIC,
                namespace=meta.namespace, subresource="status")
        except (errors.NotFound, errors.Conflict):
            pass

    async def _delete(self, pod: Object) -> None:
        meta = pod.view.metadata
        try:
            await self.client.delete(PODS, meta.name, namespace=meta.namespace, grace_period_seconds=0,
                                     preconditions={"uid": meta.uid})
        except (errors.NotFound, errors.Conflict):
            pass
