"""Hollow nodes against a real API server: they register as kubelets do, heartbeat their Leases
conditionally, survive a Lease changed or deleted under them, and a second run adopts them."""

from __future__ import annotations

import asyncio
import contextlib

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import LEASES, NODES, PatchType
from myriad.nodes.types import NodesOptions
from tests.apiserver.conftest import RunningServer
from tests.nodes.conftest import eventually, running

FAST = {"lease_renew_interval": 0.3, "lease_duration": 40}


def test_nodes_register_ready_with_kubectls_columns_and_renew_their_leases_conditionally(
        apiserver: RunningServer) -> None:
    async def scenario() -> None:
        async with running(apiserver, NodesOptions(count=30, prefix="beat-", **FAST)) as (nodes, client):
            first = {lease["metadata"]["name"]: int(lease["metadata"]["resourceVersion"])
                     for lease in (await client.list(LEASES, namespace="kube-node-lease"))["items"]
                     if lease["metadata"]["name"].startswith("beat-")}
            await asyncio.sleep(1.0)
            leases = (await client.list(LEASES, namespace="kube-node-lease"))["items"]
            later = {lease["metadata"]["name"]: lease for lease in leases
                     if lease["metadata"]["name"].startswith("beat-")}
            assert set(later) == set(first) and len(first) == 30
            assert all(int(lease["metadata"]["resourceVersion"]) > first[name] for name, lease in later.items())
            node = await client.get(NODES, "beat-4")
            assert later["beat-4"]["metadata"]["ownerReferences"][0]["uid"] == node["metadata"]["uid"]
            assert later["beat-4"]["spec"]["holderIdentity"] == "beat-4"
            assert nodes.heartbeats is not None and nodes.heartbeats.figures.errors == 0
            assert nodes.heartbeats.figures.renewals >= 60  # ~3 a second each

    asyncio.run(scenario())
    table = apiserver.kubectl("get", "nodes", "-l", "myriad.dev/hollow=true", "--no-headers").stdout.splitlines()
    beats = [line.split() for line in table if line.startswith("beat-")]
    assert len(beats) == 30
    _, version = apiserver.get("/version")
    assert all(row[1] == "Ready" and row[2] == "<none>" and row[4] in version.decode() for row in beats)


