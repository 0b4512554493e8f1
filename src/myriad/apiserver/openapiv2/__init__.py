"""``/openapi/v2``: one Swagger 2.0 document for every served resource, as JSON or as the
protobuf encoding of gnostic's ``openapi.v2.Document`` (what client-go's discovery client asks
for), built from the bundled schemas (:mod:`myriad.api.schemas`), the CRD schemas in the resource
registry, and cached until the registry changes.

kubectl reads this document where its OpenAPI v3 lookups fail: its ``fieldValidation`` check
falls back to it for a kind no v3 document describes (a kind with no CRD), looks for the
``fieldValidation`` parameter on the PATCH operation tagged with the kind's
``x-kubernetes-group-version-kind`` (then on Namespace's, asking for a CRD), and parses every
definition while validating on the client. So every definition has to parse as kube-openapi's
``util/proto`` does: no ``$ref`` with a type, arrays with one item schema, one type per schema.

The layout follows upstream: operations carry ``x-kubernetes-action`` and
``x-kubernetes-group-version-kind`` (a map; on definitions it is a list of maps), operation ids
and tags as kube-apiserver names them (``patchCoreV1NamespacedConfigMap``, ``core_v1``),
parameters every operation of a path shares go to the path. Built-in definitions are the bundled
JSON schemas narrowed to Swagger 2.0 (one type, ``additionalProperties: false`` dropped,
IntOrString as ``string``/``int-or-string``, the ``enum`` the bundle adds to ``apiVersion`` and
``kind`` dropped). A custom resource's definition is named after its reverse-domain group
(``com.example.v1.Widget``) and is its CRD schema made v2-safe as the apiextensions server makes
it (junctors and defaults dropped; nullable and preserve-unknown-fields schemas left untyped),
with ``apiVersion``, ``kind`` and ``metadata`` added.

Concurrency: event loop only; the documents are rebuilt on the first request after a registry
change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from myriad.api import schemas
from myriad.api.registry import ResourceRegistry, ResourceType, Subresource
from myriad.apiserver.discovery import KUBERNETES_VERSION
from myriad.apiserver.openapiv2.definitions import (
    DEFS,
    LIST_META,
    OBJECT_META,
    builtin_definition,
    custom_definition,
    custom_list_definition,
    custom_names,
)
from myriad.apiserver.openapiv2.protobuf import encode_document

JSON = "application/json"
#: What upstream answers with for either protobuf media type.
PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
#: What client-go asks for (upstream calls it deprecated, and still serves it).
PROTOBUF_REQUESTED = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_STATUS, _DELETE_OPTIONS, _PATCH, _WATCH_EVENT = (_META + "Status", _META + "DeleteOptions", _META + "Patch",
                                                  _META + "WatchEvent")
_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json", "application/apply-patch+yaml")
_PRODUCES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]
_PRODUCES_WATCH = [*_PRODUCES, "application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"]
_CUSTOM_MEDIA = ["application/json", "application/yaml"]
_UNAUTHORIZED = {"description": "Unauthorized"}



def _query(name: str, kind: str = "string") -> dict[str, Any]:
    return {"in": "query", "name": name, "type": kind, "uniqueItems": True}


_PRETTY = {**_query("pretty"), "description": "If 'true', then the output is pretty printed. Defaults to 'false' "
                                              "unless the user-agent indicates a browser or command-line HTTP tool "
                                              "(curl and wget)."}
_NAMESPACE = {"description": "object name and auth scope, such as for teams and projects", "in": "path",
              "name": "namespace", "required": True, "type": "string", "uniqueItems": True}
_FIELD_VALIDATION = {**_query("fieldValidation"), "description": (
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing "
    "unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently "
    "dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is "
    "the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header "
    "for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The "
    "request will still succeed if there are no other errors, and will only persist the last of any duplicate "
    "fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any "
    "unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned "
    "from the server will contain all unknown and duplicate fields encountered.")}
_WRITE = [_query("dryRun"), _query("fieldManager"), _FIELD_VALIDATION]
_LIST = [_query("allowWatchBookmarks", "boolean"), _query("continue"), _query("fieldSelector"),
         _query("labelSelector"), _query("limit", "integer"), _query("resourceVersion"),
         _query("resourceVersionMatch"), _query("sendInitialEvents", "boolean"), _query("timeoutSeconds", "integer"),
         _query("watch", "boolean")]
#: The list parameters a deletecollection takes (it neither watches nor sends bookmarks).
_LIST_ONLY = [param for param in _LIST if param["name"] not in ("allowWatchBookmarks", "watch")]
_DELETE = [_query("dryRun"), _query("gracePeriodSeconds", "integer"),
           _query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean"),
           _query("orphanDependents", "boolean"), _query("propagationPolicy")]
_WATCH_DEPRECATION = "deprecated: use the 'watch' parameter with a list operation instead"


class OpenAPIV2:
    """The ``/openapi/v2`` document of the resources ``registry`` serves."""

    def __init__(self, registry: ResourceRegistry) -> None:
        self._registry = registry
        self._generation = -1
        self._spec: dict[str, Any] = {}
        self._json = b""
        self._proto: bytes | None = None
        self._etag = ""

    def document(self, accept: str) -> tuple[str, bytes] | None:
        """The content type and body to answer a GET of ``/openapi/v2`` carrying ``accept``
        (JSON unless a protobuf media type comes first), or None: nothing acceptable (upstream
        answers 406 with an empty body)."""
        chosen = _negotiate(accept)
        if chosen is None:
            return None
        if chosen == JSON:
            return JSON, self.json()
        return PROTOBUF, self.protobuf()

    def spec(self) -> dict[str, Any]:
        """The Swagger document as a dict (shared: do not modify)."""
        self._refresh()
        return self._spec

    def json(self) -> bytes:
        self._refresh()
        return self._json

    def protobuf(self) -> bytes:
        self._refresh()
        if self._proto is None:
            self._proto = encode_document(self._spec)
        return self._proto

    def etag(self) -> str:
        """Upstream's ETag (quoted upper-case hex SHA-512 of the JSON), the same for both encodings."""
        self._refresh()
        return self._etag

    def _refresh(self) -> None:
        if self._generation == self._registry.generation:
            return
        body = orjson.dumps(_build(self._registry.all()), option=orjson.OPT_SORT_KEYS)
        # the dict in the order of the JSON, so both encodings list everything alike
        self._spec, self._json, self._proto = orjson.loads(body), body, None
        self._etag = '"' + hashlib.sha512(body).hexdigest().upper() + '"'
        self._generation = self._registry.generation


