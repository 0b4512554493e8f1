"""The example controller against a real API server: it keeps a ConfigMap of pods per namespace."""

from __future__ import annotations

import asyncio

from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, NAMESPACES, PODS
from myriad.controllers.namespacecounts import NAME, NamespaceCounts


async def held(client: Client) -> dict[str, str]:
    try:
        return (await client.get(CONFIGMAPS, NAME, namespace="default"))["data"]
    except Exception:
        return {}


async def eventually_equal(client: Client, expect: dict[str, str], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while (found := await held(client)) != expect:
        assert asyncio.get_running_loop().time() < deadline, f"ConfigMap holds {found}, not {expect}"
        await asyncio.sleep(0.05)


def pod(name: str, namespace: str) -> dict:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": {"containers": [{"name": "c", "image": "i"}]}}


async def test_the_configmap_follows_namespaces_and_their_pods(client: Client) -> None:
    controller = NamespaceCounts(client, namespace="default")
    running = asyncio.create_task(controller.run())
    try:
        base = {ns["metadata"]["name"]: "0" for ns in (await client.list(NAMESPACES))["items"]}
        await eventually_equal(client, base)
        await client.create(NAMESPACES, {"metadata": {"name": "team-a"}})
        for n in range(3):
            await client.create(PODS, pod(f"p{n}", "team-a"))
        await client.create(PODS, pod("solo", "default"))
        await eventually_equal(client, base | {"team-a": "3", "default": "1"})
        await client.delete(PODS, "p0", namespace="team-a", grace_period_seconds=0)
        await eventually_equal(client, base | {"team-a": "2", "default": "1"})
        await client.patch(CONFIGMAPS, NAME, {"data": {"team-a": "99", "bogus": "1"}}, namespace="default")
        await eventually_equal(client, base | {"team-a": "2", "default": "1"})  # drift is repaired
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
