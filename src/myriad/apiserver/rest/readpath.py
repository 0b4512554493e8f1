"""StorageReadPath: lists and watches read straight from storage (the watch cache issue puts a
cache in front, behind the same :class:`~myriad.apiserver.rest.interfaces.ReadPath`).

Continue tokens are upstream's: unpadded URL-safe base64 of ``{"v":"meta.k8s.io/v1","rv":R,
"start":K}``, where K is the next key relative to the listed prefix; every page is read at R.
"""

from __future__ import annotations

import base64
import posixpath
from collections.abc import AsyncIterator, Callable

import orjson

from myriad.api import gojson
from myriad.api.errors import BadRequestError, ExpiredError
from myriad.api.errors import TimeoutError as TimeoutError_
from myriad.api.registry import ResourceType
from myriad.apiserver.rest.codec import decode, raw
from myriad.apiserver.rest.conversion import CONVERSIONS
from myriad.apiserver.rest.interfaces import ListOptions, ListResult, Obj, Strategy, WatchEvent
from myriad.storage import errors as storage_errors
from myriad.storage.interfaces import EventType, Store, prefix_end

#: No stored key is longer (storage refuses keys over 8 KiB).
MAX_KEY_BYTES = 8 * 1024
#: Keys read per storage range while filling a page through selectors.
_CHUNK = 500
_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list.")


