"""The definitions of the ``/openapi/v2`` document: the bundled built-in schemas narrowed to
Swagger 2.0, and custom resources' CRD schemas made v2-safe as the apiextensions server makes
them (see :mod:`myriad.apiserver.openapiv2`)."""

from __future__ import annotations

from typing import Any

from myriad.api import schemas
from myriad.api.registry import ResourceType

DEFS = "#/definitions/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
OBJECT_META, LIST_META = _META + "ObjectMeta", _META + "ListMeta"
DOCS = "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"
_API_VERSION = {"description": "APIVersion defines the versioned schema of this representation of an object. Servers "
                               "should convert recognized schemas to the latest internal value, and may reject "
                               f"unrecognized values. More info: {DOCS}#resources", "type": "string"}
_KIND = {"description": "Kind is a string value representing the REST resource this object represents. Servers may "
                        "infer this from the endpoint the client submits requests to. Cannot be updated. In "
                        f"CamelCase. More info: {DOCS}#types-kinds", "type": "string"}
_EMBEDDED_API_VERSION = {"description": "apiVersion defines the versioned schema of this representation of an object. "
                                        f"More info: {DOCS}#resources", "type": "string"}
_EMBEDDED_KIND = {"description": "kind is a string value representing the type of this object. In CamelCase. "
                                 f"More info: {DOCS}#types-kinds", "type": "string"}
_OBJECT_METADATA = {"$ref": DEFS + OBJECT_META,
                    "description": f"Standard object's metadata. More info: {DOCS}#metadata"}
_LIST_METADATA = {"$ref": DEFS + LIST_META, "description": f"Standard list metadata. More info: {DOCS}#types-kinds"}

_BUILTIN_KEYS = ("description", "format", "required", "enum")


def _narrow(value: Any) -> str:
    kinds = [t for t in value if t != "null"] if isinstance(value, list) else [value]
    return str(kinds[0]) if kinds else ""


def builtin_definition(node: dict[str, Any]) -> dict[str, Any]:
    out = _builtin_schema(node)
    if "x-kubernetes-group-version-kind" in node:
        for key in ("apiVersion", "kind"):  # the bundle's enum, which upstream does not publish
            prop = out.get("properties", {}).get(key)
            if prop is not None:
                prop.pop("enum", None)
    return out


