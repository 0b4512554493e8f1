"""``myriad scheduler`` as its own process against a real ``myriad apiserver``: pods bind, an
unschedulable pod gets upstream's FailedScheduling message and condition and then binds once a
node fits, and two schedulers with leader election hand over."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import EVENTS, LEASES, NAMESPACES, NODES, PODS, PRIORITYCLASSES, ClientOptions
from tests.apiserver.conftest import (
    RunningServer,
    apiserver,  # noqa: F401  (the fixture, shared)
)
from tests.nodes.conftest import eventually

pytestmark = pytest.mark.timeout(120)


def node(name: str, *, cpu: str = "4", memory: str = "8Gi", labels: dict[str, str] | None = None,
         taints: list[dict[str, str]] | None = None) -> dict:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": {"taints": taints or []},
            "status": {"capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                       "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def pod(name: str, *, cpu: str = "100m", node_selector: dict[str, str] | None = None) -> dict:
    return {"metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                     "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}],
                     **({"nodeSelector": node_selector} if node_selector else {})}}


@contextlib.contextmanager
def scheduler_process(url: str, *extra: str) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen([sys.executable, "-m", "myriad", "scheduler", "--server", url, *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextlib.asynccontextmanager
async def namespace(client: Client, name: str) -> AsyncIterator[str]:
    with contextlib.suppress(errors.AlreadyExists):
        await client.create(NAMESPACES, {"metadata": {"name": name}})
    yield name


async def node_of(client: Client, ns: str, name: str) -> str:
    return ((await client.get(PODS, name, namespace=ns)).get("spec") or {}).get("nodeName") or ""


async def test_pods_bind_to_nodes_that_fit_and_get_the_scheduled_event(apiserver: RunningServer) -> None:  # noqa: F811
    async with Client(ClientOptions(endpoints=(apiserver.url,))) as client, namespace(client, "sched-a") as ns:
        await client.create(NODES, node("a-small", cpu="1"))
        await client.create(NODES, node("a-big", cpu="16"))
        with scheduler_process(apiserver.url):
            for i in range(20):
                await client.create(PODS, pod(f"p{i}", cpu="500m"), namespace=ns)
            await client.create(PODS, pod("needs-big", cpu="4"), namespace=ns)

            async def placements() -> dict[str, str]:
                return {p["metadata"]["name"]: p["spec"].get("nodeName", "")
                        for p in (await client.list(PODS, namespace=ns))["items"]}

            placed = await eventually(placements, lambda m: len(m) == 21 and all(m.values()), timeout=30)
            assert placed["needs-big"] == "a-big"
            on_small = sum(1 for n in placed.values() if n == "a-small")
            assert on_small <= 2, f"a 1-cpu node holds at most two 500m pods, got {on_small}"
            events = await eventually(lambda: client.list(EVENTS, namespace=ns),
                                      lambda e: any(x["reason"] == "Scheduled" for x in e["items"]))
            scheduled = [x for x in events["items"] if x["reason"] == "Scheduled"]
            sample = next(x for x in scheduled if x["regarding"]["name"] == "needs-big")
            assert sample["note"] == f"Successfully assigned {ns}/needs-big to a-big"
            assert sample["reportingController"] == "default-scheduler" and sample["action"] == "Binding"


async def test_an_unschedulable_pod_gets_upstreams_message_then_binds_once_a_node_fits(
        apiserver: RunningServer) -> None:  # noqa: F811
    async with Client(ClientOptions(endpoints=(apiserver.url,))) as client, namespace(client, "sched-b") as ns:
        nodes_before = len((await client.list(NODES))["items"])
        with scheduler_process(apiserver.url):
            await client.create(PODS, pod("picky", node_selector={"disk": "ssd"}), namespace=ns)

            async def condition() -> dict:
                conditions = (await client.get(PODS, "picky", namespace=ns)).get("status", {}).get("conditions") or []
                return next((c for c in conditions if c["type"] == "PodScheduled"), {})

            found = await eventually(condition, lambda c: c.get("reason") == "Unschedulable", timeout=30)
            assert found["status"] == "False"
            assert found["message"] == (f"0/{nodes_before} nodes are available: {nodes_before} node(s) didn't match "
                                        f"Pod's node affinity/selector. preemption: 0/{nodes_before} nodes are "
                                        f"available: {nodes_before} Preemption is not helpful for scheduling.")
            events = await eventually(lambda: client.list(EVENTS, namespace=ns),
                                      lambda e: any(x["reason"] == "FailedScheduling" for x in e["items"]))
            failed = next(x for x in events["items"] if x["reason"] == "FailedScheduling")
            assert failed["type"] == "Warning" and failed["action"] == "Scheduling"
            assert failed["note"] == found["message"]
            await client.create(NODES, node("b-ssd", labels={"disk": "ssd"}))
            assert await eventually(lambda: node_of(client, ns, "picky"), lambda n: n == "b-ssd", timeout=30)


async def test_two_schedulers_with_leader_election_hand_over(apiserver: RunningServer) -> None:  # noqa: F811
    async with Client(ClientOptions(endpoints=(apiserver.url,))) as client, namespace(client, "sched-c") as ns:
        await client.create(NODES, node("c-node"))
        with scheduler_process(apiserver.url, "--leader-elect", "true", "--identity", "first") as first:
            await eventually(lambda: _lease(client), lambda h: h == "first", timeout=30)
            with scheduler_process(apiserver.url, "--leader-elect", "true", "--identity", "second"):
                await client.create(PODS, pod("before"), namespace=ns)
                assert await eventually(lambda: node_of(client, ns, "before"), bool, timeout=30)
                os.killpg(first.pid, signal.SIGTERM)  # the leader releases its Lease on the way out
                assert first.wait(10) == 0
                await eventually(lambda: _lease(client), lambda h: h == "second", timeout=40)
                await client.create(PODS, pod("after"), namespace=ns)
                assert await eventually(lambda: node_of(client, ns, "after"), bool, timeout=30)  # only "second" runs


async def _lease(client: Client) -> str:
    try:
        lease = await client.get(LEASES, "kube-scheduler", namespace="kube-system")
    except errors.NotFound:
        return ""
    return (lease.get("spec") or {}).get("holderIdentity") or ""


async def test_preemption_evicts_a_lower_priority_pod_and_the_preemptor_binds(
        apiserver: RunningServer) -> None:  # noqa: F811
    async with Client(ClientOptions(endpoints=(apiserver.url,))) as client, namespace(client, "sched-d") as ns:
        for name, value in (("e2e-low", 10), ("e2e-high", 1000)):
            with contextlib.suppress(errors.AlreadyExists):
                await client.create(PRIORITYCLASSES, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                      "metadata": {"name": name}, "value": value})
        # every other test's node is tainted away, so only d-node can take these pods
        existing = [n["metadata"]["name"] for n in (await client.list(NODES))["items"]]
        for name in existing:
            await client.patch(NODES, name, {"spec": {"taints": [{"key": "other-test", "effect": "NoSchedule"}]}})
        await client.create(NODES, node("d-node", cpu="1"))
        low = pod("low", cpu="800m")
        low["spec"].update(priorityClassName="e2e-low", terminationGracePeriodSeconds=0)
        high = pod("high", cpu="800m")
        high["spec"]["priorityClassName"] = "e2e-high"
        with scheduler_process(apiserver.url):
            await client.create(PODS, low, namespace=ns)
            assert await eventually(lambda: node_of(client, ns, "low"), bool, timeout=30) == "d-node"
            await client.create(PODS, high, namespace=ns)
            assert await eventually(lambda: node_of(client, ns, "high"), bool, timeout=40) == "d-node"
            names = [p["metadata"]["name"] for p in (await client.list(PODS, namespace=ns))["items"]]
            assert names == ["high"], f"the low-priority pod should be gone: {names}"
            events = await eventually(lambda: client.list(EVENTS, namespace=ns),
                                      lambda e: any(x["reason"] == "Preempted" for x in e["items"]))
            preempted = next(x for x in events["items"] if x["reason"] == "Preempted")
            assert preempted["regarding"]["name"] == "low" and preempted["note"].endswith("on node d-node")
