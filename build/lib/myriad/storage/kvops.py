"""Convenience calls both backends share, written once on top of ``txn`` and ``range``.

These are the compare-and-swap shapes the API server needs: create only if absent, update or
delete only if ``mod_revision`` matches. Each returns the new revision or raises a typed error.
"""

from __future__ import annotations

from collections.abc import Sequence

from myriad.storage.errors import ConflictError, KeyExistsError, KeyNotFoundError
from myriad.storage.interfaces import (
    Compare,
    DeleteRange,
    DeleteResult,
    KeyValue,
    Op,
    Put,
    PutResult,
    Range,
    RangeResult,
    TxnResult,
)


class KVOps:
    """Mixin: requires ``range`` and ``txn`` from the backend."""

    async def range(self, key: bytes, range_end: bytes | None = None, **kw) -> RangeResult:
        raise NotImplementedError

    async def txn(
        self, compares: Sequence[Compare], on_success: Sequence[Op], on_failure: Sequence[Op] = ()
    ) -> TxnResult:
        raise NotImplementedError

    async def get(self, key: bytes) -> KeyValue | None:
        result = await self.range(key)
        return result.kvs[0] if result.kvs else None

    async def put(self, key: bytes, value: bytes, *, lease: int = 0, prev_kv: bool = False) -> PutResult:
        result = await self.txn((), (Put(key, value, lease=lease, prev_kv=prev_kv),))
        put = result.results[0]
        assert isinstance(put, PutResult)
        return PutResult(result.revision, put.prev_kv)

    async def create(self, key: bytes, value: bytes, *, lease: int = 0) -> int:
        result = await self.txn((Compare.create(key, "=", 0),), (Put(key, value, lease=lease),))
        if not result.succeeded:
            raise KeyExistsError(key)
        return result.revision

    async def update(self, key: bytes, value: bytes, *, mod_revision: int, lease: int = 0) -> int:
        result = await self.txn(
            (Compare.mod(key, "=", mod_revision),), (Put(key, value, lease=lease),), (Range(key),)
        )
        if not result.succeeded:
            self._raise_mismatch(key, mod_revision, result)
        return result.revision

    async def delete(self, key: bytes, *, mod_revision: int | None = None) -> DeleteResult:
        guard = Compare.create(key, ">", 0) if mod_revision is None else Compare.mod(key, "=", mod_revision)
        result = await self.txn((guard,), (DeleteRange(key, prev_kv=True),), (Range(key),))
        if not result.succeeded:
            self._raise_mismatch(key, mod_revision or 0, result)
        deleted = result.results[0]
        assert isinstance(deleted, DeleteResult)
        return DeleteResult(result.revision, deleted.deleted, deleted.prev_kvs)

    @staticmethod
    def _raise_mismatch(key: bytes, expected: int, result: TxnResult) -> None:
        current = result.results[0]
        assert isinstance(current, RangeResult)
        if not current.kvs:
            raise KeyNotFoundError(key)
        raise ConflictError(key, expected, current.kvs[0])