def _negotiate(accept: str) -> str | None:
    """The media type served for ``accept``, as upstream's handler picks it: clauses by quality
    (a specific type before a wildcard of the same quality), JSON before protobuf."""
    clauses: list[tuple[float, int, int, str, str]] = []
    for index, part in enumerate((accept or "*/*").split(",")):
        base, *params = part.split(";")
        kind, _, sub = base.strip().lower().partition("/")
        if not kind or not sub:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if quality > 0:
            clauses.append((-quality, (kind == "*") + (sub == "*"), index, kind, sub))
    offered = ((JSON, "json"), (PROTOBUF, PROTOBUF_REQUESTED.partition("/")[2]), (PROTOBUF, PROTOBUF.partition("/")[2]))
    for *_, kind, sub in sorted(clauses):
        if kind not in ("application", "*"):
            continue
        for served, subtype in offered:
            if sub in (subtype, "*"):
                return served
    return None


# ---------------------------------------------------------------------------------------------
# The Swagger document


def _build(resources: list[ResourceType]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    wanted = {_STATUS, _DELETE_OPTIONS, _PATCH}
    custom: dict[str, Any] = {}
    for resource in sorted(resources, key=lambda r: (r.group, r.version, r.plural)):
        if resource.custom:
            definition, list_definition = custom_names(resource)
            if definition not in custom:
                custom[definition] = custom_definition(resource)
                custom[list_definition] = custom_list_definition(resource, definition)
            wanted.update((OBJECT_META, LIST_META))
        else:
            definition = schemas.kinds().get((resource.api_version, resource.kind))
            list_definition = schemas.kinds().get((resource.api_version, resource.list_kind))
        _resource_paths(resource, definition, list_definition, paths, wanted)
    definitions = {name: builtin_definition(schemas.definitions()[name]) for name in _closure(wanted)}
    definitions.update(custom)
    major, minor, patch = KUBERNETES_VERSION
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": f"v{major}.{minor}.{patch}"},
            "paths": paths, "definitions": definitions,
            "securityDefinitions": {"BearerToken": {"description": "Bearer Token authentication", "in": "header",
                                                    "name": "authorization", "type": "apiKey"}},
            "security": [{"BearerToken": []}]}