def encode_continue(revision: int, start: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


_URL_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_NOT_VALID = "invalid continue token: continue key is not valid"


def decode_continue(token: str) -> tuple[int, str]:
    """The revision and start key of a continue token; a bad one gets the 400 upstream's
    storage.DecodeContinue gives it, Go's wording of the problem included."""
    bad = next((i for i, c in enumerate(token) if c not in _URL_BASE64), None)
    if bad is None and len(token) % 4 == 1:
        bad = len(token) - 1
    if bad is not None:
        raise BadRequestError(f"{_NOT_VALID}: illegal base64 data at input byte {bad}")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    try:
        data = gojson.loads(raw)
    except orjson.JSONDecodeError:
        detail = ("unexpected end of JSON input" if not raw.strip() else
                  f"invalid character {chr(raw.lstrip()[0])!r} looking for beginning of value")
        raise BadRequestError(f"{_NOT_VALID}: {detail}") from None
    if not isinstance(data, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(data), "number")
        raise BadRequestError(f"{_NOT_VALID}: json: cannot unmarshal {kind} into Go value of type "
                              "storage.continueToken")
    for field, wanted, go in (("v", str, "string"), ("rv", int, "int64"), ("start", str, "string")):
        value = data.get(field)
        if value is not None and (type(value) is not wanted):
            kind = {list: "array", dict: "object", str: "string", bool: "bool"}.get(type(value), "number")
            raise BadRequestError(f"{_NOT_VALID}: json: cannot unmarshal {kind} into Go struct field "
                                  f"continueToken.{field} of type {go}")
    version, revision, start = data.get("v") or "", data.get("rv") or 0, data.get("start") or ""
    if version != "meta.k8s.io/v1":
        raise BadRequestError(f"{_NOT_VALID}: server does not recognize this encoded version {version}")
    if revision == 0:
        raise BadRequestError(f"{_NOT_VALID}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    if not start:
        raise BadRequestError(f"{_NOT_VALID}: encoded start key empty (version meta.k8s.io/v1)")
    key = start if start.startswith("/") else "/" + start
    if posixpath.normpath(key) != key or key.startswith("//") or len(start) > MAX_KEY_BYTES:
        raise BadRequestError(f"{_NOT_VALID}: {start}")
    return revision, key[1:]


def list_prefix(resource: ResourceType, namespace: str) -> str:
    prefix = resource.prefix()
    return f"{prefix}{namespace}/" if resource.namespaced and namespace else prefix


class StorageReadPath:
    def __init__(self, storage: Store, strategy: Callable[[ResourceType], Strategy]) -> None:
        self._storage = storage
        self._strategy = strategy

    def _matcher(self, resource: ResourceType, options: ListOptions) -> Callable[[Obj], bool] | None:
        if options.labels.empty and options.fields.empty:
            return None
        strategy = self._strategy(resource)

        def matches(obj: Obj) -> bool:
            metadata = obj.get("metadata") or {}
            return options.labels.matches(metadata.get("labels")) and options.fields.matches(  # type: ignore[union-attr]
                lambda name: strategy.field(obj, name))

        return matches

    async def list(self, resource: ResourceType, options: ListOptions) -> ListResult:
        prefix = list_prefix(resource, options.namespace)
        start = prefix
        revision: int | None = None
        if options.continue_token:
            revision, relative = decode_continue(options.continue_token)
            start = prefix + relative
        elif options.resource_version and options.resource_version_match == "Exact":
            revision = int(options.resource_version)
        end = prefix_end(prefix.encode())
        matches = self._matcher(resource, options)
        conversion = CONVERSIONS.get((resource.group, resource.version, resource.plural))
        items: list[bytes] = []
        limit = options.limit
        key = start.encode()
        more = False
        observed = 0
        try:
            while True:
                want = 0 if not limit else (limit - len(items) if matches is None else max(_CHUNK, limit))
                result = await self._storage.range(key, end, revision=revision, limit=want + 1 if want else 0)
                # A read at a given revision answers with that revision (the header carries the
                # store's current one), as upstream's pages all carry the first page's.
                revision = observed = result.revision if revision is None else revision
                _not_older_than(options, observed)
                kvs = result.kvs
                more = bool(want) and len(kvs) > want
                if more:
                    kvs = kvs[:want]
                for kv in kvs:
                    if conversion is not None:
                        stored = decode(kv)
                        if matches is None or matches(stored):
                            items.append(gojson.dumps(conversion.from_storage(stored)))
                    elif matches is None or matches(decode(kv)):
                        items.append(raw(kv))
                        if limit and len(items) == limit:
                            key = kv.key + b"\x00"
                            more = more or kv is not kvs[-1]
                            break
                else:
                    if more:
                        key = kvs[-1].key + b"\x00"
                        continue
                    break
                break
        except storage_errors.CompactedError as exc:
            if options.continue_token:
                raise ExpiredError(_CONTINUE_EXPIRED) from exc
            raise ExpiredError("The resourceVersion for the provided list is too old.") from exc
        except storage_errors.FutureRevisionError as exc:
            raise TimeoutError_(f"Too large resource version: {options.resource_version}, current: "
                                f"{await self._storage.current_revision()}") from exc
        token = ""
        remaining = None
        if limit and more:
            token = encode_continue(observed, key.decode()[len(prefix):])
            if matches is None:
                rest = await self._storage.range(key, end, revision=observed, count_only=True)
                remaining = rest.count
        return ListResult(items, observed, token, remaining)

    async def watch(self, resource: ResourceType, options: ListOptions, *, send_initial: bool,
                    bookmarks: bool, timeout: float | None = None) -> AsyncIterator[WatchEvent]:
        return self._watch(resource, options, send_initial=send_initial, bookmarks=bookmarks)

    async def _watch(self, resource: ResourceType, options: ListOptions, *, send_initial: bool,
                     bookmarks: bool) -> AsyncIterator[WatchEvent]:
        prefix = list_prefix(resource, options.namespace)
        matches = self._matcher(resource, options)
        conversion = CONVERSIONS.get((resource.group, resource.version, resource.plural))
        if options.resource_version in ("", "0"):
            initial = await self.list(resource, ListOptions(namespace=options.namespace, labels=options.labels,
                                                            fields=options.fields))
            for item in initial.items:
                yield WatchEvent("ADDED", raw=item, resource_version=initial.resource_version)
            start = initial.resource_version
            if send_initial:
                yield WatchEvent("BOOKMARK", _bookmark(resource, start, initial_end=True), start)
        else:
            try:
                start = int(options.resource_version)
            except ValueError:
                raise BadRequestError(f"invalid resource version: {options.resource_version}") from None
            if send_initial:
                initial = await self.list(resource, ListOptions(namespace=options.namespace, labels=options.labels,
                                                                fields=options.fields))
                for item in initial.items:
                    yield WatchEvent("ADDED", raw=item, resource_version=initial.resource_version)
                start = initial.resource_version
                yield WatchEvent("BOOKMARK", _bookmark(resource, start, initial_end=True), start)
        watch = self._storage.watch(prefix.encode(), prefix_end(prefix.encode()), start_revision=start + 1,
                                    prev_kv=True, progress_notify=bookmarks)
        try:
            async for batch in watch:
                if batch.is_progress:
                    if bookmarks:
                        yield WatchEvent("BOOKMARK", _bookmark(resource, batch.revision), batch.revision)
                    continue
                for event in batch.events:
                    out = _translate(event, matches)
                    if out is not None:
                        yield out if conversion is None else WatchEvent(out.type, conversion.from_storage(out.object),
                                                                        out.resource_version)
        except storage_errors.CompactedError as exc:
            yield WatchEvent("ERROR", ExpiredError(
                f"too old resource version: {start} ({exc.compacted_revision})").to_status(), 0)
        finally:
            await watch.aclose()


def _not_older_than(options: ListOptions, observed: int) -> None:
    """A list asking for at least ``resourceVersion`` (NotOlderThan, or no match given) read at an
    older revision: 504 Timeout, as upstream answers once its wait for that revision runs out."""
    rv = options.resource_version
    if rv in ("", "0") or options.resource_version_match == "Exact" or options.continue_token:
        return
    if int(rv) > observed:
        raise TimeoutError_(f"Too large resource version: {rv}, current: {observed}")


def _bookmark(resource: ResourceType, revision: int, *, initial_end: bool = False) -> Obj:
    metadata: dict[str, object] = {"resourceVersion": str(revision)}
    if initial_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": metadata}


def _translate(event, matches: Callable[[Obj], bool] | None) -> WatchEvent | None:  # noqa: ANN001
    """A storage event as a watch event; with selectors, objects moving into the selection are
    ADDED and objects moving out are DELETED, as upstream's filtering watch does."""
    revision = event.kv.mod_revision
    if event.type is EventType.DELETE:
        if event.prev_kv is None:
            return None
        old = decode(event.prev_kv, revision=revision)
        if matches is not None and not matches(old):
            return None
        return WatchEvent("DELETED", old, revision)
    new = decode(event.kv)
    if event.kv.version == 1 or event.prev_kv is None:
        if matches is not None and not matches(new):
            return None
        return WatchEvent("ADDED", new, revision)
    if matches is None:
        return WatchEvent("MODIFIED", new, revision)
    old = decode(event.prev_kv, revision=revision)
    now, before = matches(new), matches(old)
    if now and before:
        return WatchEvent("MODIFIED", new, revision)
    if now:
        return WatchEvent("ADDED", new, revision)
    if before:
        return WatchEvent("DELETED", old, revision)
    return None
