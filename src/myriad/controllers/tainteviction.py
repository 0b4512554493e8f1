"""The taint eviction controller, as upstream's ``pkg/controller/tainteviction``: pods on a node
with NoExecute taints go, at once if some taint is not tolerated, else once the shortest
``tolerationSeconds`` of the tolerations that match has passed since the taint was added (the API
server gives every pod 300 s for ``not-ready`` and ``unreachable``). A toleration without
``tolerationSeconds`` keeps the pod for good.

An evicted pod first gets the condition DisruptionTarget (``DeletionByTaintManager``), then is
deleted with its own grace period.

Concurrency: loop only. Keys are pods' ``namespace/name``; a node's taints changing queues its
pods (through the informer's nodeName index), and a pod that must wait is queued again when due.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from myriad.api.meta import parse_time, rfc3339
from myriad.api.tolerations import tolerates
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import BY_NODE_NAME, object_key
from myriad.client.types import NODES, PODS, PatchType
from myriad.controllers.types import ControllerContext, Obj

NAME = "taint-eviction"


def due(pod: Obj, taints: list[dict[str, Any]], now: float) -> float | None:
    """When the pod must go: ``now`` if a taint is not tolerated, the earliest deadline its
    tolerations allow, or None if they allow it to stay."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or ()
    deadline: float | None = None
    for taint in taints:
        matching = [t for t in tolerations if isinstance(t, dict) and tolerates(t, taint)]
        if not matching:
            return now
        seconds = [t["tolerationSeconds"] for t in matching if isinstance(t.get("tolerationSeconds"), int)]
        if len(seconds) < len(matching):
            continue  # one toleration matches for ever
        added = parse_time(taint.get("timeAdded")) or now
        at = added + max(min(seconds), 0)
        deadline = at if deadline is None else min(deadline, at)
    return deadline


class TaintEvictionController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.clock = context.clock
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=8), factory=context.factory)

    def setup(self) -> None:
        self.nodes = self.factory.informer(NODES)
        self.pods = self.factory.informer(PODS)
        self.nodes.add_handler(Handler(on_add=self._node, on_update=self._node_changed))
        self.watch(self.pods, key=lambda pod: pod.key if pod.view.node_name else None)

    def _node(self, node: Obj) -> None:
        if _no_execute(node):
            for pod in self.pods.indexer.by_index(BY_NODE_NAME, node["metadata"]["name"]):
                self.queue.add(object_key(pod), event="update")

    def _node_changed(self, old: Obj, new: Obj) -> None:
        if _no_execute(old) != _no_execute(new):
            self._node(new)

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        pod = self.pods.indexer.get(key)
        if pod is None or pod["metadata"].get("deletionTimestamp") or \
                (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return None
        node = self.nodes.indexer.get((pod.get("spec") or {}).get("nodeName") or "")
        taints = _no_execute(node) if node is not None else []
        if not taints:
            return None
        now = self.clock.now()
        when = due(pod, taints, now)
        if when is None:
            return None
        if when > now:
            return when - now
        await self._evict(pod)
        return None

    async def _evict(self, pod: Obj) -> None:
        meta = pod["metadata"]
        condition = {"type": "DisruptionTarget", "status": "True", "reason": "DeletionByTaintManager",
                     "message": "Taint manager: deleting due to NoExecute taint",
                     "lastTransitionTime": rfc3339(self.clock.now())}
        try:
            await self.client.patch(PODS, meta["name"], {"metadata": {"uid": meta["uid"]},
                                                         "status": {"conditions": [condition]}},
                                    patch_type=PatchType.STRATEGIC, namespace=meta["namespace"], subresource="status")
            await self.client.delete(PODS, meta["name"], namespace=meta["namespace"],
                                     preconditions={"uid": meta["uid"]})
        except (errors.NotFound, errors.Conflict):
            pass


def _no_execute(node: Obj | None) -> list[dict[str, Any]]:
    return [t for t in ((node or {}).get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute"]
