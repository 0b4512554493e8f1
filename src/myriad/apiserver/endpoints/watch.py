"""Serving a watch: newline-delimited ``{"type","object"}`` events over a chunked response,
one chunk per event, ended by ``timeoutSeconds``, by the client going away, or by shutdown.

Errors found before the stream starts are ordinary Status responses; once it has started they
are ERROR events (a stale resourceVersion is a 200 followed by an ERROR carrying 410 Expired).
"""

from __future__ import annotations

import asyncio
import logging
import random

from myriad.api import gojson
from myriad.api.errors import InvalidError
from myriad.api.meta import forbidden
from myriad.api.registry import ResourceType
from myriad.apiserver.http import ClientGoneError, Request, Responder
from myriad.apiserver.params import go_bool, go_int64
from myriad.apiserver.rest.interfaces import ListOptions, ReadPath, WatchEvent
from myriad.apiserver.storagestatus import is_internal, status_of
from myriad.apiserver.tables.convert import TableConverter, View
from myriad.storage import errors as storage_errors

log = logging.getLogger(__name__)

#: kube-apiserver's --min-request-timeout: a watch without timeoutSeconds lasts between this
#: and twice this.
MIN_REQUEST_TIMEOUT = 1800.0


def _timeout(request: Request) -> float:
    text = request.param("timeoutSeconds")
    if text is None:
        return MIN_REQUEST_TIMEOUT * (1 + random.random())
    return max(0.0, float(min(go_int64(text), 2**31)))


def _flag(request: Request, name: str) -> bool | None:
    return go_bool(request.param(name))


async def serve_watch(reads: ReadPath, resource: ResourceType, options: ListOptions, request: Request,
                      responder: Responder, *, view: View | None = None, tables: TableConverter | None = None,
                      headers: list[tuple[str, str]] | None = None) -> None:
    """``view`` and ``tables`` turn each event's object into a one-row Table (or
    PartialObjectMetadata); column definitions go with the first event only. ``headers`` go out
    with the stream's head (a deprecation ``Warning``)."""
    send_initial = _flag(request, "sendInitialEvents")
    if send_initial is not None and options.resource_version_match != "NotOlderThan":
        raise _invalid("sendInitialEvents", "sendInitialEvents requires setting resourceVersionMatch to "
                                            "NotOlderThan")
    if options.resource_version_match and send_initial is None:
        raise _invalid("resourceVersionMatch", "resourceVersionMatch is forbidden for watch unless "
                                               "sendInitialEvents is provided")
    bookmarks = bool(_flag(request, "allowWatchBookmarks"))
    timeout = _timeout(request)
    events = await reads.watch(resource, options, send_initial=bool(send_initial), bookmarks=bookmarks or
                               bool(send_initial), timeout=timeout)
    stream = responder.stream(200, content_type="application/json", headers=headers or ())
    loop = asyncio.get_running_loop()

    async def pump() -> None:
        try:
            await relay()
        except storage_errors.StorageError as exc:  # after the head: the Status goes out as an ERROR event
            if is_internal(exc):
                log.exception("storage failed serving a watch of %s", resource.plural)
            status = status_of(exc, verb="watch", resource=resource.plural, group=resource.group, name="")
            await stream.write(*WatchEvent("ERROR", status.to_status()).line_parts())

    async def relay() -> None:
        headers = True
        async for event in events:
            if event.type == "BOOKMARK" and not bookmarks and not send_initial:
                continue
            if tables is not None and view is not None and event.type not in ("ERROR", "BOOKMARK"):
                await stream.write(_table_line(event, tables, resource, view, headers=headers))
                headers = False
            else:
                await stream.write(*event.line_parts())
            if event.type == "ERROR":
                return
            # Waiting for the next event holds none: an initial event is this watcher's own, and
            # its decoded object (Table output) may be megabytes.
            del event

    # The pump's outcome is read with task.exception(), never re-raised here: a re-raised
    # exception's traceback would hold this frame, which holds the task, which holds the
    # exception, a cycle only a full collection frees (and the GC freezer freezes it: the watch
    # and everything it referenced would stay for good).
    task = loop.create_task(pump())
    try:
        await asyncio.wait({task, responder.gone}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task})
        error = None if task.cancelled() else task.exception()
        await events.aclose()  # type: ignore[attr-defined]
        stream.end()
    if error is not None and not isinstance(error, ClientGoneError):  # the stream has begun: log it and end
        log.error("serving a watch of %s failed", resource.plural, exc_info=error)


def _table_line(event: WatchEvent, tables: TableConverter, resource: ResourceType, view: View, *,
                headers: bool) -> bytes:
    """The event with its object as a one-row Table (or metadata only). Watchers of the same view
    share the encoding, except a stream's first event, which also carries the column headers."""
    if headers:
        body = tables.object_body(resource, view, event.object, headers=True)
        return gojson.dumps({"type": event.type, "object": body}) + b"\n"
    key = ("table", view)
    line = event.encoded.get(key)
    if line is None:
        body = tables.object_body(resource, view, event.object, headers=False)
        line = event.encoded[key] = gojson.dumps({"type": event.type, "object": body}) + b"\n"
    return line


def _invalid(field: str, detail: str) -> InvalidError:
    error = InvalidError.of("ListOptions", "meta.k8s.io", "", [forbidden(field, detail)])
    error.name = ""
    return error
