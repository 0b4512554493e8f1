"""``/openapi/v3``: an index of group-versions and one OpenAPI 3.0 document per group-version,
built from the bundled schemas (:mod:`myriad.api.schemas`), the served CRD versions' schemas
and the resource registry.

Each document carries the schemas its kinds reach (refs rewritten to
``#/components/schemas/...``, JSON-schema type arrays narrowed to one type) and, per resource
path, operations tagged with ``x-kubernetes-group-version-kind``. Every POST, PUT and PATCH lists
the ``fieldValidation`` parameter: that is how kubectl learns the server validates fields, so it
sends ``fieldValidation=Strict`` instead of validating on the client.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from myriad.api import schemas
from myriad.api.registry import ResourceRegistry, ResourceType

_QUERY = [{"name": name, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
          for name in ("dryRun", "fieldManager", "fieldValidation")]
_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json", "application/apply-patch+yaml")
_META = ("io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
         "io.k8s.apimachinery.pkg.apis.meta.v1.Patch")


def _convert(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = "#/components/schemas/" + schemas.ref_name(value)
            elif key == "type" and isinstance(value, list):
                kinds = [t for t in value if t != "null"]
                out[key] = kinds[0] if kinds else "object"
            elif key == "additionalProperties" and isinstance(value, bool):
                continue
            else:
                out[key] = _convert(value)
        return out
    if isinstance(node, list):
        return [_convert(item) for item in node]
    return node


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = schemas.ref_name(ref)
            if name not in found:
                found.add(name)
                _refs(schemas.definitions().get(name, {}), found)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)


def custom_definition_name(resource: ResourceType, kind: str | None = None) -> str:
    """Upstream's name for a custom resource's schema: the group's domain reversed, the version
    and the kind (``com.example.v1.Widget``)."""
    return ".".join([*reversed(resource.group.split(".")), resource.version, kind or resource.kind])


_API_VERSION_DOC = ("APIVersion defines the versioned schema of this representation of an object. Servers should "
                    "convert recognized schemas to the latest internal value, and may reject unrecognized values. "
                    "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                    "api-conventions.md#resources")
_KIND_DOC = ("Kind is a string value representing the REST resource this object represents. Servers may infer this "
             "from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: "
             "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds")


def _custom_schemas(resource: ResourceType) -> dict[str, Any]:
    """A custom resource's schema and its list's, as upstream's CRD OpenAPI builder publishes
    them: the CRD version's openAPIV3Schema with apiVersion, kind and metadata filled in."""
    schema = dict(resource.extra.get("schema") or {})  # type: ignore[call-overload]
    gvk = [{"group": resource.group, "kind": resource.kind, "version": resource.version}]
    meta = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1."
    properties = {"apiVersion": {"type": "string", "description": _API_VERSION_DOC},
                  "kind": {"type": "string", "description": _KIND_DOC},
                  "metadata": {"allOf": [{"$ref": meta + "ObjectMeta"}], "description": "Standard object's metadata. "
                               "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                               "api-conventions.md#metadata"},
                  **{k: v for k, v in (schema.get("properties") or {}).items() if k != "metadata"}}
    item = {**schema, "type": "object", "properties": properties, "x-kubernetes-group-version-kind": gvk}
    name = custom_definition_name(resource)
    listing = {"type": "object", "required": ["items"], "description": f"{resource.kind}List is a list of "
               f"{resource.kind}", "properties": {
                   "apiVersion": {"type": "string", "description": _API_VERSION_DOC},
                   "items": {"type": "array", "items": {"$ref": "#/components/schemas/" + name},
                             "description": f"List of {resource.plural}. More info: "
                                            "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                                            "api-conventions.md"},
                   "kind": {"type": "string", "description": _KIND_DOC},
                   "metadata": {"allOf": [{"$ref": meta + "ListMeta"}]}},
               "x-kubernetes-group-version-kind": [{**gvk[0], "kind": resource.list_kind}]}
    return {name: item, custom_definition_name(resource, resource.list_kind): listing}


class OpenAPI:
    def __init__(self, registry: ResourceRegistry) -> None:
        self._registry = registry
        self._generation = -1
        self._documents: dict[str, bytes] = {}
        self._index = b""

    def _refresh(self) -> None:
        if self._generation == self._registry.generation:
            return
        by_gv: dict[str, list[ResourceType]] = {}
        for resource in self._registry.all():
            key = f"apis/{resource.group}/{resource.version}" if resource.group else f"api/{resource.version}"
            by_gv.setdefault(key, []).append(resource)
        self._documents = {key: orjson.dumps(self._document(resources)) for key, resources in by_gv.items()}
        index = {key: {"serverRelativeURL": f"/openapi/v3/{key}?hash="
                                            f"{hashlib.sha512(body).hexdigest().upper()}"}
                 for key, body in sorted(self._documents.items())}
        self._index = orjson.dumps({"paths": index})
        self._generation = self._registry.generation

    def index(self) -> bytes:
        self._refresh()
        return self._index

    def document(self, group_version_path: str) -> bytes | None:
        """The document for ``api/v1`` or ``apis/<group>/<version>``."""
        self._refresh()
        return self._documents.get(group_version_path.strip("/"))

    def _document(self, resources: list[ResourceType]) -> dict[str, Any]:
        names: set[str] = set(_META)
        paths: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for resource in sorted(resources, key=lambda r: r.plural):
            if resource.custom:
                definition: str | None = custom_definition_name(resource)
                custom.update(_custom_schemas(resource))
                names.update(("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                              "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"))
            else:
                definition = schemas.kinds().get((resource.api_version, resource.kind))
                if definition is not None:
                    names.add(definition)
                list_definition = schemas.kinds().get((resource.api_version, resource.list_kind))
                if list_definition is not None:
                    names.add(list_definition)
            paths.update(self._paths(resource, definition))
        found = set(names)
        for name in names:
            _refs(schemas.definitions().get(name, {}), found)
        components = {name: _convert(schemas.definitions()[name]) for name in sorted(found)
                      if name in schemas.definitions()}
        components.update(custom)
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.37.0"}, "paths": paths,
                "components": {"schemas": dict(sorted(components.items()))}}

    @staticmethod
    def _paths(resource: ResourceType, definition: str | None) -> dict[str, Any]:
        root = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
        scope = f"{root}/namespaces/{{namespace}}" if resource.namespaced else root
        gvk = {"group": resource.group, "version": resource.version, "kind": resource.kind}
        ref = {"$ref": f"#/components/schemas/{definition}"} if definition else {"type": "object"}
        body = {"content": {"*/*": {"schema": ref}}, "required": True}
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}

        def op(action: str, **extra: Any) -> dict[str, Any]:
            return {"x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk, "responses": ok, **extra}

        writes = {"parameters": list(_QUERY)}
        patch = {"parameters": list(_QUERY), "requestBody": {
            "content": {t: {"schema": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}}
                        for t in (_PATCH_TYPES if not resource.custom else
                                  tuple(t for t in _PATCH_TYPES if "strategic" not in t))}, "required": True}}
        item = {"get": op("get"), "put": op("put", requestBody=body, **writes), "patch": op("patch", **patch),
                "delete": op("delete")}
        paths = {f"{scope}/{resource.plural}": {"get": op("list"), "post": op("post", requestBody=body, **writes),
                                                 "delete": op("deletecollection")},
                 f"{scope}/{resource.plural}/{{name}}": item}
        for sub in resource.subresources:
            if set(sub.verbs) & {"update", "patch"}:
                sub_gvk = ({"group": sub.group, "version": sub.version, "kind": sub.kind}
                           if sub.group is not None else gvk)
                paths[f"{scope}/{resource.plural}/{{name}}/{sub.name}"] = {
                    verb: {**operation, "x-kubernetes-group-version-kind": sub_gvk}
                    for verb, operation in (("get", op("get")), ("put", op("put", requestBody=body, **writes)),
                                            ("patch", op("patch", **patch)))}
        return paths
