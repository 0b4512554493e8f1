"""The Job controller, as upstream's ``pkg/controller/job``.

A sync of ``namespace/name``:
1. claims the pods the Job selects;
2. accounts finished pods exactly once with upstream's tracking finalizer
   (``batch.kubernetes.io/job-tracking``, on every pod it makes): their uids go into
   ``status.uncountedTerminatedPods``, their finalizers are removed, then they move into
   ``succeeded``/``failed`` (and ``completedIndexes``), so a crash between steps never counts a
   pod twice or loses one. A pod deleted before it finished counts as failed;
3. decides the Job's fate: a podFailurePolicy rule (``FailJob`` fails it, ``Ignore`` does not
   count the failure, ``Count`` does), more failures than ``backoffLimit``
   (``BackoffLimitExceeded``), ``activeDeadlineSeconds`` passed (``DeadlineExceeded``), or enough
   successes (``CompletionsReached``). It is first marked ``FailureTarget`` or
   ``SuccessCriteriaMet`` and its remaining pods are deleted; ``Failed`` or ``Complete`` (with
   ``completionTime``) follow once none is left;
4. otherwise keeps ``parallelism`` pods running (no more than the completions left; for an
   Indexed Job, one pod per index not yet succeeded, ``<job>-<index>-`` with the index in an
   annotation, a label and ``JOB_COMPLETION_INDEX``), replacing failed pods after an exponential
   back-off (10 s doubling to 10 minutes); ``suspend`` deletes the active pods and marks the Job
   ``Suspended``, and resuming starts its clock again.

Concurrency: loop only; one Job is never synced by two workers at once.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Hashable

from myriad.api.meta import parse_time, rfc3339
from myriad.api.selectors import SelectorError, selector_from_object
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.informers.store import object_key
from myriad.client.rest import Client
from myriad.client.types import PODS, Resource
from myriad.controllers import podcontrol
from myriad.controllers.expectations import Expectations
from myriad.controllers.job import policy
from myriad.controllers.job.policy import Obj
from myriad.controllers.podcontrol import BY_CONTROLLER, ORPHANS, Claims, controller_of
from myriad.controllers.ranking import pods_to_delete
from myriad.controllers.types import ControllerContext, ensure_index

NAME = "job"
JOBS = Resource(api_version="batch/v1", plural="jobs")
TRACKING = "batch.kubernetes.io/job-tracking"


class JobController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.clock = context.clock
        self.recorder = context.recorder
        self.expectations = Expectations(clock=context.clock)
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=5), factory=context.factory)

    def setup(self) -> None:
        self.jobs = self.factory.informer(JOBS)
        self.pods = self.factory.informer(PODS)
        ensure_index(self.pods, BY_CONTROLLER, podcontrol.by_controller)
        ensure_index(self.pods, ORPHANS, podcontrol.orphans)
        self.watch(self.jobs)
        self.jobs.add_handler(Handler(on_delete=lambda job: self.expectations.forget(object_key(job))))
        self.pods.add_handler(Handler(on_add=self._pod_added, on_update=self._pod_changed,
                                      on_delete=self._pod_deleted))

    def _owner_key(self, pod: Obj) -> str | None:
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "Job":
            return None
        key = f"{pod.namespace}/{ref.get('name')}"
        job = self.jobs.indexer.get(key)
        return key if job is not None and job.uid == ref.get("uid") else None

    def _pod_added(self, pod: Obj) -> None:
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.creation_observed(key)
            self.queue.add(key, event="add")

    def _pod_changed(self, old: Obj, new: Obj) -> None:
        if old.resource_version != new.resource_version:
            key = self._owner_key(new)
            if key is not None:
                self.queue.add(key, event="update")

    def _pod_deleted(self, pod: Obj) -> None:
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.deletion_observed(key, object_key(pod))
            self.queue.add(key, event="delete")

    # -- the sync ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        cached = self.jobs.indexer.get(key)
        if cached is None:
            self.expectations.forget(key)
            return None
        job = {**cached, "status": copy.deepcopy(cached.get("status") or {})}
        status = job["status"]
        try:
            selector = selector_from_object((job.get("spec") or {}).get("selector"))
        except SelectorError:
            return None
        owned = self.pods.indexer.by_index(BY_CONTROLLER, job["metadata"]["uid"])
        claims = Claims(self.client, job, selector, lambda: _fresh(self.client, job))
        pods = await claims.claim(list(owned), self.pods.indexer.by_index(ORPHANS, job["metadata"]["namespace"]))
        if _finished(status):
            await self._release(pods)
            return None
        rule_failure = await self._account(job, pods)
        spec = job.get("spec") or {}
        now = self.clock.now()
        active = [p for p in pods if podcontrol.active(p)]
        terminating = [p for p in pods if podcontrol.terminating(p)]
        if spec.get("suspend"):
            await self._suspend(job, active)
            return None
        if _condition(status, "Suspended", "True"):
            _set(status, "Suspended", "False", "JobResumed", "Job resumed", now)
            status["startTime"] = rfc3339(now)
        status.setdefault("startTime", rfc3339(now))
        ending = _target(status)
        if ending is None:
            ending = rule_failure or self._failure(job, now) or self._success(job, active)
            if ending is not None:
                kind, reason, message = ending
                _set(status, kind, "True", reason, message, now)
        wait = None
        if ending is not None:
            for pod in active:
                await self._delete(key, job, pod)
            if not active and not terminating:
                final = "Failed" if ending[0] == "FailureTarget" else "Complete"
                _set(status, final, "True", ending[1], ending[2], now)
                if final == "Complete":
                    status["completionTime"] = rfc3339(now)
        elif self.expectations.satisfied(key):
            wait = await self._manage(key, job, active)
        self._counts(status, pods)
        await self._write_status(job, cached)
        deadline = spec.get("activeDeadlineSeconds")
        if ending is None and deadline is not None:
            started = parse_time(status.get("startTime")) or now
            left = started + int(deadline) - now
            wait = left if wait is None else min(wait, left)
        return wait

    async def _account(self, job: Obj, pods: list[Obj]) -> tuple[str, str, str] | None:
        """Counts finished pods through uncountedTerminatedPods; returns a FailJob rule's verdict."""
        status = job["status"]
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        succeeded_uids = set(uncounted.get("succeeded") or ())
        failed_uids = set(uncounted.get("failed") or ())
        verdict = None
        fresh: list[Obj] = []
        for pod in pods:
            uid = pod["metadata"]["uid"]
            if TRACKING not in (pod["metadata"].get("finalizers") or ()) or uid in succeeded_uids | failed_uids:
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Succeeded":
                succeeded_uids.add(uid)
            elif phase == "Failed" or pod["metadata"].get("deletionTimestamp"):
                if phase != "Failed" and not podcontrol.terminating(pod):
                    continue
                matched = policy.matching_rule(job, pod)
                action = matched[1].get("action") if matched else "Count"
                if action == "FailJob" and verdict is None:
                    verdict = ("FailureTarget", "PodFailurePolicy", _rule_message(pod, matched))  # type: ignore[arg-type]
                if action != "Ignore":
                    failed_uids.add(uid)
            else:
                continue
            fresh.append(pod)
        if verdict is not None and _target(status) is None:  # written with the uids that caused it
            _set(status, verdict[0], "True", verdict[1], verdict[2], self.clock.now())
        if not fresh:
            self._settle(job, pods)
            return verdict
        uncounted["succeeded"], uncounted["failed"] = sorted(succeeded_uids), sorted(failed_uids)
        await self._write_status(job, None)
        await asyncio.gather(*(self._unfinalize(pod) for pod in fresh))
        self._settle(job, pods, released={p["metadata"]["uid"] for p in fresh})
        return verdict

    def _settle(self, job: Obj, pods: list[Obj], *, released: frozenset[str] | set[str] = frozenset()) -> None:
        """Moves uncounted uids whose pods lost their finalizer (or are gone) into the counts."""
        status = job["status"]
        uncounted = status.get("uncountedTerminatedPods") or {}
        holding = {p["metadata"]["uid"] for p in pods
                   if TRACKING in (p["metadata"].get("finalizers") or ()) and p["metadata"]["uid"] not in released}
        by_uid = {p["metadata"]["uid"]: p for p in pods}
        indexes = policy.parse_indexes(status.get("completedIndexes"))
        for field, key in (("succeeded", "succeeded"), ("failed", "failed")):
            left = []
            for uid in uncounted.get(key) or ():
                if uid in holding:
                    left.append(uid)
                    continue
                status[field] = int(status.get(field) or 0) + 1
                index = policy.index_of(by_uid[uid]) if uid in by_uid else None
                if key == "succeeded" and index is not None:
                    indexes.add(index)
            uncounted[key] = left
        if _indexed(job):
            status["completedIndexes"] = policy.format_indexes(indexes)

    def _failure(self, job: Obj, now: float) -> tuple[str, str, str] | None:
        spec = job.get("spec") or {}
        status = job["status"]
        if int(status.get("failed") or 0) > int(spec.get("backoffLimit", 6)):
            return "FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"
        deadline = spec.get("activeDeadlineSeconds")
        started = parse_time(status.get("startTime"))
        if deadline is not None and started is not None and now - started >= int(deadline):
            return "FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"
        return None

    def _success(self, job: Obj, active: list[Obj]) -> tuple[str, str, str] | None:
        spec = job.get("spec") or {}
        status = job["status"]
        succeeded = int(status.get("succeeded") or 0)
        completions = spec.get("completions")
        if _indexed(job):
            done = len(policy.parse_indexes(status.get("completedIndexes"))) >= int(completions or 0)
        elif completions is None:
            done = succeeded > 0 and not active
        else:
            done = succeeded >= int(completions)
        if done:
            return "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"
        return None

    async def _manage(self, key: str, job: Obj, active: list[Obj]) -> float | None:
        spec = job.get("spec") or {}
        status = job["status"]
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        succeeded = int(status.get("succeeded") or 0)
        if _indexed(job):
            done = policy.parse_indexes(status.get("completedIndexes"))
            running = {policy.index_of(p) for p in active}
            pending = [i for i in range(int(completions or 0)) if i not in done and i not in running]
            wanted = min(parallelism, len(active) + len(pending))
        else:
            if completions is None:  # a work queue: once one pod succeeded, no more are started
                wanted = 0 if succeeded else parallelism
            else:
                wanted = min(parallelism, max(int(completions) - succeeded, 0))
            pending = []
        if len(active) > wanted:
            victims = pods_to_delete(active, [], len(active) - wanted, now=self.clock.now())
            self.expectations.expect_deletions(key, [object_key(p) for p in victims])
            for pod in victims:
                await self._delete(key, job, pod)
            return None
        missing = wanted - len(active)
        if missing <= 0:
            return None
        failed = int(status.get("failed") or 0)
        last_failure = self._last_failure(job) if failed else None
        if last_failure is not None:
            delay = policy.backoff(failed) - (self.clock.now() - last_failure)
            if delay > 0:
                return delay
        self.expectations.expect_creations(key, missing)
        indexes = iter(pending)
        done_count, failure = await podcontrol.slow_start(missing, lambda: self._create(job, next(indexes, None)),
                                                          gate=self.context.writes)
        for _ in range(missing - done_count):
            self.expectations.creation_observed(key)
        if failure is not None:
            raise failure
        return None

    def _last_failure(self, job: Obj) -> float | None:
        """When the Job's latest failed pod finished, from its containers."""
        latest = None
        for pod in self.pods.indexer.by_index(BY_CONTROLLER, job["metadata"]["uid"]):
            if (pod.get("status") or {}).get("phase") != "Failed":
                continue
            for entry in (pod.get("status") or {}).get("containerStatuses") or ():
                finished = parse_time(((entry.get("state") or {}).get("terminated") or {}).get("finishedAt"))
                if finished is not None and (latest is None or finished > latest):
                    latest = finished
        return latest

    async def _create(self, job: Obj, index: int | None) -> None:
        template = copy.deepcopy((job.get("spec") or {}).get("template") or {})
        pod = podcontrol.pod_from_template(template, job)
        pod["metadata"]["finalizers"] = [*(pod["metadata"].get("finalizers") or ()), TRACKING]
        if index is not None:
            name = job["metadata"]["name"]
            pod["metadata"]["generateName"] = f"{name}-{index}-"
            pod["metadata"]["annotations"] = {**(pod["metadata"].get("annotations") or {}),
                                              policy.INDEX_ANNOTATION: str(index)}
            pod["metadata"]["labels"] = {**(pod["metadata"].get("labels") or {}), policy.INDEX_ANNOTATION: str(index)}
            spec = pod["spec"]
            if spec.get("subdomain"):
                spec["hostname"] = f"{name}-{index}"
            env = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
                "fieldPath": f"metadata.annotations['{policy.INDEX_ANNOTATION}']"}}}
            for kind in ("initContainers", "containers"):
                for container in spec.get(kind) or ():
                    container["env"] = [*(container.get("env") or ()), env]
        try:
            made = await self.client.create(PODS, pod, namespace=job["metadata"]["namespace"])
        except errors.ClientError as error:
            if podcontrol.namespace_terminating(error):
                return
            self.recorder.event(job, type="Warning", reason="FailedCreate", action="Create",
                                note=f"Error creating: {error}")
            raise
        self.recorder.event(job, reason="SuccessfulCreate", action="Create",
                            note=f"Created pod: {made['metadata']['name']}")

    async def _delete(self, key: str, job: Obj, pod: Obj) -> None:
        try:
            await self.client.delete(PODS, pod["metadata"]["name"], namespace=pod["metadata"]["namespace"],
                                     preconditions={"uid": pod["metadata"]["uid"]})
        except (errors.NotFound, errors.Conflict):
            self.expectations.deletion_observed(key, object_key(pod))
            return
        self.recorder.event(job, reason="SuccessfulDelete", action="Delete",
                            note=f"Deleted pod: {pod['metadata']['name']}")

    async def _suspend(self, job: Obj, active: list[Obj]) -> None:
        key = object_key(job)
        for pod in active:
            await self._delete(key, job, pod)
        status = job["status"]
        if not _condition(status, "Suspended", "True"):
            _set(status, "Suspended", "True", "JobSuspended", "Job suspended", self.clock.now())
            self.recorder.event(job, reason="Suspended", action="Suspend", note="Job suspended")
        self._counts(status, [])
        await self._write_status(job, None)

    async def _unfinalize(self, pod: Obj) -> None:
        finalizers = [f for f in pod["metadata"].get("finalizers") or () if f != TRACKING]
        try:
            await self.client.patch(PODS, pod["metadata"]["name"], {"metadata": {
                "finalizers": finalizers or None, "resourceVersion": pod["metadata"]["resourceVersion"]}},
                namespace=pod["metadata"]["namespace"])
        except errors.NotFound:
            pass
        except errors.Conflict:
            fresh = await self.client.get(PODS, pod["metadata"]["name"], namespace=pod["metadata"]["namespace"])
            await self._unfinalize(fresh)

    async def _release(self, pods: list[Obj]) -> None:
        """A finished Job lets go of whatever pods still carry its finalizer."""
        held = [p for p in pods if TRACKING in (p["metadata"].get("finalizers") or ())]
        await asyncio.gather(*(self._unfinalize(p) for p in held))

    def _counts(self, status: Obj, pods: list[Obj]) -> None:
        active = [p for p in pods if podcontrol.active(p)]
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if podcontrol.ready_since(p) is not None)
        status["terminating"] = sum(1 for p in pods if podcontrol.terminating(p))

    async def _write_status(self, job: Obj, cached: Obj | None) -> None:
        if cached is not None and _same(cached.get("status") or {}, job["status"]):
            return
        try:
            updated = await self.client.update(JOBS, job, subresource="status")
        except errors.NotFound:
            return
        job["metadata"] = {**job["metadata"], "resourceVersion": updated["metadata"]["resourceVersion"]}


