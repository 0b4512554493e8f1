"""The resource verbs: get, list, create, update, patch, delete and deletecollection on
``/api(s)/...`` paths, and watch (handed to :mod:`.watch`). Errors are raised as
:class:`~myriad.api.errors.StatusError` and written by the router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass

import orjson

from myriad.api import gojson, protobuf, yamljson
from myriad.api.errors import (
    BadRequestError,
    InvalidError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    UnsupportedMediaTypeError,
    success_status,
)
from myriad.api.managed.errors import ApplyConflicts
from myriad.api.meta import forbidden, unsupported
from myriad.api.registry import ResourceRegistry, ResourceType
from myriad.api.selectors import SelectorError, parse_field_selector, parse_label_selector
from myriad.api.strictjson import may_have_duplicates
from myriad.apiserver.endpoints import applying, negotiation
from myriad.apiserver.endpoints.fieldchecks import WHOLE_OBJECT, check_field_manager, check_fields
from myriad.apiserver.endpoints.patching import Patch
from myriad.apiserver.endpoints.subresources import Subresources
from myriad.apiserver.endpoints.virtual import VirtualResources
from myriad.apiserver.endpoints.watch import serve_watch
from myriad.apiserver.http import Request, Responder
from myriad.apiserver.params import go_int64
from myriad.apiserver.requestinfo import RequestInfo
from myriad.apiserver.rest.codec import laid_out
from myriad.apiserver.rest.fieldmanager import manager_from
from myriad.apiserver.rest.interfaces import ListOptions, ListResult, Obj, ReadPath, Strategy
from myriad.apiserver.rest.store import DeleteOptions, ObjectStore
from myriad.apiserver.tables.convert import TableConverter

_JSON = "application/json"
#: What a scale subresource's bodies are decoded as.
_SCALE = ResourceType("autoscaling", "v1", "scales", "scale", "Scale", True, ())
#: Resources upstream marks deprecated: every request to them is answered with this ``Warning``.
DEPRECATED = {("", "v1", "endpoints"): "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"}
#: Subresources served: ``status``, ``approval``, ``finalize``, ``ephemeralcontainers`` and
#: ``resize`` by the generic store (the strategies split what each may change), the others by
#: :mod:`.subresources`.
_SERVED_SUBRESOURCES = frozenset({"status", "approval", "finalize", "scale", "binding", "eviction",
                                  "ephemeralcontainers", "resize"})


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    #: An object (or a list with ``is_list``) the client's Accept may turn into a Table; bytes
    #: (a Status, or an object or list already encoded for a plain JSON reply) go out as they are,
    #: as do a list of bytes parts (a large list, sent without joining).
    body: Obj | bytes | list[bytes]
    _: KW_ONLY
    is_list: bool = False
    #: Unknown fields dropped under fieldValidation=Warn, sent as ``Warning: 299`` headers.
    warnings: tuple[str, ...] = ()


def _without_type(item: bytes, resource: ResourceType) -> bytes:
    """A built-in list's item without ``kind`` and ``apiVersion``, as upstream lists them."""
    head = b'{"kind":"%s","apiVersion":"%s",' % (resource.kind.encode(), resource.api_version.encode())
    if item.startswith(head):
        return b"{" + item[len(head):]
    obj = gojson.loads(item)
    obj.pop("kind", None)
    obj.pop("apiVersion", None)
    return gojson.dumps(obj)


def _list_parts(start: bytes, result: ListResult, resource: ResourceType) -> list[bytes | memoryview] | bytes:
    """``start``, the items joined by commas, ``]}``. Items a watch cache gave as list items
    (``,{`` + the rest) go out as parts, never copied: a built-in's as they are, the first
    without its comma (upstream lists built-ins without kind and apiVersion), a custom
    resource's behind a comma and its head. Other items are joined into one body."""
    list_items = result.list_items
    if list_items is None:
        items = result.items if resource.custom else [_without_type(item, resource) for item in result.items]
        return b"".join((start, b",".join(items), b"]}"))
    if not list_items:
        return start + b"]}"
    if resource.custom:
        between = b"," + result.head
        parts: list[bytes | memoryview] = [start]
        for item in list_items:
            parts += (between, memoryview(item)[2:])
        parts[1] = result.head
    else:
        parts = [start, *list_items]
        parts[1] = memoryview(list_items[0])[1:]
    parts.append(b"]}")
    return parts


