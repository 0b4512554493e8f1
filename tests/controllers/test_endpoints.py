"""The Endpoints and EndpointSlice controllers against a real API server: contents, slices of at
most 100, the Endpoints cap of 1,000 addresses, and clean-up with the Service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from myriad.api.meta import rfc3339
from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import NAMESPACES, NODES, PODS, SERVICES, PatchType
from myriad.controllers.endpoints import ENDPOINTS
from myriad.controllers.endpointslice import ENDPOINTSLICES
from myriad.controllers.manager import ControllerManager
from myriad.controllers.types import ControllerSettings
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import until


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    names = ("endpoints-controller", "endpointslice-controller", "garbage-collector-controller")
    async with running(client, names, ControllerSettings(endpoint_updates_batch_period=0.2)) as built:
        yield built


async def pod(client: Client, ns: str, name: str, ip: str | None, *, ready: bool = True, app: str = "web") -> dict:
    made = await client.create(PODS, {"metadata": {"name": name, "labels": {"app": app}}, "spec": {
        "nodeName": "zoned", "containers": [{"name": "c", "image": "i", "ports": [
            {"name": "http", "containerPort": 8080}]}]}}, namespace=ns)
    if ip is not None:
        condition = {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": rfc3339()}
        await client.patch(PODS, name, {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                                                   "conditions": [condition]}},
                           patch_type=PatchType.STRATEGIC, namespace=ns, subresource="status")
    return made


def service(name: str, app: str = "web") -> dict:
    return {"metadata": {"name": name, "labels": {"tier": "front"}}, "spec": {
        "selector": {"app": app}, "ports": [{"port": 80, "targetPort": "http"}]}}


async def slices_of(client: Client, ns: str, name: str) -> list[dict]:
    return (await client.list(ENDPOINTSLICES, namespace=ns, label_selector=f"kubernetes.io/service-name={name}"))[
        "items"]


async def test_a_services_pods_become_endpoints_and_endpoint_slices(client: Client, manager: ControllerManager) -> None:
    ns = "ep-basic"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    try:
        await client.create(NODES, {"metadata": {"name": "zoned", "labels": {"topology.kubernetes.io/zone": "z1"}}})
    except errors.AlreadyExists:
        pass
    for i in range(3):
        await pod(client, ns, f"ready-{i}", f"10.1.0.{i + 1}")
    await pod(client, ns, "unready", "10.1.0.9", ready=False)
    await pod(client, ns, "no-ip", None)
    await pod(client, ns, "other", "10.1.0.20", app="other")
    svc = await client.create(SERVICES, service("web"), namespace=ns)

    async def sliced() -> list[dict] | None:
        found = await slices_of(client, ns, "web")
        return found if found and sum(len(s.get("endpoints") or []) for s in found) == 4 else None
    [endpoint_slice] = await until(sliced, "one slice of four endpoints")
    assert endpoint_slice["addressType"] == "IPv4"
    assert endpoint_slice["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]
    assert endpoint_slice["metadata"]["labels"] == {"tier": "front", "kubernetes.io/service-name": "web",
                                                    "endpointslice.kubernetes.io/managed-by":
                                                        "endpointslice-controller.k8s.io"}
    assert endpoint_slice["metadata"]["ownerReferences"][0]["uid"] == svc["metadata"]["uid"]
    by_ip = {e["addresses"][0]: e for e in endpoint_slice["endpoints"]}
    assert by_ip["10.1.0.1"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert by_ip["10.1.0.9"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert by_ip["10.1.0.1"]["nodeName"] == "zoned" and by_ip["10.1.0.1"]["zone"] == "z1"
    assert by_ip["10.1.0.1"]["targetRef"]["name"] == "ready-0"

    async def endpoints() -> dict | None:
        try:
            found = await client.get(ENDPOINTS, "web", namespace=ns)
        except errors.NotFound:
            return None
        return found if len((found.get("subsets") or [{}])[0].get("addresses") or []) == 3 else None
    subset = (await until(endpoints, "the Endpoints object"))["subsets"][0]
    assert sorted(a["ip"] for a in subset["addresses"]) == ["10.1.0.1", "10.1.0.2", "10.1.0.3"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.1.0.9"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP"}]
    versions = (endpoint_slice["metadata"]["resourceVersion"],
                (await client.get(ENDPOINTS, "web", namespace=ns))["metadata"]["resourceVersion"])
    await client.patch(PODS, "other", {"metadata": {"labels": {"touch": "1"}}}, namespace=ns)  # unrelated
    await client.patch(PODS, "ready-0", {"metadata": {"labels": {"touch": "1"}}}, namespace=ns)  # no endpoint change
    await asyncio.sleep(1.0)
    assert ((await slices_of(client, ns, "web"))[0]["metadata"]["resourceVersion"],
            (await client.get(ENDPOINTS, "web", namespace=ns))["metadata"]["resourceVersion"]) == versions
    await client.delete(SERVICES, "web", namespace=ns)

    async def cleaned() -> bool:
        try:
            await client.get(ENDPOINTS, "web", namespace=ns)
            return False
        except errors.NotFound:
            return not await slices_of(client, ns, "web")
    await until(cleaned, "the Endpoints and slices gone with the Service")


async def test_a_relabelled_pod_joins_and_leaves_services_whose_selectors_share_labels(
        client: Client, manager: ControllerManager) -> None:
    ns = "ep-relabel"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    for name, selector in (("both", {"zone": "a", "app": "api"}), ("zone", {"zone": "a"})):
        await client.create(SERVICES, {"metadata": {"name": name}, "spec": {
            "selector": selector, "ports": [{"port": 80, "targetPort": 8080}]}}, namespace=ns)
    pods = (("p1", {"app": "api", "zone": "a"}, "10.3.0.1"), ("p2", {"zone": "a"}, "10.3.0.2"),
            ("p3", {"app": "api", "zone": "c"}, "10.3.0.3"))  # shares one pair with each Service
    for name, labels, ip in pods:
        await client.create(PODS, {"metadata": {"name": name, "labels": labels}, "spec": {
            "nodeName": "zoned", "containers": [{"name": "c", "image": "i"}]}}, namespace=ns)
        ready = {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339()}
        await client.patch(PODS, name, {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                                                   "conditions": [ready]}},
                           patch_type=PatchType.STRATEGIC, namespace=ns, subresource="status")

    async def addresses(service: str, wanted: list[str]) -> None:
        async def check() -> bool:
            try:
                found = await client.get(ENDPOINTS, service, namespace=ns)
            except errors.NotFound:
                return False
            return sorted(a["ip"] for s in found.get("subsets") or [] for a in s.get("addresses") or []) == wanted
        await until(check, f"{service}'s addresses {wanted}")
    await addresses("both", ["10.3.0.1"])
    await addresses("zone", ["10.3.0.1", "10.3.0.2"])
    await client.patch(PODS, "p2", {"metadata": {"labels": {"app": "api"}}}, namespace=ns)  # now in both
    await addresses("both", ["10.3.0.1", "10.3.0.2"])
    await client.patch(PODS, "p1", {"metadata": {"labels": {"zone": "b"}}}, namespace=ns)  # in neither
    await addresses("both", ["10.3.0.2"])
    await addresses("zone", ["10.3.0.2"])


async def test_many_pods_fill_slices_of_100_and_the_endpoints_object_stops_at_1000(
        client: Client, manager: ControllerManager) -> None:
    ns = "ep-many"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    await client.create(SERVICES, service("big"), namespace=ns)
    await asyncio.gather(*(pod(client, ns, f"p{i}", f"10.2.{i // 250}.{i % 250 + 1}") for i in range(1050)))

    async def sliced() -> list[int] | None:
        sizes = sorted(len(s.get("endpoints") or []) for s in await slices_of(client, ns, "big"))
        return sizes if sum(sizes) == 1050 else None
    sizes = await until(sliced, "1,050 endpoints in slices", 60)
    assert max(sizes) == 100 and len(sizes) == 11

    async def capped() -> dict | None:
        try:
            found = await client.get(ENDPOINTS, "big", namespace=ns)
        except errors.NotFound:
            return None
        return found if sum(len(s.get("addresses") or []) for s in found.get("subsets") or []) == 1000 else None
    endpoints = await until(capped, "the Endpoints capped at 1,000", 60)
    assert endpoints["metadata"]["annotations"]["endpoints.kubernetes.io/over-capacity"] == "truncated"
    await asyncio.gather(*(client.delete(PODS, f"p{i}", namespace=ns, grace_period_seconds=0) for i in range(1050)))

    async def placeholder() -> bool:
        found = await slices_of(client, ns, "big")
        return len(found) == 1 and not found[0].get("endpoints")
    await until(placeholder, "one empty placeholder slice left", 60)
