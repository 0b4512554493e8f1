"""Translation between the storage dataclasses and etcd's protobuf messages, and from gRPC
failures to the typed errors of :mod:`myriad.storage.errors`.

Key ranges: etcd refuses an empty key, but ``b""`` with a range end means "from the first key"
and no key can be empty, so :func:`range_key` sends ``b"\\x00"`` instead, which reads the same
keys. A lone ``b""`` (no range end) is passed through and refused by etcd as an invalid request.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import grpc
from aetcd import rpc

from myriad.storage.errors import (
    CompactedError,
    FutureRevisionError,
    InvalidRequestError,
    LeaseNotFoundError,
    StorageError,
    ValueTooLargeError,
)
from myriad.storage.interfaces import (
    MAX_VALUE_BYTES,
    Compare,
    CompareOp,
    CompareTarget,
    DeleteRange,
    DeleteResult,
    Event,
    EventType,
    KeyValue,
    Op,
    OpResult,
    Put,
    PutResult,
    RangeResult,
)

_RESULTS = {
    CompareOp.EQUAL: rpc.Compare.EQUAL,
    CompareOp.NOT_EQUAL: rpc.Compare.NOT_EQUAL,
    CompareOp.LESS: rpc.Compare.LESS,
    CompareOp.GREATER: rpc.Compare.GREATER,
}
_TARGETS = {
    CompareTarget.VERSION: (rpc.Compare.VERSION, "version"),
    CompareTarget.CREATE: (rpc.Compare.CREATE, "create_revision"),
    CompareTarget.MOD: (rpc.Compare.MOD, "mod_revision"),
    CompareTarget.VALUE: (rpc.Compare.VALUE, "value"),
}


def range_key(key: bytes, range_end: bytes | None) -> bytes:
    return b"\x00" if not key and range_end is not None else key


def range_request(
    key: bytes,
    range_end: bytes | None = None,
    *,
    revision: int = 0,
    limit: int = 0,
    keys_only: bool = False,
    count_only: bool = False,
    serializable: bool = False,
) -> rpc.RangeRequest:
    return rpc.RangeRequest(
        key=range_key(key, range_end),
        range_end=range_end or b"",
        revision=revision,
        limit=limit,
        keys_only=keys_only,
        count_only=count_only,
        serializable=serializable,
    )


def put_request(put: Put) -> rpc.PutRequest:
    return rpc.PutRequest(key=put.key, value=put.value, lease=put.lease, prev_kv=put.prev_kv)


def compare_message(compare: Compare) -> rpc.Compare:
    target, field = _TARGETS[compare.target]
    message = rpc.Compare(result=_RESULTS[compare.op], target=target, key=compare.key)
    setattr(message, field, compare.operand)
    return message


def op_message(op: Op) -> rpc.RequestOp:
    if isinstance(op, Put):
        return rpc.RequestOp(request_put=put_request(op))
    if isinstance(op, DeleteRange):
        return rpc.RequestOp(
            request_delete_range=rpc.DeleteRangeRequest(
                key=range_key(op.key, op.range_end), range_end=op.range_end or b"", prev_kv=op.prev_kv
            )
        )
    return rpc.RequestOp(
        request_range=range_request(
            op.key, op.range_end, limit=op.limit, keys_only=op.keys_only, count_only=op.count_only
        )
    )


def txn_request(
    compares: Sequence[Compare], on_success: Sequence[Op], on_failure: Sequence[Op]
) -> rpc.TxnRequest:
    return rpc.TxnRequest(
        compare=[compare_message(c) for c in compares],
        success=[op_message(op) for op in on_success],
        failure=[op_message(op) for op in on_failure],
    )


def key_value(kv: rpc.KeyValue) -> KeyValue:
    return KeyValue(kv.key, kv.value, kv.create_revision, kv.mod_revision, kv.version, kv.lease)


def key_values(kvs: Sequence[rpc.KeyValue]) -> tuple[KeyValue, ...]:
    return tuple(map(key_value, kvs))


def prev_key_value(message: rpc.PutResponse | rpc.Event) -> KeyValue | None:
    return key_value(message.prev_kv) if message.HasField("prev_kv") else None


def range_result(response: rpc.RangeResponse, revision: int) -> RangeResult:
    return RangeResult(key_values(response.kvs), revision, response.more, response.count)


def op_results(response: rpc.TxnResponse) -> tuple[OpResult, ...]:
    """The results of the branch that ran; each carries the transaction's revision."""
    revision = response.header.revision
    results: list[OpResult] = []
    for op in response.responses:
        kind = op.WhichOneof("response")
        if kind == "response_put":
            results.append(PutResult(revision, prev_key_value(op.response_put)))
        elif kind == "response_delete_range":
            deleted = op.response_delete_range
            results.append(DeleteResult(revision, deleted.deleted, key_values(deleted.prev_kvs)))
        else:
            results.append(range_result(op.response_range, revision))
    return tuple(results)