def _builtin_schema(node: dict[str, Any]) -> dict[str, Any]:
    """A bundled (JSON schema) definition or property as Swagger 2.0."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = DEFS + schemas.ref_name(value)
        elif key == "type":
            narrowed = _narrow(value)
            if narrowed:
                out[key] = narrowed
        elif key == "properties":
            out[key] = {name: _builtin_schema(child) for name, child in value.items()}
        elif key in ("items", "additionalProperties"):
            if isinstance(value, dict):
                out[key] = _builtin_schema(value)
        elif key in _BUILTIN_KEYS or key.startswith("x-"):
            out[key] = value
    options = node.get("oneOf")
    if options:
        kinds = {_narrow(option.get("type", [])) for option in options}
        out["type"] = "string" if "string" in kinds else sorted(kinds)[0]
        if kinds == {"string", "integer"}:
            out["format"] = "int-or-string"
    return out


def _reverse_domain(group: str) -> str:
    return ".".join(reversed(group.split(".")))


def custom_names(resource: ResourceType) -> tuple[str, str]:
    prefix = f"{_reverse_domain(resource.group)}.{resource.version}."
    return prefix + resource.kind, prefix + resource.list_kind


def _gvk(resource: ResourceType, kind: str) -> list[dict[str, str]]:
    return [{"group": resource.group, "kind": kind, "version": resource.version}]


_TYPES = {"", "array", "boolean", "integer", "number", "object", "string"}
_CUSTOM_KEYS = ("description", "format", "title", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
                "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "enum",
                "maxProperties", "minProperties")
_CUSTOM_EXTENSIONS = ("x-kubernetes-list-map-keys", "x-kubernetes-list-type", "x-kubernetes-map-type",
                      "x-kubernetes-validations")
_CUSTOM_FLAGS = ("x-kubernetes-embedded-resource", "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields")


def custom_definition(resource: ResourceType) -> dict[str, Any]:
    schema = resource.extra.get("schema")
    gvk = _gvk(resource, resource.kind)
    if (not isinstance(schema, dict) or not schema or schema.get("x-kubernetes-preserve-unknown-fields") is True
            or not _valid_types(schema)):
        # upstream publishes no properties then: kubectl would refuse any field it did not list
        return {"type": "object", "x-kubernetes-group-version-kind": gvk}
    out = _custom_schema(schema)
    properties = out.setdefault("properties", {})
    properties["metadata"] = dict(_OBJECT_METADATA)
    properties["apiVersion"] = dict(_API_VERSION)
    properties["kind"] = dict(_KIND)
    out["x-kubernetes-group-version-kind"] = gvk
    return out


def custom_list_definition(resource: ResourceType, definition: str) -> dict[str, Any]:
    return {"description": f"{resource.list_kind} is a list of {resource.kind}",
            "properties": {"apiVersion": dict(_API_VERSION),
                           "items": {"description": f"List of {resource.plural}. More info: {DOCS}",
                                     "items": {"$ref": DEFS + definition}, "type": "array"},
                           "kind": dict(_KIND), "metadata": dict(_LIST_METADATA)},
            "required": ["items"], "x-kubernetes-group-version-kind": _gvk(resource, resource.list_kind)}


def _valid_types(node: Any) -> bool:
    """Whether every ``type`` in a CRD schema is one OpenAPI knows (upstream publishes a bare
    object otherwise)."""
    if not isinstance(node, dict):
        return True
    kind = node.get("type", "")
    if not isinstance(kind, str) or kind not in _TYPES:
        return False
    children: list[Any] = list((node.get("properties") or {}).values()) if isinstance(node.get("properties"),
                                                                                       dict) else []
    children += [node.get("items"), node.get("additionalProperties")]
    for key in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            children += node[key]
    children.append(node.get("not"))
    return all(_valid_types(child) for child in children)


def _custom_schema(node: dict[str, Any]) -> dict[str, Any]:
    """One node of a CRD's ``openAPIV3Schema`` as upstream publishes it in v2: junctors
    (allOf/anyOf/oneOf/not) and defaults dropped; a nullable node untyped and without items or
    properties; a preserve-unknown-fields node without items or properties, and untyped if it
    was an object; an array left without items untyped; the fields of an embedded resource
    added."""
    nullable = node.get("nullable") is True
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    out: dict[str, Any] = {key: node[key] for key in _CUSTOM_KEYS if key in node}
    kind = node.get("type") if isinstance(node.get("type"), str) else ""
    properties = node.get("properties") if isinstance(node.get("properties"), dict) else None
    items = node.get("items") if isinstance(node.get("items"), dict) else None
    extra = node.get("additionalProperties")
    if nullable:
        kind, properties, items = "", None, None
    if preserve:
        properties, items = None, None
    if kind == "array" and items is None:
        kind = ""
    if kind == "object" and preserve:
        kind = ""
    if kind:
        out["type"] = kind
    required = [name for name in node.get("required") or ()
                if not (properties and isinstance(properties.get(name), dict)
                        and properties[name].get("nullable") is True)]
    if isinstance(extra, dict) and extra.get("nullable") is True:
        required = []
    if required:
        out["required"] = required
    if items is not None:
        out["items"] = _custom_schema(items)
    if properties is not None:
        out["properties"] = {name: _custom_schema(child) if isinstance(child, dict) else {}
                             for name, child in properties.items()}
    if isinstance(extra, dict):
        out["additionalProperties"] = _custom_schema(extra)
    elif isinstance(extra, bool):
        out["additionalProperties"] = extra
    for key in _CUSTOM_FLAGS:
        if node.get(key) is True:
            out[key] = True
    for key in _CUSTOM_EXTENSIONS:
        if node.get(key) not in (None, [], ""):
            out[key] = node[key]
    if node.get("x-kubernetes-embedded-resource") is True and not preserve:
        props = out.setdefault("properties", {})
        props["apiVersion"] = dict(_EMBEDDED_API_VERSION)
        props["kind"] = dict(_EMBEDDED_KIND)
        props["metadata"] = dict(_OBJECT_METADATA)
        out["required"] = [*out.get("required", []),
                           *(name for name in ("kind", "apiVersion") if name not in out.get("required", []))]
    return out