def _check_identity(patched: Obj, info: RequestInfo) -> None:
    """A patch may not rename an object, take its name away or move it (upstream's checkName: 400)."""
    metadata = patched.get("metadata") if isinstance(patched.get("metadata"), dict) else {}
    name, namespace = metadata.get("name"), metadata.get("namespace")  # type: ignore[union-attr]
    if not name:
        raise BadRequestError(f"the name of the object ({info.name} based on URL) was undeterminable: "
                              "name parameter required.")
    if info.namespace and namespace and namespace != info.namespace:
        raise BadRequestError(f"the namespace of the object ({namespace}) does not match the namespace on the "
                              f"request ({info.namespace})")
    if name and name != info.name:
        raise BadRequestError(f"the name of the object ({name}) does not match the name on the URL ({info.name})")


def _warnings(texts: tuple[str, ...]) -> list[tuple[str, str]]:
    """``Warning: 299`` headers, as upstream sends warnings."""
    return [("Warning", '299 - "' + text.replace('"', '\\"') + '"') for text in texts]


#: Called after a write is stored: ``(verb, resource, object)``; verb is create, update or delete
#: (marked for deletion or gone). Side effects upstream's controllers own (default
#: ServiceAccounts, serving a CRD's resources) hang off it.
AfterWrite = Callable[[str, ResourceType, Obj], Awaitable[None]]


