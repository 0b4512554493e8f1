"""The DaemonSet controller, run by the controller manager against a real API server, with
Node objects made by the tests. No scheduler or kubelet runs: pods stay pinned (not bound) to
their nodes, and a fake kubelet marks them Running and Ready."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from myriad.client.rest import Client
from myriad.client.types import NODES, PODS, PatchType
from myriad.controllers.daemonset.controller import DAEMONSETS
from myriad.controllers.daemonset.placement import should_run, target_node
from myriad.controllers.history import CONTROLLERREVISIONS
from myriad.controllers.manager import ControllerManager
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import make_ready, namespace, until
from tests.controllers.test_statefulset import kubelet
from tests.scheduler.test_scheduler_e2e import node as scheduler_node
from tests.scheduler.test_scheduler_e2e import scheduler_process


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("daemonset-controller",)) as built:
        yield built


def daemonset(name: str, pool: str, **spec: Any) -> dict:
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"nodeSelector": {"pool": pool},
                                           "containers": [{"name": "c", "image": "agent:1"}]}}, **spec}}


async def node(client: Client, name: str, pool: str | None, *, taints: list[dict] | None = None) -> dict:
    labels = {"pool": pool} if pool else {}
    return await client.create(NODES, {"metadata": {"name": name, "labels": labels},
                                       "spec": {"taints": taints or []}})


async def placed(client: Client, ns: str) -> dict[str, list[dict]]:
    """The live pods of ``ns`` by the node they are pinned to."""
    found: dict[str, list[dict]] = {}
    for pod in (await client.list(PODS, namespace=ns))["items"]:
        if not pod["metadata"].get("deletionTimestamp"):
            found.setdefault(target_node(pod) or "", []).append(pod)
    return found


async def placed_on(client: Client, ns: str, nodes: set[str]) -> dict[str, list[dict]]:
    async def check() -> dict | None:
        now = await placed(client, ns)
        return now if set(now) == nodes and all(len(p) == 1 for p in now.values()) else None
    return await until(check, f"one pod on each of {sorted(nodes)}", timeout=20)


async def status_is(client: Client, ns: str, name: str, **wanted: int) -> dict:
    async def check() -> dict | None:
        ds = await client.get(DAEMONSETS, name, namespace=ns)
        status = ds.get("status") or {}
        current = status.get("observedGeneration") == ds["metadata"]["generation"]
        return ds if current and all((status.get(k) or 0) == v for k, v in wanted.items()) else None
    return await until(check, f"status {wanted} of the current generation", timeout=20)


async def test_one_pod_per_eligible_node_pinned_by_node_affinity(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "ds-place")
    await node(client, "place-a", "place")
    await node(client, "place-tainted", "place", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    await node(client, "place-other", None)
    ds = await client.create(DAEMONSETS, daemonset("agent", "place"), namespace=ns)
    pods = await placed_on(client, ns, {"place-a"})
    pod = pods["place-a"][0]
    assert pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["place-a"]}]}]}
    assert not pod["spec"].get("nodeName")
    assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"} in \
        pod["spec"]["tolerations"]
    assert pod["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
    revision = (await client.list(CONTROLLERREVISIONS, namespace=ns))["items"]
    assert len(revision) == 1 and pod["metadata"]["labels"]["controller-revision-hash"] == \
        revision[0]["metadata"]["labels"]["controller.kubernetes.io/hash"]
    await status_is(client, ns, "agent", desiredNumberScheduled=1, currentNumberScheduled=1, numberReady=0,
                    updatedNumberScheduled=1, numberUnavailable=1)
    await client.patch(NODES, "place-other", {"metadata": {"labels": {"pool": "place"}}})
    await placed_on(client, ns, {"place-a", "place-other"})
    await client.patch(NODES, "place-a", {"metadata": {"labels": {"pool": None}}})
    await placed_on(client, ns, {"place-other"})
    await status_is(client, ns, "agent", desiredNumberScheduled=1, currentNumberScheduled=1, numberMisscheduled=0)


async def test_a_no_execute_taint_removes_the_pod_and_a_no_schedule_one_keeps_it(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "ds-taints")
    await node(client, "taints-a", "taints")
    await node(client, "taints-b", "taints")
    await client.create(DAEMONSETS, daemonset("logs", "taints"), namespace=ns)
    await placed_on(client, ns, {"taints-a", "taints-b"})
    await client.patch(NODES, "taints-a", {"spec": {"taints": [{"key": "maint", "effect": "NoSchedule"}]}})
    await client.patch(NODES, "taints-b", {"spec": {"taints": [{"key": "maint", "effect": "NoExecute"}]}})
    await placed_on(client, ns, {"taints-a"})
    await status_is(client, ns, "logs", desiredNumberScheduled=0, numberMisscheduled=1)


async def test_a_failed_pod_is_replaced(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "ds-failed")
    await node(client, "failed-a", "failed")
    await client.create(DAEMONSETS, daemonset("crash", "failed"), namespace=ns)
    first = (await placed_on(client, ns, {"failed-a"}))["failed-a"][0]
    await client.patch(PODS, first["metadata"]["name"], {"status": {"phase": "Failed"}},
                       patch_type=PatchType.STRATEGIC, namespace=ns, subresource="status")

    async def replaced() -> bool:
        pods = (await placed(client, ns)).get("failed-a", [])
        return len(pods) == 1 and pods[0]["metadata"]["uid"] != first["metadata"]["uid"]
    await until(replaced, "the failed pod replaced")


async def _rolling(client: Client, ns: str, name: str, pool: str, strategy: dict) -> list[tuple[str, ...]]:
    """Rolls a DaemonSet on three ready nodes from agent:1 to agent:2 under ``strategy``;
    returns the live pod names after each change the fake kubelet saw."""
    for i in range(3):
        await node(client, f"{pool}-{i}", pool)
    async with kubelet(client, ns) as fake:
        await client.create(DAEMONSETS, daemonset(name, pool, updateStrategy=strategy), namespace=ns)
        await status_is(client, ns, name, desiredNumberScheduled=3, numberAvailable=3)
        start = len(fake.seen) - 1
        await client.patch(DAEMONSETS, name, {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "agent:2"}]}}}}, patch_type=PatchType.STRATEGIC, namespace=ns)
        await status_is(client, ns, name, updatedNumberScheduled=3, numberAvailable=3)
        pods = await placed_on(client, ns, {f"{pool}-{i}" for i in range(3)})
        await fake.sees(tuple(sorted(p[0]["metadata"]["name"] for p in pods.values())))
    assert all(p[0]["spec"]["containers"][0]["image"] == "agent:2" for p in pods.values())
    return fake.seen[start:]


async def test_a_rolling_update_keeps_at_most_max_unavailable_nodes_without_a_pod(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "ds-roll")
    seen = await _rolling(client, ns, "roll", "roll", {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}})
    assert min(len(names) for names in seen) == 2, seen  # one node at a time went without its pod
    assert max(len(names) for names in seen) == 3


async def test_a_surging_update_makes_the_new_pod_before_removing_the_old(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "ds-surge")
    seen = await _rolling(client, ns, "surge", "surge",
                          {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}})
    assert min(len(names) for names in seen) == 3, seen  # never a node without a pod
    assert max(len(names) for names in seen) == 4  # at most one node with two


async def test_on_delete_leaves_old_pods_and_a_rollback_renumbers_the_old_revision(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "ds-history")
    await node(client, "history-a", "history")
    await client.create(DAEMONSETS, daemonset("hist", "history", updateStrategy={"type": "OnDelete"}), namespace=ns)
    first = (await placed_on(client, ns, {"history-a"}))["history-a"][0]
    image = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "agent:2"}]}}}}
    await client.patch(DAEMONSETS, "hist", image, patch_type=PatchType.STRATEGIC, namespace=ns)
    await status_is(client, ns, "hist", updatedNumberScheduled=0, currentNumberScheduled=1)
    await asyncio.sleep(0.3)
    assert (await placed(client, ns))["history-a"][0]["metadata"]["uid"] == first["metadata"]["uid"]
    image["spec"]["template"]["spec"]["containers"][0]["image"] = "agent:1"
    await client.patch(DAEMONSETS, "hist", image, patch_type=PatchType.STRATEGIC, namespace=ns)
    await status_is(client, ns, "hist", updatedNumberScheduled=1)

    async def renumbered() -> list[dict] | None:
        items = (await client.list(CONTROLLERREVISIONS, namespace=ns))["items"]
        numbers = {r["metadata"]["labels"]["controller.kubernetes.io/hash"]: r["revision"] for r in items}
        mine = numbers.get(first["metadata"]["labels"]["controller-revision-hash"])
        return items if len(items) == 2 and mine == 3 else None
    await until(renumbered, "the first revision renumbered 3")
    await make_ready(client, first, since=time.time() - 60)
    await status_is(client, ns, "hist", numberReady=1, numberAvailable=1, numberUnavailable=0)


async def test_the_scheduler_binds_each_pod_to_the_node_it_is_pinned_to(
        client: Client, manager: ControllerManager, server: tuple[str, Path]) -> None:
    ns = await namespace(client, "ds-bind")
    names = {f"bind-{i}" for i in range(3)}
    for name in names:
        await client.create(NODES, scheduler_node(name, labels={"pool": "bind"}))
    await client.create(DAEMONSETS, daemonset("bound", "bind"), namespace=ns)
    with scheduler_process(server[0]):
        async def bound() -> dict[str, str] | None:
            pods = [p for pods in (await placed(client, ns)).values() for p in pods]
            found = {p["spec"].get("nodeName"): target_node(p) for p in pods}
            return found if len(pods) == 3 and set(found) == names else None
        pinned = await until(bound, "each pod bound by the scheduler", timeout=30)
    assert all(node == pin for node, pin in pinned.items())


def _node(labels: dict[str, str] | None = None, taints: list[dict] | None = None) -> dict:
    return {"metadata": {"name": "n1", "labels": labels or {}}, "spec": {"taints": taints or []}}


def _set(**pod_spec: Any) -> dict:
    return {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}], **pod_spec}}}}


AFFINITY = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}}}


@pytest.mark.parametrize(("ds", "node_", "wanted"), [
    (_set(), _node(), (True, True)),
    (_set(nodeName="n2"), _node(), (False, False)),
    (_set(nodeName="n1"), _node(), (True, True)),
    (_set(nodeSelector={"disk": "ssd"}), _node({"disk": "hdd"}), (False, False)),
    (_set(affinity=AFFINITY), _node({"zone": "b"}), (True, True)),
    (_set(affinity=AFFINITY), _node({"zone": "c"}), (False, False)),
    (_set(), _node(taints=[{"key": "x", "effect": "NoSchedule"}]), (False, True)),
    (_set(), _node(taints=[{"key": "x", "effect": "NoExecute"}]), (False, False)),
    (_set(), _node(taints=[{"key": "x", "effect": "PreferNoSchedule"}]), (True, True)),
    (_set(tolerations=[{"key": "x", "operator": "Exists"}]), _node(taints=[{"key": "x", "effect": "NoExecute"}]),
     (True, True)),
    # every daemon pod tolerates these
    (_set(), _node(taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]), (True, True)),
    (_set(), _node(taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]), (True, True)),
    (_set(), _node(taints=[{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]),
     (False, True)),
    (_set(hostNetwork=True), _node(taints=[{"key": "node.kubernetes.io/network-unavailable",
                                           "effect": "NoSchedule"}]), (True, True)),
])
def test_should_run_and_may_keep(ds: dict, node_: dict, wanted: tuple[bool, bool]) -> None:
    assert should_run(ds, node_) == wanted
