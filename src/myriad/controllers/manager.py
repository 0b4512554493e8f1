"""The controller manager: many controllers, one client, one shared informer factory, one
event recorder and one leader election (``kube-system/kube-controller-manager``).

Informers start at once and stay synced whether or not this process leads, so a standby is hot:
on taking the lease every controller queues every cached key as a sync and its workers start,
with nothing to list first. While standing by nothing is written (the recorder only writes what
workers record). On losing the lease the workers stop and the manager contends again; on SIGTERM
the leader lets its workers finish the keys they hold and releases the lease, so a standby takes
over within its retry period.

Concurrency: loop only. Each controller's workers are its own tasks; they share the informers'
caches, which only the reflectors write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, Metric

from myriad.client.controller import Controller
from myriad.client.leaderelection import LeaderElectionConfig, LeaderElector
from myriad.client.rest import Client
from myriad.controllers.types import ControllerContext
from myriad.malloctrim import release_free_memory

#: Upstream's lease.
LEASE_NAME = "kube-controller-manager"


class ControllerManager:
    def __init__(self, context: ControllerContext, controllers: dict[str, Controller], *,
                 election: LeaderElectionConfig | None = None, sync_timeout: float = 120.0) -> None:
        self.context = context
        self.controllers = controllers
        self.election = election
        self.sync_timeout = sync_timeout
        self.elector: LeaderElector | None = None
        #: Set once this process leads (or, without an election, once the informers synced).
        self.leading = asyncio.Event()

    async def run(self) -> None:
        """Runs until cancelled; cancelling stops gracefully (workers finish their keys, the
        lease is released, the informers stop)."""
        factory = self.context.factory
        factory.start()
        self.context.recorder.start()
        try:
            if not await factory.wait_for_sync(self.sync_timeout):
                raise TimeoutError(f"the controller manager's informers did not sync in {self.sync_timeout:.0f} s")
            release_free_memory()  # the first lists' pages
            if self.election is None:
                await self._lead()
            while True:
                self.elector = LeaderElector(self.context.client, self.election, on_started_leading=self._lead)
                await self.elector.run()
        finally:
            await asyncio.gather(*(c.drain() for c in self.controllers.values()), return_exceptions=True)
            await factory.stop()
            await self.context.recorder.stop()

    async def _lead(self) -> None:
        self.leading.set()
        try:
            await asyncio.gather(*(c.lead() for c in self.controllers.values()))
        finally:
            self.leading.clear()


class RequestsCollector:
    """``rest_client_requests_total{method,resource,code}``: the manager's API calls, from its
    client's counts (client-go's metric, by resource rather than host)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("rest_client_requests", "API requests by method, resource and answer.",
                                     labels=["method", "resource", "code"])
        with contextlib.suppress(RuntimeError):  # the counter grew while being read: skip this scrape
            for (method, resource, code), count in sorted(self._client.requests.items()):
                family.add_metric([method, resource, code], count)
        yield family