def _closure(names: set[str]) -> set[str]:
    """``names`` (those bundled) and every bundled definition they reach by ``$ref``."""
    found: set[str] = set()
    pending = [name for name in names if name in schemas.definitions()]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        pending.extend(ref for ref in _refs(schemas.definitions()[name]) if ref in schemas.definitions())
    return found


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield schemas.ref_name(ref)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _ref(name: str | None) -> dict[str, Any]:
    return {"$ref": DEFS + name} if name else {"type": "object"}


def _valid_id(text: str, capitalize: bool) -> str:
    """Letters, ``_`` and (not first) digits of ``text``; a letter after anything else, or the
    first when ``capitalize``, upper-cased (kube-apiserver's operation id words)."""
    out = []
    upper = capitalize
    for index, char in enumerate(text):
        if char.isalpha() or char == "_" or (index and char.isdigit()):
            out.append(char.upper() if upper else char)
            upper = False
        else:
            upper = True
    return "".join(out)


def _article(noun: str) -> str:
    if noun.endswith("s") and not noun.endswith("ss"):
        return " "
    return " an " if noun[:1].lower() in "aeiou" else " a "


class _Naming:
    """Operation ids, tags and descriptions for one resource."""

    def __init__(self, resource: ResourceType) -> None:
        trimmed = (resource.group or "core").removesuffix(".k8s.io")
        self.gv = _valid_id(trimmed, True) + _valid_id(resource.version, True)
        self.tags = [_valid_id(trimmed, False) + "_" + _valid_id(resource.version, False)]
        self.kind = resource.kind
        self.custom = resource.custom

    def operation_id(self, verb: str, rest: str) -> str:
        return verb + self.gv + rest

    def description(self, action: str, sub: str = "") -> str:
        kind, of = self.kind, f" {sub} of" if sub else ""
        if action == "get":
            return f"read{of} the specified {kind}"
        if action == "list":
            return f"list objects of kind {kind}" if self.custom else f"list or watch objects of kind {kind}"
        if action == "post":
            return f"create{of}{_article(kind)}{kind}"
        if action == "put":
            return f"replace{of} the specified {kind}"
        if action == "patch":
            return f"partially update{of} the specified {kind}"
        if action == "delete":
            return f"delete{_article(kind)}{kind}"
        if action == "deletecollection":
            return f"delete collection of {kind}"
        if action == "watch":
            return (f"watch changes to an object of kind {kind}. {_WATCH_DEPRECATION}, filtered to a single item "
                    "with the 'fieldSelector' parameter.")
        return f"watch individual changes to a list of {kind}. {_WATCH_DEPRECATION}."


