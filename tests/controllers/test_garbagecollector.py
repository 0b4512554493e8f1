"""The garbage collector, with the ReplicaSet controller, against a real API server: each
propagation policy, and dependents of owners that do not exist."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, NAMESPACES, PODS, REPLICASETS
from myriad.controllers.manager import ControllerManager
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import live, replicaset, until


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("replicaset-controller", "garbage-collector-controller")) as built:
        yield built


async def gone(client: Client, resource, name: str, ns: str) -> bool:  # noqa: ANN001
    try:
        await client.get(resource, name, namespace=ns)
    except errors.NotFound:
        return True
    return False


async def no_pods(client: Client, ns: str, selector: str) -> bool:
    return not (await client.list(PODS, namespace=ns, label_selector=selector))["items"]


async def test_deleting_an_owner_in_the_background_collects_its_dependents(
        client: Client, manager: ControllerManager) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "gc-background"}})
    await client.create(REPLICASETS, replicaset("web", 3), namespace="gc-background")
    await live(client, "gc-background", "app=web", 3)
    await client.delete(REPLICASETS, "web", namespace="gc-background", propagation_policy="Background")
    await until(lambda: no_pods(client, "gc-background", "app=web"), "the pods collected")


async def test_orphan_propagation_keeps_the_dependents_without_their_reference(
        client: Client, manager: ControllerManager) -> None:
    ns = "gc-orphan"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    await client.create(REPLICASETS, replicaset("keep", 2), namespace=ns)
    await live(client, ns, "app=keep", 2)
    await client.delete(REPLICASETS, "keep", namespace=ns, propagation_policy="Orphan")
    await until(lambda: gone(client, REPLICASETS, "keep", ns), "the ReplicaSet gone")
    pods = (await client.list(PODS, namespace=ns, label_selector="app=keep"))["items"]
    assert len(pods) == 2 and not any(p["metadata"].get("ownerReferences") for p in pods)


async def test_foreground_deletion_waits_for_the_dependents_then_the_owner_goes(
        client: Client, manager: ControllerManager) -> None:
    ns = "gc-foreground"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    await client.create(REPLICASETS, replicaset("fg", 2), namespace=ns)
    pods = await live(client, ns, "app=fg", 2)
    blocker = pods[0]["metadata"]["name"]
    await client.patch(PODS, blocker, {"metadata": {"finalizers": ["test/hold"]}}, namespace=ns)
    await client.delete(REPLICASETS, "fg", namespace=ns, propagation_policy="Foreground")

    async def waiting() -> bool:
        rs = await client.get(REPLICASETS, "fg", namespace=ns)
        return "foregroundDeletion" in (rs["metadata"].get("finalizers") or []) and \
            bool((await client.get(PODS, blocker, namespace=ns))["metadata"].get("deletionTimestamp"))
    await until(waiting, "the owner waiting on a dependent being deleted")
    await asyncio.sleep(0.5)
    assert not await gone(client, REPLICASETS, "fg", ns)  # the held pod still blocks it
    await client.patch(PODS, blocker, {"metadata": {"finalizers": None}}, namespace=ns)
    await until(lambda: gone(client, REPLICASETS, "fg", ns), "the owner gone once its dependents went")


async def test_dependents_of_an_owner_that_does_not_exist_are_collected(
        client: Client, manager: ControllerManager) -> None:
    ns = "gc-dangling"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    owner = await client.create(CONFIGMAPS, {"metadata": {"name": "owner"}}, namespace=ns)

    def owned_by(name: str, uid: str) -> dict:
        return {"metadata": {"name": name, "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid}]}}
    await client.create(CONFIGMAPS, owned_by("kept", owner["metadata"]["uid"]), namespace=ns)
    await client.create(CONFIGMAPS, owned_by("stray", "00000000-0000-0000-0000-000000000000"), namespace=ns)
    await until(lambda: gone(client, CONFIGMAPS, "stray", ns), "the dependent of a missing owner collected")
    assert not await gone(client, CONFIGMAPS, "kept", ns)
    await client.delete(CONFIGMAPS, "owner", namespace=ns)
    await until(lambda: gone(client, CONFIGMAPS, "kept", ns), "the dependent collected after its owner")
