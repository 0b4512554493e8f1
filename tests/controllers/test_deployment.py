"""The Deployment controller, with the ReplicaSet controller and the garbage collector, against a
real API server. No nodes run here: a stand-in kubelet (as upstream's integration tests do) marks
each new pod Running and Ready."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from myriad.api.meta import rfc3339
from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import DEPLOYMENTS, NAMESPACES, PODS, REPLICASETS, PatchType
from myriad.controllers.manager import ControllerManager
from tests.controllers.conftest import kubectl as run_kubectl
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import until


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    names = ("replicaset-controller", "deployment-controller", "garbage-collector-controller")
    async with running(client, names) as built:
        yield built


class Kubelet:
    """Marks the namespace's pods Ready a moment after they appear (``delay``), unless paused."""

    def __init__(self, client: Client, namespace: str, *, delay: float = 0.05) -> None:
        self.client, self.namespace, self.delay = client, namespace, delay
        self.ready = True
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Kubelet:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: Any) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            if self.ready:
                for pod in (await self.client.list(PODS, namespace=self.namespace))["items"]:
                    if (pod.get("status") or {}).get("phase") != "Running" and not pod["metadata"].get(
                            "deletionTimestamp"):
                        await asyncio.sleep(self.delay)
                        condition = {"type": "Ready", "status": "True", "lastTransitionTime": rfc3339(time.time() - 1)}
                        with contextlib.suppress(errors.NotFound, errors.Conflict):
                            await self.client.patch(PODS, pod["metadata"]["name"], {
                                "status": {"phase": "Running", "conditions": [condition]}},
                                patch_type=PatchType.STRATEGIC, namespace=self.namespace, subresource="status")
            await asyncio.sleep(0.05)


def deployment(name: str, replicas: int, image: str = "img:1", **spec: Any) -> dict:
    return {"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "c", "image": image}]}}, **spec}}


async def namespace(client: Client, name: str) -> str:
    await client.create(NAMESPACES, {"metadata": {"name": name}})
    return name


async def live_pods(client: Client, ns: str) -> list[dict]:
    return [p for p in (await client.list(PODS, namespace=ns))["items"] if not p["metadata"].get("deletionTimestamp")]


async def rolled_out(client: Client, ns: str, name: str, image: str, replicas: int, timeout: float = 30.0) -> dict:
    async def check() -> dict | None:
        d = await client.get(DEPLOYMENTS, name, namespace=ns)
        status = d.get("status") or {}
        pods = await live_pods(client, ns)
        done = status.get("observedGeneration") == d["metadata"]["generation"] and \
            status.get("updatedReplicas") == replicas == status.get("availableReplicas") == status.get("replicas") \
            and len(pods) == replicas and all(p["spec"]["containers"][0]["image"] == image for p in pods)
        return d if done else None
    return await until(check, f"{name} rolled out to {image}", timeout)


def condition(d: dict, kind: str) -> dict:
    return next(c for c in d["status"]["conditions"] if c["type"] == kind)


async def test_a_deployment_rolls_out_its_replicaset_with_revision_and_conditions(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-create")
    async with Kubelet(client, ns):
        await client.create(DEPLOYMENTS, deployment("web", 3), namespace=ns)
        d = await rolled_out(client, ns, "web", "img:1", 3)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert condition(d, "Available")["reason"] == "MinimumReplicasAvailable"
    await until(lambda: _reason(client, ns, "web", "NewReplicaSetAvailable"), "Progressing: NewReplicaSetAvailable")
    [rs] = (await client.list(REPLICASETS, namespace=ns))["items"]
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "3"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"] == "4"


async def _reason(client: Client, ns: str, name: str, reason: str) -> bool:
    d = await client.get(DEPLOYMENTS, name, namespace=ns)
    return any(c["type"] == "Progressing" and c["reason"] == reason for c in (d.get("status") or {}).get(
        "conditions") or ())


async def test_a_rolling_update_respects_max_surge_and_max_unavailable_at_every_moment(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-rolling")
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    async with Kubelet(client, ns, delay=0.1):
        await client.create(DEPLOYMENTS, deployment("api", 6, strategy=strategy), namespace=ns)
        await rolled_out(client, ns, "api", "img:1", 6)
        seen: list[tuple[int, int]] = []
        done = asyncio.Event()

        async def watch_counts() -> None:
            while not done.is_set():
                pods = await live_pods(client, ns)
                ready = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")
                seen.append((len(pods), ready))
                await asyncio.sleep(0.01)
        watcher = asyncio.create_task(watch_counts())
        await client.patch(DEPLOYMENTS, "api", {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "img:2"}]}}}}, namespace=ns, patch_type=PatchType.STRATEGIC)
        d = await rolled_out(client, ns, "api", "img:2", 6)
        done.set()
        await watcher
    assert max(total for total, _ in seen) <= 6 + 1, seen
    assert min(ready for _, ready in seen) >= 6 - 1, seen
    assert len({total for total, _ in seen}) > 1  # it was seen mid-rollout
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    rss = (await client.list(REPLICASETS, namespace=ns))["items"]
    assert sorted((r["spec"]["replicas"], r["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
                  for r in rss) == [(0, "1"), (6, "2")]


async def test_rolling_back_makes_the_old_replicaset_new_again_with_its_revision_history(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-undo")
    async with Kubelet(client, ns):
        await client.create(DEPLOYMENTS, deployment("app", 2), namespace=ns)
        await rolled_out(client, ns, "app", "img:1", 2)
        image = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "img:2"}]}}}}
        await client.patch(DEPLOYMENTS, "app", image, namespace=ns, patch_type=PatchType.STRATEGIC)
        await rolled_out(client, ns, "app", "img:2", 2)
        image["spec"]["template"]["spec"]["containers"][0]["image"] = "img:1"  # what rollout undo writes
        await client.patch(DEPLOYMENTS, "app", image, namespace=ns, patch_type=PatchType.STRATEGIC)
        d = await rolled_out(client, ns, "app", "img:1", 2)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    rss = {r["spec"]["template"]["spec"]["containers"][0]["image"]: r
           for r in (await client.list(REPLICASETS, namespace=ns))["items"]}
    assert len(rss) == 2
    annotations = rss["img:1"]["metadata"]["annotations"]
    assert annotations["deployment.kubernetes.io/revision"] == "3"
    assert annotations["deployment.kubernetes.io/revision-history"] == "1"


