"""The CronJob controller, as upstream's ``cronjob_controllerv2``.

A sync of ``namespace/name``:
1. brings ``status.active`` in line with the CronJob's Jobs (finished or vanished ones drop out;
   ``lastSuccessfulTime`` follows the latest completion) and deletes finished Jobs beyond
   ``successfulJobsHistoryLimit`` (3) and ``failedJobsHistoryLimit`` (1), oldest first;
2. unless suspended, finds the most recent schedule time not after now, since the last one (or
   the CronJob's creation), in ``spec.timeZone`` (UTC without one); over 100 missed times gets a
   ``TooManyMissedTimes`` warning, and a time older than ``startingDeadlineSeconds`` is skipped
   (``MissSchedule``);
3. honours ``concurrencyPolicy``: ``Forbid`` skips the time while a Job runs, ``Replace`` deletes
   the running Jobs first, ``Allow`` runs them side by side;
4. creates the Job ``<cronjob>-<minutes since the epoch>`` (so a retry never makes two) from
   ``jobTemplate``, owned by the CronJob and annotated with the scheduled time, records it in
   ``status.active`` and ``lastScheduleTime``, and comes back at the next schedule time.

Time comes from the context's clock, so tests drive it.

Concurrency: loop only; one CronJob is never synced by two workers at once.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from myriad.api.cron import CronError, Schedule, parse_standard
from myriad.api.meta import parse_time, rfc3339
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.types import Resource
from myriad.controllers import podcontrol
from myriad.controllers.job.controller import JOBS
from myriad.controllers.podcontrol import BY_CONTROLLER, controller_of
from myriad.controllers.types import ControllerContext, Obj, ensure_index

NAME = "cronjob"
CRONJOBS = Resource(api_version="batch/v1", plural="cronjobs")
SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"
#: Upstream's limit on missed times before it warns.
TOO_MANY_MISSED = 100


def most_recent(schedule: Schedule, earliest: datetime, now: datetime, zone: tzinfo) -> tuple[datetime | None, int]:
    """The last schedule time in (earliest, now], and how many there were (counting stops past
    the limit, as upstream's does)."""
    latest, missed = None, 0
    at = schedule.next(earliest, zone)
    while at is not None and at <= now:
        latest, missed = at, missed + 1
        if missed > TOO_MANY_MISSED:
            # Upstream's shortcut: the most recent time, found by stepping back from now.
            return _last_before(schedule, now, zone), missed
        at = schedule.next(at, zone)
    return latest, missed


def _last_before(schedule: Schedule, now: datetime, zone: tzinfo) -> datetime | None:
    step = 60.0
    while True:
        probe = datetime.fromtimestamp(now.timestamp() - step, UTC)
        candidate = schedule.next(probe, zone)
        if candidate is not None and candidate <= now:
            latest = candidate
            while (following := schedule.next(latest, zone)) is not None and following <= now:
                latest = following
            return latest
        step *= 2
        if step > 366 * 86400 * 5:
            return None


class CronJobController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.clock = context.clock
        self.recorder = context.recorder
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.cronjobs = self.factory.informer(CRONJOBS)
        self.jobs = self.factory.informer(JOBS)
        ensure_index(self.jobs, BY_CONTROLLER, podcontrol.by_controller)
        self.watch(self.cronjobs)
        self.jobs.add_handler(Handler(on_add=self._job, on_update=lambda _old, new: self._job(new),
                                      on_delete=self._job))

    def _job(self, job: Obj) -> None:
        ref = controller_of(job)
        if ref is not None and ref.get("kind") == "CronJob":
            self.queue.add(f"{job['metadata'].get('namespace')}/{ref.get('name')}", event="update")

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        cached = self.cronjobs.indexer.get(key)
        if cached is None:
            return None
        cronjob = {**cached, "status": copy.deepcopy(cached.get("status") or {})}
        spec = cronjob.get("spec") or {}
        status = cronjob["status"]
        jobs = self.jobs.indexer.by_index(BY_CONTROLLER, cronjob["metadata"]["uid"])
        self._track(status, jobs)
        await self._clean(cronjob, jobs)
        wait = None
        if not cronjob["metadata"].get("deletionTimestamp") and not spec.get("suspend"):
            wait = await self._schedule(cronjob, jobs)
        if status != (cached.get("status") or {}):
            try:
                await self.client.update(CRONJOBS, cronjob, subresource="status")
            except errors.NotFound:
                return None
        return wait

    def _track(self, status: Obj, jobs: list[Obj]) -> None:
        by_uid = {j["metadata"]["uid"]: j for j in jobs}
        status["active"] = [ref for ref in status.get("active") or ()
                            if ref.get("uid") in by_uid and not _finished(by_uid[ref["uid"]])]
        listed = {ref.get("uid") for ref in status["active"]}
        for job in jobs:  # a Job made but not recorded (a status write lost): recorded now
            if not _finished(job) and job["metadata"]["uid"] not in listed:
                status["active"].append(_reference(job))
        if not status["active"]:
            status.pop("active")
        completed = [parse_time((j.get("status") or {}).get("completionTime")) for j in jobs if _succeeded(j)]
        latest = max((t for t in completed if t is not None), default=None)
        if latest is not None and latest > (parse_time(status.get("lastSuccessfulTime")) or 0.0):
            status["lastSuccessfulTime"] = rfc3339(latest)

    async def _clean(self, cronjob: Obj, jobs: list[Obj]) -> None:
        spec = cronjob.get("spec") or {}
        for succeeded, limit in ((True, spec.get("successfulJobsHistoryLimit", 3)),
                                 (False, spec.get("failedJobsHistoryLimit", 1))):
            finished = sorted((j for j in jobs if _finished(j) and _succeeded(j) == succeeded
                               and not j["metadata"].get("deletionTimestamp")),
                              key=lambda j: (parse_time(j["metadata"].get("creationTimestamp")) or 0.0,
                                             j["metadata"]["name"]))
            for job in finished[:max(len(finished) - int(limit if limit is not None else 0), 0)]:
                await self._delete(cronjob, job)

    async def _schedule(self, cronjob: Obj, jobs: list[Obj]) -> float | None:
        spec = cronjob["spec"]
        status = cronjob["status"]
        try:
            schedule = parse_standard(spec.get("schedule", ""))
            zone: tzinfo = ZoneInfo(spec["timeZone"]) if spec.get("timeZone") else UTC
        except (CronError, KeyError, ValueError) as error:
            self.recorder.event(cronjob, type="Warning", reason="UnparseableSchedule", action="Schedule",
                                note=f"unparseable schedule: {spec.get('schedule')!r} : {error}")
            return None
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        earliest_ts = parse_time(status.get("lastScheduleTime")) or parse_time(
            cronjob["metadata"].get("creationTimestamp")) or self.clock.now()
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest_ts = max(earliest_ts, self.clock.now() - int(deadline))
        scheduled, missed = most_recent(schedule, datetime.fromtimestamp(earliest_ts, UTC), now, zone)
        if missed > TOO_MANY_MISSED:
            self.recorder.event(cronjob, type="Warning", reason="TooManyMissedTimes", action="Schedule",
                                note="too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                                     "or check clock skew")
        if scheduled is not None and not self._too_late(cronjob, scheduled, now) and \
                await self._may_run(cronjob, jobs, scheduled):
            await self._start(cronjob, scheduled)
        following = schedule.next(now, zone)
        return None if following is None else max((following - now).total_seconds(), 0.0) + 0.1

    def _too_late(self, cronjob: Obj, scheduled: datetime, now: datetime) -> bool:
        deadline = cronjob["spec"].get("startingDeadlineSeconds")
        if deadline is None or (now - scheduled).total_seconds() <= int(deadline):
            return False
        self.recorder.event(cronjob, type="Warning", reason="MissSchedule", action="Schedule",
                            note=f"Missed scheduled time to start a job: {rfc3339(scheduled.timestamp())}")
        return True

    async def _may_run(self, cronjob: Obj, jobs: list[Obj], scheduled: datetime) -> bool:
        name = _job_name(cronjob, scheduled)
        if any(j["metadata"]["name"] == name for j in jobs):
            return False  # this time's Job exists already
        running = [j for j in jobs if not _finished(j) and not j["metadata"].get("deletionTimestamp")]
        policy = cronjob["spec"].get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and running:
            return False
        if policy == "Replace":
            for job in running:
                await self._delete(cronjob, job)
        return True

    async def _start(self, cronjob: Obj, scheduled: datetime) -> None:
        template = copy.deepcopy(cronjob["spec"].get("jobTemplate") or {})
        meta = template.get("metadata") or {}
        body = {"apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": _job_name(cronjob, scheduled), "namespace": cronjob["metadata"]["namespace"],
                             "labels": meta.get("labels") or {},
                             "annotations": {**(meta.get("annotations") or {}),
                                             SCHEDULED: rfc3339(scheduled.timestamp())},
                             "ownerReferences": [podcontrol.controller_ref(
                                 {"apiVersion": "batch/v1", "kind": "CronJob", **cronjob})]},
                "spec": template.get("spec") or {}}
        try:
            job = await self.client.create(JOBS, body)
        except errors.AlreadyExists:
            job = None
        except errors.ClientError as error:
            self.recorder.event(cronjob, type="Warning", reason="FailedCreate", action="Create",
                                note=f"Error creating job: {error}")
            raise
        status = cronjob["status"]
        if job is not None:
            self.recorder.event(cronjob, reason="SuccessfulCreate", action="Create",
                                note=f"Created job {job['metadata']['name']}")
            status["active"] = [*(status.get("active") or ()), _reference(job)]
        status["lastScheduleTime"] = rfc3339(scheduled.timestamp())

    async def _delete(self, cronjob: Obj, job: Obj) -> None:
        try:
            await self.client.delete(JOBS, job["metadata"]["name"], namespace=job["metadata"]["namespace"],
                                     propagation_policy="Background", preconditions={"uid": job["metadata"]["uid"]})
        except (errors.NotFound, errors.Conflict):
            return
        self.recorder.event(cronjob, reason="SuccessfulDelete", action="Delete",
                            note=f"Deleted job {job['metadata']['name']}")


def _job_name(cronjob: Obj, scheduled: datetime) -> str:
    return f"{cronjob['metadata']['name']}-{int(scheduled.timestamp()) // 60}"


def _reference(job: Obj) -> Obj:
    meta = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "namespace": meta["namespace"],
            "uid": meta["uid"], "resourceVersion": meta.get("resourceVersion", "")}


def _finished(job: Obj) -> bool:
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or ())


def _succeeded(job: Obj) -> bool:
    return any(c.get("type") == "Complete" and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or ())
