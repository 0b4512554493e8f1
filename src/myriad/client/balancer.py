"""Client-side load balancing over several API servers.

Requests go to a healthy endpoint chosen by policy (fewest outstanding requests, or
round-robin); watches go to the healthy endpoint holding the fewest watches. An endpoint whose
connection fails is ejected: it takes no new work while a probe task checks ``GET /readyz`` on
it, backing off exponentially between failed probes. When every endpoint is ejected a request
still goes to the one whose ejection ends first, and a success there restores it.

Watches stay where they were placed, so after restarts they would pile onto the servers that
stayed up (the seed's problem). The balancer therefore rebalances: when an endpoint returns, and
every ``rebalance_interval``, if any healthy endpoint is off its even share by more than
``rebalance_slack``, every endpoint ends its watches above the even share (rounded up) the way a
server's watch timeout would, and their owners re-watch from their last resourceVersion on the
least-loaded endpoint, which leaves the spread even to within one watch. A watch's slot is
taken at placement, before it connects, so a burst of re-watches spreads evenly.

Concurrency: loop only. Background tasks (the prober and the periodic rebalancer) start on first
need and stop in :meth:`Balancer.close`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable

from myriad.client.connection import Connection
from myriad.client.endpoints import Endpoint, WatchSlot
from myriad.client.errors import ClientError
from myriad.client.tasks import cancel_and_wait
from myriad.client.types import BalancerOptions
from myriad.clock import Clock

PROBE_REQUEST = b"GET /readyz HTTP/1.1\r\nHost: %s\r\nUser-Agent: myriad-client-probe\r\n\r\n"


class Balancer:
    def __init__(self, endpoints: list[Endpoint], *, options: BalancerOptions, clock: Clock) -> None:
        if not endpoints:
            raise ClientError("no API server endpoints given")
        self.endpoints = endpoints
        self._options = options
        self._clock = clock
        self._next = 0
        self._prober: asyncio.Task[None] | None = None
        self._rebalancer: asyncio.Task[None] | None = None

    # -- choosing ------------------------------------------------------------------------------

    def pick(self, *, avoid: Iterable[Endpoint] = ()) -> Endpoint:
        """The endpoint for the next request; ``avoid`` lists endpoints this request already
        failed on (used only while others remain)."""
        avoided = set(avoid)
        candidates = [e for e in self.endpoints if e.healthy and e not in avoided]
        if not candidates:
            rest = [e for e in self.endpoints if e not in avoided] or self.endpoints
            return min(rest, key=lambda e: e.ejected_until or 0.0)
        start = self._next % len(candidates)
        self._next += 1
        rotated = candidates[start:] + candidates[:start]
        if self._options.policy == "round-robin":
            return rotated[0]
        return min(rotated, key=lambda e: e.outstanding)

    def place_watch(self, stop: Callable[[], None], *, avoid: Iterable[Endpoint] = ()) -> WatchSlot:
        """Places a new watch on the healthy endpoint with the fewest watches and takes its slot;
        ``stop`` is how the balancer ends it. Give the slot back with :meth:`release_watch`."""
        self._start_rebalancer()
        avoided = set(avoid)
        candidates = [e for e in self.endpoints if e.healthy and e not in avoided] or [self.pick(avoid=avoided)]
        start = self._next % len(candidates)
        self._next += 1
        rotated = candidates[start:] + candidates[:start]
        endpoint = min(rotated, key=lambda e: len(e.watches))
        slot = WatchSlot(endpoint, stop)
        endpoint.watches.add(slot)
        return slot

    @staticmethod
    def release_watch(slot: WatchSlot) -> None:
        slot.endpoint.watches.discard(slot)

    def watches_per_endpoint(self) -> dict[str, int]:
        return {e.url: len(e.watches) for e in self.endpoints}

    # -- health --------------------------------------------------------------------------------

    def failed(self, endpoint: Endpoint) -> None:
        """A transport failure on ``endpoint``: eject it (if it is not already) and probe it."""
        if endpoint.healthy:
            endpoint.failures = 1
            endpoint.ejected_until = self._clock.monotonic() + self._options.ejection
        if self._prober is None or self._prober.done():
            self._prober = asyncio.get_running_loop().create_task(self._probe_loop(), name="myriad-client-prober")

    def succeeded(self, endpoint: Endpoint) -> None:
        """A whole answer from ``endpoint``: an ejected endpoint that answered is back."""
        if not endpoint.healthy:
            self._restore(endpoint)

    def _restore(self, endpoint: Endpoint) -> None:
        endpoint.ejected_until = None
        endpoint.failures = 0
        self.rebalance()

    async def _probe_loop(self) -> None:
        options = self._options
        while any(not e.healthy for e in self.endpoints):
            await self._clock.sleep(options.probe_interval)
            now = self._clock.monotonic()
            for endpoint in [e for e in self.endpoints if not e.healthy and (e.ejected_until or 0) <= now]:
                if await self._probe(endpoint):
                    self._restore(endpoint)
                else:
                    endpoint.failures += 1
                    delay = min(options.max_ejection, options.ejection * 2 ** (endpoint.failures - 1))
                    endpoint.ejected_until = self._clock.monotonic() + delay

    @staticmethod
    async def _probe(endpoint: Endpoint) -> bool:
        connection = None
        try:
            connection = await Connection.open(endpoint.host, endpoint.port, timeout=endpoint.connect_timeout)
            async with asyncio.timeout(endpoint.connect_timeout):
                response = await connection.request(PROBE_REQUEST % f"{endpoint.host}:{endpoint.port}".encode())
            return response.status == 200
        except (ClientError, TimeoutError):
            return False
        finally:
            if connection is not None:
                connection.close()

    # -- watches -------------------------------------------------------------------------------

    def rebalance(self) -> int:
        """When some healthy endpoint holds more than its even share plus ``rebalance_slack``, or
        less than it minus the slack, ends every watch above the even share (rounded up) on each
        endpoint; the owners re-watch on the least-loaded ones. Returns how many were ended."""
        healthy = [e for e in self.endpoints if e.healthy]
        total = sum(len(e.watches) for e in self.endpoints)
        if not healthy or not total:
            return 0
        share = total / len(healthy)
        slack = share * self._options.rebalance_slack
        stranded = any(e.watches for e in self.endpoints if not e.healthy)
        if not stranded and all(abs(len(e.watches) - share) <= slack for e in healthy):
            return 0
        limit = math.ceil(share)
        ended = 0
        for endpoint in self.endpoints:
            keep = limit if endpoint.healthy else 0
            for slot in list(endpoint.watches)[:max(0, len(endpoint.watches) - keep)]:
                endpoint.watches.discard(slot)
                slot.stop()
                ended += 1
        return ended

    def _start_rebalancer(self) -> None:
        if self._rebalancer is None and self._options.rebalance_interval > 0:
            self._rebalancer = asyncio.get_running_loop().create_task(self._rebalance_loop(),
                                                                      name="myriad-client-rebalancer")

    async def _rebalance_loop(self) -> None:
        while True:
            await self._clock.sleep(self._options.rebalance_interval)
            self.rebalance()

    async def close(self) -> None:
        await cancel_and_wait([self._prober, self._rebalancer])
        for endpoint in self.endpoints:
            endpoint.close()
