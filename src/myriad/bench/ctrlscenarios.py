"""The scenarios of ``myriad bench controllers``, each against a server and controller managers
it is handed (:mod:`myriad.bench.controllers` starts them). They talk to the server as any client
does and read the managers' figures from their ``/metrics``.

Concurrency: each scenario is one coroutine on the bench's loop; pod and node writes go out with
bounded concurrency through one client.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from myriad.api.meta import rfc3339, rfc3339_micro
from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import DEPLOYMENTS, LEASES, NAMESPACES, NODES, PODS, REPLICASETS

CONCURRENCY = 128
_POD = {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}


async def gather_bounded(calls: list[Callable[[], Awaitable[Any]]], limit: int = CONCURRENCY) -> None:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            await call()
    await asyncio.gather(*(one(c) for c in calls))


async def until(check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.2) -> float | None:
    """Seconds until ``check()`` holds, or None after ``timeout``."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if await check():
            return time.monotonic() - began
        await asyncio.sleep(every)
    return None


def deployment(name: str, replicas: int) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                                                 "template": {"metadata": {"labels": {"app": name}}, "spec": _POD}}}


async def namespace(client: Client, name: str) -> None:
    try:
        await client.create(NAMESPACES, {"metadata": {"name": name}})
    except errors.AlreadyExists:
        pass


async def raw_creates(client: Client, pods: int) -> dict[str, float]:
    """Pods created directly, as fast as the server takes them: what the controllers are measured against."""
    await namespace(client, "bench-raw")
    began = time.monotonic()
    await gather_bounded([lambda i=i: client.create(PODS, {"metadata": {"name": f"raw-{i}"}, "spec": _POD},
                                                    namespace="bench-raw") for i in range(pods)])
    seconds = time.monotonic() - began
    await client.delete(NAMESPACES, "bench-raw")
    return {"pods": pods, "seconds": seconds, "per_s": pods / seconds}


async def _all_ready(client: Client, ns: str, wanted: dict[str, int]) -> bool:
    """Every ReplicaSet of ``ns`` reports its Deployment's full count."""
    by_owner: dict[str, int] = {}
    async for page in client.list_pages(REPLICASETS, namespace=ns):
        for rs in page["items"]:
            owner = (rs["metadata"].get("ownerReferences") or [{}])[0].get("name", "")
            by_owner[owner] = by_owner.get(owner, 0) + int((rs.get("status") or {}).get("replicas") or 0)
    return all(by_owner.get(name, 0) >= count for name, count in wanted.items())


async def fan_out(client: Client, ns: str, deployments: int, replicas: int, timeout: float) -> dict[str, float | None]:
    """``deployments`` Deployments of ``replicas`` pods: pods per second until every ReplicaSet
    reports the full count."""
    await namespace(client, ns)
    names = {f"d{i}": replicas for i in range(deployments)}
    began = time.monotonic()
    await gather_bounded([lambda n=n: client.create(DEPLOYMENTS, deployment(n, replicas), namespace=ns)
                          for n in names], limit=32)
    seconds = await until(lambda: _all_ready(client, ns, names), timeout, every=0.5)
    if seconds is not None:
        seconds = time.monotonic() - began
    pods = deployments * replicas
    return {"deployments": deployments, "replicas": replicas, "pods": pods, "seconds": seconds,
            "per_s": pods / seconds if seconds else None}


