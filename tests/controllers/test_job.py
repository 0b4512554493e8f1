"""The Job controller against a real API server; a stand-in kubelet finishes the pods as each
test says. Pure rules as tables first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import NAMESPACES, PODS, PatchType
from myriad.controllers.command import ManagerRunOptions, build
from myriad.controllers.job.controller import JOBS, TRACKING
from myriad.controllers.job.policy import backoff, format_indexes, matching_rule, parse_indexes
from myriad.controllers.manager import ControllerManager
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import until


@pytest.mark.parametrize(("failures", "seconds"), [(0, 0), (1, 10), (2, 20), (3, 40), (7, 600), (30, 600)])
def test_back_off_doubles_from_10_s_to_10_minutes(failures: int, seconds: float) -> None:
    assert backoff(failures) == seconds


@pytest.mark.parametrize(("indexes", "text"), [(set(), ""), ({0}, "0"), ({1, 3, 4, 5, 9}, "1,3-5,9")])
def test_completed_indexes_are_compressed_as_upstream(indexes: set[int], text: str) -> None:
    assert format_indexes(indexes) == text and parse_indexes(text) == indexes


def failed_pod(code: int, *, name: str = "main", conditions: list | None = None) -> dict:
    return {"status": {"phase": "Failed", "conditions": conditions or [], "containerStatuses": [
        {"name": "side", "state": {"terminated": {"exitCode": 0}}},
        {"name": name, "state": {"terminated": {"exitCode": code}}}]}}


RULES = {"spec": {"podFailurePolicy": {"rules": [
    {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}},
    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
    {"action": "Count", "onExitCodes": {"operator": "NotIn", "values": [1]}}]}}}


@pytest.mark.parametrize(("pod", "rule"), [
    (failed_pod(42), 0),
    (failed_pod(42, name="other"), 2),  # the first rule names another container; NotIn [1] matches 42
    (failed_pod(1, conditions=[{"type": "DisruptionTarget", "status": "True"}]), 1),
    (failed_pod(1), None),
])
def test_pod_failure_policy_rules_match_in_order(pod: dict, rule: int | None) -> None:
    matched = matching_rule(RULES, pod)
    assert (matched[0] if matched else None) == rule


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("job-controller",)) as built:
        yield built


async def finish(client: Client, ns: str, outcome: Callable[[dict], tuple[str, int] | None],
                 stop: asyncio.Event) -> None:
    """The stand-in kubelet: ends each new pod as ``outcome(pod)`` says (phase and exit code)."""
    while not stop.is_set():
        for pod in (await client.list(PODS, namespace=ns))["items"]:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") or pod["metadata"].get(
                    "deletionTimestamp"):
                continue
            decided = outcome(pod)
            if decided is None:
                continue
            phase, code = decided
            terminated = {"exitCode": code, "finishedAt": "2026-12-03T00:00:00Z"}
            try:
                await client.patch(PODS, pod["metadata"]["name"], {"status": {"phase": phase, "containerStatuses": [
                    {"name": "c", "state": {"terminated": terminated}, "ready": False, "restartCount": 0,
                     "image": "i", "imageID": ""}]}}, patch_type=PatchType.STRATEGIC, namespace=ns,
                    subresource="status")
            except errors.NotFound:
                pass
        await asyncio.sleep(0.05)


def job(name: str, **spec: object) -> dict:
    return {"metadata": {"name": name}, "spec": {"template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "c", "image": "i"}]}}, **spec}}


async def condition(client: Client, ns: str, name: str, kind: str) -> dict | None:
    found = await client.get(JOBS, name, namespace=ns)
    return found if any(c["type"] == kind and c["status"] == "True"
                        for c in (found.get("status") or {}).get("conditions") or ()) else None


async def test_a_job_runs_its_completions_in_parallel_and_completes(
        client: Client, manager: ControllerManager) -> None:
    ns = "job-complete"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    stop = asyncio.Event()
    kubelet = asyncio.create_task(finish(client, ns, lambda pod: ("Succeeded", 0), stop))
    try:
        await client.create(JOBS, job("work", completions=5, parallelism=2), namespace=ns)
        done = await until(lambda: condition(client, ns, "work", "Complete"), "Complete", 30)
    finally:
        stop.set()
        await kubelet
    status = done["status"]
    assert status["succeeded"] == 5 and not status.get("failed") and status["completionTime"]
    assert {c["type"] for c in status["conditions"]} == {"SuccessCriteriaMet", "Complete"}
    assert next(c for c in status["conditions"] if c["type"] == "Complete")["reason"] == "CompletionsReached"
    pods = (await client.list(PODS, namespace=ns))["items"]
    assert len(pods) == 5 and not any(TRACKING in (p["metadata"].get("finalizers") or ()) for p in pods)


async def test_an_indexed_job_runs_each_index_once(client: Client, manager: ControllerManager) -> None:
    ns = "job-indexed"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    stop = asyncio.Event()
    kubelet = asyncio.create_task(finish(client, ns, lambda pod: ("Succeeded", 0), stop))
    try:
        await client.create(JOBS, job("idx", completions=4, parallelism=4, completionMode="Indexed"), namespace=ns)
        done = await until(lambda: condition(client, ns, "idx", "Complete"), "Complete", 30)
    finally:
        stop.set()
        await kubelet
    assert done["status"]["completedIndexes"] == "0-3"
    pods = (await client.list(PODS, namespace=ns))["items"]
    indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
    assert indexes == ["0", "1", "2", "3"]
    for pod in pods:
        index = pod["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"]
        assert pod["metadata"]["name"].startswith(f"idx-{index}-")
    env = pods[0]["spec"]["containers"][0]["env"]
    assert env == [{"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "apiVersion": "v1", "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}]


async def test_failures_beyond_the_backoff_limit_fail_the_job(client: Client, manager: ControllerManager) -> None:
    ns = "job-backoff"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    stop = asyncio.Event()
    kubelet = asyncio.create_task(finish(client, ns, lambda pod: ("Failed", 1), stop))
    try:
        await client.create(JOBS, job("flaky", backoffLimit=0), namespace=ns)
        failed = await until(lambda: condition(client, ns, "flaky", "Failed"), "Failed", 30)
    finally:
        stop.set()
        await kubelet
    reason = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert (reason["reason"], reason["message"]) == \
        ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert failed["status"]["failed"] == 1


async def test_a_fail_job_rule_fails_the_job_at_once(client: Client, manager: ControllerManager) -> None:
    ns = "job-policy"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    stop = asyncio.Event()
    kubelet = asyncio.create_task(finish(client, ns, lambda pod: ("Failed", 42), stop))
    try:
        await client.create(JOBS, job("strict", backoffLimit=6, podFailurePolicy={"rules": [
            {"action": "FailJob", "onExitCodes": {"containerName": "c", "operator": "In", "values": [42]}}]}),
            namespace=ns)
        failed = await until(lambda: condition(client, ns, "strict", "Failed"), "Failed", 30)
    finally:
        stop.set()
        await kubelet
    reason = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert reason["reason"] == "PodFailurePolicy"
    assert reason["message"].startswith("Container c for pod job-policy/strict-") and \
        reason["message"].endswith("failed with exit code 42 matching FailJob rule at index 0")


async def test_an_active_deadline_fails_the_job_and_deletes_its_pods(
        client: Client, manager: ControllerManager) -> None:
    ns = "job-deadline"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    await client.create(JOBS, job("slow", parallelism=2, completions=2, activeDeadlineSeconds=1), namespace=ns)
    failed = await until(lambda: condition(client, ns, "slow", "Failed"), "Failed", 30)
    reason = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert reason["reason"] == "DeadlineExceeded"
    assert not [p for p in (await client.list(PODS, namespace=ns))["items"] if not p["metadata"].get(
        "deletionTimestamp")]


async def test_a_suspended_job_has_no_pods_until_resumed(client: Client, manager: ControllerManager) -> None:
    ns = "job-suspend"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    await client.create(JOBS, job("later", suspend=True), namespace=ns)
    await until(lambda: condition(client, ns, "later", "Suspended"), "Suspended")
    assert not (await client.list(PODS, namespace=ns))["items"]
    await client.patch(JOBS, "later", {"spec": {"suspend": False}}, namespace=ns)

    async def running() -> bool:
        return len((await client.list(PODS, namespace=ns))["items"]) == 1
    await until(running, "a pod once resumed")
    resumed = await client.get(JOBS, "later", namespace=ns)
    suspended = next(c for c in resumed["status"]["conditions"] if c["type"] == "Suspended")
    assert (suspended["status"], suspended["reason"]) == ("False", "JobResumed")


async def test_a_finished_job_with_a_ttl_is_deleted_with_its_pods(client: Client) -> None:
    built = await build(client, ManagerRunOptions(servers=client.options.endpoints),
                        ("job-controller", "ttl-after-finished-controller", "garbage-collector-controller"))
    running = asyncio.create_task(built.run())
    ns = "job-ttl"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    stop = asyncio.Event()
    kubelet = asyncio.create_task(finish(client, ns, lambda pod: ("Succeeded", 0), stop))
    try:
        await asyncio.wait_for(built.leading.wait(), 30)
        await client.create(JOBS, job("brief", ttlSecondsAfterFinished=1), namespace=ns)
        await until(lambda: condition(client, ns, "brief", "Complete"), "Complete", 30)

        async def gone() -> bool:
            try:
                await client.get(JOBS, "brief", namespace=ns)
            except errors.NotFound:
                return not (await client.list(PODS, namespace=ns))["items"]
            return False
        await until(gone, "the Job and its pod deleted after its TTL", 30)
    finally:
        stop.set()
        await kubelet
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
