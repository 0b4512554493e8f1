"""The etcd backend: :class:`~myriad.storage.interfaces.Store` over a real etcd v3 cluster.

Calls go straight to etcd's gRPC stubs (aetcd only manages the channels), so header revisions,
``more``/``count`` and watch batches come through unchanged. Failover between endpoints is
:mod:`~myriad.storage.etcd.endpoints`' job, watches are :mod:`~myriad.storage.etcd.watch`'s.

Where etcd and the contract differ, this module closes the gap:

* etcd has no call that returns the compacted revision; :meth:`EtcdStore.compacted_revision`
  finds it by bisecting over cheap local reads (a read at ``r`` fails iff ``r`` is below it).
  A compaction at revision 1 is invisible that way; the store remembers the compactions it did
  itself and those it saw refused reads or watches report.
* etcd's error messages carry no revisions; the typed errors get them from an extra call.

Concurrency: any number of tasks may use one store at once; everything runs on one event loop.
``close()`` ends open watches and fails calls in flight with :class:`StoreClosedError`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import grpc
from aetcd import rpc

from myriad.storage.compaction import compact_periodically
from myriad.storage.errors import LeaseNotFoundError, StorageError, StoreClosedError
from myriad.storage.etcd import convert
from myriad.storage.etcd.convert import Failure
from myriad.storage.etcd.endpoints import REQUIRE_LEADER, Endpoint, Endpoints
from myriad.storage.etcd.options import EtcdOptions
from myriad.storage.etcd.watch import EtcdWatch
from myriad.storage.interfaces import (
    Compare,
    LeaseGrant,
    LeaseInfo,
    Op,
    Put,
    PutResult,
    Range,
    RangeResult,
    TxnResult,
    check_ops,
    check_put,
)
from myriad.storage.kvops import KVOps

T = TypeVar("T")

#: Any key will do for a read that only wants a header or a revision check.
_PROBE_KEY = b"\x00"


#: The first release of each etcd minor version whose answer to a WatchProgressRequest is exact
#: (etcd-io/etcd#15220); upstream's consistent reads from cache require the same.
_EXACT_PROGRESS_SINCE = {(3, 4): 31, (3, 5): 13}


def exact_progress(version: str) -> bool:
    """Whether etcd ``version`` (``3.5.17``) answers progress requests exactly."""
    try:
        major, minor, patch = (int(part) for part in version.split("-")[0].split(".")[:3])
    except ValueError:
        return False
    if (major, minor) in _EXACT_PROGRESS_SINCE:
        return patch >= _EXACT_PROGRESS_SINCE[(major, minor)]
    return (major, minor) > (3, 5)


class EtcdStore(KVOps):
    #: Set by :meth:`open` from the server's version.
    progress_requests = False

    def __init__(self, endpoints: Endpoints) -> None:
        """Use :meth:`open`."""
        self._endpoints = endpoints
        self._call_args = {"timeout": endpoints.options.timeout, "metadata": REQUIRE_LEADER}
        #: The highest revision known to be compacted (a lower bound of etcd's).
        self._compacted = 0
        self._watches: set[EtcdWatch] = set()
        self._compactor: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, options: EtcdOptions) -> EtcdStore:
        """Connects to ``options.endpoints`` and checks that one of them answers (within
        ``failover_timeout``, else :class:`UnavailableError`)."""
        endpoints = Endpoints(options)
        await endpoints.connect()
        store = cls(endpoints)
        try:
            await store.current_revision()
            _, endpoint = endpoints.pick()
            status = await endpoint.client.status()
            store.progress_requests = exact_progress(status.version)
        except BaseException:
            await endpoints.close()
            raise
        if options.compaction_retention > 0:
            policy = compact_periodically(current=store.current_revision, compacted=store.compacted_revision,
                                          compact=store.compact, clock=options.clock,
                                          retention=options.compaction_retention,
                                          interval=options.compaction_interval)
            store._compactor = asyncio.create_task(policy, name="myriad-etcd-auto-compact")
        return store

    @property
    def endpoint(self) -> str:
        """The endpoint (``host:port``) requests go to now."""
        return self._endpoints.current

    def _saw_compacted(self, revision: int) -> None:
        self._compacted = max(self._compacted, revision)

    async def _error(
        self, error: grpc.aio.AioRpcError, *, revision: int | None = None, lease: int = 0, size: int = 0
    ) -> StorageError:
        """The typed error for ``error``, with the compacted or current revision looked up when
        the error is about revisions."""
        kind = convert.failure(error)
        compacted = current = 0
        try:
            if kind is Failure.COMPACTED:
                compacted = await self.compacted_revision()
            elif kind is Failure.FUTURE_REVISION:
                current = await self.current_revision()
        except StorageError:
            compacted = self._compacted
        return convert.storage_error(
            error, revision=revision, compacted=compacted, current=current, lease=lease, size=size
        )

    # -- reads and writes -----------------------------------------------------------------------

    async def range(
        self,
        key: bytes,
        range_end: bytes | None = None,
        *,
        revision: int | None = None,
        limit: int = 0,
        keys_only: bool = False,
        count_only: bool = False,
    ) -> RangeResult:
        request = convert.range_request(
            key, range_end, revision=revision or 0, limit=limit, keys_only=keys_only, count_only=count_only
        )
        try:
            response = await self._read(lambda ep: ep.kv.Range(request, **self._call_args))
        except grpc.aio.AioRpcError as error:
            raise await self._error(error, revision=revision) from error
        return convert.range_result(response, response.header.revision)

    async def txn(
        self, compares: Sequence[Compare], on_success: Sequence[Op], on_failure: Sequence[Op] = ()
    ) -> TxnResult:
        check_ops(compares, on_success, on_failure)
        request = convert.txn_request(compares, on_success, on_failure)
        read_only = all(isinstance(op, Range) for op in (*on_success, *on_failure))
        try:
            response = await self._endpoints.call(
                lambda ep: ep.kv.Txn(request, **self._call_args), idempotent=read_only
            )
        except grpc.aio.AioRpcError as error:
            lease = next(
                (op.lease for op in (*on_success, *on_failure) if isinstance(op, Put) and op.lease), 0
            )
            raise await self._error(error, lease=lease, size=request.ByteSize()) from error
        return TxnResult(response.succeeded, response.header.revision, convert.op_results(response))

    async def put(self, key: bytes, value: bytes, *, lease: int = 0, prev_kv: bool = False) -> PutResult:
        check_put(key, value)
        request = convert.put_request(Put(key, value, lease=lease, prev_kv=prev_kv))
        try:
            response = await self._endpoints.call(
                lambda ep: ep.kv.Put(request, **self._call_args), idempotent=False
            )
        except grpc.aio.AioRpcError as error:
            raise await self._error(error, lease=lease, size=request.ByteSize()) from error
        return PutResult(response.header.revision, convert.prev_key_value(response))

    def watch(
        self,
        key: bytes,
        range_end: bytes | None = None,
        *,
        start_revision: int,
        prev_kv: bool = False,
        progress_notify: bool = False,
    ) -> EtcdWatch:
        if self._endpoints.closed:
            raise StoreClosedError("etcd store is closed")
        watch = EtcdWatch(
            self._endpoints,
            key,
            range_end,
            start_revision=start_revision,
            prev_kv=prev_kv,
            progress_notify=progress_notify,
            compacted=self._compacted,
            on_compacted=self._saw_compacted,
            on_close=self._watches.discard,
        )
        self._watches.add(watch)
        return watch

    # -- revisions ------------------------------------------------------------------------------

    async def compact(self, revision: int) -> None:
        request = rpc.CompactionRequest(revision=revision, physical=True)
        try:
            await self._endpoints.call(lambda ep: ep.kv.Compact(request, **self._call_args), idempotent=False)
        except grpc.aio.AioRpcError as error:
            raise await self._error(error, revision=revision) from error
        self._saw_compacted(revision)

    async def compacted_revision(self) -> int:
        """Bisects for the lowest revision etcd can still read: that is the compacted one
        (unless it is 1, which is also readable when nothing was compacted)."""
        low = max(self._compacted, 1)
        if not await self._below_compaction(low):
            return self._compacted
        response = await self._read(lambda ep: ep.kv.Range(self._probe(0), **self._call_args))
        low, high = low + 1, response.header.revision
        while low < high:
            middle = (low + high) // 2
            if await self._below_compaction(middle):
                low = middle + 1
            else:
                high = middle
        self._saw_compacted(low)
        return self._compacted

    async def _below_compaction(self, revision: int) -> bool:
        """Whether ``revision`` lies below the compacted revision, read locally on a member (a
        member that has not caught up may say "future revision", which means no)."""
        try:
            await self._read(lambda ep: ep.kv.Range(self._probe(revision), **self._call_args))
        except grpc.aio.AioRpcError as error:
            kind = convert.failure(error)
            if kind is Failure.COMPACTED:
                return True
            if kind is Failure.FUTURE_REVISION:
                return False
            raise await self._error(error) from error
        return False

    @staticmethod
    def _probe(revision: int) -> rpc.RangeRequest:
        return convert.range_request(_PROBE_KEY, revision=revision, count_only=True, serializable=True)

    async def current_revision(self) -> int:
        request = convert.range_request(_PROBE_KEY, count_only=True)
        try:
            response = await self._read(lambda ep: ep.kv.Range(request, **self._call_args))
        except grpc.aio.AioRpcError as error:
            raise await self._error(error) from error
        return response.header.revision

    # -- leases ---------------------------------------------------------------------------------

    async def grant(self, ttl: int) -> LeaseGrant:
        """etcd grants at least its minimum TTL (2 s for etcd 3.4); the granted TTL is returned."""
        request = rpc.LeaseGrantRequest(TTL=ttl)
        try:
            response = await self._endpoints.call(
                lambda ep: ep.lease.LeaseGrant(request, **self._call_args), idempotent=False
            )
        except grpc.aio.AioRpcError as error:
            raise await self._error(error) from error
        return LeaseGrant(response.ID, response.TTL)

    async def keepalive(self, lease_id: int) -> int:
        """Renews the lease and returns its TTL. Renewing twice is harmless, so unlike other
        writes a keepalive is retried on another endpoint."""
        request = rpc.LeaseKeepAliveRequest(ID=lease_id)

        async def once(endpoint: Endpoint) -> rpc.LeaseKeepAliveResponse:
            call = endpoint.lease.LeaseKeepAlive(**self._call_args)
            try:
                await call.write(request)
                return await call.read()
            finally:
                call.cancel()

        try:
            response = await self._endpoints.call(once, idempotent=True)
        except grpc.aio.AioRpcError as error:
            raise await self._error(error, lease=lease_id) from error
        if response is grpc.aio.EOF:
            raise StorageError(f"etcd ended the keepalive stream of lease {lease_id} without an answer")
        if response.TTL <= 0:
            raise LeaseNotFoundError(lease_id)
        return response.TTL

    async def revoke(self, lease_id: int) -> None:
        request = rpc.LeaseRevokeRequest(ID=lease_id)
        try:
            await self._endpoints.call(
                lambda ep: ep.lease.LeaseRevoke(request, **self._call_args), idempotent=False
            )
        except grpc.aio.AioRpcError as error:
            raise await self._error(error, lease=lease_id) from error

    async def lease_info(self, lease_id: int) -> LeaseInfo:
        request = rpc.LeaseTimeToLiveRequest(ID=lease_id, keys=True)
        try:
            response = await self._read(lambda ep: ep.lease.LeaseTimeToLive(request, **self._call_args))
        except grpc.aio.AioRpcError as error:
            raise await self._error(error, lease=lease_id) from error
        if response.TTL == -1:
            raise LeaseNotFoundError(lease_id)
        return LeaseInfo(response.ID, response.grantedTTL, response.TTL, tuple(response.keys))

    # -- lifecycle ------------------------------------------------------------------------------

    async def _read(self, op: Callable[[Endpoint], Awaitable[T]]) -> T:
        return await self._endpoints.call(op, idempotent=True)

    async def close(self) -> None:
        """Ends open watches and the compactor, and closes the channels. Idempotent."""
        if self._compactor is not None:
            self._compactor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._compactor
            self._compactor = None
        for watch in list(self._watches):
            await watch.aclose()
        if not self._endpoints.closed:
            await self._endpoints.close()