async def garbage(client: Client, deployments: int, pods: int, timeout: float) -> dict[str, float | None]:
    """A namespace of ``deployments`` Deployments holding ``pods`` pods in all, deleted: seconds
    until it and everything in it are gone."""
    ns = "bench-gc"
    made = await fan_out(client, ns, deployments, pods // deployments, timeout)
    await client.delete(NAMESPACES, ns)

    async def gone() -> bool:
        try:
            await client.get(NAMESPACES, ns)
        except errors.NotFound:
            return True
        return False
    seconds = await until(gone, timeout, every=0.25)
    return {"deployments": deployments, "pods": pods, "made_in_s": made["seconds"], "deleted_in_s": seconds}


async def node_failure(client: Client, nodes: int, failing: int, zones: int, grace: float, rate: float,
                       window: float) -> dict[str, Any]:
    """``nodes`` Nodes over ``zones`` zones heartbeat through their Leases; ``failing`` of them
    (spread over the zones) stop. Reports when each got its NoSchedule taint after its last
    renewal, and how many got NoExecute over ``window`` seconds against the allowed rate."""
    await namespace(client, "kube-node-lease")
    names = [f"bench-node-{i}" for i in range(nodes)]
    stamp = rfc3339(time.time())
    versions: dict[str, str] = {}

    async def make(i: int, name: str) -> None:
        node = await client.create(NODES, {"metadata": {"name": name, "labels": {
            "topology.kubernetes.io/zone": f"zone-{i % zones}"}}})
        await client.update(NODES, {**node, "status": {"conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": stamp,
             "lastTransitionTime": stamp}]}}, subresource="status")
        lease = await client.create(LEASES, {"metadata": {"name": name, "namespace": "kube-node-lease"}, "spec": {
            "holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": rfc3339_micro(time.time())}},
            namespace="kube-node-lease")
        versions[name] = lease["metadata"]["resourceVersion"]
    await gather_bounded([lambda i=i, n=n: make(i, n) for i, n in enumerate(names)])
    alive = set(names)
    renewed: dict[str, float] = {}

    async def renew(name: str) -> None:
        """A conditional renewal, as a kubelet's (re-reading the Lease after a conflict)."""
        body = {"metadata": {"name": name, "namespace": "kube-node-lease", "resourceVersion": versions[name]},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": rfc3339_micro(time.time())}}
        try:
            versions[name] = (await client.update(LEASES, body, namespace="kube-node-lease"))["metadata"][
                "resourceVersion"]
            renewed[name] = time.monotonic()
        except errors.Conflict:
            versions[name] = (await client.get(LEASES, name, namespace="kube-node-lease"))["metadata"][
                "resourceVersion"]

    async def heartbeats() -> None:
        while True:
            began = time.monotonic()
            await gather_bounded([lambda n=n: renew(n) for n in list(alive)], limit=64)
            await asyncio.sleep(max(0.0, 10.0 - (time.monotonic() - began)))

    beating = asyncio.create_task(heartbeats())
    try:
        await asyncio.sleep(12.0)  # every node renewed at least once under the manager's eye
        silent = names[:failing]
        alive.difference_update(silent)
        # From each silent node's last renewal (a round under way at the stop may still renew some).
        if await _taints(client, set(silent), "NoSchedule", grace + 30.0) is None:
            seconds = None
        else:
            seconds = time.monotonic() - max(renewed.get(n, 0.0) for n in silent)
        window_began = time.monotonic()
        at_start = await _tainted(client, set(silent), "NoExecute")
        await asyncio.sleep(window)
        no_execute = await _tainted(client, set(silent), "NoExecute")
        spent = time.monotonic() - window_began
    finally:
        beating.cancel()
        await asyncio.gather(beating, return_exceptions=True)
    # NoExecute taints start with the same passes as NoSchedule ones; the rate is taken over the
    # window that follows the last NoSchedule taint, when every failing node is queued.
    return {"nodes": nodes, "failing": failing, "zones": zones, "grace_s": grace, "no_schedule_after_s": seconds,
            "no_execute_tainted": no_execute, "no_execute_at_window_start": at_start, "window_s": spent,
            "eviction_rate": (no_execute - at_start) / spent if spent else None, "allowed_rate": rate * zones}


async def _tainted(client: Client, names: set[str], effect: str) -> int:
    count = 0
    async for page in client.list_pages(NODES):
        for node in page["items"]:
            if node["metadata"]["name"] in names and any(
                    t.get("effect") == effect and t.get("key") == "node.kubernetes.io/unreachable"
                    for t in (node.get("spec") or {}).get("taints") or ()):
                count += 1
    return count


async def _taints(client: Client, names: set[str], effect: str, timeout: float) -> float | None:
    """Seconds until every node of ``names`` has the unreachable taint of ``effect``."""
    async def done() -> bool:
        return await _tainted(client, names, effect) == len(names)
    return await until(done, timeout, every=0.5)


def writes(metrics_url: str, *, timeout: float = 60.0) -> dict[str, float]:
    """A manager's API calls other than reads and Lease calls, from its ``/metrics`` (waiting up to
    ``timeout`` seconds for a manager still starting to serve them)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = urllib.request.urlopen(metrics_url, timeout=10).read().decode()
            break
        except OSError:  # URLError: not listening yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    found: dict[str, float] = {}
    for method, resource, count in re.findall(
            r'rest_client_requests_total\{code="\d+",method="(\w+)",resource="([\w/.-]+)"\} (\S+)', text):
        if method != "GET" and resource != "leases":
            found[f"{method} {resource}"] = found.get(f"{method} {resource}", 0.0) + float(count)
    return found


async def takeover(client: Client, ns: str, stop: Callable[[], None], timeout: float) -> float | None:
    """Seconds from ``stop()`` (of the leader) until a Deployment created right after has its pods."""
    await namespace(client, ns)
    stop()
    began = time.monotonic()
    await client.create(DEPLOYMENTS, deployment("after", 3), namespace=ns)

    async def made() -> bool:
        return len((await client.list(PODS, namespace=ns, label_selector="app=after"))["items"]) >= 3
    seconds = await until(made, timeout, every=0.05)
    return None if seconds is None else time.monotonic() - began