def test_a_lease_changed_or_deleted_under_a_node_is_renewed_or_made_again(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        async with running(apiserver, NodesOptions(count=2, prefix="lost-", **FAST)) as (nodes, client):
            for _ in range(20):  # the node renews it every 0.3 s: the test's own write may meet a conflict
                lease = await client.get(LEASES, "lost-0", namespace="kube-node-lease")
                lease["spec"]["holderIdentity"] = "someone-else"
                with contextlib.suppress(errors.Conflict):
                    await client.update(LEASES, lease, namespace="kube-node-lease")  # the node's next PUT conflicts
                    break
            await client.delete(LEASES, "lost-1", namespace="kube-node-lease")
            await asyncio.sleep(1.0)
            for name in ("lost-0", "lost-1"):
                held = await client.get(LEASES, name, namespace="kube-node-lease")
                assert held["spec"]["holderIdentity"] == name
            assert nodes.heartbeats is not None
            assert nodes.heartbeats.figures.conflicts >= 1 and nodes.heartbeats.figures.errors == 0

    asyncio.run(scenario())


def test_a_second_run_adopts_the_nodes_of_the_first_and_creates_nothing_twice(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=10, prefix="kept-", **FAST)
        async with running(apiserver, options) as (_, client):
            uids = {node["metadata"]["name"]: node["metadata"]["uid"]
                    for node in (await client.list(NODES, label_selector="myriad.dev/hollow=true"))["items"]}
        async with running(apiserver, NodesOptions(count=12, prefix="kept-", **FAST)) as (nodes, client):
            again = {node["metadata"]["name"]: node["metadata"]["uid"]
                     for node in (await client.list(NODES, label_selector="myriad.dev/hollow=true"))["items"]
                     if node["metadata"]["name"].startswith("kept-")}
            assert len(again) == 12
            assert all(again[name] == uid for name, uid in uids.items() if name.startswith("kept-"))
            assert {name: state.uid for name, state in nodes.states.items()} == again

    asyncio.run(scenario())


def test_a_node_annotated_heartbeat_stopped_lets_its_lease_lapse_until_the_annotation_goes(
        apiserver: RunningServer) -> None:
    async def renew_time(client: Client, name: str) -> str:
        return (await client.get(LEASES, name, namespace="kube-node-lease"))["spec"]["renewTime"]

    async def scenario() -> None:
        async with running(apiserver, NodesOptions(count=2, prefix="failing-", **FAST)) as (_, client):
            apiserver.kubectl("annotate", "node", "failing-0", "myriad.dev/heartbeat=stopped")
            await asyncio.sleep(0.6)
            stopped_at = await renew_time(client, "failing-0")
            other = await renew_time(client, "failing-1")
            await asyncio.sleep(1.0)
            assert await renew_time(client, "failing-0") == stopped_at  # no renewal while stopped
            assert await renew_time(client, "failing-1") > other  # the other node goes on
            apiserver.kubectl("annotate", "node", "failing-0", "myriad.dev/heartbeat-")
            await asyncio.sleep(1.0)
            assert await renew_time(client, "failing-0") > stopped_at

    asyncio.run(scenario())


def _ready(node: dict) -> dict:
    return next(c for c in node["status"]["conditions"] if c["type"] == "Ready")


def test_status_is_reported_by_moving_only_the_heartbeat_times(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=3, prefix="reporting-", status_report_interval=0.3, **FAST)
        async with running(apiserver, options) as (nodes, client):
            before = _ready(await client.get(NODES, "reporting-1"))
            await asyncio.sleep(1.5)  # heartbeat times have one-second resolution
            node = await client.get(NODES, "reporting-1")
            after = _ready(node)
            assert after["lastHeartbeatTime"] > before["lastHeartbeatTime"]
            assert after["lastTransitionTime"] == before["lastTransitionTime"]
            assert (after["status"], after["reason"]) == ("True", "KubeletReady")
            assert len(node["status"]["conditions"]) == 4 and node["status"]["capacity"]["pods"] == "110"
            assert nodes.reports is not None
            assert nodes.reports.figures.reports >= 6 and nodes.reports.figures.errors == 0

    asyncio.run(scenario())


def test_legacy_heartbeats_report_status_every_interval_and_make_no_lease(apiserver: RunningServer) -> None:
    async def scenario() -> None:
        options = NodesOptions(count=3, prefix="legacy-", heartbeat="legacy", **FAST)
        async with running(apiserver, options) as (nodes, client):
            before = _ready(await client.get(NODES, "legacy-0"))
            await asyncio.sleep(1.5)
            assert _ready(await client.get(NODES, "legacy-0"))["lastHeartbeatTime"] > before["lastHeartbeatTime"]
            leases = (await client.list(LEASES, namespace="kube-node-lease"))["items"]
            assert not [lease for lease in leases if lease["metadata"]["name"].startswith("legacy-")]
            assert nodes.heartbeats is None and nodes.reports is not None and nodes.reports.figures.reports >= 6

    asyncio.run(scenario())


def test_conditions_changed_under_a_running_node_are_written_back_at_once(apiserver: RunningServer) -> None:
    """As the node lifecycle controller marks a silent node Unknown: the kubelet, once it posts
    again, writes its whole status at once rather than at the next five-minute report."""
    unknown = {"status": {"conditions": [{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                                          "message": "Kubelet stopped posting node status."}]}}

    async def scenario() -> None:
        async with running(apiserver, NodesOptions(count=2, prefix="marked-", **FAST)) as (_, client):
            before = _ready(await client.get(NODES, "marked-0"))
            apiserver.kubectl("annotate", "node", "marked-0", "myriad.dev/heartbeat=stopped")
            await asyncio.sleep(0.3)
            await client.patch(NODES, "marked-0", unknown, patch_type=PatchType.STRATEGIC, subresource="status")
            await asyncio.sleep(0.6)
            assert _ready(await client.get(NODES, "marked-0"))["status"] == "Unknown"  # stopped: left alone
            apiserver.kubectl("annotate", "node", "marked-0", "myriad.dev/heartbeat-")
            ready = await eventually(lambda: client.get(NODES, "marked-0"),
                                     lambda node: _ready(node)["status"] == "True", timeout=5)
            assert _ready(ready)["reason"] == "KubeletReady"
            assert _ready(ready)["lastTransitionTime"] >= before["lastTransitionTime"]
            await client.patch(NODES, "marked-1", unknown, patch_type=PatchType.STRATEGIC, subresource="status")
            await eventually(lambda: client.get(NODES, "marked-1"), lambda node: _ready(node)["status"] == "True",
                             timeout=5)

    asyncio.run(scenario())
