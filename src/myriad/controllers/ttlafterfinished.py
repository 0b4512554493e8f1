"""The TTL-after-finished controller, as upstream's ``pkg/controller/ttlafterfinished``: a Job
with ``ttlSecondsAfterFinished`` is deleted (in the foreground, so its pods go first) that many
seconds after its Complete or Failed condition turned True. Before deleting, the Job is read
afresh and checked again, and the deletion is conditional on its uid and resourceVersion, so a
Job whose TTL was just changed is not deleted on stale grounds.

Concurrency: loop only; keys are Jobs, queued again when their time comes.
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.api.meta import parse_time
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.controllers.job.controller import JOBS
from myriad.controllers.types import ControllerContext, Obj

NAME = "ttl-after-finished"


def expires(job: Obj) -> float | None:
    """When the finished Job may go; None if it is not finished or has no TTL."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None:
        return None
    for condition in (job.get("status") or {}).get("conditions") or ():
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            finished = parse_time(condition.get("lastTransitionTime"))
            if finished is not None:
                return finished + int(ttl)
    return None


class TTLAfterFinishedController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.jobs = self.factory.informer(JOBS)
        self.watch(self.jobs)

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        job = self.jobs.indexer.get(key)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return None
        left = self._left(job)
        if left is None or left > 0:
            return left
        namespace, _, name = key.partition("/")
        try:
            fresh = await self.client.get(JOBS, name, namespace=namespace)
        except errors.NotFound:
            return None
        left = self._left(fresh)
        if left is None or left > 0:
            return left
        try:
            await self.client.delete(JOBS, name, namespace=namespace, propagation_policy="Foreground",
                                     preconditions={"uid": fresh["metadata"]["uid"],
                                                    "resourceVersion": fresh["metadata"]["resourceVersion"]})
        except (errors.NotFound, errors.Conflict):
            pass  # gone, or changed: a change brings its own sync
        return None

    def _left(self, job: Obj) -> float | None:
        at = expires(job)
        return None if at is None else at - self.context.clock.now()
