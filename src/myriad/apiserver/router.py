"""The request entry point: health, version, discovery and metrics paths, then resource paths;
every error leaves as an upstream-shaped Status, and every request is counted."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import orjson

from myriad.api.errors import InternalError, NotFoundError, StatusError
from myriad.apiserver.discovery import Discovery
from myriad.apiserver.endpoints.resource import ResourceEndpoints
from myriad.apiserver.flowcontrol.limiter import FlowController, Rejected
from myriad.apiserver.health import HealthChecks
from myriad.apiserver.http import Request, Responder
from myriad.apiserver.metrics import ServerMetrics
from myriad.apiserver.openapi import OpenAPI
from myriad.apiserver.openapiv2 import OpenAPIV2
from myriad.apiserver.requestinfo import request_info
from myriad.apiserver.storagestatus import is_internal, status_of
from myriad.storage import errors as storage_errors

log = logging.getLogger(__name__)
#: Seconds a request's seats wait for its answer to drain to a slow reader.
DRAIN_LIMIT = 5.0


def _pf_headers(level: str, schema: str) -> list[tuple[str, str]]:
    """Upstream's APF response headers; they carry object UIDs, here derived from the names."""
    return [("X-Kubernetes-PF-FlowSchema-UID", str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowschema/{schema}"))),
            ("X-Kubernetes-PF-PriorityLevel-UID", str(uuid.uuid5(uuid.NAMESPACE_URL, f"prioritylevel/{level}")))]


class Router:
    def __init__(self, *, resources: ResourceEndpoints, discovery: Discovery, openapi: OpenAPI,
                 openapi_v2: OpenAPIV2, metrics: ServerMetrics, version: bytes,
                 count_objects: Callable[[], Awaitable[dict[str, int]]], health: HealthChecks,
                 flow: FlowController | None = None) -> None:
        self._health = health
        self._count_objects = count_objects
        self._flow = flow
        self._openapi = openapi
        self._openapi_v2 = openapi_v2
        self._resources = resources
        self._discovery = discovery
        self._metrics = metrics
        self._version = version

    async def __call__(self, request: Request, responder: Responder) -> None:
        started = time.perf_counter()
        info = request_info(request)
        watching = info.is_resource and info.verb == "watch"
        ticket = None
        if info.is_resource and self._flow is not None:
            try:
                ticket = await self._flow.admit(info, user_agent=request.header("user-agent"),
                                                headers=request.headers)
            except Rejected as rejected:
                responder.send(429, b"Too many requests, please try again later.\n",
                               content_type="text/plain; charset=utf-8",
                               headers=[("Retry-After", str(rejected.retry_after)), *_pf_headers(rejected.level,
                                                                                          rejected.schema)])
                self._metrics.observe(info, request.method, 429, time.perf_counter() - started)
                return
        gauge = None
        if watching:
            gauge = self._metrics.longrunning.labels("WATCH", info.group, info.version, info.resource)
            gauge.inc()
        try:
            if info.is_resource:
                await self._resources.handle(info, request, responder)
            elif request.path.rstrip("/") == "/metrics":
                for resource, count in (await self._count_objects()).items():
                    self._metrics.storage_objects.labels(resource).set(count)
                responder.send(200, self._metrics.exposition(),
                               content_type="text/plain; version=0.0.4; charset=utf-8")
            else:
                await self._non_resource(request, responder)
        except StatusError as error:
            self._fail(responder, error)
        except storage_errors.StorageError as exc:
            if is_internal(exc):
                log.exception("storage failed serving %s %s", request.method, request.path)
            self._fail(responder, status_of(exc, verb=info.verb, resource=info.resource, group=info.group,
                                            name=info.name))
        except Exception as exc:
            log.exception("internal error serving %s %s", request.method, request.path)
            self._fail(responder, InternalError.of(exc))
        finally:
            if ticket is not None:
                # A large answer holds its seats until it has gone out (or DRAIN_LIMIT passed).
                await responder.drained(DRAIN_LIMIT)
                ticket.release()
            elif watching and self._flow is not None:
                self._flow.watch_ended()
            if gauge is not None:
                gauge.dec()
            self._metrics.observe(info, request.method, responder.status, time.perf_counter() - started)

    @staticmethod
    def _fail(responder: Responder, error: StatusError) -> None:
        if responder.started:
            return
        headers = [("Retry-After", str(error.retry_after))] if error.retry_after else []
        responder.send(error.code, error.encode(), headers=headers)

    async def _non_resource(self, request: Request, responder: Responder) -> None:
        path = request.path.rstrip("/") or "/"
        if path.startswith(("/healthz", "/livez", "/readyz")):
            verbose = request.param("verbose") is not None
            answer = await self._health.answer(path, verbose=verbose, exclude=request.query.get("exclude", []))
            if answer is None:
                raise NotFoundError("the server could not find the requested resource", empty_details=True)
            responder.send(answer[0], answer[1], content_type="text/plain; charset=utf-8",
                           headers=[("X-Content-Type-Options", "nosniff")])
            return
        if path == "/version":
            responder.send(200, self._version)
            return
        if path == "/openapi/v2":
            answer = self._openapi_v2.document(request.header("accept"))
            if answer is None:  # nothing acceptable: upstream answers 406 with no body
                responder.send(406, b"", content_type="text/plain; charset=utf-8")
                return
            content_type, body = answer
            responder.send(200, body, content_type=content_type,
                           headers=[("ETag", self._openapi_v2.etag()), ("Vary", "Accept")])
            return
        if path == "/openapi/v3":
            responder.send(200, self._openapi.index())
            return
        if path.startswith("/openapi/v3/"):
            document = self._openapi.document(path[len("/openapi/v3/"):])
            if document is None:
                raise NotFoundError("the server could not find the requested resource", empty_details=True)
            responder.send(200, document)
            return
        body = self._discovery.document(path)
        if body is not None:
            responder.send(200, body)
            return
        if path == "/":
            paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/metrics", "/openapi/v2", "/openapi/v3",
                     "/readyz", "/version"]
            responder.send(200, orjson.dumps({"paths": paths}))
            return
        raise NotFoundError("the server could not find the requested resource", empty_details=True)
