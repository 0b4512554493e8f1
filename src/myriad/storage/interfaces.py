"""The storage contract: an MVCC key-value store with etcd v3 semantics.

Both backends (``embedded`` and ``etcd``) implement :class:`Store` identically; the conformance
suite in ``tests/storage`` runs every point below against each of them.

Revisions. One global counter starts at 1 (the empty store) and is bumped exactly once per write
transaction that changes something. Every key carries ``create_revision`` (revision of the put
that created this incarnation), ``mod_revision`` (revision of its last put), ``version`` (puts
since creation, 1 for a new key) and ``lease`` (0 for none). A transaction that writes nothing
does not bump the revision.

Reads. ``range`` reads ``[key, range_end)``; ``range_end=None`` reads the single key, and
:func:`prefix_end` turns a prefix into a range end. ``revision=None`` reads the newest state;
a past revision reads history until it is compacted (:class:`CompactedError`), and a revision
beyond the current one raises :class:`FutureRevisionError`.

Watches. ``watch`` yields :class:`WatchBatch` items in revision order with no gaps and no
duplicates, starting with the events at ``start_revision`` (which may lie in the past). Each
batch's ``revision`` promises that every event up to it has been delivered; a batch with no
events is a progress notification. A start revision at or below the compacted revision raises
:class:`CompactedError` from the first ``__anext__``; so does a watcher that falls behind a
compaction while catching up.

Leases. ``grant`` returns a lease that expires ``ttl`` seconds after its grant or last
keepalive; its keys are then deleted, with DELETE events, in one revision per lease.

Limits. Keys over :data:`MAX_KEY_BYTES`, values over :data:`MAX_VALUE_BYTES` and transactions
over :data:`MAX_TXN_OPS` operations are refused with typed errors before reaching a backend.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

from myriad.storage.errors import InvalidRequestError, KeyTooLargeError, TooManyOpsError, ValueTooLargeError

MAX_KEY_BYTES = 8 * 1024
MAX_VALUE_BYTES = 1536 * 1024  # 1.5 MiB, etcd's default request limit
MAX_TXN_OPS = 128  # etcd's default --max-txn-ops


class KeyValue(NamedTuple):
    """One version of a key. A NamedTuple rather than a dataclass: ranges build thousands of
    these, and tuple construction is several times cheaper."""

    key: bytes
    value: bytes
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0


class CompareTarget(enum.Enum):
    VERSION = "version"
    CREATE = "create_revision"
    MOD = "mod_revision"
    VALUE = "value"


class CompareOp(enum.Enum):
    EQUAL = "="
    NOT_EQUAL = "!="
    LESS = "<"
    GREATER = ">"


@dataclass(frozen=True, slots=True)
class Compare:
    """Tests one field of ``key``; a missing key has version, create and mod revision 0 and
    matches no value comparison (as in etcd)."""

    key: bytes
    target: CompareTarget
    op: CompareOp
    operand: int | bytes

    @staticmethod
    def mod(key: bytes, op: str, revision: int) -> Compare:
        return Compare(key, CompareTarget.MOD, CompareOp(op), revision)

    @staticmethod
    def create(key: bytes, op: str, revision: int) -> Compare:
        return Compare(key, CompareTarget.CREATE, CompareOp(op), revision)

    @staticmethod
    def version(key: bytes, op: str, version: int) -> Compare:
        return Compare(key, CompareTarget.VERSION, CompareOp(op), version)

    @staticmethod
    def value(key: bytes, op: str, value: bytes) -> Compare:
        return Compare(key, CompareTarget.VALUE, CompareOp(op), value)


@dataclass(frozen=True, slots=True)
class Put:
    key: bytes
    value: bytes
    lease: int = 0
    prev_kv: bool = False


@dataclass(frozen=True, slots=True)
class DeleteRange:
    key: bytes
    range_end: bytes | None = None
    prev_kv: bool = False


@dataclass(frozen=True, slots=True)
class Range:
    """A read inside a transaction; it sees the writes of the operations before it."""

    key: bytes
    range_end: bytes | None = None
    limit: int = 0
    keys_only: bool = False
    count_only: bool = False


Op = Put | DeleteRange | Range


@dataclass(frozen=True, slots=True)
class RangeResult:
    kvs: tuple[KeyValue, ...]
    revision: int  # the revision this read observed (the header revision)
    more: bool  # true when ``limit`` cut the result short
    count: int  # keys in the range, regardless of ``limit``


@dataclass(frozen=True, slots=True)
class PutResult:
    revision: int
    prev_kv: KeyValue | None = None


@dataclass(frozen=True, slots=True)
class DeleteResult:
    revision: int
    deleted: int
    prev_kvs: tuple[KeyValue, ...] = ()


OpResult = PutResult | DeleteResult | RangeResult


@dataclass(frozen=True, slots=True)
class TxnResult:
    succeeded: bool
    revision: int  # the store revision after the transaction
    results: tuple[OpResult, ...]


class EventType(enum.Enum):
    PUT = "PUT"
    DELETE = "DELETE"


class Event(NamedTuple):
    """A change. For DELETE, ``kv`` holds the key, ``mod_revision`` of the deletion and
    nothing else. ``prev_kv`` is filled only for watches that ask for it, and is None when
    the key did not exist before (or its previous version was compacted)."""

    type: EventType
    kv: KeyValue
    prev_kv: KeyValue | None = None

    @property
    def revision(self) -> int:
        return self.kv.mod_revision


@dataclass(frozen=True, slots=True)
class WatchBatch:
    """Events of one or more revisions, in order. ``revision``: everything up to it has been
    delivered. ``events == ()`` marks a progress notification."""

    revision: int
    events: tuple[Event, ...]

    @property
    def is_progress(self) -> bool:
        return not self.events


@dataclass(frozen=True, slots=True)
class LeaseGrant:
    id: int
    ttl: int


@dataclass(frozen=True, slots=True)
class LeaseInfo:
    id: int
    granted_ttl: int
    ttl: int  # seconds remaining
    keys: tuple[bytes, ...]


@runtime_checkable
class Watch(Protocol):
    """An open watch: iterate for batches, ``aclose()`` to cancel."""

    def __aiter__(self) -> AsyncIterator[WatchBatch]: ...

    async def __anext__(self) -> WatchBatch: ...

    async def aclose(self) -> None: ...

    async def request_progress(self) -> None:
        """Asks for a progress notification soon, even if the watch has no ``progress_notify``
        (etcd's ``WatchProgressRequest``). Trust the revision it reports only when the store's
        ``progress_requests`` is True."""


@runtime_checkable
class Store(Protocol):
    #: Whether :meth:`Watch.request_progress` answers with an exact "delivered up to here"
    #: revision. Caches serve consistent reads only when it does (etcd before 3.4.31 and
    #: 3.5.13 could report a revision ahead of undelivered events).
    progress_requests: bool

    async def range(
        self,
        key: bytes,
        range_end: bytes | None = None,
        *,
        revision: int | None = None,
        limit: int = 0,
        keys_only: bool = False,
        count_only: bool = False,
    ) -> RangeResult: ...

    async def txn(
        self, compares: Sequence[Compare], on_success: Sequence[Op], on_failure: Sequence[Op] = ()
    ) -> TxnResult: ...

    async def get(self, key: bytes) -> KeyValue | None: ...

    async def put(self, key: bytes, value: bytes, *, lease: int = 0, prev_kv: bool = False) -> PutResult: ...

    async def create(self, key: bytes, value: bytes, *, lease: int = 0) -> int: ...

    async def update(self, key: bytes, value: bytes, *, mod_revision: int, lease: int = 0) -> int: ...

    async def delete(self, key: bytes, *, mod_revision: int | None = None) -> DeleteResult: ...

    def watch(
        self,
        key: bytes,
        range_end: bytes | None = None,
        *,
        start_revision: int,
        prev_kv: bool = False,
        progress_notify: bool = False,
    ) -> Watch: ...

    async def compact(self, revision: int) -> None: ...

    async def compacted_revision(self) -> int: ...

    async def current_revision(self) -> int: ...

    async def grant(self, ttl: int) -> LeaseGrant: ...

    async def keepalive(self, lease_id: int) -> int: ...

    async def revoke(self, lease_id: int) -> None: ...

    async def lease_info(self, lease_id: int) -> LeaseInfo: ...

    async def close(self) -> None: ...


def prefix_end(prefix: bytes) -> bytes:
    """The range end that covers every key starting with ``prefix`` (etcd's GetPrefixRangeEnd)."""
    end = bytearray(prefix)
    for i in range(len(end) - 1, -1, -1):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return b"\x00"  # all keys >= prefix


def in_range(key: bytes, start: bytes, end: bytes | None) -> bool:
    """Whether ``key`` lies in etcd's notion of ``[start, end)``: ``end=None`` is the single key
    ``start``, and ``end == b"\\x00"`` means every key from ``start`` on."""
    if end is None:
        return key == start
    if end == b"\x00":
        return key >= start
    return start <= key < end


def check_put(key: bytes, value: bytes) -> None:
    if len(key) > MAX_KEY_BYTES:
        raise KeyTooLargeError(len(key), MAX_KEY_BYTES)
    if len(value) > MAX_VALUE_BYTES:
        raise ValueTooLargeError(len(value), MAX_VALUE_BYTES)


def check_ops(compares: Sequence[Compare], ops: Sequence[Op], other: Sequence[Op]) -> None:
    """Validates a transaction's sizes before it reaches a backend."""
    count = max(len(ops), len(other), len(compares))
    if count > MAX_TXN_OPS:
        raise TooManyOpsError(count, MAX_TXN_OPS)
    for op in (*ops, *other):
        if isinstance(op, Put):
            check_put(op.key, op.value)
        elif len(op.key) > MAX_KEY_BYTES:
            raise KeyTooLargeError(len(op.key), MAX_KEY_BYTES)
    for c in compares:
        if len(c.key) > MAX_KEY_BYTES:
            raise KeyTooLargeError(len(c.key), MAX_KEY_BYTES)
    if len(ops) > 1:
        _check_duplicates(ops)
    if len(other) > 1:
        _check_duplicates(other)


def _check_duplicates(ops: Sequence[Op]) -> None:
    """etcd's rule: one branch may not put a key twice, nor put a key it also deletes."""
    puts = [op.key for op in ops if isinstance(op, Put)]
    if len(set(puts)) != len(puts):
        raise InvalidRequestError("duplicate key given in txn request")
    for op in ops:
        if isinstance(op, DeleteRange) and any(in_range(k, op.key, op.range_end) for k in puts):
            raise InvalidRequestError("duplicate key given in txn request")