class ResourceEndpoints:
    def __init__(self, registry: ResourceRegistry, store: ObjectStore, reads: ReadPath,
                 strategy: Callable[[ResourceType], Strategy], *,
                 tables: TableConverter, subresources: Subresources, virtual: VirtualResources,
                 after_write: AfterWrite | None = None) -> None:
        self._tables = tables
        self._virtual = virtual
        self._subresources = subresources
        self._after_write = after_write
        self._registry = registry
        self._store = store
        self._reads = reads
        self._strategy = strategy

    def resolve(self, info: RequestInfo) -> ResourceType:
        resource = self._registry.get(info.group, info.version, info.resource)
        if resource is None or info.extra or (not resource.namespaced and info.namespace):
            raise NotFoundError("the server could not find the requested resource", empty_details=True)
        if info.subresource:
            sub = resource.subresource(info.subresource)
            if sub is None or sub.name not in _SERVED_SUBRESOURCES:
                raise NotFoundError("the server could not find the requested resource", empty_details=True)
            if info.verb not in sub.verbs:
                raise MethodNotAllowedError.of(resource.plural, resource.group, info.verb)
        elif info.verb not in resource.verbs:
            raise MethodNotAllowedError.of(resource.plural, resource.group, info.verb)
        if info.verb in ("update", "patch") and not info.name:  # no PUT or PATCH route on a collection
            raise MethodNotAllowedError("the server does not allow this method on the requested resource",
                                        empty_details=True)
        if resource.namespaced and info.verb in ("create", "update", "patch", "delete", "get") \
                and not info.namespace:
            raise NotFoundError("the server could not find the requested resource", empty_details=True)
        return resource

    async def handle(self, info: RequestInfo, request: Request, responder: Responder) -> None:
        resource = self.resolve(info)
        view = negotiation.view(request.header("accept"), request.param("includeObject"))
        if info.subresource not in WHOLE_OBJECT:
            view = None
        verb = info.verb
        deprecated = DEPRECATED.get((resource.group, resource.version, resource.plural))
        if verb == "watch":
            if view is None and negotiation.output_format(request.header("accept")) == negotiation.YAML:
                raise NotAcceptableError("only the following media types are accepted: application/json, "
                                         "application/json;stream=watch")  # YAML has no stream form upstream
            tables = None if view is None else self._tables
            await serve_watch(self._reads, resource, self._list_options(info, request), request, responder,
                              view=view, tables=tables, headers=_warnings((deprecated,) if deprecated else ()))
            return
        if not resource.stored:
            reply = await self._virtual_reply(resource, info, request)
        elif info.subresource in ("scale", "binding", "eviction"):
            reply = await self._subresource(resource, info, request)
        elif verb == "get" and view is None:
            reply = Reply(200, await self._store.get_raw(resource, info.namespace, info.name))
        elif verb == "get":
            reply = Reply(200, await self._store.get(resource, info.namespace, info.name))
        elif verb == "list":
            reply = await self._list(resource, info, request, raw=view is None)
        elif verb == "create":
            reply = await self._create(resource, info, request)
        elif verb == "update":
            reply = await self._update(resource, info, request)
        elif verb == "patch":
            reply = await self._patch(resource, info, request)
        elif verb == "delete":
            reply = await self._delete(resource, info, request)
        elif verb == "deletecollection":
            reply = await self._delete_collection(resource, info, request)
        else:
            raise MethodNotAllowedError.of(resource.plural, resource.group, verb)
        body = reply.body
        if isinstance(body, dict):
            if view is not None and reply.is_list:
                body = self._tables.list_body(resource, view, body["items"], body["metadata"])  # type: ignore[arg-type]
            elif view is not None:
                body = self._tables.object_body(resource, view, body)
            else:
                body = laid_out(body)  # kind and apiVersion first, metadata in Go's order
            body = gojson.dumps(body)
        headers = _warnings((deprecated, *reply.warnings) if deprecated else reply.warnings)
        if view is None and negotiation.output_format(request.header("accept")) == negotiation.YAML:
            encoded = b"".join(body) if isinstance(body, list) else body
            responder.send(reply.status, yamljson.dumps(gojson.loads(encoded)), content_type=negotiation.YAML,
                           headers=headers)
        elif isinstance(body, list):
            responder.send_parts(reply.status, body, content_type=_JSON, headers=headers)
        else:
            responder.send(reply.status, body, content_type=_JSON, headers=headers)

    async def _subresource(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        subs, namespace, name = self._subresources, info.namespace, info.name
        if info.subresource == "scale":
            if info.verb == "get":
                return Reply(200, await subs.get_scale(resource, namespace, name))
            if info.verb == "patch":
                check_field_manager(request, "PatchOptions")
                if negotiation.media_type(request.header("content-type"))[0] == applying.APPLY_YAML:
                    config = applying.read_config(request, _SCALE, info)
                    try:
                        scaled = await subs.apply_scale(resource, namespace, name, config,
                                                        manager=request.param("fieldManager") or "",
                                                        force=applying.forced(request), dry_run=self._dry_run(request))
                    except ApplyConflicts as exc:
                        raise applying.conflict(exc) from exc
                    return Reply(200, scaled)
                applying.check_not_forced(request)
                patch = Patch.read(request, custom=False)
                found: list[str] = []
                scaled = await subs.patch_scale(resource, namespace, name, patch, dry_run=self._dry_run(request),
                                                manager=_manager(request),
                                                check=lambda obj: found.extend(check_fields(obj, _SCALE, request,
                                                                                             patch=True)))
                return Reply(200, scaled, warnings=tuple(dict.fromkeys(found)))
            scale, repeats = self._body(resource, info, request)
            warnings = check_fields(scale, _SCALE, request, patch=False, repeats=repeats)
            return Reply(200, await subs.update_scale(resource, namespace, name, scale, dry_run=self._dry_run(request),
                                                          manager=_manager(request)),
                         warnings=warnings)
        body, _ = self._body(resource, info, request)
        body_name = body["metadata"].get("name")  # type: ignore[union-attr]
        if body_name and body_name != name:
            raise BadRequestError(f"name in URL does not match name in {body['kind']} object")
        if info.subresource == "binding":
            await subs.bind(resource, namespace, name, body, dry_run=self._dry_run(request))
        else:
            await subs.evict(resource, namespace, name, body)
        return Reply(201, success_status(201))

    async def _virtual_reply(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        """Resources answered without storage (:mod:`.virtual`)."""
        if info.verb == "create":
            body, repeats = self._body(resource, info, request)
            check_fields(body, resource, request, patch=False, repeats=repeats)
            answer = await self._virtual.create(resource, info.namespace, body, dry_run=self._dry_run(request))
            return Reply(201, success_status(201) if answer is None else answer)
        return Reply(200, await self._virtual.read(resource, info.name), is_list=info.verb == "list")

    async def _notify(self, verb: str, resource: ResourceType, obj: Obj) -> None:
        if self._after_write is not None:
            await self._after_write(verb, resource, obj)

    # -- reads ---------------------------------------------------------------------------------

    def _list_options(self, info: RequestInfo, request: Request) -> ListOptions:
        try:
            labels = parse_label_selector(request.param("labelSelector"))
            fields = parse_field_selector(request.param("fieldSelector"))
        except SelectorError as exc:
            raise BadRequestError(str(exc)) from exc
        resource = self._registry.get(info.group, info.version, info.resource)
        if resource is not None and not fields.empty:
            strategy = self._strategy(resource)
            supported = strategy.selectable_fields()
            for field in sorted(fields.fields):
                if field not in supported:
                    raise BadRequestError(strategy.field_label_error(field))
        limit = max(0, go_int64(request.param("limit") or "0"))
        timeout = request.param("timeoutSeconds")
        if timeout is not None:
            go_int64(timeout)
        rv = request.param("resourceVersion") or ""
        match = request.param("resourceVersionMatch") or ""
        token = request.param("continue") or ""
        causes = []
        if info.verb == "watch":
            pass  # a watch's resourceVersionMatch rules are its own (endpoints/watch.py)
        elif request.param("sendInitialEvents") is not None:
            causes.append(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
        elif match and match not in ("Exact", "NotOlderThan"):
            causes.append(unsupported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]))
        elif match and not rv:
            causes.append(forbidden("resourceVersionMatch",
                                    "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        elif match and token:
            causes.append(forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is "
                                                            "provided"))
        elif match == "Exact" and rv == "0":
            causes.append(forbidden("resourceVersionMatch",
                                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
        if causes:
            error = InvalidError.of("ListOptions", "meta.k8s.io", "", causes)
            error.name = ""
            raise error
        if rv and rv != "0" and not (rv.isascii() and rv.isdigit() and len(rv) <= 19 and int(rv) < 2**63):
            raise BadRequestError(f"invalid resource version: {rv}")
        token = request.param("continue") or ""
        if token and rv not in ("", "0"):
            raise BadRequestError("specifying resource version is not allowed when using continue")
        return ListOptions(namespace=info.namespace, labels=labels, fields=fields, limit=limit,
                           continue_token=token, resource_version=rv, resource_version_match=match)

    async def _list(self, resource: ResourceType, info: RequestInfo, request: Request, *, raw: bool) -> Reply:
        """The list; with ``raw``, as JSON bytes joined from the items' bytes without decoding them."""
        result = await self._reads.list(resource, self._list_options(info, request))
        metadata: dict[str, object] = {"resourceVersion": str(result.resource_version)}
        if result.continue_token:
            metadata["continue"] = result.continue_token
        if result.remaining is not None:
            metadata["remainingItemCount"] = result.remaining
        if raw:
            head = orjson.dumps({"kind": resource.list_kind, "apiVersion": resource.api_version,
                                 "metadata": metadata})
            return Reply(200, _list_parts(head[:-1] + b',"items":[', result, resource), is_list=True)
        objects = result.objects()
        if not resource.custom:
            for item in objects:
                item.pop("kind", None)
                item.pop("apiVersion", None)
        return Reply(200, {"kind": resource.list_kind, "apiVersion": resource.api_version, "metadata": metadata,
                           "items": objects}, is_list=True)

    # -- writes --------------------------------------------------------------------------------

    def _body(self, resource: ResourceType, info: RequestInfo, request: Request) -> tuple[Obj, bool]:
        """The request's object, checked against the endpoint, and whether its JSON may give a
        key twice (:func:`~myriad.api.strictjson.may_have_duplicates`, for :func:`check_fields`)."""
        body_format = negotiation.body_format(request.header("content-type"))
        repeats = False
        if body_format == negotiation.YAML:
            try:
                obj = yamljson.loads(request.body)
            except yamljson.YAMLError as exc:
                raise BadRequestError(str(exc)) from exc
        elif body_format == negotiation.PROTOBUF:
            if resource.custom:
                raise UnsupportedMediaTypeError("the body of the request was in an unknown format - accepted media "
                                                f"types include: {_JSON}")
            try:
                obj = protobuf.decode_body(request.body)
            except protobuf.ProtobufError as exc:
                raise BadRequestError(f"error decoding request body: {exc}") from exc
        else:
            try:
                obj = gojson.loads(request.body)
            except orjson.JSONDecodeError as exc:
                raise BadRequestError(f"error decoding request body: {exc}") from exc
            repeats = may_have_duplicates(request.body, obj)  # before anything below changes obj
        if not isinstance(obj, dict):
            raise BadRequestError(f"the body of the request must be a JSON object, not {type(obj).__name__}")
        expected_version, expected_kind = resource.api_version, resource.kind
        if info.subresource:
            sub = resource.subresource(info.subresource)
            if sub is not None:
                if sub.group is not None:
                    expected_version = f"{sub.group}/{sub.version}" if sub.group else str(sub.version)
                expected_kind = sub.kind
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if api_version not in (None, "") and api_version != expected_version:
            raise BadRequestError(f"the API version in the data ({api_version}) does not match the expected API "
                                  f"version ({expected_version})")
        if kind not in (None, "") and kind != expected_kind:
            raise BadRequestError(f"the kind in the data ({kind}) does not match the expected kind ({expected_kind})")
        obj["apiVersion"], obj["kind"] = expected_version, expected_kind
        metadata = obj.get("metadata")
        if metadata is None:
            metadata = obj["metadata"] = {}
        if not isinstance(metadata, dict):
            raise BadRequestError("metadata must be a JSON object")
        namespace = metadata.get("namespace")
        if resource.namespaced:
            if namespace and namespace != info.namespace:
                raise BadRequestError("the namespace of the provided object does not match the namespace sent on "
                                      "the request")
            metadata["namespace"] = info.namespace
        else:
            metadata.pop("namespace", None)
        return obj, repeats

    @staticmethod
    def _dry_run(request: Request) -> bool:
        values = request.query.get("dryRun", [])
        for value in values:
            if value != "All":
                raise BadRequestError(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        return bool(values)

    async def _create(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        check_field_manager(request, "CreateOptions")
        if info.subresource:
            raise MethodNotAllowedError.of(resource.plural, resource.group, "create")
        if resource.extra.get("terminating"):
            error = MethodNotAllowedError.of(resource.plural, resource.group, "create")
            error.message = "create not allowed while custom resource definition is terminating"
            raise error
        obj, repeats = self._body(resource, info, request)
        if info.name:
            raise MethodNotAllowedError.of(resource.plural, resource.group, "create")
        warnings = check_fields(obj, resource, request, patch=False, repeats=repeats)
        dry_run = self._dry_run(request)
        created = await self._store.create(resource, info.namespace, obj, dry_run=dry_run, manager=_manager(request))
        if not dry_run:
            await self._notify("create", resource, created)
        return Reply(201, created, warnings=warnings)

    async def _update(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        check_field_manager(request, "UpdateOptions")
        obj, repeats = self._body(resource, info, request)
        name = obj["metadata"].get("name")  # type: ignore[union-attr]
        if name and name != info.name:
            raise BadRequestError(f"the name of the object ({name}) does not match the name on the URL ({info.name})")
        if not name:
            obj["metadata"]["name"] = info.name  # type: ignore[index]
        warnings = check_fields(obj, resource, request, patch=False, repeats=repeats) \
            if info.subresource in WHOLE_OBJECT else ()
        dry_run = self._dry_run(request)
        stored, created = await self._store.update(resource, info.namespace, info.name, obj,
                                                   subresource=info.subresource, dry_run=dry_run,
                                                   manager=_manager(request))
        if not dry_run:
            await self._notify("create" if created else "update", resource, stored)
        return Reply(201 if created else 200, stored, warnings=warnings)

    async def _apply(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        """Server-side apply (see :mod:`.applying`): 200, or 201 when it created the object."""
        dry_run = self._dry_run(request)
        code, stored, warnings = await applying.serve(self._store, resource, info, request, dry_run=dry_run)
        if not dry_run:
            await self._notify("create" if code == 201 else "update", resource, stored)
        return Reply(code, stored, warnings=warnings)

    async def _patch(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        check_field_manager(request, "PatchOptions")
        if negotiation.media_type(request.header("content-type"))[0] == applying.APPLY_YAML:
            return await self._apply(resource, info, request)
        applying.check_not_forced(request)
        patch = Patch.read(request, custom=resource.custom)

        def mutate(current: Obj) -> Obj:  # ``current``: the store's own decoding, each attempt afresh
            patched = patch.apply(current, resource.api_version, resource.kind, owned=True)
            _check_identity(patched, info)
            if info.subresource in WHOLE_OBJECT:
                warnings.extend(check_fields(patched, resource, request, patch=True, touched=touched))
            return patched

        touched = patch.body if patch.content_type != negotiation.PATCH_JSON else None  # type: ignore[assignment]

        warnings: list[str] = []

        dry_run = self._dry_run(request)
        stored = await self._store.patch(resource, info.namespace, info.name, mutate, subresource=info.subresource,
                                         dry_run=dry_run, manager=_manager(request))
        if not dry_run:
            await self._notify("update", resource, stored)
        return Reply(200, stored, warnings=tuple(dict.fromkeys(warnings)))

    def _delete_options(self, request: Request) -> DeleteOptions:
        body: dict[str, object] = {}
        if request.body.strip():
            try:
                decoded = gojson.loads(request.body)
            except orjson.JSONDecodeError as exc:
                raise BadRequestError(f"error decoding DeleteOptions: {exc}") from exc
            if decoded is not None and not isinstance(decoded, dict):
                raise BadRequestError("DeleteOptions must be a JSON object")
            body = decoded or {}
            kind = body.get("kind")
            if kind not in (None, "", "DeleteOptions"):
                raise BadRequestError(f'no kind "{kind}" is registered for version "{body.get("apiVersion") or "v1"}" '
                                      'in scheme "k8s.io/apimachinery/pkg/runtime/scheme.go:100"')
        grace = body.get("gracePeriodSeconds", request.param("gracePeriodSeconds"))
        propagation = body.get("propagationPolicy", request.param("propagationPolicy"))
        if propagation not in (None, "Orphan", "Background", "Foreground"):
            raise BadRequestError(f'propagationPolicy: Unsupported value: "{propagation}": supported values: '
                                  '"Foreground", "Background", "Orphan", "nil"')
        preconditions = body.get("preconditions") or {}
        if not isinstance(preconditions, dict):
            raise BadRequestError("preconditions must be a JSON object")
        dry_run = body.get("dryRun") or request.query.get("dryRun") or []
        if any(value != "All" for value in dry_run):  # type: ignore[union-attr]
            raise BadRequestError('dryRun: Unsupported value: supported values: "All"')
        try:
            grace_value = None if grace is None else int(grace)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise BadRequestError(f"invalid gracePeriodSeconds: {grace!r}") from None
        return DeleteOptions(grace_period=grace_value, propagation=propagation,  # type: ignore[arg-type]
                             uid=preconditions.get("uid"), resource_version=preconditions.get("resourceVersion"),
                             dry_run=bool(dry_run))

    async def _delete(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        options = self._delete_options(request)
        outcome = await self._store.delete(resource, info.namespace, info.name, options)
        if not options.dry_run:
            await self._notify("delete", resource, outcome.obj)
        return Reply(200, self._deleted_body(resource, outcome.obj, outcome.gone))

    def _deleted_body(self, resource: ResourceType, obj: Obj, gone: bool) -> Obj | bytes:
        if not gone or self._strategy(resource).return_deleted_object:
            return obj
        metadata = obj.get("metadata") or {}
        details: dict[str, object] = {"name": metadata.get("name", "")}  # type: ignore[union-attr]
        if resource.group:
            details["group"] = resource.group
        details["kind"] = resource.plural
        details["uid"] = metadata.get("uid", "")  # type: ignore[union-attr]
        return success_status(0, details=details).replace(b',"code":0', b"")

    async def _delete_collection(self, resource: ResourceType, info: RequestInfo, request: Request) -> Reply:
        options = self._delete_options(request)
        listing = await self._reads.list(resource, self._list_options(info, request))
        deleted = []
        for item in listing.objects():
            metadata = item.get("metadata") or {}
            try:
                outcome = await self._store.delete(resource, str(metadata.get("namespace", "")),  # type: ignore[union-attr]
                                                   str(metadata.get("name", "")), options)  # type: ignore[union-attr]
            except NotFoundError:
                continue
            if not options.dry_run:
                await self._notify("delete", resource, outcome.obj)
            deleted.append(outcome.obj)
        return Reply(200, {"kind": resource.list_kind, "apiVersion": resource.api_version,
                           "metadata": {"resourceVersion": str(listing.resource_version)}, "items": deleted},
                     is_list=True)


def _manager(request: Request) -> str:
    return manager_from(request.param("fieldManager") or "", request.header("user-agent") or "")
