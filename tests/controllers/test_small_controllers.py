"""Node IPAM, the pod garbage collector and the ServiceAccount controller: pure rules as tables,
then against a real API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import EVENTS, NAMESPACES, NODES, PODS, PatchType
from myriad.controllers.command import ManagerRunOptions, build, check
from myriad.controllers.errors import ConfigError
from myriad.controllers.manager import ControllerManager
from myriad.controllers.nodeipam import CIDRSet
from myriad.controllers.serviceaccount import SERVICEACCOUNTS
from myriad.controllers.types import ControllerSettings
from tests.controllers.test_replicaset import until


def test_a_cidr_set_hands_out_each_subnet_once_and_takes_back_what_is_freed() -> None:
    cidrs = CIDRSet("10.250.0.0/22", 24)
    cidrs.mark("10.250.1.0/24", True)
    cidrs.mark("192.168.0.0/24", True)  # outside: ignored
    assert [cidrs.take() for _ in range(4)] == ["10.250.0.0/24", "10.250.2.0/24", "10.250.3.0/24", None]
    cidrs.mark("10.250.2.0/24", False)
    assert cidrs.take() == "10.250.2.0/24"
    v6 = CIDRSet("fd00::/112", 120)
    assert len(v6) == 256 and v6.take() == "fd00::/120"


@pytest.mark.parametrize(("cidr", "mask", "message"), [
    ("10.0.0.0/33", 24, "--cluster-cidr"),
    ("nonsense", 24, "--cluster-cidr"),
    ("10.0.0.0/8", 25, "--node-cidr-mask-size: 25 must be between"),
    ("10.0.0.0/16", 8, "--node-cidr-mask-size"),
])
def test_bad_ipam_flags_are_named(cidr: str, mask: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check(ManagerRunOptions(settings=ControllerSettings(cluster_cidr=cidr, node_cidr_mask_size=mask)))


def test_node_ipam_runs_only_with_a_cluster_cidr() -> None:
    assert "node-ipam-controller" not in check(ManagerRunOptions())
    assert "node-ipam-controller" in check(ManagerRunOptions(settings=ControllerSettings(cluster_cidr="10.0.0.0/16")))


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    try:  # a node holding a CIDR already: marked used when the manager starts leading
        await client.create(NODES, {"metadata": {"name": "preset"}, "spec": {"podCIDR": "10.250.3.0/24",
                                                                            "podCIDRs": ["10.250.3.0/24"]}})
    except errors.AlreadyExists:
        pass
    settings = ControllerSettings(cluster_cidr="10.250.0.0/22", terminated_pod_gc_threshold=2)
    built = await build(client, ManagerRunOptions(servers=client.options.endpoints, settings=settings),
                        ("node-ipam-controller", "pod-garbage-collector-controller", "serviceaccount-controller"))
    built.controllers["pod-garbage-collector-controller"].period = 0.3  # type: ignore[attr-defined]
    task = asyncio.create_task(built.run())
    await asyncio.wait_for(built.leading.wait(), 30)
    yield built
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_nodes_get_distinct_pod_cidrs_and_a_deleted_nodes_is_handed_out_again(
        client: Client, manager: ControllerManager) -> None:
    for name in ("n1", "n2", "n3"):
        await client.create(NODES, {"metadata": {"name": name}})

    async def allocated() -> dict[str, str] | None:
        nodes = (await client.list(NODES))["items"]
        found = {n["metadata"]["name"]: (n.get("spec") or {}).get("podCIDR") for n in nodes}
        return found if all(found.get(n) for n in ("n1", "n2", "n3")) else None
    found = await until(allocated, "three pod CIDRs")
    assert sorted(found[n] for n in ("n1", "n2", "n3")) == ["10.250.0.0/24", "10.250.1.0/24", "10.250.2.0/24"]
    await client.create(NODES, {"metadata": {"name": "n4"}})

    async def refused() -> bool:
        return any(e["reason"] == "CIDRNotAvailable" for e in (await client.list(EVENTS, namespace="default"))["items"])
    await until(refused, "a CIDRNotAvailable event for the fifth node")
    await client.delete(NODES, "n1")

    async def reused() -> str | None:
        return (await client.get(NODES, "n4")).get("spec", {}).get("podCIDR")
    assert await until(reused, "the freed CIDR handed to n4", 30) == found["n1"]


async def test_the_pod_gc_deletes_the_oldest_terminated_pods_beyond_its_threshold_and_pods_of_missing_nodes(
        client: Client, manager: ControllerManager) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "podgc"}})
    for i in range(4):
        await client.create(PODS, {"metadata": {"name": f"done-{i}"}, "spec": {"containers": [
            {"name": "c", "image": "i"}]}}, namespace="podgc")
        await client.patch(PODS, f"done-{i}", {"status": {"phase": "Succeeded"}}, patch_type=PatchType.MERGE,
                           namespace="podgc", subresource="status")
        await asyncio.sleep(1.05)  # creation timestamps have one-second resolution
    await client.create(PODS, {"metadata": {"name": "stranded"}, "spec": {"nodeName": "ghost", "containers": [
        {"name": "c", "image": "i"}]}}, namespace="podgc")

    async def left() -> list[str] | None:
        names = sorted(p["metadata"]["name"] for p in (await client.list(PODS, namespace="podgc"))["items"])
        return names if names == ["done-2", "done-3"] else None
    await until(left, "the two newest terminated pods left, the stranded one gone")


async def test_a_deleted_default_service_account_is_made_again(client: Client, manager: ControllerManager) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "sa-test"}})

    async def made() -> bool:
        try:
            await client.get(SERVICEACCOUNTS, "default", namespace="sa-test")
        except errors.NotFound:
            return False
        return True
    await until(made, "the new namespace's default ServiceAccount")  # the API server makes none
    await client.delete(SERVICEACCOUNTS, "default", namespace="sa-test")
    await until(made, "the default ServiceAccount made again")