async def test_recreate_removes_every_old_pod_before_making_new_ones(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-recreate")
    async with Kubelet(client, ns):
        await client.create(DEPLOYMENTS, deployment("batch", 3, strategy={"type": "Recreate"}), namespace=ns)
        await rolled_out(client, ns, "batch", "img:1", 3)
        mixed = False
        done = asyncio.Event()

        async def watch_images() -> None:
            nonlocal mixed
            while not done.is_set():
                images = {p["spec"]["containers"][0]["image"] for p in await live_pods(client, ns)}
                mixed = mixed or len(images) > 1
                await asyncio.sleep(0.01)
        watcher = asyncio.create_task(watch_images())
        await client.patch(DEPLOYMENTS, "batch", {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "img:2"}]}}}}, namespace=ns, patch_type=PatchType.STRATEGIC)
        await rolled_out(client, ns, "batch", "img:2", 3)
        done.set()
        await watcher
    assert not mixed


async def test_a_paused_deployment_does_not_roll_out_until_resumed(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-pause")
    async with Kubelet(client, ns):
        await client.create(DEPLOYMENTS, deployment("p", 2), namespace=ns)
        await rolled_out(client, ns, "p", "img:1", 2)
        await client.patch(DEPLOYMENTS, "p", {"spec": {"paused": True}}, namespace=ns)
        await until(lambda: _reason(client, ns, "p", "DeploymentPaused"), "Progressing: DeploymentPaused")
        await client.patch(DEPLOYMENTS, "p", {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "img:2"}]}}}}, namespace=ns, patch_type=PatchType.STRATEGIC)
        await asyncio.sleep(1.0)
        assert len((await client.list(REPLICASETS, namespace=ns))["items"]) == 1
        await client.patch(DEPLOYMENTS, "p", {"spec": {"paused": False}}, namespace=ns)
        await rolled_out(client, ns, "p", "img:2", 2)


