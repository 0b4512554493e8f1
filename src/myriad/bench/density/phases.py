"""The phases of ``myriad bench density`` against a running cluster, as clusterloader2's density
and load tests have them: create the namespaces and the Deployments (with their Services,
ConfigMaps and Secrets) at a paced pod throughput; wait until every pod is Running; churn
(scale some Deployments up and back, roll some); delete everything.

Concurrency: event loop only. Each phase records itself in :attr:`Phases.done`.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from myriad.bench.density import workload
from myriad.bench.density.config import DensityConfig
from myriad.bench.density.podwatch import PodWatch
from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, DEPLOYMENTS, NAMESPACES, NODES, SECRETS, SERVICES, PatchType

#: Object writes in flight at once while creating and churning.
CONCURRENCY = 64


@dataclass
class Phase:
    name: str
    began_s: float
    seconds: float = 0.0
    calls: int = 0
    failed: int = 0
    throttled: int = 0
    #: The phase's wait ran out.
    timed_out: bool = False

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "began_s": round(self.began_s, 3), "seconds": round(self.seconds, 3),
                "calls": self.calls, "failed": self.failed, "throttled": self.throttled, "timed_out": self.timed_out}


@dataclass
class Phases:
    client: Client
    config: DensityConfig
    watch: PodWatch
    began: float
    done: list[Phase] = field(default_factory=list)
    current: Phase | None = None
    #: The pods the Deployments want now (it moves during the churn).
    wanted: int = 0
    groups: list[workload.Group] = field(default_factory=list)

    def _start(self, name: str) -> Phase:
        phase = self.current = Phase(name, time.monotonic() - self.began)
        self.done.append(phase)
        return phase

    def _end(self, phase: Phase) -> None:
        phase.seconds = time.monotonic() - self.began - phase.began_s

    async def _call(self, phase: Phase, call: Awaitable[Any]) -> None:
        phase.calls += 1
        try:
            await call
        except errors.AlreadyExists:
            pass
        except errors.TooManyRequests:
            phase.throttled += 1
            phase.failed += 1
        except errors.ClientError:
            phase.failed += 1

    async def nodes_ready(self) -> None:
        """Waits until ``config.nodes`` nodes are Ready (for a cluster this run did not start)."""
        phase = self._start("nodes")

        async def ready() -> int:
            listed = await self.client.list(NODES)
            return sum(1 for n in listed["items"] if any(c.get("type") == "Ready" and c.get("status") == "True"
                                                        for c in (n.get("status") or {}).get("conditions") or ()))
        deadline = time.monotonic() + self.config.timeout
        while await ready() < self.config.nodes:
            if time.monotonic() > deadline:
                phase.timed_out = True
                break
            await asyncio.sleep(1.0)
        self._end(phase)

    async def create(self) -> None:
        """Namespaces, then each Deployment with its Service, ConfigMap and Secret at the time
        its first pod is due at ``config.throughput`` pods a second."""
        phase = self._start("create")
        gate = asyncio.Semaphore(CONCURRENCY)
        for i in range(self.config.namespaces):
            await self._call(phase, self.client.create(NAMESPACES, {"metadata": {"name": workload.namespace_name(i)}}))
        groups = workload.plan(self.config)
        self.wanted = sum(g.replicas for g in groups)
        began, due, tasks = time.monotonic(), 0, []

        async def one(group: workload.Group) -> None:
            async with gate:
                ns = group.namespace
                await asyncio.gather(
                    self._call(phase, self.client.create(CONFIGMAPS, workload.config_map(group), namespace=ns)),
                    self._call(phase, self.client.create(SECRETS, workload.secret(group), namespace=ns)),
                    self._call(phase, self.client.create(SERVICES, workload.service(group), namespace=ns)))
                await self._call(phase, self.client.create(DEPLOYMENTS, workload.deployment(group), namespace=ns))

        for group in groups:
            wait = began + due / self.config.throughput - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(group)))
            due += group.replicas
        await asyncio.gather(*tasks)
        self.groups = groups
        self._end(phase)

    async def running(self, name: str = "running") -> None:
        """Waits until the pods the Deployments want are all Running and no other is left."""
        phase = self._start(name)
        watch = self.watch
        ok = await watch.until(lambda: watch.by_phase() == {"Pending": 0, "Running": self.wanted, "Succeeded": 0,
                                                            "Failed": 0, "Terminating": 0}, self.config.timeout)
        phase.timed_out = not ok
        self._end(phase)

    async def churn(self) -> None:
        """Over ``churn_seconds``: a share of the Deployments scaled up by half and, halfway, back;
        another share rolled (a template annotation changed); then waits for the pods to settle."""
        phase = self._start("churn")
        chooser = random.Random(7)
        groups = list(self.groups)
        scaled = chooser.sample(groups, math.ceil(len(groups) * self.config.churn_scale_fraction))
        rolled = chooser.sample(groups, math.ceil(len(groups) * self.config.churn_roll_fraction))
        gate = asyncio.Semaphore(CONCURRENCY)

        async def each(items: list[workload.Group], make: Callable[[workload.Group], Awaitable[Any]]) -> None:
            async def one(group: workload.Group) -> None:
                async with gate:
                    await self._call(phase, make(group))
            await asyncio.gather(*(one(g) for g in items))

        def scale(factor: float) -> Callable[[workload.Group], Awaitable[Any]]:
            return lambda g: self.client.patch(DEPLOYMENTS, g.name,
                                               {"spec": {"replicas": math.ceil(g.replicas * factor)}},
                                               patch_type=PatchType.MERGE, namespace=g.namespace)

        half = self.config.churn_seconds / 2
        await each(scaled, scale(1.5))
        self.wanted += sum(math.ceil(g.replicas * 1.5) - g.replicas for g in scaled)
        stamp = str(time.time())
        await each(rolled, lambda g: self.client.patch(
            DEPLOYMENTS, g.name, {"spec": {"template": {"metadata": {"annotations": {"myriad.dev/rolled-at": stamp}}}}},
            patch_type=PatchType.MERGE, namespace=g.namespace))
        await asyncio.sleep(half)
        await each(scaled, scale(1.0))
        self.wanted -= sum(math.ceil(g.replicas * 1.5) - g.replicas for g in scaled)
        await asyncio.sleep(half)
        self._end(phase)
        await self.running("settle")

    async def delete(self) -> None:
        """Deletes the namespaces; waits until every pod is gone and the namespaces with them."""
        phase = self._start("delete")
        names = [workload.namespace_name(i) for i in range(self.config.namespaces)]
        await asyncio.gather(*(self._call(phase, self.client.delete(NAMESPACES, n)) for n in names))
        watch = self.watch
        ok = await watch.until(lambda: watch.gone >= len(watch.pods), self.config.timeout)
        deadline = time.monotonic() + self.config.timeout
        while ok and {n["metadata"]["name"] for n in (await self.client.list(NAMESPACES))["items"]} & set(names):
            if time.monotonic() > deadline:
                ok = False
                break
            await asyncio.sleep(0.5)
        phase.timed_out = not ok
        self._end(phase)
