"""The namespace controller, with the others, against a real API server: a deleted namespace
empties, reports upstream's conditions, and goes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, DEPLOYMENTS, NAMESPACES, PODS
from myriad.controllers.manager import ControllerManager
from tests.controllers.conftest import running
from tests.controllers.test_deployment import deployment
from tests.controllers.test_replicaset import until


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("replicaset-controller",
                        "deployment-controller", "namespace-controller", "garbage-collector-controller")) as built:
        yield built


async def gone(client: Client, name: str) -> bool:
    try:
        await client.get(NAMESPACES, name)
    except errors.NotFound:
        return True
    return False


async def test_a_deleted_namespace_empties_and_goes(client: Client, manager: ControllerManager) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "doomed"}})
    await client.create(DEPLOYMENTS, deployment("web", 3), namespace="doomed")
    await client.create(CONFIGMAPS, {"metadata": {"name": "settings"}}, namespace="doomed")

    async def three_pods() -> bool:
        return len((await client.list(PODS, namespace="doomed"))["items"]) == 3
    await until(three_pods, "the deployment's pods")
    await client.delete(NAMESPACES, "doomed")
    await until(lambda: gone(client, "doomed"), "the namespace gone", 30)
    with pytest.raises(errors.NotFound):
        await client.get(CONFIGMAPS, "settings", namespace="doomed")


async def test_content_held_by_a_finalizer_keeps_the_namespace_terminating_with_conditions(
        client: Client, manager: ControllerManager) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "held"}})
    await client.create(CONFIGMAPS, {"metadata": {"name": "kept", "finalizers": ["example.com/hold"]}},
                        namespace="held")
    await client.delete(NAMESPACES, "held")

    async def reported() -> dict | None:
        ns = await client.get(NAMESPACES, "held")
        conditions = {c["type"]: c for c in (ns.get("status") or {}).get("conditions") or ()}
        held = conditions.get("NamespaceFinalizersRemaining")
        return conditions if held is not None and held["status"] == "True" else None
    conditions = await until(reported, "NamespaceFinalizersRemaining")
    assert conditions["NamespaceFinalizersRemaining"]["message"] == \
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    assert conditions["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
    assert conditions["NamespaceContentRemaining"]["message"] == \
        "Some resources are remaining: configmaps has 1 resource instances"
    assert conditions["NamespaceDeletionDiscoveryFailure"]["status"] == "False"
    assert (await client.get(NAMESPACES, "held"))["status"]["phase"] == "Terminating"
    await client.patch(CONFIGMAPS, "kept", {"metadata": {"finalizers": None}}, namespace="held")
    await until(lambda: gone(client, "held"), "the namespace gone once its content went", 30)
