"""Pod churn for ``myriad bench nodes`` (d, e): pods created and bound through the binding
subresource (no scheduler) at a paced rate, spread round-robin over the nodes, timed to Running by
a watcher of its own; then deleted one by one (graceful, as a user deletes), timed until the
watcher has seen every one go.

Startup latency is from just before the binding is sent to the watcher seeing the pod Running,
so it includes the binding's own round trip; the default profile adds no latency of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from myriad.bench.histogram import LatencyHistogram
from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import NAMESPACES, PODS, ClientOptions

NAMESPACE = "bench-churn"


@dataclass(frozen=True, kw_only=True)
class ChurnPlan:
    url: str
    pods: int
    rate: float
    nodes: int
    prefix: str = "hollow-"
    concurrency: int = 128
    timeout: float = 900.0


async def churn(plan: ChurnPlan) -> dict[str, object]:
    client = Client(ClientOptions(endpoints=(plan.url,), user_agent="myriad-bench-churn", max_idle_per_endpoint=256,
                                  max_requests_per_endpoint=plan.concurrency))
    try:
        try:
            await client.create(NAMESPACES, {"metadata": {"name": NAMESPACE}})
        except errors.AlreadyExists:
            pass
        return await _run(client, plan)
    finally:
        await client.close()


async def _run(client: Client, plan: ChurnPlan) -> dict[str, object]:
    bound: dict[str, float] = {}
    running = LatencyHistogram()
    seen_running: set[str] = set()
    gone: set[str] = set()
    all_running, all_gone = asyncio.Event(), asyncio.Event()
    to_go = plan.pods  # less the deletions refused (after retries): those pods stay
    listed = await client.list(PODS, namespace=NAMESPACE, limit=1)

    async def watch() -> None:
        version = listed["metadata"]["resourceVersion"]
        while True:
            async with client.watch(PODS, namespace=NAMESPACE, resource_version=version) as stream:
                async for event in stream:
                    version = event.resource_version or version
                    name = event.object.get("metadata", {}).get("name", "")
                    if event.type == "DELETED":
                        gone.add(name)
                        if len(gone) >= to_go:
                            all_gone.set()
                    elif (event.object.get("status") or {}).get("phase") == "Running" and name not in seen_running:
                        seen_running.add(name)
                        if name in bound:
                            running.record_seconds(time.monotonic() - bound[name])
                        if len(seen_running) >= plan.pods:
                            all_running.set()

    watcher = asyncio.create_task(watch())
    gate = asyncio.Semaphore(plan.concurrency)
    failures = 0

    async def start(i: int) -> None:
        nonlocal failures
        name = f"churn-{i}"
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "churn"}},
                "spec": {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.10"}]}}
        binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": f"{plan.prefix}{i % plan.nodes}"}}
        try:
            async with gate:
                await client.create(PODS, body, namespace=NAMESPACE)
                bound[name] = time.monotonic()
                await client.create(PODS, binding, namespace=NAMESPACE, subresource="binding", name=name)
        except errors.ClientError:
            failures += 1

    began = time.monotonic()
    tasks = []
    for i in range(plan.pods):
        wait = began + i / plan.rate - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(start(i)))
    await asyncio.gather(*tasks)
    bound_in = time.monotonic() - began
    await _until(all_running, plan.timeout)
    running_after = time.monotonic() - began

    deleting = time.monotonic()
    delete_failures = 0

    async def delete(name: str) -> None:
        nonlocal delete_failures
        async with gate:
            try:
                await client.delete(PODS, name, namespace=NAMESPACE)
            except errors.NotFound:
                pass
            except errors.ClientError:
                delete_failures += 1

    await asyncio.gather(*(delete(f"churn-{i}") for i in range(plan.pods)))
    deletes_sent = time.monotonic() - deleting
    to_go -= delete_failures
    if len(gone) >= to_go:
        all_gone.set()
    await _until(all_gone, plan.timeout)
    deleted_after = time.monotonic() - deleting
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    return {"pods": plan.pods, "bind_failures": failures, "bound_s": bound_in, "bound_per_s": plan.pods / bound_in,
            "running": len(seen_running), "all_running_after_s": running_after,
            "startup_latency": running.percentiles().to_json(), "deleted": len(gone),
            "delete_failures": delete_failures,
            "deletes_sent_s": deletes_sent, "all_deleted_after_s": deleted_after}


async def _until(event: asyncio.Event, timeout: float) -> None:
    """Waits for ``event``, or ``timeout`` seconds: a churn that never completes still reports."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout)
