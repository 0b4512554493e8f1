"""Node lifecycle and taint eviction: pure rules as tables, then silent nodes against a real API
server (short grace periods, a fast eviction rate)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from myriad.api.meta import parse_time, rfc3339, rfc3339_micro
from myriad.api.tolerations import tolerates
from myriad.client.rest import Client
from myriad.client.types import LEASES, NAMESPACES, NODES, PODS
from myriad.controllers.manager import ControllerManager
from myriad.controllers.nodelifecycle import FULL, NORMAL, PARTIAL, zone_state
from myriad.controllers.tainteviction import due
from myriad.controllers.types import ControllerSettings
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import until

NOW = 1_800_000_000.0
UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": rfc3339(NOW - 10)}


@pytest.mark.parametrize(("ready", "not_ready", "state"), [
    (0, 1, FULL), (10, 0, NORMAL), (3, 2, NORMAL), (2, 3, PARTIAL), (5, 5, NORMAL), (4, 6, PARTIAL), (0, 0, NORMAL),
])
def test_zone_states_are_upstreams(ready: int, not_ready: int, state: str) -> None:
    assert zone_state(ready, not_ready, 0.55) == state


@pytest.mark.parametrize(("toleration", "tolerated"), [
    ({"operator": "Exists"}, True),
    ({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}, True),
    ({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoSchedule"}, False),
    ({"key": "node.kubernetes.io/not-ready", "operator": "Exists"}, False),
    ({"key": "node.kubernetes.io/unreachable", "value": "x"}, False),
    ({"key": "node.kubernetes.io/unreachable", "operator": "Equal"}, True),
])
def test_tolerations_match_taints_as_upstreams(toleration: dict, tolerated: bool) -> None:
    assert tolerates(toleration, UNREACHABLE) is tolerated


@pytest.mark.parametrize(("tolerations", "when"), [
    ([], NOW),
    ([{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 300}], NOW + 290),
    ([{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
       "tolerationSeconds": 300}, {"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}], NOW - 5),
    ([{"operator": "Exists"}], None),
])
def test_a_pod_goes_when_its_tolerations_run_out(tolerations: list, when: float | None) -> None:
    assert due({"spec": {"tolerations": tolerations}}, [UNREACHABLE], NOW) == when


SETTINGS = ControllerSettings(node_monitor_period=0.2, node_monitor_grace_period=1.5, node_eviction_rate=0.5)


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("node-lifecycle-controller", "taint-eviction-controller"), SETTINGS) as built:
        yield built


async def make_node(client: Client, name: str, zone: str) -> None:
    stamp = rfc3339(time.time())
    node = await client.create(NODES, {"metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}}})
    await client.update(NODES, {**node, "status": {"conditions": [
        {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": stamp,
         "lastTransitionTime": stamp}]}}, subresource="status")
    await client.create(LEASES, {"metadata": {"name": name, "namespace": "kube-node-lease"},
                                 "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                                          "renewTime": rfc3339_micro(time.time())}}, namespace="kube-node-lease")


async def heartbeats(client: Client, names: set[str]) -> None:
    """Renews the Leases of the nodes in ``names`` (which the test changes) every 0.2 s."""
    while True:
        for name in list(names):
            lease = await client.get(LEASES, name, namespace="kube-node-lease")
            lease["spec"]["renewTime"] = rfc3339_micro(time.time())
            await client.update(LEASES, lease, namespace="kube-node-lease")
        await asyncio.sleep(0.2)


def taint(node: dict, effect: str) -> dict | None:
    return next((t for t in (node.get("spec") or {}).get("taints") or ()
                 if t["key"] == "node.kubernetes.io/unreachable" and t["effect"] == effect), None)


async def test_a_silent_node_turns_unknown_is_tainted_and_its_pods_go_after_their_tolerations(
        client: Client, manager: ControllerManager) -> None:
    with_lease = await client.list(NAMESPACES)
    if "kube-node-lease" not in {n["metadata"]["name"] for n in with_lease["items"]}:
        await client.create(NAMESPACES, {"metadata": {"name": "kube-node-lease"}})
    await client.create(NAMESPACES, {"metadata": {"name": "evict"}})
    zone_a = [f"a{i}" for i in range(6)]
    for name in [*zone_a, "b0"]:
        await make_node(client, name, "a" if name.startswith("a") else "b")
    alive = set(zone_a) | {"b0"}
    beating = asyncio.create_task(heartbeats(client, alive))
    try:
        spec = {"nodeName": "a0", "containers": [{"name": "c", "image": "i"}]}
        await client.create(PODS, {"metadata": {"name": "brief"}, "spec": {**spec, "tolerations": [
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 2}]}}, namespace="evict")
        await client.create(PODS, {"metadata": {"name": "stays"}, "spec": {**spec, "tolerations": [
            {"operator": "Exists"}]}}, namespace="evict")
        await asyncio.sleep(2.0)
        assert all(taint(n, "NoSchedule") is None for n in (await client.list(NODES))["items"])  # all alive
        alive -= {"a0", "a1", "a2", "b0"}  # 3 of 6 in zone a (under the 55% threshold) and all of zone b

        async def tainted() -> list[dict] | None:
            nodes = {n["metadata"]["name"]: n for n in (await client.list(NODES))["items"]}
            silent = [nodes[n] for n in ("a0", "a1", "a2", "b0")]
            return silent if all(taint(n, "NoExecute") for n in silent) else None
        silent = await until(tainted, "the silent nodes tainted NoExecute", 30)
        for node in silent:
            ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
            assert (ready["status"], ready["reason"]) == ("Unknown", "NodeStatusUnknown")
            assert ready["message"] == "Kubelet stopped posting node status."
            assert taint(node, "NoSchedule") is not None
        added = sorted(parse_time(taint(n, "NoExecute")["timeAdded"]) for n in silent)
        zone_a_times = sorted(parse_time(taint(n, "NoExecute")["timeAdded"]) for n in silent[:3])
        assert zone_a_times[2] - zone_a_times[0] >= 3.0, added  # 0.5 nodes a second: one every 2 s

        async def evicted() -> dict | None:  # deleted gracefully: no kubelet finishes it here
            pod = await client.get(PODS, "brief", namespace="evict")
            return pod if pod["metadata"].get("deletionTimestamp") else None
        pod = await until(evicted, "the pod tolerating for 2 s evicted", 20)
        condition = next(c for c in pod["status"]["conditions"] if c["type"] == "DisruptionTarget")
        assert condition["reason"] == "DeletionByTaintManager"
        tainted_at = parse_time(taint(silent[0], "NoExecute")["timeAdded"])
        assert parse_time(pod["metadata"]["deletionTimestamp"]) - 30 >= tainted_at + 2 - 1  # not before its 2 s
        assert (await client.get(PODS, "stays", namespace="evict"))["metadata"].get("deletionTimestamp") is None
        node = await client.get(NODES, "a0")
        stamp = rfc3339(time.time())
        await client.update(NODES, {**node, "status": {**node["status"], "conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": stamp,
             "lastTransitionTime": stamp}]}}, subresource="status")
        alive.add("a0")

        async def untainted() -> bool:
            return not (await client.get(NODES, "a0")).get("spec", {}).get("taints")
        await until(untainted, "the taints lifted once the node is Ready again")
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