async def _fresh(client: Client, job: Obj) -> bool:
    try:
        fresh = await client.get(JOBS, job["metadata"]["name"], namespace=job["metadata"]["namespace"])
    except errors.NotFound:
        return False
    return fresh["metadata"].get("uid") == job["metadata"]["uid"] and not fresh["metadata"].get("deletionTimestamp")


def _indexed(job: Obj) -> bool:
    return (job.get("spec") or {}).get("completionMode") == "Indexed"


def _condition(status: Obj, kind: str, state: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == state for c in status.get("conditions") or ())


def _finished(status: Obj) -> bool:
    return _condition(status, "Complete", "True") or _condition(status, "Failed", "True")


def _target(status: Obj) -> tuple[str, str, str] | None:
    for condition in status.get("conditions") or ():
        if condition.get("type") in ("FailureTarget", "SuccessCriteriaMet") and condition.get("status") == "True":
            return condition["type"], condition.get("reason", ""), condition.get("message", "")
    return None


def _set(status: Obj, kind: str, state: str, reason: str, message: str, now: float) -> None:
    stamp = rfc3339(now)
    conditions = [c for c in status.get("conditions") or () if c.get("type") != kind]
    conditions.append({"type": kind, "status": state, "lastProbeTime": stamp, "lastTransitionTime": stamp,
                       "reason": reason, "message": message})
    status["conditions"] = conditions


def _rule_message(pod: Obj, matched: tuple[int, Obj]) -> str:
    index, rule = matched
    where = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
    codes = rule.get("onExitCodes")
    found = policy.failing_exit(codes, pod) if codes is not None else None
    if found is not None:
        return f"Container {found[0]} for pod {where} failed with exit code {found[1]} matching FailJob rule at " \
               f"index {index}"
    return f"Pod {where} has condition matching FailJob rule at index {index}"


def _same(a: Obj, b: Obj) -> bool:
    keys = ("active", "ready", "terminating", "succeeded", "failed", "startTime", "completionTime",
            "completedIndexes")
    if any((a.get(k) or 0) != (b.get(k) or 0) for k in keys):
        return False
    uncounted_a, uncounted_b = a.get("uncountedTerminatedPods") or {}, b.get("uncountedTerminatedPods") or {}
    if any((uncounted_a.get(k) or []) != (uncounted_b.get(k) or []) for k in ("succeeded", "failed")):
        return False
    return (a.get("conditions") or []) == (b.get("conditions") or [])

