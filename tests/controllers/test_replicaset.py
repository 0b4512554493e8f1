"""The ReplicaSet controller, run by the controller manager against a real API server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from myriad.api.meta import rfc3339
from myriad.client.rest import Client
from myriad.client.types import EVENTS, NAMESPACES, PODS, PRIORITYCLASSES, REPLICASETS, PatchType
from myriad.controllers.manager import ControllerManager
from tests.controllers.conftest import running


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("replicaset-controller",)) as built:
        yield built


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def namespace(client: Client, name: str) -> str:
    await client.create(NAMESPACES, {"metadata": {"name": name}})
    return name


def replicaset(name: str, replicas: int, *, min_ready: int = 0, labels: dict[str, str] | None = None) -> dict:
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "minReadySeconds": min_ready, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": {**labels, "extra": "x"}},
                                  "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}}}


async def pods_of(client: Client, ns: str, selector: str) -> list[dict]:
    return (await client.list(PODS, namespace=ns, label_selector=selector))["items"]


async def live(client: Client, ns: str, selector: str, count: int) -> list[dict]:
    async def check() -> list[dict] | None:
        pods = [p for p in await pods_of(client, ns, selector) if not p["metadata"].get("deletionTimestamp")]
        return pods if len(pods) == count else None
    return await until(check, f"{count} pods matching {selector}")


async def make_ready(client: Client, pod: dict, *, since: float) -> None:
    condition = {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(since)}
    await client.patch(PODS, pod["metadata"]["name"], {"status": {"phase": "Running", "conditions": [condition]}},
                       patch_type=PatchType.STRATEGIC, namespace=pod["metadata"]["namespace"], subresource="status")


async def status_is(client: Client, ns: str, name: str, **wanted: int) -> dict:
    async def check() -> dict | None:
        rs = await client.get(REPLICASETS, name, namespace=ns)
        status = rs.get("status") or {}
        return rs if all((status.get(k) or 0) == v for k, v in wanted.items()) else None
    return await until(check, f"status {wanted}")


async def test_a_replicaset_creates_its_pods_from_the_template_and_reports_them(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "rs-create")
    rs = await client.create(REPLICASETS, replicaset("web", 3), namespace=ns)
    pods = await live(client, ns, "app=web", 3)
    for pod in pods:
        meta = pod["metadata"]
        assert meta["generateName"] == "web-" and meta["name"].startswith("web-")
        assert meta["labels"] == {"app": "web", "extra": "x"}
        assert meta["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                            "uid": rs["metadata"]["uid"], "controller": True,
                                            "blockOwnerDeletion": True}]
    updated = await status_is(client, ns, "web", replicas=3, fullyLabeledReplicas=3, readyReplicas=0)
    assert updated["status"]["observedGeneration"] == updated["metadata"]["generation"]
    await make_ready(client, pods[0], since=time.time() - 60)
    await status_is(client, ns, "web", replicas=3, readyReplicas=1, availableReplicas=1)

    async def created() -> list[dict]:
        return [e for e in (await client.list(EVENTS, namespace=ns))["items"] if e["reason"] == "SuccessfulCreate"]
    events = await until(created, "a SuccessfulCreate event")
    assert events[0]["note"].startswith("Created pod: web-") and events[0]["regarding"]["kind"] == "ReplicaSet"


async def test_scaling_down_deletes_unready_pods_before_ready_ones(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "rs-scale")
    await client.create(REPLICASETS, replicaset("api", 3), namespace=ns)
    pods = await live(client, ns, "app=api", 3)
    kept = pods[1]
    await make_ready(client, kept, since=time.time() - 60)
    await status_is(client, ns, "api", readyReplicas=1)
    await client.patch(REPLICASETS, "api", {"spec": {"replicas": 1}}, namespace=ns)
    left = await live(client, ns, "app=api", 1)
    assert left[0]["metadata"]["uid"] == kept["metadata"]["uid"]
    await status_is(client, ns, "api", replicas=1, readyReplicas=1, availableReplicas=1)


async def test_a_deleted_pod_is_replaced(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "rs-replace")
    await client.create(REPLICASETS, replicaset("db", 2), namespace=ns)
    pods = await live(client, ns, "app=db", 2)
    await client.delete(PODS, pods[0]["metadata"]["name"], namespace=ns, grace_period_seconds=0)
    replaced = await live(client, ns, "app=db", 2)
    assert pods[0]["metadata"]["uid"] not in {p["metadata"]["uid"] for p in replaced}


async def test_an_orphan_it_selects_is_adopted_and_a_pod_it_no_longer_selects_is_released(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "rs-adopt")
    orphan = await client.create(PODS, {"metadata": {"name": "stray", "labels": {"app": "cache"}},
                                        "spec": {"containers": [{"name": "c", "image": "i"}]}}, namespace=ns)
    rs = await client.create(REPLICASETS, replicaset("cache", 2), namespace=ns)
    pods = await live(client, ns, "app=cache", 2)
    assert orphan["metadata"]["uid"] in {p["metadata"]["uid"] for p in pods}
    adopted = await client.get(PODS, "stray", namespace=ns)
    assert adopted["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    await client.patch(PODS, "stray", {"metadata": {"labels": {"app": "elsewhere"}}}, namespace=ns)

    async def released() -> bool:
        return not (await client.get(PODS, "stray", namespace=ns))["metadata"].get("ownerReferences")
    await until(released, "the relabelled pod released")
    await live(client, ns, "app=cache", 2)  # and a replacement made


async def test_min_ready_seconds_holds_availability_back(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "rs-minready")
    await client.create(REPLICASETS, replicaset("slow", 1, min_ready=2), namespace=ns)
    pods = await live(client, ns, "app=slow", 1)
    await make_ready(client, pods[0], since=time.time())
    await status_is(client, ns, "slow", readyReplicas=1, availableReplicas=0)
    await status_is(client, ns, "slow", readyReplicas=1, availableReplicas=1)  # requeued after minReadySeconds


async def test_a_failing_create_sets_replica_failure_and_clears_it_once_it_succeeds(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "rs-failure")
    bad = replicaset("broken", 2)
    bad["spec"]["template"]["spec"]["priorityClassName"] = "rs-test-class"  # missing: the pod create gets 403
    await client.create(REPLICASETS, bad, namespace=ns)

    async def failing() -> dict | None:
        rs = await client.get(REPLICASETS, "broken", namespace=ns)
        conditions = (rs.get("status") or {}).get("conditions") or []
        return rs if any(c["type"] == "ReplicaFailure" and c["reason"] == "FailedCreate" for c in conditions) else None
    await until(failing, "a ReplicaFailure condition")
    await client.create(PRIORITYCLASSES, {"metadata": {"name": "rs-test-class"}, "value": 10})
    await live(client, ns, "app=broken", 2)  # retried with back-off until it succeeds

    async def cleared() -> bool:
        rs = await client.get(REPLICASETS, "broken", namespace=ns)
        return not (rs.get("status") or {}).get("conditions")
    await until(cleared, "the condition gone")


async def test_a_failed_pod_no_longer_counts_and_is_replaced(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "rs-failed")
    await client.create(REPLICASETS, replicaset("web", 2), namespace=ns)
    first = await live(client, ns, "app=web", 2)
    failed = first[0]["metadata"]["name"]
    await client.patch(PODS, failed, {"status": {"phase": "Failed"}}, patch_type=PatchType.STRATEGIC,
                       namespace=ns, subresource="status")

    async def replaced() -> bool:
        pods = await pods_of(client, ns, "app=web")
        running = [p for p in pods if (p.get("status") or {}).get("phase") != "Failed"]
        return len(running) == 2 and failed not in {p["metadata"]["name"] for p in running}
    await until(replaced, "a replacement for the failed pod")
    await status_is(client, ns, "web", replicas=2)