async def test_a_rollout_without_progress_exceeds_its_deadline(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-deadline")
    await client.create(DEPLOYMENTS, deployment("stuck", 2, progressDeadlineSeconds=2), namespace=ns)
    await until(lambda: _reason(client, ns, "stuck", "ProgressDeadlineExceeded"), "ProgressDeadlineExceeded", 20)
    d = await client.get(DEPLOYMENTS, "stuck", namespace=ns)
    assert condition(d, "Progressing")["status"] == "False"
    assert condition(d, "Progressing")["message"].endswith("has timed out progressing.")


async def test_scaling_mid_rollout_is_proportional_across_replicasets(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-proportional")
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    async with Kubelet(client, ns) as kubelet:
        await client.create(DEPLOYMENTS, deployment("prop", 10, strategy=strategy), namespace=ns)
        await rolled_out(client, ns, "prop", "img:1", 10)
        kubelet.ready = False  # the new pods never become ready: the rollout stalls half way
        await client.patch(DEPLOYMENTS, "prop", {"spec": {"template": {"spec": {"containers": [
            {"name": "c", "image": "img:2"}]}}}}, namespace=ns, patch_type=PatchType.STRATEGIC)

        async def stalled() -> list[int] | None:
            sizes = sorted(r["spec"]["replicas"] for r in (await client.list(REPLICASETS, namespace=ns))["items"])
            return sizes if sizes == [5, 8] else None  # old 10 -> 8 (maxUnavailable 2), new 0 -> 5 (surge 3)
        await until(stalled, "the rollout stalled at 8 old and 5 new")
        await client.patch(DEPLOYMENTS, "prop", {"spec": {"replicas": 20}}, namespace=ns)

        async def scaled() -> list[int] | None:
            sizes = sorted(r["spec"]["replicas"] for r in (await client.list(REPLICASETS, namespace=ns))["items"])
            return sizes if sum(sizes) == 23 else None
        sizes = await until(scaled, "both ReplicaSets scaled to 23 pods in all")
    assert sizes == [9, 14]  # 13 -> 23 split by size: old 8 + 6, new 5 + 4 (upstream's rounding)


async def test_revision_history_limit_deletes_the_oldest_empty_replicasets(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "deploy-history")
    async with Kubelet(client, ns):
        await client.create(DEPLOYMENTS, deployment("h", 1, revisionHistoryLimit=1), namespace=ns)
        for image in ("img:1", "img:2", "img:3"):
            await client.patch(DEPLOYMENTS, "h", {"spec": {"template": {"spec": {"containers": [
                {"name": "c", "image": image}]}}}}, namespace=ns, patch_type=PatchType.STRATEGIC)
            await rolled_out(client, ns, "h", image, 1)

        async def trimmed() -> list[str] | None:
            revisions = sorted(r["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                               for r in (await client.list(REPLICASETS, namespace=ns))["items"])
            return revisions if revisions == ["2", "3"] else None
        await until(trimmed, "only the newest old ReplicaSet kept")


async def test_kubectl_creates_rolls_out_sets_the_image_undoes_and_deletes_a_deployment(
        client: Client, manager: ControllerManager, server: tuple[str, Path]) -> None:
    ns = await namespace(client, "deploy-kubectl")

    async def kubectl(*args: str) -> str:
        return await run_kubectl(server[1], ns, *args)

    async with Kubelet(client, ns):
        await kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3")
        assert 'deployment "web" successfully rolled out' in await kubectl("rollout", "status", "deployment/web",
                                                                           "--timeout=60s")
        await kubectl("set", "image", "deployment/web", "nginx=nginx:1.26")
        assert "successfully rolled out" in await kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        history = await kubectl("rollout", "history", "deployment/web")
        assert "1 " in history and "2 " in history
        await kubectl("rollout", "undo", "deployment/web")
        assert "successfully rolled out" in await kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        images = {p["spec"]["containers"][0]["image"] for p in await live_pods(client, ns)}
        assert images == {"nginx:1.25"}
        shown = await kubectl("get", "deployment", "web")
        assert shown.split("\n")[1].split()[:4] == ["web", "3/3", "3", "3"]
    await kubectl("delete", "deployment", "web")

    async def emptied() -> bool:
        return not (await client.list(REPLICASETS, namespace=ns))["items"] and not await live_pods(client, ns)
    await until(emptied, "the ReplicaSets and pods collected")
