"""The StatefulSet controller, run by the controller manager against a real API server. No
kubelet runs: a background task plays one, marking each pod Running and Ready when told to."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from myriad.client.rest import Client
from myriad.client.types import PODS, STATEFULSETS, PatchType
from myriad.controllers.history import CONTROLLERREVISIONS
from myriad.controllers.manager import ControllerManager
from myriad.controllers.statefulset.controller import PERSISTENTVOLUMECLAIMS
from tests.controllers.conftest import kubectl, running
from tests.controllers.test_replicaset import make_ready, namespace, until


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("statefulset-controller",)) as built:
        yield built


def statefulset(name: str, replicas: int, *, image: str = "app:1", **spec: Any) -> dict:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "serviceName": f"{name}-svc", "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": image}]}}, **spec}}


CLAIM_TEMPLATE = {"metadata": {"name": "data"},
                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}


async def pods_by_name(client: Client, ns: str) -> dict[str, dict]:
    return {p["metadata"]["name"]: p for p in (await client.list(PODS, namespace=ns))["items"]}


class Kubelet:
    """Marks pods of ``ns`` Running and Ready, only while ``on`` is set; records the live pod
    names it sees after each change, to check orderings against."""

    def __init__(self, client: Client, ns: str) -> None:
        self.client, self.ns = client, ns
        self.on = asyncio.Event()
        self.on.set()
        self.seen: list[tuple[str, ...]] = []

    async def sees(self, names: tuple[str, ...]) -> None:
        async def seen() -> bool:
            return bool(self.seen) and self.seen[-1] == names
        await until(seen, f"the pods {names}")

    async def run(self) -> None:
        pods: dict[str, dict] = {}
        async with self.client.watch(PODS, namespace=self.ns, resource_version="0") as watch:
            async for event in watch:
                if event.type == "BOOKMARK":
                    continue
                pod = event.object
                name = pod["metadata"]["name"]
                if event.type == "DELETED":
                    pods.pop(name, None)
                else:
                    pods[name] = pod
                live = tuple(sorted(n for n, p in pods.items() if not p["metadata"].get("deletionTimestamp")))
                if not self.seen or self.seen[-1] != live:
                    self.seen.append(live)
                if self.on.is_set() and event.type != "DELETED" and not pod["metadata"].get("deletionTimestamp") \
                        and (pod.get("status") or {}).get("phase") != "Running":
                    await make_ready(self.client, pod, since=time.time() - 60)


@contextlib.asynccontextmanager
async def kubelet(client: Client, ns: str) -> AsyncIterator[Kubelet]:
    fake = Kubelet(client, ns)
    task = asyncio.create_task(fake.run())
    try:
        yield fake
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def status_is(client: Client, ns: str, name: str, **wanted: Any) -> dict:
    async def check() -> dict | None:
        s = await client.get(STATEFULSETS, name, namespace=ns)
        status = s.get("status") or {}
        return s if all(status.get(k, 0 if isinstance(v, int) else None) == v for k, v in wanted.items()) else None
    return await until(check, f"status {wanted}", timeout=20)


async def test_ordered_ready_makes_each_pod_only_after_the_one_before_is_ready(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "sts-order")
    s = await client.create(STATEFULSETS, statefulset("web", 3, volumeClaimTemplates=[CLAIM_TEMPLATE]), namespace=ns)
    first = await until(lambda: client_get(client, ns, "web-0"), "web-0")
    await asyncio.sleep(0.5)
    assert set(await pods_by_name(client, ns)) == {"web-0"}, "web-1 made before web-0 was ready"
    labels = first["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-0" and labels["apps.kubernetes.io/pod-index"] == "0"
    assert first["spec"]["hostname"] == "web-0" and first["spec"]["subdomain"] == "web-svc"
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}} in first["spec"]["volumes"]
    assert first["metadata"]["ownerReferences"][0]["uid"] == s["metadata"]["uid"]
    claim = await client.get(PERSISTENTVOLUMECLAIMS, "data-web-0", namespace=ns)
    assert claim["metadata"]["labels"] == {"app": "web"} and not claim["metadata"].get("ownerReferences")
    async with kubelet(client, ns) as fake:
        done = await status_is(client, ns, "web", replicas=3, readyReplicas=3, availableReplicas=3,
                               currentReplicas=3, updatedReplicas=3)
    assert [names for names in fake.seen if names] == [("web-0",), ("web-0", "web-1"), ("web-0", "web-1", "web-2")]
    revision = done["status"]["currentRevision"]
    assert revision == done["status"]["updateRevision"] and revision.startswith("web-")
    assert labels["controller-revision-hash"] == revision
    stored = await client.get(CONTROLLERREVISIONS, revision, namespace=ns)
    assert stored["revision"] == 1 and stored["data"]["spec"]["template"]["$patch"] == "replace"
    assert done["status"]["observedGeneration"] == done["metadata"]["generation"]


async def client_get(client: Client, ns: str, name: str) -> dict | None:
    return (await pods_by_name(client, ns)).get(name)


async def test_scaling_down_deletes_the_highest_ordinal_first_one_at_a_time(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "sts-down")
    await client.create(STATEFULSETS, statefulset("db", 3), namespace=ns)
    async with kubelet(client, ns) as fake:
        await status_is(client, ns, "db", readyReplicas=3)
        await client.patch(STATEFULSETS, "db", {"spec": {"replicas": 1}}, namespace=ns)
        await status_is(client, ns, "db", replicas=1, readyReplicas=1)
        await fake.sees(("db-0",))
    tail = fake.seen[fake.seen.index(("db-0", "db-1", "db-2")):]
    assert tail == [("db-0", "db-1", "db-2"), ("db-0", "db-1"), ("db-0",)]


async def test_parallel_makes_every_pod_at_once(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "sts-parallel")
    await client.create(STATEFULSETS, statefulset("cache", 4, podManagementPolicy="Parallel"), namespace=ns)

    async def four() -> bool:
        return len(await pods_by_name(client, ns)) == 4
    await until(four, "four pods while none is ready")


async def test_a_rolling_update_replaces_pods_from_the_top_down_to_the_partition(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "sts-roll")
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    await client.create(STATEFULSETS, statefulset("kv", 4, updateStrategy=strategy), namespace=ns)
    async with kubelet(client, ns) as fake:
        before = await status_is(client, ns, "kv", readyReplicas=4, updatedReplicas=4)
        old = before["status"]["currentRevision"]
        await client.patch(STATEFULSETS, "kv", {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "app:2"}]}}}}, patch_type=PatchType.STRATEGIC, namespace=ns)
        during = await status_is(client, ns, "kv", readyReplicas=4, updatedReplicas=2, currentReplicas=2)
        new = during["status"]["updateRevision"]
        assert new != old and during["status"]["currentRevision"] == old
        pods = await pods_by_name(client, ns)
        assert {n: p["spec"]["containers"][0]["image"] for n, p in pods.items()} == \
            {"kv-0": "app:1", "kv-1": "app:1", "kv-2": "app:2", "kv-3": "app:2"}
        assert {n: p["metadata"]["labels"]["controller-revision-hash"] for n, p in pods.items()} == \
            {"kv-0": old, "kv-1": old, "kv-2": new, "kv-3": new}
        await client.patch(STATEFULSETS, "kv", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}},
                           patch_type=PatchType.STRATEGIC, namespace=ns)
        after = await status_is(client, ns, "kv", readyReplicas=4, updatedReplicas=4, currentReplicas=4)
        await fake.sees(("kv-0", "kv-1", "kv-2", "kv-3"))
    assert after["status"]["currentRevision"] == new
    # never two down at once: each replacement waited for the one above it to be ready again
    downs = [names for names in fake.seen[fake.seen.index(("kv-0", "kv-1", "kv-2", "kv-3")):] if len(names) < 4]
    assert all(len(names) == 3 for names in downs)
    assert [set(("kv-0", "kv-1", "kv-2", "kv-3")) - set(names) for names in downs] == \
        [{"kv-3"}, {"kv-2"}, {"kv-1"}, {"kv-0"}]
    revisions = (await client.list(CONTROLLERREVISIONS, namespace=ns))["items"]
    assert sorted(r["revision"] for r in revisions) == [1, 2]


async def test_max_unavailable_replaces_that_many_pods_at_once(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "sts-maxun")
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 2}}
    await client.create(STATEFULSETS, statefulset("wide", 4, updateStrategy=strategy,
                                                  podManagementPolicy="Parallel"), namespace=ns)
    async with kubelet(client, ns) as fake:
        await status_is(client, ns, "wide", readyReplicas=4)
        fake.on.clear()  # replacements stay unready: the budget of two is then spent
        await client.patch(STATEFULSETS, "wide", {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}},
                           patch_type=PatchType.STRATEGIC, namespace=ns)
        await status_is(client, ns, "wide", updatedReplicas=2, readyReplicas=2)
        await asyncio.sleep(0.5)
        pods = await pods_by_name(client, ns)
        assert sorted(n for n, p in pods.items() if p["metadata"]["labels"].get("v") == "2") == ["wide-2", "wide-3"]
        fake.on.set()
        for pod in pods.values():  # the fake marks pods as their events come: these came while it was off
            if (pod.get("status") or {}).get("phase") != "Running":
                await make_ready(client, pod, since=time.time() - 60)
        await status_is(client, ns, "wide", updatedReplicas=4, readyReplicas=4)


async def test_on_delete_replaces_a_pod_only_when_it_is_deleted(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "sts-ondelete")
    await client.create(STATEFULSETS, statefulset("od", 2, updateStrategy={"type": "OnDelete"}), namespace=ns)
    async with kubelet(client, ns):
        await status_is(client, ns, "od", readyReplicas=2)
        await client.patch(STATEFULSETS, "od", {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}},
                           patch_type=PatchType.STRATEGIC, namespace=ns)
        changed = await until(lambda: _update_revision_moved(client, ns), "a new update revision")
        await asyncio.sleep(0.5)
        assert all("v" not in p["metadata"]["labels"] for p in (await pods_by_name(client, ns)).values())
        await client.delete(PODS, "od-1", namespace=ns, grace_period_seconds=0)
        await status_is(client, ns, "od", readyReplicas=2, updatedReplicas=1)
    pods = await pods_by_name(client, ns)
    assert pods["od-1"]["metadata"]["labels"]["controller-revision-hash"] == changed["status"]["updateRevision"]
    assert "v" not in pods["od-0"]["metadata"]["labels"]


async def _update_revision_moved(client: Client, ns: str) -> dict | None:
    s = await client.get(STATEFULSETS, "od", namespace=ns)
    status = s.get("status") or {}
    return s if status.get("updateRevision") and status["updateRevision"] != status.get("currentRevision") else None


async def test_the_claim_retention_policy_sets_the_claims_owners(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "sts-retain")
    policy = {"whenDeleted": "Delete", "whenScaled": "Delete"}
    s = await client.create(STATEFULSETS, statefulset("pv", 2, volumeClaimTemplates=[CLAIM_TEMPLATE],
                                                      persistentVolumeClaimRetentionPolicy=policy), namespace=ns)
    async with kubelet(client, ns):
        await status_is(client, ns, "pv", readyReplicas=2)
        for name in ("data-pv-0", "data-pv-1"):
            claim = await client.get(PERSISTENTVOLUMECLAIMS, name, namespace=ns)
            assert [r["uid"] for r in claim["metadata"]["ownerReferences"]] == [s["metadata"]["uid"]]
        condemned = await client.get(PODS, "pv-1", namespace=ns)
        await client.patch(STATEFULSETS, "pv", {"spec": {"replicas": 1}}, namespace=ns)
        await status_is(client, ns, "pv", replicas=1)

    async def owned_by_pod() -> bool:
        claim = await client.get(PERSISTENTVOLUMECLAIMS, "data-pv-1", namespace=ns)
        return [r["uid"] for r in claim["metadata"].get("ownerReferences") or ()] == [condemned["metadata"]["uid"]]
    await until(owned_by_pod, "the scaled-away pod's claim owned by that pod")


async def test_kubectl_rolls_a_statefulset_out_shows_its_history_and_undoes_it(
        client: Client, manager: ControllerManager, server: tuple[str, Path]) -> None:
    ns = await namespace(client, "sts-kubectl")
    manifest = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "db:1"}]}
"""
    async with kubelet(client, ns):
        await kubectl(server[1], ns, "apply", "-f", "-", stdin=manifest)
        assert "partitioned roll out complete" in await kubectl(server[1], ns, "rollout", "status",
                                                                "statefulset/db", "--timeout=60s")
        await kubectl(server[1], ns, "set", "image", "statefulset/db", "db=db:2")
        assert "roll out complete" in await kubectl(server[1], ns, "rollout", "status", "statefulset/db",
                                                    "--timeout=60s")
        history = await kubectl(server[1], ns, "rollout", "history", "statefulset/db")
        assert [line.split()[0] for line in history.strip().splitlines()[2:]] == ["1", "2"]
        await kubectl(server[1], ns, "rollout", "undo", "statefulset/db")
        await status_is(client, ns, "db", readyReplicas=2, updatedReplicas=2, currentReplicas=2)

        async def images() -> set[str] | None:
            found = {p["spec"]["containers"][0]["image"] for p in (await pods_by_name(client, ns)).values()}
            return found if found == {"db:1"} else None
        await until(images, "the pods back at db:1")
