"""The connections of an etcd store and how it fails over between them.

There is one gRPC channel per configured endpoint (opened lazily by aetcd's ``Client``), and one
of them is *current*: every call goes there. A call that fails with UNAVAILABLE (or runs past
its deadline) makes the next endpoint current, round-robin. Whether the call is then retried
depends on what it is:

* an idempotent call (a read) is retried on the next endpoint until one answers or
  ``failover_timeout`` runs out (then :class:`UnavailableError`);
* any other call (a write) is retried only when the failure proves the request never took
  effect (:func:`~myriad.storage.etcd.convert.unsent`); otherwise it raises
  :class:`UnavailableError` at once, since it may or may not have been applied.

After each full round over the endpoints the retry pauses, doubling from 50 ms up to 1 s.

Every call carries etcd's ``hasleader`` metadata, so a member cut off from its leader refuses
work (and ends watch streams) instead of stalling.

Concurrency: everything runs on one event loop; any number of calls may be in flight. A failure
moves the current endpoint only if it is still the one that failed, so simultaneous failures
advance it once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import aetcd
import grpc
from aetcd import rpc

from myriad.storage.errors import StoreClosedError, UnavailableError
from myriad.storage.etcd.convert import Failure, failure, unsent
from myriad.storage.etcd.options import EtcdOptions

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Sent with every request: refuse it if the member has no leader (etcd's WithRequireLeader).
REQUIRE_LEADER = (("hasleader", "true"),)

CHANNEL_OPTIONS = {
    "grpc.max_receive_message_length": 2**31 - 1,
    "grpc.max_send_message_length": 2**31 - 1,
    # Detect a peer that vanished without closing the connection, while a stream is open.
    # etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time).
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.http2.max_pings_without_data": 0,
    # Let a restarted member be used again within seconds, not minutes.
    "grpc.max_reconnect_backoff_ms": 2_000,
}

FIRST_BACKOFF = 0.05
MAX_BACKOFF = 1.0


def describe(error: BaseException | None) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    return "stream ended" if error is None else repr(error)


@dataclass(frozen=True, slots=True)
class Endpoint:
    address: str
    client: aetcd.Client
    kv: rpc.KVStub
    lease: rpc.LeaseStub
    watch: rpc.WatchStub


class Retry:
    """The failover budget of one operation: ``failover_timeout`` seconds from its first failure."""

    def __init__(self, endpoints: int, budget: float) -> None:
        self._endpoints = endpoints
        self._budget = budget
        self._deadline = time.monotonic() + budget
        self._failures = 0

    def delay(self, error: BaseException | None) -> float:
        """Seconds to wait before the next attempt; raises :class:`UnavailableError` (from
        ``error``) once the budget is spent."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise UnavailableError(
                f"no etcd endpoint answered within {self._budget:g}s; last error: {describe(error)}"
            ) from error
        self._failures += 1
        rounds, position = divmod(self._failures, self._endpoints)
        if position:
            return 0.0
        return min(FIRST_BACKOFF * 2 ** (rounds - 1), MAX_BACKOFF, remaining)


class Endpoints:
    def __init__(self, options: EtcdOptions) -> None:
        if not options.endpoints:
            raise ValueError("EtcdOptions.endpoints is empty")
        self.options = options
        self._endpoints: list[Endpoint] = []
        self._current = 0
        self.closed = False

    async def connect(self) -> None:
        for address in self.options.endpoints:
            host, _, port = address.rpartition(":")
            client = aetcd.Client(host=host, port=int(port), timeout=None, options=CHANNEL_OPTIONS)
            await client.connect()
            self._endpoints.append(
                Endpoint(address, client, client.kvstub, client.leasestub, rpc.WatchStub(client.channel))
            )

    @property
    def current(self) -> str:
        """The endpoint calls go to now."""
        return self._endpoints[self._current].address

    def pick(self) -> tuple[int, Endpoint]:
        """The current endpoint and its index, for a caller that reports failures itself."""
        if self.closed:
            raise StoreClosedError("etcd store is closed")
        return self._current, self._endpoints[self._current]

    def failed(self, index: int, error: BaseException | None) -> None:
        """Reports that the endpoint at ``index`` failed; the next one becomes current."""
        if index == self._current:
            self._current = (index + 1) % len(self._endpoints)
            log.warning(
                "etcd endpoint %s failed (%s); switching to %s",
                self._endpoints[index].address,
                describe(error),
                self.current,
            )

    def retry(self) -> Retry:
        return Retry(len(self._endpoints), self.options.failover_timeout)

    async def call(self, op: Callable[[Endpoint], Awaitable[T]], *, idempotent: bool) -> T:
        """Runs ``op`` on the current endpoint, failing over as described in the module docstring.
        gRPC errors other than unavailability propagate unchanged."""
        retry: Retry | None = None
        while True:
            index, endpoint = self.pick()
            try:
                return await op(endpoint)
            except grpc.aio.AioRpcError as error:
                if self.closed:
                    raise StoreClosedError("etcd store is closed") from error
                if failure(error) is not Failure.UNAVAILABLE:
                    raise
                self.failed(index, error)
                if not (idempotent or unsent(error)):
                    raise UnavailableError(
                        f"etcd at {endpoint.address} failed during a write, which may or may not have "
                        f"been applied: {error.details()}"
                    ) from error
                retry = retry or self.retry()
                await asyncio.sleep(retry.delay(error))
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self.closed and task is not None and not task.cancelling():
                    raise StoreClosedError("etcd store is closed") from None
                raise

    async def close(self) -> None:
        """Closes every channel; calls in flight fail with :class:`StoreClosedError`."""
        self.closed = True
        await asyncio.gather(*(endpoint.client.close() for endpoint in self._endpoints))
