"""The disruption controller (PodDisruptionBudget status), with the ReplicaSet controller making
pods, against a real API server; evictions go through the real eviction subresource."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import PODDISRUPTIONBUDGETS, PODS, REPLICASETS
from myriad.controllers.manager import ControllerManager
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import live, make_ready, namespace, replicaset, until


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("replicaset-controller", "disruption-controller")) as built:
        yield built


def budget(name: str, app: str, **spec: Any) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": app}}, **spec}}


async def status_is(client: Client, ns: str, name: str, **wanted: Any) -> dict:
    async def check() -> dict | None:
        pdb = await client.get(PODDISRUPTIONBUDGETS, name, namespace=ns)
        status = pdb.get("status") or {}
        current = status.get("observedGeneration") == pdb["metadata"]["generation"]
        return pdb if current and all(status.get(k) == v for k, v in wanted.items()) else None
    return await until(check, f"budget status {wanted}")


async def ready_pods(client: Client, ns: str, app: str, count: int) -> list[dict]:
    pods = await live(client, ns, f"app={app}", count)
    for pod in pods:
        await make_ready(client, pod, since=time.time() - 60)
    return pods


async def evict(client: Client, pod: dict) -> None:
    await client.create(PODS, {"apiVersion": "policy/v1", "kind": "Eviction",
                               "metadata": {"name": pod["metadata"]["name"]}},
                        namespace=pod["metadata"]["namespace"], name=pod["metadata"]["name"], subresource="eviction")


async def test_min_available_allows_the_healthy_pods_beyond_it_and_evictions_spend_them(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "pdb-min")
    await client.create(REPLICASETS, replicaset("web", 3), namespace=ns)
    await client.create(PODDISRUPTIONBUDGETS, budget("web", "web", minAvailable=2), namespace=ns)
    blocked = await status_is(client, ns, "web", expectedPods=3, desiredHealthy=2, currentHealthy=0,
                              disruptionsAllowed=0)
    condition = blocked["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == \
        ("DisruptionAllowed", "False", "InsufficientPods")
    pods = await ready_pods(client, ns, "web", 3)
    allowed = await status_is(client, ns, "web", currentHealthy=3, disruptionsAllowed=1)
    condition = allowed["status"]["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("True", "SufficientPods")
    await evict(client, pods[0])
    with pytest.raises(errors.TooManyRequests):
        await evict(client, pods[1])
    replacement = await live(client, ns, "app=web", 3)
    await status_is(client, ns, "web", currentHealthy=2, disruptionsAllowed=0)
    for pod in replacement:
        await make_ready(client, pod, since=time.time() - 60)
    await status_is(client, ns, "web", currentHealthy=3, disruptionsAllowed=1)


async def test_max_unavailable_counts_the_controllers_scale(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "pdb-max")
    await client.create(REPLICASETS, replicaset("api", 4), namespace=ns)
    await ready_pods(client, ns, "api", 4)
    await client.create(PODDISRUPTIONBUDGETS, budget("api", "api", maxUnavailable="50%"), namespace=ns)
    await status_is(client, ns, "api", expectedPods=4, desiredHealthy=2, currentHealthy=4, disruptionsAllowed=2)
    await client.create(PODDISRUPTIONBUDGETS, budget("api-pct", "api", minAvailable="30%"), namespace=ns)
    await status_is(client, ns, "api-pct", expectedPods=4, desiredHealthy=2, disruptionsAllowed=2)


async def test_a_pod_whose_controller_is_unknown_fails_safe(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "pdb-unknown")
    ref = {"apiVersion": "example.com/v1", "kind": "Widget", "name": "w", "uid": "1234", "controller": True}
    pod = {"metadata": {"name": "odd", "labels": {"app": "odd"}, "ownerReferences": [ref]},
           "spec": {"containers": [{"name": "c", "image": "i"}]}}
    await make_ready(client, await client.create(PODS, pod, namespace=ns), since=time.time() - 60)
    await client.create(PODDISRUPTIONBUDGETS, budget("odd", "odd", maxUnavailable=1), namespace=ns)

    async def failed() -> dict | None:
        pdb = await client.get(PODDISRUPTIONBUDGETS, "odd", namespace=ns)
        conditions = (pdb.get("status") or {}).get("conditions") or []
        return pdb if conditions and conditions[0]["reason"] == "SyncFailed" else None
    pdb = await until(failed, "a SyncFailed condition")
    assert pdb["status"]["disruptionsAllowed"] == 0
    assert 'found no controllers for pod "odd"' in pdb["status"]["conditions"][0]["message"]
