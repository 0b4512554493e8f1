"""The REST client: every verb of the Kubernetes API over balanced, retried keep-alive connections.

Objects are plain dicts decoded with orjson (informers keep compact
:class:`~myriad.client.objects.Object` values, which request bodies may hold too). A non-2xx answer raises the
:mod:`myriad.client.errors` class of its Status; retries follow :mod:`myriad.client.retry`;
requests and watches are spread over the endpoints by :mod:`myriad.client.balancer`.

Concurrency: a :class:`Client` is used from one event loop, by any number of tasks at once;
each request borrows its own connection.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import quote

import orjson

from myriad.client.balancer import Balancer
from myriad.client.connection import Response
from myriad.client.endpoints import Endpoint
from myriad.client.errors import ClientError, RequestTimedOut, TransportError, api_error
from myriad.client.kubeconfig import load_kubeconfig
from myriad.client.objects import to_json
from myriad.client.retry import delay, parse_retry_after, retryable
from myriad.client.throttle import Throttle
from myriad.client.types import ClientOptions, PatchType, Resource, WatchEvent
from myriad.client.watch import Watch

JSON = "application/json"
JSON_BYTES = JSON.encode()
#: ``Accept`` for lists and watches of objects' metadata only (what metadata informers ask).
METADATA_LIST = b"application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA = b"application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
Query = Mapping[str, str | int | bool | None]


class Client:
    def __init__(self, options: ClientOptions, *, namespace: str = "default") -> None:
        self.options = options
        #: Used for namespaced calls that name no namespace and whose body has none.
        self.namespace = namespace
        endpoints = [Endpoint.parse(url, max_idle=options.max_idle_per_endpoint,
                                    connect_timeout=options.connect_timeout, idle_timeout=options.idle_timeout,
                                    max_requests=options.max_requests_per_endpoint)
                     for url in options.endpoints]
        self.balancer = Balancer(endpoints, options=options.balancer, clock=options.clock)
        self._throttle = Throttle(qps=options.qps, burst=max(options.burst, 1), clock=options.clock) \
            if options.qps > 0 else None
        #: Requests sent, by (verb, resource[/subresource], HTTP status or "transport"), retries
        #: counted each (watches are not requests).
        self.requests: Counter[tuple[str, str, str]] = Counter()
        extra = "".join(f"{name}: {value}\r\n" for name, value in options.headers.items())
        self._common = f"User-Agent: {options.user_agent}\r\n{extra}".encode()

    @classmethod
    def from_kubeconfig(cls, path: str | None = None, *, context: str | None = None, **options: Any) -> Client:
        """A client for a kubeconfig context's server; ``options`` are further ClientOptions fields."""
        found = load_kubeconfig(path, context=context)
        return cls(ClientOptions(endpoints=(found.server,), **options), namespace=found.namespace)

    async def close(self) -> None:
        await self.balancer.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- verbs ---------------------------------------------------------------------------------

    async def get(self, resource: Resource, name: str, *, namespace: str | None = None,
                  subresource: str | None = None) -> dict[str, Any]:
        path = resource.path(namespace=self._namespace(resource, namespace), name=name, subresource=subresource)
        return await self.call("GET", path)

    async def list(self, resource: Resource, *, namespace: str | None = None, label_selector: str | None = None,
                   field_selector: str | None = None, limit: int | None = None, continue_: str | None = None,
                   resource_version: str | None = None, resource_version_match: str | None = None) -> dict[str, Any]:
        """One list answer; a namespaced resource without ``namespace`` lists every namespace."""
        body = await self.list_body(resource, namespace=namespace, label_selector=label_selector,
                                    field_selector=field_selector, limit=limit, continue_=continue_,
                                    resource_version=resource_version,
                                    resource_version_match=resource_version_match)
        return orjson.loads(body)

    async def list_body(self, resource: Resource, *, namespace: str | None = None, label_selector: str | None = None,
                        field_selector: str | None = None, limit: int | None = None, continue_: str | None = None,
                        resource_version: str | None = None, resource_version_match: str | None = None,
                        accept: bytes = JSON_BYTES) -> bytes:
        """One list answer, undecoded (informers decode it into compact objects); ``accept``
        may ask for another form, such as :data:`METADATA_LIST`."""
        query = {"labelSelector": label_selector, "fieldSelector": field_selector, "limit": limit,
                 "continue": continue_, "resourceVersion": resource_version,
                 "resourceVersionMatch": resource_version_match}
        target = (resource.path(namespace=namespace) + _query_string(query)).encode()
        return (await self.send(b"GET", target, accept=accept)).body

    async def list_pages(self, resource: Resource, *, page_size: int = 500, **selectors: Any) -> AsyncIterator[dict]:
        """Each page of a paginated list, following ``continue`` tokens to the end."""
        token = None
        while True:
            page = await self.list(resource, limit=page_size, continue_=token, **selectors)
            yield page
            token = page.get("metadata", {}).get("continue")
            if not token:
                return

    async def list_all(self, resource: Resource, *, page_size: int = 500,
                       **selectors: Any) -> tuple[list[dict[str, Any]], str]:
        """Every item, paging through ``page_size`` at a time, and the list's resourceVersion
        (every page is read at the first page's revision)."""
        items: list[dict[str, Any]] = []
        version = ""
        async for page in self.list_pages(resource, page_size=page_size, **selectors):
            items.extend(page.get("items") or [])
            version = version or page.get("metadata", {}).get("resourceVersion", "")
        return items, version

    async def create(self, resource: Resource, body: dict[str, Any], *, namespace: str | None = None,
                     subresource: str | None = None, name: str | None = None, dry_run: bool = False,
                     field_manager: str | None = None) -> dict[str, Any]:
        """POSTs ``body`` to the collection (or to a subresource of ``name``, e.g. a binding or eviction)."""
        path = resource.path(namespace=self._namespace(resource, namespace, body), name=name, subresource=subresource)
        return await self.call("POST", path, body=body, query=_write_query(dry_run, field_manager))

    async def update(self, resource: Resource, body: dict[str, Any], *, namespace: str | None = None,
                     subresource: str | None = None, dry_run: bool = False,
                     field_manager: str | None = None) -> dict[str, Any]:
        """PUTs ``body`` to the object it names (or its subresource, e.g. ``status``)."""
        name = body.get("metadata", {}).get("name")
        if not name:
            raise ClientError("update needs metadata.name in the body")
        path = resource.path(namespace=self._namespace(resource, namespace, body), name=name, subresource=subresource)
        return await self.call("PUT", path, body=body, query=_write_query(dry_run, field_manager))

    async def patch(self, resource: Resource, name: str, patch: Any, *, patch_type: PatchType = PatchType.MERGE,
                    namespace: str | None = None, subresource: str | None = None, dry_run: bool = False,
                    field_manager: str | None = None, force: bool | None = None) -> dict[str, Any]:
        """PATCHes ``name``; ``patch`` is a dict or list (encoded as JSON, which is also valid
        YAML for apply) or bytes sent as they are. Apply needs ``field_manager``."""
        query = {**_write_query(dry_run, field_manager), "force": force}
        path = resource.path(namespace=self._namespace(resource, namespace), name=name, subresource=subresource)
        return await self.call("PATCH", path, body=patch, query=query, content_type=patch_type.value)

    async def apply(self, resource: Resource, obj: dict[str, Any], *, field_manager: str, force: bool = False,
                    namespace: str | None = None, subresource: str | None = None,
                    dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply of ``obj`` (named by its metadata) as ``field_manager``: creates it
        or merges it in; a 409 ``Conflict`` names the fields other managers own, unless ``force``."""
        name = (obj.get("metadata") or {}).get("name") or ""
        return await self.patch(resource, name, obj, patch_type=PatchType.APPLY,
                                namespace=namespace or (obj.get("metadata") or {}).get("namespace"),
                                subresource=subresource, dry_run=dry_run, field_manager=field_manager,
                                force=force or None)

    async def delete(self, resource: Resource, name: str, *, namespace: str | None = None,
                     propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                     preconditions: dict[str, str] | None = None, dry_run: bool = False) -> dict[str, Any]:
        """DELETEs ``name``; returns what the server answered (the object, or a Status)."""
        options = _delete_options(propagation_policy, grace_period_seconds, preconditions, dry_run)
        path = resource.path(namespace=self._namespace(resource, namespace), name=name)
        return await self.call("DELETE", path, body=options)

    async def delete_collection(self, resource: Resource, *, namespace: str | None = None,
                                label_selector: str | None = None, field_selector: str | None = None,
                                propagation_policy: str | None = None) -> dict[str, Any]:
        query = {"labelSelector": label_selector, "fieldSelector": field_selector}
        options = _delete_options(propagation_policy, None, None, False)
        path = resource.path(namespace=self._namespace(resource, namespace))
        return await self.call("DELETE", path, body=options, query=query)

    def watch(self, resource: Resource, *, namespace: str | None = None, resource_version: str | None = None,
              label_selector: str | None = None, field_selector: str | None = None, allow_bookmarks: bool = True,
              timeout_seconds: int | None = None, send_initial_events: bool | None = None,
              decode: Callable[[bytes], WatchEvent] | None = None, accept: bytes = JSON_BYTES) -> Watch:
        """A watch, started on first iteration: ``async with client.watch(...) as w: async for e in w``.
        ``decode`` turns each line into an event (by default, objects are decoded to dicts);
        ``accept`` may ask for another form of the objects, such as :data:`METADATA`."""
        query = {"watch": "true", "resourceVersion": resource_version, "labelSelector": label_selector,
                 "fieldSelector": field_selector, "allowWatchBookmarks": allow_bookmarks or None,
                 "timeoutSeconds": timeout_seconds, "sendInitialEvents": send_initial_events}
        if send_initial_events:
            query["resourceVersionMatch"] = "NotOlderThan"
        return Watch(self, resource.path(namespace=namespace) + _query_string(query), decode=decode, accept=accept)

    # -- the wire ------------------------------------------------------------------------------

    async def call(self, method: str, path: str, *, query: Query | None = None, body: Any = None,
                   content_type: str = JSON) -> dict[str, Any]:
        """One API call with retries; the decoded answer (``{}`` for an empty body)."""
        payload = b"" if body is None else body if isinstance(body, bytes) else orjson.dumps(body, default=to_json)
        response = await self.send(method.encode(), (path + _query_string(query or {})).encode(), payload,
                                   content_type=content_type.encode())
        return orjson.loads(response.body) if response.body else {}

    async def send(self, method: bytes, target: bytes, body: bytes = b"", *,
                   content_type: bytes = JSON_BYTES, accept: bytes = JSON_BYTES) -> Response:
        """Sends a request until it succeeds or may not be retried; raises APIError or TransportError."""
        retry = self.options.retry
        clock = self.options.clock
        failed_on: list[Endpoint] = []
        attempt = 0
        while True:
            attempt += 1
            if self._throttle is not None:
                await self._throttle.wait()
            endpoint = self.balancer.pick(avoid=failed_on)
            try:
                response = await self._exchange(endpoint, method, target, body, content_type, accept)
            except TransportError as exc:
                self.requests[(method.decode(), resource_of(target), "transport")] += 1
                self.balancer.failed(endpoint)
                failed_on.append(endpoint)
                if attempt >= retry.attempts or not retryable(exc, method):
                    raise
                if len(set(failed_on)) < len(self.balancer.endpoints):
                    continue  # an untried endpoint: no reason to wait
                await clock.sleep(delay(attempt, retry))
                continue
            self.balancer.succeeded(endpoint)
            self.requests[(method.decode(), resource_of(target), str(response.status))] += 1
            if response.status < 300:
                return response
            error = api_error(response.status, response.body,
                              retry_after=parse_retry_after(response.headers.get(b"retry-after")))
            if attempt >= retry.attempts or not retryable(error, method):
                raise error
            await clock.sleep(delay(attempt, retry, retry_after=error.retry_after))

    async def _exchange(self, endpoint: Endpoint, method: bytes, target: bytes, body: bytes,
                        content_type: bytes, accept: bytes) -> Response:
        head = self.head(endpoint, method, target, accept)
        if body or method in (b"POST", b"PUT", b"PATCH"):
            head += b"Content-Type: %s\r\nContent-Length: %d\r\n" % (content_type, len(body))
        head += b"\r\n"
        endpoint.outstanding += 1  # waiting for a slot counts: least-outstanding then looks elsewhere
        try:
            async with endpoint.slots:
                return await self._exchange_on(endpoint, method, target, head, body)
        finally:
            endpoint.outstanding -= 1

    async def _exchange_on(self, endpoint: Endpoint, method: bytes, target: bytes, head: bytes,
                           body: bytes) -> Response:
        connection = await endpoint.connection(self.options.clock.monotonic())
        try:
            async with asyncio.timeout(self.options.request_timeout):
                response = await connection.request(head, body)
        except BaseException as exc:  # a timeout or a cancellation leaves an answer pending: drop it
            connection.close()
            if not isinstance(exc, TimeoutError):
                raise
            raise RequestTimedOut(f"{method.decode()} {target.decode()[:200]}: no answer from "
                                  f"{endpoint.url} within {self.options.request_timeout:g} s") from exc
        endpoint.release(connection, self.options.clock.monotonic())
        return response

    def head(self, endpoint: Endpoint, method: bytes, target: bytes, accept: bytes = JSON_BYTES) -> bytes:
        """A request's first lines, without the closing blank line."""
        return b"%s %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: %s\r\n%s" % (
            method, target, endpoint.host.encode(), endpoint.port, accept, self._common)

    def _namespace(self, resource: Resource, namespace: str | None, body: dict[str, Any] | None = None) -> str | None:
        if not resource.namespaced:
            return None
        return namespace or (body or {}).get("metadata", {}).get("namespace") or self.namespace


def resource_of(target: bytes) -> str:
    """The resource (and subresource) a request path names: ``pods``, ``pods/status``,
    ``leases``; the path itself for the non-resource ones (``/version``)."""
    parts = target.split(b"?", 1)[0].split(b"/")
    if len(parts) < 4 or parts[1] not in (b"api", b"apis"):
        return b"/".join(parts).decode()
    rest = parts[3:] if parts[1] == b"api" else parts[4:]
    if len(rest) > 2 and rest[0] == b"namespaces":
        rest = rest[2:]
    if not rest:
        return ""
    return (rest[0] + b"/" + rest[2]).decode() if len(rest) > 2 else rest[0].decode()


def _write_query(dry_run: bool, field_manager: str | None) -> dict[str, str | None]:
    return {"dryRun": "All" if dry_run else None, "fieldManager": field_manager}


def _delete_options(propagation_policy: str | None, grace_period_seconds: int | None,
                    preconditions: dict[str, str] | None, dry_run: bool) -> dict[str, Any] | None:
    options: dict[str, Any] = {}
    if propagation_policy:
        options["propagationPolicy"] = propagation_policy
    if grace_period_seconds is not None:
        options["gracePeriodSeconds"] = grace_period_seconds
    if preconditions:
        options["preconditions"] = preconditions
    if dry_run:
        options["dryRun"] = ["All"]
    if not options:
        return None
    return {"kind": "DeleteOptions", "apiVersion": "v1", **options}


def _query_string(query: Query) -> str:
    parts = []
    for key, value in query.items():
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(f"{key}={quote(text, safe='')}")
    return "?" + "&".join(parts) if parts else ""