def _resource_paths(resource: ResourceType, definition: str | None, list_definition: str | None,
                    paths: dict[str, dict[str, Any]], wanted: set[str]) -> None:
    naming = _Naming(resource)
    gvk = {"group": resource.group, "kind": resource.kind, "version": resource.version}
    root = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    scope = f"{root}/namespaces/{{namespace}}" if resource.namespaced else root
    scoped = "Namespaced" if resource.namespaced else ""
    plural, kind, verbs = resource.plural, resource.kind, set(resource.verbs)
    custom = resource.custom
    object_ref, list_ref = _ref(definition), _ref(list_definition)
    patch_types = [t for t in _PATCH_TYPES if not custom or "strategic" not in t]
    for name in (definition, list_definition):
        if name and not custom:
            wanted.add(name)

    def op(action: str, verb: str, rest: str, ok: dict[str, Any], *, sub: str = "",
           kind_of: dict[str, str] = gvk, parameters: Iterable[dict[str, Any]] = (),
           body: dict[str, Any] | None = None, body_required: bool = True) -> dict[str, Any]:
        responses = {"200": {"description": "OK", "schema": ok}}
        if action in ("post", "put", "patch"):
            responses["201"] = {"description": "Created", "schema": ok}
        if action in ("post", "delete"):
            responses["202"] = {"description": "Accepted", "schema": ok}
        responses["401"] = _UNAUTHORIZED
        params = list(parameters)
        if body is not None:
            params.append({"in": "body", "name": "body", "required": body_required, "schema": body})
        if action == "patch":
            consumes = patch_types
        elif custom:
            consumes = _CUSTOM_MEDIA
        else:
            consumes = ["*/*"]
        produces = _CUSTOM_MEDIA if custom else _PRODUCES_WATCH if action.startswith("watch") else _PRODUCES
        operation = {"consumes": consumes, "description": naming.description(action, sub),
                     "operationId": naming.operation_id(verb, rest), "parameters": params, "produces": produces,
                     "responses": responses, "schemes": ["https"], "tags": naming.tags,
                     "x-kubernetes-action": action, "x-kubernetes-group-version-kind": kind_of}
        return operation

    status = _ref(_STATUS)
    collection: dict[str, Any] = {}
    item: dict[str, Any] = {}
    if "list" in verbs:
        collection["get"] = op("list", "list", scoped + kind, list_ref, parameters=_LIST)
        if resource.namespaced:
            _add_path(paths, f"{root}/{plural}",
                      {"get": op("list", "list", kind + "ForAllNamespaces", list_ref, parameters=_LIST)})
    if "create" in verbs:
        collection["post"] = op("post", "create", scoped + kind, object_ref, parameters=_WRITE, body=object_ref)
    if "deletecollection" in verbs:
        collection["delete"] = op("deletecollection", "delete", "Collection" + scoped + kind, status,
                                  parameters=[*_DELETE, *_LIST_ONLY], body=_ref(_DELETE_OPTIONS), body_required=False)
    if "get" in verbs:
        item["get"] = op("get", "read", scoped + kind, object_ref)
    if "update" in verbs:
        item["put"] = op("put", "replace", scoped + kind, object_ref, parameters=_WRITE, body=object_ref)
    if "patch" in verbs:
        item["patch"] = op("patch", "patch", scoped + kind, object_ref,
                           parameters=[*_WRITE, _query("force", "boolean")], body=_ref(_PATCH))
    if "delete" in verbs:
        item["delete"] = op("delete", "delete", scoped + kind, status, parameters=_DELETE,
                            body=_ref(_DELETE_OPTIONS), body_required=False)
    name_param = {"description": f"name of the {kind}", "in": "path", "name": "name", "required": True,
                  "type": "string", "uniqueItems": True}
    scope_params = [_NAMESPACE] if resource.namespaced else []
    _add_path(paths, f"{scope}/{plural}", collection, scope_params)
    _add_path(paths, f"{scope}/{plural}/{{name}}", item, [name_param, *scope_params])
    if "watch" in verbs and not custom:
        wanted.add(_WATCH_EVENT)
        event = _ref(_WATCH_EVENT)
        watch_root = f"{root}/watch"
        watch_scope = f"{watch_root}/namespaces/{{namespace}}" if resource.namespaced else watch_root
        _add_path(paths, f"{watch_scope}/{plural}",
                  {"get": op("watchlist", "watch", scoped + kind + "List", event, parameters=_LIST)}, scope_params)
        if "get" in verbs:
            _add_path(paths, f"{watch_scope}/{plural}/{{name}}",
                      {"get": op("watch", "watch", scoped + kind, event, parameters=_LIST)},
                      [name_param, *scope_params])
        if resource.namespaced:
            _add_path(paths, f"{watch_root}/{plural}",
                      {"get": op("watchlist", "watch", kind + "ListForAllNamespaces", event, parameters=_LIST)})
    for sub in resource.subresources:
        _subresource_paths(resource, sub, op, definition, paths, wanted, [name_param, *scope_params],
                           f"{scope}/{plural}/{{name}}/{sub.name}", scoped, custom, gvk)


