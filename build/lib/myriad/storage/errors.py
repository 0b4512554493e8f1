"""Typed errors of the storage layer; both backends raise exactly these.

Hierarchy::

    StorageError
    ├── KeyExistsError            create() of a key that exists
    ├── KeyNotFoundError          update()/delete() of a key that is missing
    ├── ConflictError             update()/delete() whose expected mod_revision is stale
    ├── CompactedError            a read below the compacted revision, or a watch starting at or below it
    ├── FutureRevisionError       a read at a revision the store has not reached
    ├── LeaseNotFoundError        a put/keepalive/revoke naming an unknown or expired lease
    ├── InvalidRequestError       the request itself is malformed
    │   ├── KeyTooLargeError      key over MAX_KEY_BYTES
    │   ├── ValueTooLargeError    value over MAX_VALUE_BYTES
    │   └── TooManyOpsError       transaction over MAX_TXN_OPS operations
    ├── UnavailableError          the backend cannot be reached (retry may succeed)
    ├── CorruptStoreError         the data directory holds a corrupt or foreign file
    └── StoreClosedError          the store was closed, or failed and stopped accepting work

Backend-specific exceptions are always chained (``raise ... from``) into one of these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from myriad.storage.interfaces import KeyValue


class StorageError(Exception):
    """Base of every error the storage layer raises."""


class KeyExistsError(StorageError):
    def __init__(self, key: bytes) -> None:
        super().__init__(f"key already exists: {key!r}")
        self.key = key


class KeyNotFoundError(StorageError):
    def __init__(self, key: bytes) -> None:
        super().__init__(f"key not found: {key!r}")
        self.key = key


class ConflictError(StorageError):
    """The key exists but its mod_revision is not the expected one; ``current`` is what is stored."""

    def __init__(self, key: bytes, expected_mod_revision: int, current: KeyValue) -> None:
        super().__init__(
            f"conflict on {key!r}: expected mod_revision {expected_mod_revision}, "
            f"found {current.mod_revision}"
        )
        self.key = key
        self.expected_mod_revision = expected_mod_revision
        self.current = current


class CompactedError(StorageError):
    def __init__(self, compacted_revision: int, requested_revision: int | None = None) -> None:
        detail = f" (requested {requested_revision})" if requested_revision is not None else ""
        super().__init__(f"required revision has been compacted: compacted at {compacted_revision}{detail}")
        self.compacted_revision = compacted_revision
        self.requested_revision = requested_revision


class FutureRevisionError(StorageError):
    def __init__(self, requested_revision: int, current_revision: int) -> None:
        super().__init__(
            f"required revision {requested_revision} is a future revision (current {current_revision})"
        )
        self.requested_revision = requested_revision
        self.current_revision = current_revision


class LeaseNotFoundError(StorageError):
    def __init__(self, lease_id: int) -> None:
        super().__init__(f"requested lease not found: {lease_id}")
        self.lease_id = lease_id


class InvalidRequestError(StorageError):
    """The request is malformed; retrying it unchanged cannot succeed."""


class KeyTooLargeError(InvalidRequestError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"key is too large: {size} bytes, limit {limit}")
        self.size = size
        self.limit = limit


class ValueTooLargeError(InvalidRequestError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"value is too large: {size} bytes, limit {limit}")
        self.size = size
        self.limit = limit


class TooManyOpsError(InvalidRequestError):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"too many operations in transaction: {count}, limit {limit}")
        self.count = count
        self.limit = limit


class UnavailableError(StorageError):
    """The backend could not be reached; for a write, whether it applied is unknown."""


class CorruptStoreError(StorageError):
    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.detail = detail


class StoreClosedError(StorageError):
    pass
