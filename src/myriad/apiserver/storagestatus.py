"""The Status a storage error gives when it reaches the edge of a request.

The REST store and the read paths turn the storage errors they expect into the Status upstream
gives at that point (a create's existing key is 409 AlreadyExists, a list below the compacted
revision 410 Expired). Any storage error that escapes them is mapped here, as upstream's
``storage.Interpret*Error`` and its etcd3 error translation map them, so no storage error that
a client's input can cause leaves as a 500:

======================  ==================================================================
storage error           Status
======================  ==================================================================
KeyExistsError          409 AlreadyExists
KeyNotFoundError        404 NotFound
ConflictError           409 Conflict, the optimistic-lock message
CompactedError          410 Expired
FutureRevisionError     504 Timeout, cause ResourceVersionTooLarge, Retry-After
KeyTooLargeError        404 NotFound; 422 on create (no object can have such a name)
ValueTooLargeError      413 RequestEntityTooLarge, etcd's "request is too large"
UnavailableError        503 ServiceUnavailable, Retry-After
StoreClosedError        503 ServiceUnavailable, Retry-After (the server is stopping)
the others              500 InternalError: lease, transaction-size, malformed-request and
                        corruption errors come from the server's own requests, never from
                        what a client sent
======================  ==================================================================
"""

from __future__ import annotations

from myriad.api.errors import (
    OPTIMISTIC_LOCK_MESSAGE,
    AlreadyExistsError,
    ConflictError,
    ExpiredError,
    InternalError,
    InvalidError,
    NotFoundError,
    RequestEntityTooLargeError,
    ServiceUnavailableError,
    StatusError,
)
from myriad.api.errors import TimeoutError as TimeoutError_
from myriad.api.meta import too_long
from myriad.storage import errors as storage_errors
from myriad.storage.interfaces import MAX_KEY_BYTES


def status_of(error: storage_errors.StorageError, *, verb: str, resource: str, group: str,
              name: str) -> StatusError:
    """The Status for ``error``, raised serving ``verb`` on ``resource`` (plural) named ``name``."""
    if isinstance(error, storage_errors.KeyExistsError):
        return AlreadyExistsError.of(resource, group, name)
    if isinstance(error, storage_errors.KeyNotFoundError):
        return NotFoundError.of(resource, group, name)
    if isinstance(error, storage_errors.ConflictError):
        return ConflictError.of(resource, group, name, OPTIMISTIC_LOCK_MESSAGE)
    if isinstance(error, storage_errors.CompactedError):
        return ExpiredError(f"too old resource version: {error.requested_revision or 0} ({error.compacted_revision})")
    if isinstance(error, storage_errors.FutureRevisionError):
        return TimeoutError_(f"Too large resource version: {error.requested_revision}, "
                             f"current: {error.current_revision}")
    if isinstance(error, storage_errors.KeyTooLargeError):
        if verb != "create":
            return NotFoundError.of(resource, group, name)
        cause = too_long("metadata.name", MAX_KEY_BYTES)
        return InvalidError(f"{resource} is invalid: {cause.field}: {cause.message}", group=group, kind=resource,
                            causes=[cause])
    if isinstance(error, storage_errors.ValueTooLargeError):
        return RequestEntityTooLargeError("etcdserver: request is too large")
    if isinstance(error, storage_errors.UnavailableError):
        return ServiceUnavailableError(f"storage is unavailable: {error}", retry_after=1)
    if isinstance(error, storage_errors.StoreClosedError):
        return ServiceUnavailableError("storage is closed: the server is stopping", retry_after=1)
    return InternalError.of(error)


def is_internal(error: storage_errors.StorageError) -> bool:
    """Whether ``error`` is the server's own fault (it is logged with its traceback)."""
    return isinstance(status_of(error, verb="", resource="", group="", name=""), InternalError)
