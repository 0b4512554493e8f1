"""Errors the client raises: API answers mirrored from their ``Status``, and transport failures.

Hierarchy::

    ClientError
    ├── APIError                   any non-2xx answer; .status (HTTP code), .reason, .message,
    │   │                          .details and the decoded Status body
    │   ├── BadRequest             400 BadRequest
    │   ├── Unauthorized           401 Unauthorized
    │   ├── Forbidden              403 Forbidden
    │   ├── NotFound               404 NotFound
    │   ├── MethodNotAllowed       405 MethodNotAllowed
    │   ├── NotAcceptable          406 NotAcceptable
    │   ├── AlreadyExists          409 AlreadyExists
    │   ├── Conflict               409 Conflict
    │   ├── Gone                   410 Gone or Expired (also a watch's ERROR 410 event)
    │   ├── RequestEntityTooLarge  413 RequestEntityTooLarge
    │   ├── UnsupportedMediaType   415 UnsupportedMediaType
    │   ├── Invalid                422 Invalid; .causes lists the field errors
    │   ├── TooManyRequests        429 TooManyRequests; .retry_after in seconds
    │   ├── InternalError          500 InternalError
    │   ├── ServiceUnavailable     503 ServiceUnavailable
    │   └── ServerTimeout          504 Timeout
    ├── ViewOnly                   an informer's object kept as its view alone was read whole
    └── TransportError             no complete answer from any endpoint
        ├── ConnectFailed          the connection could not be made: the request was never sent
        ├── ConnectionLost         the connection broke after the request was written; it may have
        │                          been executed (.sent is True)
        └── RequestTimedOut        no whole answer within the request timeout (.sent is True)

:func:`api_error` picks the class by ``reason`` first, then by HTTP code, as client-go's
``errors.ReasonForError`` does, so a Status with an unknown reason still maps by its code.
"""

from __future__ import annotations

from typing import Any

import orjson


class ClientError(Exception):
    """Base of everything the client raises on purpose."""


class APIError(ClientError):
    """The server answered with a non-2xx status."""

    status_code = 0

    def __init__(self, status: int, body: dict[str, Any], *, retry_after: float | None = None) -> None:
        self.status = status
        self.body = body
        self.reason: str = body.get("reason", "") or ""
        self.message: str = body.get("message", "") or f"the server answered {status}"
        self.details: dict[str, Any] = body.get("details") or {}
        self.retry_after = retry_after
        super().__init__(f"{status} {self.reason or 'error'}: {self.message}")

    @property
    def causes(self) -> list[dict[str, str]]:
        return list(self.details.get("causes") or [])


class BadRequest(APIError):
    status_code = 400


class Unauthorized(APIError):
    status_code = 401


class Forbidden(APIError):
    status_code = 403


class NotFound(APIError):
    status_code = 404


class MethodNotAllowed(APIError):
    status_code = 405


class NotAcceptable(APIError):
    status_code = 406


class AlreadyExists(APIError):
    status_code = 409


class Conflict(APIError):
    status_code = 409


class Gone(APIError):
    status_code = 410


class RequestEntityTooLarge(APIError):
    status_code = 413


class UnsupportedMediaType(APIError):
    status_code = 415


class Invalid(APIError):
    status_code = 422


class TooManyRequests(APIError):
    status_code = 429


class InternalError(APIError):
    status_code = 500


class ServiceUnavailable(APIError):
    status_code = 503


class ServerTimeout(APIError):
    status_code = 504


class ViewOnly(ClientError):
    """An informer object kept as its view alone (its informer's ``keep_whole`` said so) was
    read as a whole object."""


class TransportError(ClientError):
    """No complete answer: every attempt failed below HTTP."""

    sent = False


class ConnectFailed(TransportError):
    """No connection could be made, so the request provably never reached a server."""


class ConnectionLost(TransportError):
    """The connection broke after the request was written: the server may have executed it."""

    sent = True


class RequestTimedOut(TransportError):
    """No whole answer came within the request timeout; the server may have executed it."""

    sent = True


_BY_REASON: dict[str, type[APIError]] = {
    "BadRequest": BadRequest, "Unauthorized": Unauthorized, "Forbidden": Forbidden, "NotFound": NotFound,
    "MethodNotAllowed": MethodNotAllowed, "NotAcceptable": NotAcceptable, "AlreadyExists": AlreadyExists,
    "Conflict": Conflict, "Gone": Gone, "Expired": Gone, "RequestEntityTooLarge": RequestEntityTooLarge,
    "UnsupportedMediaType": UnsupportedMediaType, "Invalid": Invalid, "TooManyRequests": TooManyRequests,
    "InternalError": InternalError, "ServiceUnavailable": ServiceUnavailable, "Timeout": ServerTimeout,
}
_BY_CODE: dict[int, type[APIError]] = {
    400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 405: MethodNotAllowed,
    406: NotAcceptable, 409: Conflict, 410: Gone, 413: RequestEntityTooLarge, 415: UnsupportedMediaType,
    422: Invalid, 429: TooManyRequests, 500: InternalError, 503: ServiceUnavailable, 504: ServerTimeout,
}


def api_error(status: int, body: bytes | dict[str, Any], *, retry_after: float | None = None) -> APIError:
    """The error for an answer of ``status`` whose body is ``body`` (a Status, ideally)."""
    if isinstance(body, bytes | bytearray | memoryview):
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict):
            text = bytes(body[:500]).decode("utf-8", "replace").strip()
            decoded = {"message": text or f"the server answered {status}"}
        body = decoded
    cls = _BY_REASON.get(body.get("reason") or "") or _BY_CODE.get(status, APIError)
    return cls(status, body, retry_after=retry_after)
