"""Kubernetes ``Status`` errors, shaped byte for byte as kube-apiserver writes them.

Hierarchy (HTTP code, ``reason``)::

    StatusError
    ├── BadRequestError            400 BadRequest
    ├── ForbiddenError             403 Forbidden
    ├── NotFoundError              404 NotFound
    ├── MethodNotAllowedError      405 MethodNotAllowed
    ├── NotAcceptableError         406 NotAcceptable
    ├── AlreadyExistsError         409 AlreadyExists
    ├── ConflictError              409 Conflict
    ├── GoneError                  410 Gone
    ├── ExpiredError               410 Expired
    ├── RequestEntityTooLargeError 413 RequestEntityTooLarge
    ├── UnsupportedMediaTypeError  415 UnsupportedMediaType
    ├── InvalidError               422 Invalid (with field causes)
    ├── TooManyRequestsError       429 TooManyRequests (with Retry-After)
    ├── InternalError              500 InternalError
    ├── TimeoutError               504 Timeout (a resourceVersion not reached yet)
    └── ServiceUnavailableError    503 ServiceUnavailable

Each error renders as a ``Status`` in Go's field order (kind, apiVersion, metadata, status,
message, reason, details, code), compact JSON ending in a newline, empty fields omitted as Go's
``omitempty`` does. ``qualified`` is a resource's plural with its group (``deployments.apps``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson


@dataclass(frozen=True, slots=True)
class Cause:
    """One field error of an Invalid status: ``reason`` is a CauseType such as FieldValueRequired."""

    reason: str
    message: str
    field: str

    def to_dict(self) -> dict[str, str]:
        out = {}
        if self.reason:
            out["reason"] = self.reason
        if self.message:
            out["message"] = self.message
        if self.field:
            out["field"] = self.field
        return out


def qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


class StatusError(Exception):
    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, name: str = "", group: str = "", kind: str = "", uid: str = "",
                 causes: Sequence[Cause] = (), retry_after: int = 0, empty_details: bool = False) -> None:
        super().__init__(message)
        #: Go's non-nil but empty StatusDetails: ``"details":{}`` (generic server responses).
        self.empty_details = empty_details
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = tuple(causes)
        self.retry_after = retry_after

    def details(self) -> dict[str, object] | None:
        details: dict[str, object] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.uid:
            details["uid"] = self.uid
        if self.causes:
            details["causes"] = [cause.to_dict() for cause in self.causes]
        if self.retry_after:
            details["retryAfterSeconds"] = self.retry_after
        return details or None

    def to_status(self) -> dict[str, object]:
        status: dict[str, object] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure"}
        if self.message:
            status["message"] = self.message
        if self.reason:
            status["reason"] = self.reason
        details = self.details()
        if details is not None or self.empty_details:
            status["details"] = details or {}
        status["code"] = self.code
        return status

    def encode(self) -> bytes:
        return html_escape(orjson.dumps(self.to_status())) + b"\n"


def html_escape(data: bytes) -> bytes:
    """Go's encoding/json escapes <, > and & in strings; Status bodies are compared byte for byte."""
    if b"<" in data or b">" in data or b"&" in data:
        data = data.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    return data


def success_status(code: int = 200, *, details: dict[str, object] | None = None) -> bytes:
    """A ``Status`` of success, as pods/binding (201) and some deletes return."""
    status: dict[str, object] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        status["details"] = details
    status["code"] = code
    return orjson.dumps(status) + b"\n"


class BadRequestError(StatusError):
    code = 400
    reason = "BadRequest"


class ForbiddenError(StatusError):
    code = 403
    reason = "Forbidden"

    @classmethod
    def of(cls, resource: str, group: str, name: str, why: str) -> ForbiddenError:
        what = f'{qualified(resource, group)} "{name}"' if name else qualified(resource, group)
        return cls(f"{what} is forbidden: {why}", name=name, group=group, kind=resource)


class NotFoundError(StatusError):
    code = 404
    reason = "NotFound"

    @classmethod
    def of(cls, resource: str, group: str, name: str) -> NotFoundError:
        return cls(f'{qualified(resource, group)} "{name}" not found', name=name, group=group, kind=resource)


class MethodNotAllowedError(StatusError):
    code = 405
    reason = "MethodNotAllowed"

    @classmethod
    def of(cls, resource: str, group: str, action: str) -> MethodNotAllowedError:
        return cls(f'{action} is not supported on resources of kind "{qualified(resource, group)}"',
                   group=group, kind=resource)


class NotAcceptableError(StatusError):
    code = 406
    reason = "NotAcceptable"


class AlreadyExistsError(StatusError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def of(cls, resource: str, group: str, name: str) -> AlreadyExistsError:
        return cls(f'{qualified(resource, group)} "{name}" already exists', name=name, group=group, kind=resource)


class ConflictError(StatusError):
    code = 409
    reason = "Conflict"

    @classmethod
    def of(cls, resource: str, group: str, name: str, why: str) -> ConflictError:
        return cls(f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}',
                   name=name, group=group, kind=resource)


#: The reason upstream gives when an update's resourceVersion is stale.
OPTIMISTIC_LOCK_MESSAGE = "the object has been modified; please apply your changes to the latest version and try again"


class GoneError(StatusError):
    code = 410
    reason = "Gone"


class ExpiredError(StatusError):
    code = 410
    reason = "Expired"


class RequestEntityTooLargeError(StatusError):
    code = 413
    reason = "RequestEntityTooLarge"


class UnsupportedMediaTypeError(StatusError):
    code = 415
    reason = "UnsupportedMediaType"


class InvalidError(StatusError):
    code = 422
    reason = "Invalid"

    @classmethod
    def generic(cls) -> InvalidError:
        """Upstream's fixed 422 when a JSON patch cannot apply (its own error text is dropped)."""
        return cls("the server rejected our request due to an error in our request", empty_details=True)

    @classmethod
    def of(cls, kind: str, group: str, name: str, causes: Sequence[Cause]) -> InvalidError:
        """``kind`` is the object's Kind (``Pod``), as upstream names it in this message."""
        messages = [f"{cause.field}: {cause.message}" if cause.field else cause.message for cause in causes]
        what = f"{kind}.{group}" if group else kind
        unique = list(dict.fromkeys(messages))
        aggregate = unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
        return cls(f'{what} "{name}" is invalid: {aggregate}', name=name, group=group, kind=kind, causes=causes)


class TooManyRequestsError(StatusError):
    code = 429
    reason = "TooManyRequests"


class TimeoutError(StatusError):  # noqa: A001 - upstream's name; imported qualified
    """504; a resourceVersion the store has not reached yet."""

    code = 504
    reason = "Timeout"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(f"Timeout: {message}", retry_after=retry_after,
                         causes=[Cause("ResourceVersionTooLarge", "Too large resource version", "")])


class InternalError(StatusError):
    code = 500
    reason = "InternalError"

    @classmethod
    def of(cls, error: BaseException | str) -> InternalError:
        text = str(error)
        return cls(f"Internal error occurred: {text}", causes=[Cause("", text, "")])


class ServiceUnavailableError(StatusError):
    code = 503
    reason = "ServiceUnavailable"