def _subresource_paths(resource: ResourceType, sub: Subresource, op: Callable[..., dict[str, Any]],
                       definition: str | None, paths: dict[str, dict[str, Any]], wanted: set[str],
                       path_params: list[dict[str, Any]], path: str, scoped: str, custom: bool,
                       gvk: dict[str, str]) -> None:
    group = sub.group if sub.group is not None else resource.group
    version = sub.version or resource.version
    api_version = f"{group}/{version}" if group else version
    if sub.kind == resource.kind and (group, version) == (resource.group, resource.version):
        sub_definition = definition
    else:
        sub_definition = schemas.kinds().get((api_version, sub.kind))
        if sub_definition:
            wanted.add(sub_definition)
    # upstream tags a custom resource's subresources with the resource's own kind
    kind_of = gvk if custom else {"group": group, "kind": sub.kind, "version": version}
    ref = _ref(sub_definition)
    rest = scoped + resource.kind + _valid_id(sub.name, True)
    operations: dict[str, Any] = {}
    verbs = set(sub.verbs)
    if "get" in verbs:
        operations["get"] = op("get", "read", rest, ref, sub=sub.name, kind_of=kind_of)
    if "create" in verbs:
        operations["post"] = op("post", "create", rest, ref, sub=sub.name, kind_of=kind_of, parameters=_WRITE,
                                body=ref)
    if "update" in verbs:
        operations["put"] = op("put", "replace", rest, ref, sub=sub.name, kind_of=kind_of, parameters=_WRITE,
                               body=ref)
    if "patch" in verbs:
        operations["patch"] = op("patch", "patch", rest, ref, sub=sub.name, kind_of=kind_of,
                                 parameters=[*_WRITE, _query("force", "boolean")], body=_ref(_PATCH))
    _add_path(paths, path, operations, path_params)


def _add_path(paths: dict[str, dict[str, Any]], path: str, operations: dict[str, Any],
              path_params: list[dict[str, Any]] | None = None) -> None:
    """Adds a path item. Like upstream's builder, it lists at the path the parameters every
    operation takes but a body: the path's own, ``pretty``, and the query parameters they share
    (all of them, on a path with one operation)."""
    if not operations:
        return
    shared = [*(path_params or []), _PRETTY]
    ops = list(operations.values())
    for param in ops[0]["parameters"]:
        if param["in"] != "body" and param not in shared and all(param in other["parameters"] for other in ops[1:]):
            shared.append(param)
    for operation in ops:
        remaining = [param for param in operation["parameters"] if param not in shared]
        if remaining:
            operation["parameters"] = sorted(remaining, key=lambda p: (p["name"], p["in"]))
        else:
            del operation["parameters"]
    paths[path] = {**operations, "parameters": sorted(shared, key=lambda p: (p["name"], p["in"]))}