def event(message: rpc.Event) -> Event:
    kv = message.kv
    if message.type == rpc.Event.DELETE:
        return Event(EventType.DELETE, KeyValue(kv.key, b"", 0, kv.mod_revision, 0), prev_key_value(message))
    return Event(EventType.PUT, key_value(kv), prev_key_value(message))


class Failure(enum.Enum):
    """What a failed etcd call means for the caller."""

    COMPACTED = "compacted"
    FUTURE_REVISION = "future revision"
    LEASE_NOT_FOUND = "lease not found"
    TOO_LARGE = "too large"
    INVALID = "invalid request"
    #: The endpoint could not serve the call; another one may.
    UNAVAILABLE = "unavailable"
    OTHER = "other"


_BY_DETAIL = {
    "etcdserver: mvcc: required revision has been compacted": Failure.COMPACTED,
    "etcdserver: mvcc: required revision is a future revision": Failure.FUTURE_REVISION,
    "etcdserver: requested lease not found": Failure.LEASE_NOT_FOUND,
    "etcdserver: request is too large": Failure.TOO_LARGE,
}
_BY_CODE = {
    grpc.StatusCode.UNAVAILABLE: Failure.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: Failure.UNAVAILABLE,
    grpc.StatusCode.INVALID_ARGUMENT: Failure.INVALID,
}
#: Fragments of UNAVAILABLE details that prove the request never reached etcd's raft log: the
#: connection could not be made, or (thanks to the ``hasleader`` metadata) the member refused it
#: up front for lack of a leader.
_UNSENT = ("failed to connect", "Connection refused", "etcdserver: no leader")


def failure(error: grpc.aio.AioRpcError) -> Failure:
    details = error.details() or ""
    if details in _BY_DETAIL:
        return _BY_DETAIL[details]
    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "larger than max" in details:
        return Failure.TOO_LARGE
    return _BY_CODE.get(error.code(), Failure.OTHER)


#: Codes with which grpc reports a stream that broke in transit (besides UNAVAILABLE), e.g. a
#: request written just as the server ended the stream.
_STREAM_BROKEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED}


def stream_broken(error: grpc.aio.AioRpcError) -> bool:
    """Whether a stream failed in a way that resuming it elsewhere may cure."""
    return failure(error) is Failure.UNAVAILABLE or error.code() in _STREAM_BROKEN


def unsent(error: grpc.aio.AioRpcError) -> bool:
    """Whether a failed call certainly did not take effect, so that even a write may be retried."""
    details = error.details() or ""
    return error.code() == grpc.StatusCode.UNAVAILABLE and any(f in details for f in _UNSENT)


def storage_error(
    error: grpc.aio.AioRpcError,
    *,
    revision: int | None = None,
    compacted: int = 0,
    current: int = 0,
    lease: int = 0,
    size: int = 0,
) -> StorageError:
    """The typed error for ``error``; the keyword arguments fill in what etcd's message lacks:
    the revision asked for, the compacted and current revisions, the lease named and the request
    size. UNAVAILABLE failures are the failover logic's business and come out as a plain
    :class:`StorageError` here."""
    kind = failure(error)
    if kind is Failure.COMPACTED:
        return CompactedError(compacted, revision)
    if kind is Failure.FUTURE_REVISION:
        return FutureRevisionError(revision or 0, current)
    if kind is Failure.LEASE_NOT_FOUND:
        return LeaseNotFoundError(lease)
    if kind is Failure.TOO_LARGE:
        return ValueTooLargeError(size, MAX_VALUE_BYTES)
    if kind is Failure.INVALID:
        return InvalidRequestError(error.details())
    return StorageError(f"etcd: {error.code().name}: {error.details()}")
