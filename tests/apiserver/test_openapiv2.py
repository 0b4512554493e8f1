"""``/openapi/v2``: the Swagger 2.0 document as JSON and as gnostic's protobuf ``openapi.v2.Document``.

The unit tests decode the protobuf with a decoder of their own, written from gnostic's
``openapiv2/OpenAPIv2.proto``, and compare it with the JSON document. The server tests need the
route wired into the router; kubectl's own parse of the protobuf (``explain
--output=plaintext-openapiv2``) is the check that the encoding is what gnostic reads.
"""

from __future__ import annotations

import json
import math
import struct
import urllib.error
import urllib.request
from typing import Any

import pytest
import yaml

from myriad.api.builtin import BUILTIN
from myriad.api.protobuf import wire
from myriad.api.registry import ResourceRegistry
from myriad.apiserver import openapiv2
from myriad.apiserver.crds import resource_types
from myriad.apiserver.openapiv2 import OpenAPIV2
from myriad.apiserver.openapiv2.protobuf import encode_document
from tests.apiserver.conftest import RunningServer

PROTO_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
PROTO_SERVED = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.stable.example.org"},
    "spec": {"group": "stable.example.org", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                                    "statusReplicasPath": ".status.replicas"}},
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "required": ["size", "note"], "properties": {
                                   "size": {"type": "integer", "minimum": 1, "maximum": 10.5, "default": 3},
                                   "replicas": {"type": "integer", "format": "int32"},
                                   "mode": {"type": "string", "enum": ["a", "b"], "pattern": "^[ab]$"},
                                   "note": {"type": "string", "nullable": True},
                                   "port": {"x-kubernetes-int-or-string": True,
                                            "anyOf": [{"type": "integer"}, {"type": "string"}]},
                                   "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                                            "properties": {"x": {"type": "string"}}},
                                   "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "tags": {"type": "array", "items": {"type": "string"},
                                            "x-kubernetes-list-type": "set"},
                                   "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                                                "properties": {"spec": {"type": "object"}}}}},
                               "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}},
                          {"name": "v2", "served": True, "storage": False,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]}}


# ---------------------------------------------------------------------------------------------
# A decoder of gnostic's openapi.v2 messages, written from OpenAPIv2.proto for these tests: it
# turns the protobuf back into the JSON shape (maps from the Named* pairs, oneofs unwrapped, Any
# parsed as the YAML it holds).

STR, STRS, BOOL, INT, DOUBLE, ANY, ANYS = "str", "strs", "bool", "int", "double", "any", "anys"


def decode_any(data: bytes) -> Any:
    text = None
    for number, _, value in wire.fields(data):
        assert number in (1, 2), f"Any has no field {number}"
        if number == 2:
            assert isinstance(value, bytes)
            text = value.decode()
    assert text is not None, "an Any without yaml"
    return yaml.safe_load(text)


def decode_message(data: bytes, spec: dict[int, tuple[str, Any]], extensions: int = 0) -> dict[str, Any]:
    """The fields ``spec`` lists (number → (JSON key, kind)); a kind is a scalar kind above, a
    decoder function for a message, or a one-element list of one for a repeated message. Vendor
    extensions (NamedAny) in field ``extensions`` become ``x-`` keys."""
    out: dict[str, Any] = {}
    for number, wire_type, value in wire.fields(data):
        if extensions and number == extensions:
            assert isinstance(value, bytes)
            name, ext = decode_named(value, decode_any)
            assert name.startswith("x-")
            out[name] = ext
            continue
        assert number in spec, f"unexpected field {number} ({sorted(spec)})"
        key, kind = spec[number]
        if kind == BOOL:
            assert wire_type == wire.VARINT
            out[key] = bool(value)
        elif kind == INT:
            assert wire_type == wire.VARINT and isinstance(value, int)
            out[key] = wire.signed(value, 64)
        elif kind == DOUBLE:
            assert wire_type == wire.FIXED64 and isinstance(value, bytes)
            out[key] = struct.unpack("<d", value)[0]
        else:
            assert wire_type == wire.LENGTH and isinstance(value, bytes)
            if kind == STR:
                out[key] = value.decode()
            elif kind == STRS:
                out.setdefault(key, []).append(value.decode())
            elif kind == ANY:
                out[key] = decode_any(value)
            elif kind == ANYS:
                out.setdefault(key, []).append(decode_any(value))
            elif isinstance(kind, list):
                out.setdefault(key, []).append(kind[0](value))
            else:
                out[key] = kind(value)
    return out


def decode_named(data: bytes, decode_value: Any) -> tuple[str, Any]:
    """A Named* pair: name (1), value (2)."""
    name, value = "", None
    for number, _, field in wire.fields(data):
        assert isinstance(field, bytes)
        if number == 1:
            name = field.decode()
        else:
            assert number == 2
            value = decode_value(field)
    return name, value


def decode_map(data: bytes, decode_value: Any, number: int = 1) -> dict[str, Any]:
    out = {}
    for field_number, _, field in wire.fields(data):
        assert field_number == number and isinstance(field, bytes)
        name, value = decode_named(field, decode_value)
        out[name] = value
    return out


def decode_oneof(data: bytes, options: dict[int, Any]) -> Any:
    found = list(wire.fields(data))
    assert len(found) == 1, f"a oneof with {len(found)} members set"
    number, _, value = found[0]
    return options[number](value)


def decode_schema(data: bytes) -> dict[str, Any]:
    schema = decode_message(data, {
        1: ("$ref", STR), 2: ("format", STR), 3: ("title", STR), 4: ("description", STR), 5: ("default", ANY),
        6: ("multipleOf", DOUBLE), 7: ("maximum", DOUBLE), 8: ("exclusiveMaximum", BOOL), 9: ("minimum", DOUBLE),
        10: ("exclusiveMinimum", BOOL), 11: ("maxLength", INT), 12: ("minLength", INT), 13: ("pattern", STR),
        14: ("maxItems", INT), 15: ("minItems", INT), 16: ("uniqueItems", BOOL), 17: ("maxProperties", INT),
        18: ("minProperties", INT), 19: ("required", STRS), 20: ("enum", ANYS),
        21: ("additionalProperties", lambda d: decode_oneof(d, {1: decode_schema, 2: lambda v: bool(v)})),
        22: ("type", lambda d: decode_message(d, {1: ("value", STRS)}).get("value", [])),
        23: ("items", lambda d: decode_message(d, {1: ("schema", [decode_schema])}).get("schema", [])),
        24: ("allOf", [decode_schema]), 25: ("properties", lambda d: decode_map(d, decode_schema)),
        26: ("discriminator", STR), 27: ("readOnly", BOOL), 30: ("example", ANY)}, 31)
    if "type" in schema and len(schema["type"]) == 1:
        schema["type"] = schema["type"][0]
    if "items" in schema and len(schema["items"]) == 1:
        schema["items"] = schema["items"][0]
    return schema


QUERY = {1: ("required", BOOL), 2: ("in", STR), 3: ("description", STR), 4: ("name", STR),
         5: ("allowEmptyValue", BOOL), 6: ("type", STR), 7: ("format", STR), 9: ("collectionFormat", STR),
         10: ("default", ANY), 20: ("uniqueItems", BOOL), 21: ("enum", ANYS)}
PATH = {1: ("required", BOOL), 2: ("in", STR), 3: ("description", STR), 4: ("name", STR), 5: ("type", STR),
        6: ("format", STR), 8: ("collectionFormat", STR), 9: ("default", ANY), 19: ("uniqueItems", BOOL),
        20: ("enum", ANYS)}
BODY = {1: ("description", STR), 2: ("name", STR), 3: ("in", STR), 4: ("required", BOOL), 5: ("schema", decode_schema)}


def decode_parameter(data: bytes) -> dict[str, Any]:
    return decode_oneof(data, {
        1: lambda d: decode_message(d, BODY, 6),
        2: lambda d: decode_oneof(d, {1: lambda v: decode_message(v, PATH, 22),
                                      2: lambda v: decode_message(v, QUERY, 23),
                                      3: lambda v: decode_message(v, QUERY, 23),
                                      4: lambda v: decode_message(v, PATH, 22)})})


def decode_json_reference(data: bytes) -> dict[str, Any]:
    return decode_message(data, {1: ("$ref", STR), 2: ("description", STR)})


def decode_parameters_item(data: bytes) -> dict[str, Any]:
    return decode_oneof(data, {1: decode_parameter, 2: decode_json_reference})


def decode_response(data: bytes) -> dict[str, Any]:
    return decode_message(data, {1: ("description", STR),
                                 2: ("schema", lambda d: decode_oneof(d, {1: decode_schema}))}, 5)


def decode_responses(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, _, value in wire.fields(data):
        assert number == 1 and isinstance(value, bytes)
        code, response = decode_named(value, lambda d: decode_oneof(d, {1: decode_response,
                                                                        2: decode_json_reference}))
        out[code] = response
    return out


def decode_operation(data: bytes) -> dict[str, Any]:
    return decode_message(data, {
        1: ("tags", STRS), 2: ("summary", STR), 3: ("description", STR), 5: ("operationId", STR),
        6: ("produces", STRS), 7: ("consumes", STRS), 8: ("parameters", [decode_parameters_item]),
        9: ("responses", decode_responses), 10: ("schemes", STRS), 11: ("deprecated", BOOL)}, 13)


def decode_path_item(data: bytes) -> dict[str, Any]:
    return decode_message(data, {
        1: ("$ref", STR), 2: ("get", decode_operation), 3: ("put", decode_operation), 4: ("post", decode_operation),
        5: ("delete", decode_operation), 6: ("options", decode_operation), 7: ("head", decode_operation),
        8: ("patch", decode_operation), 9: ("parameters", [decode_parameters_item])}, 10)


def decode_document(data: bytes) -> dict[str, Any]:
    string_array = lambda d: decode_message(d, {1: ("value", STRS)}).get("value", [])  # noqa: E731
    api_key = {1: ("type", STR), 2: ("name", STR), 3: ("in", STR), 4: ("description", STR)}
    return decode_message(data, {
        1: ("swagger", STR), 2: ("info", lambda d: decode_message(d, {1: ("title", STR), 2: ("version", STR)}, 7)),
        3: ("host", STR), 4: ("basePath", STR), 5: ("schemes", STRS), 6: ("consumes", STRS), 7: ("produces", STRS),
        8: ("paths", lambda d: decode_map(d, decode_path_item, number=2)),
        9: ("definitions", lambda d: decode_map(d, decode_schema)),
        10: ("parameters", lambda d: decode_map(d, decode_parameter)),
        11: ("responses", lambda d: decode_map(d, decode_response)),
        12: ("security", [lambda d: decode_map(d, string_array)]),
        13: ("securityDefinitions", lambda d: decode_map(d, lambda v: decode_oneof(v, {
            2: lambda w: decode_message(w, api_key, 5)})))}, 16)


def proto3(node: Any, *, names: bool = False) -> Any:
    """The JSON document as proto3 keeps it: scalar fields at their zero value are not written
    (values inside an Any, and map keys, are kept as they are)."""
    if isinstance(node, list):
        return [proto3(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: proto3(value) for name, value in node.items()}
    out = {}
    for key, value in node.items():
        if key in ("enum", "default", "example", "security") or key.startswith("x-"):
            out[key] = value
        elif key in ("properties", "definitions", "paths", "responses", "securityDefinitions"):
            out[key] = proto3(value, names=True)
        elif key == "additionalProperties" and isinstance(value, bool):
            out[key] = value  # a oneof member: written even when false
        elif value is False or value == "" or value == [] or (type(value) in (int, float) and value == 0):
            continue
        else:
            out[key] = proto3(value)
    return out


# ---------------------------------------------------------------------------------------------
# Unit tests


@pytest.fixture(scope="module")
def served() -> OpenAPIV2:
    registry = ResourceRegistry(BUILTIN)
    for resource in resource_types(WIDGET_CRD):
        registry.add(resource)
    return OpenAPIV2(registry)


@pytest.fixture(scope="module")
def decoded(served: OpenAPIV2) -> dict[str, Any]:
    return decode_document(served.protobuf())


def test_the_protobuf_decodes_to_the_json_document(served: OpenAPIV2, decoded: dict[str, Any]) -> None:
    document = json.loads(served.json())
    assert decoded["swagger"] == "2.0" and decoded["info"] == {"title": "Kubernetes", "version": "v1.37.0"}
    configmap = "/api/v1/namespaces/{namespace}/configmaps/{name}"
    assert decoded["paths"][configmap] == proto3(document["paths"][configmap])
    for name in ("io.k8s.api.core.v1.ConfigMap", "io.k8s.api.apps.v1.DeploymentSpec",
                 "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "org.example.stable.v1.Widget"):
        assert decoded["definitions"][name] == proto3(document["definitions"][name])
    assert list(decoded["paths"]) == list(document["paths"])  # the same order
    assert decoded == proto3(document)


def test_paths_carry_actions_kinds_and_field_validation(decoded: dict[str, Any]) -> None:
    item = decoded["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]
    assert {verb: op["x-kubernetes-action"] for verb, op in item.items() if verb != "parameters"} == {
        "get": "get", "put": "put", "patch": "patch", "delete": "delete"}
    patch = item["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "kind": "ConfigMap", "version": "v1"}
    assert patch["operationId"] == "patchCoreV1NamespacedConfigMap" and patch["tags"] == ["core_v1"]
    assert patch["consumes"] == ["application/json-patch+json", "application/merge-patch+json",
                                 "application/strategic-merge-patch+json", "application/apply-patch+yaml"]
    assert [p.get("name") for p in patch["parameters"]] == ["body", "dryRun", "fieldManager", "fieldValidation",
                                                            "force"]
    assert patch["parameters"][0]["schema"] == {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}
    assert [p["name"] for p in item["parameters"]] == ["name", "namespace", "pretty"]
    collection = decoded["paths"]["/api/v1/namespaces/{namespace}/configmaps"]
    assert collection["get"]["x-kubernetes-action"] == "list"
    assert collection["get"]["responses"]["200"]["schema"] == {"$ref": "#/definitions/io.k8s.api.core.v1.ConfigMapList"}
    assert "fieldValidation" in [p["name"] for p in collection["post"]["parameters"]]
    assert collection["delete"]["x-kubernetes-action"] == "deletecollection"
    assert decoded["paths"]["/api/v1/configmaps"]["get"]["operationId"] == "listCoreV1ConfigMapForAllNamespaces"
    assert decoded["paths"]["/api/v1/watch/namespaces/{namespace}/configmaps"]["get"]["x-kubernetes-action"] == \
        "watchlist"
    scale = decoded["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
    assert scale["x-kubernetes-group-version-kind"] == {"group": "autoscaling", "kind": "Scale", "version": "v1"}
    assert scale["operationId"] == "patchAppsV1NamespacedDeploymentScale"
    eviction = decoded["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]
    assert set(eviction) == {"parameters", "post"}
    assert eviction["post"]["x-kubernetes-group-version-kind"] == {"group": "policy", "kind": "Eviction",
                                                                   "version": "v1"}
    rbac = decoded["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"]["get"]
    assert rbac["operationId"] == "readRbacAuthorizationV1ClusterRole" and rbac["tags"] == ["rbacAuthorization_v1"]
    # verbs the resource does not serve have no operation
    assert set(decoded["paths"]["/apis/authentication.k8s.io/v1/tokenreviews"]) == {"parameters", "post"}
    assert "/api/v1/componentstatuses/{name}" in decoded["paths"]
    assert "post" not in decoded["paths"]["/api/v1/componentstatuses"]


def test_every_patch_operation_lists_field_validation_where_kubectl_looks(decoded: dict[str, Any]) -> None:
    """kubectl's check reads the parameters of the first PATCH operation tagged with the kind,
    not the path's; every served kind (and Namespace, which it asks about for unknown kinds)
    must have it there."""
    first: dict[tuple[str, str, str], list[str]] = {}
    for item in decoded["paths"].values():
        patch = item.get("patch")
        if patch is None:
            continue
        gvk = patch["x-kubernetes-group-version-kind"]
        key = (gvk["group"], gvk["version"], gvk["kind"])
        first.setdefault(key, [p.get("name", "") for p in patch.get("parameters", [])
                               if p.get("in") == "query"])
    assert ("", "v1", "Namespace") in first and ("stable.example.org", "v1", "Widget") in first
    assert all("fieldValidation" in names for names in first.values()), first


def test_definitions_parse_as_kube_openapi_reads_them(decoded: dict[str, Any]) -> None:
    """kube-openapi's util/proto refuses the whole document for one bad schema: a reference with
    a type or properties, one to a missing definition, an array without one item schema, more
    than one type or an unknown one."""
    definitions = decoded["definitions"]

    def check(schema: dict[str, Any], where: str) -> None:
        kind = schema.get("type", "")
        assert isinstance(kind, str) and kind in ("", "object", "array", "string", "integer", "number",
                                                  "boolean"), where
        if "$ref" in schema:
            assert "type" not in schema and not schema.get("properties"), where
            assert schema["$ref"].removeprefix("#/definitions/") in definitions, where
        if kind == "array":
            assert isinstance(schema.get("items"), dict), where
        for name, child in (schema.get("properties") or {}).items():
            check(child, f"{where}.{name}")
        if isinstance(schema.get("items"), dict):
            check(schema["items"], f"{where}[]")
        if isinstance(schema.get("additionalProperties"), dict):
            check(schema["additionalProperties"], f"{where}{{}}")

    for name, schema in definitions.items():
        check(schema, name)
    for item in decoded["paths"].values():
        for verb, operation in item.items():
            if verb == "parameters":
                continue
            for response in operation["responses"].values():
                if "schema" in response:
                    check(response["schema"], f"{verb} response")
            for param in operation.get("parameters", []):
                if "schema" in param:
                    check(param["schema"], f"{verb} body")


def test_builtin_definitions_are_narrowed_to_swagger(decoded: dict[str, Any]) -> None:
    definitions = decoded["definitions"]
    configmap = definitions["io.k8s.api.core.v1.ConfigMap"]
    assert configmap["type"] == "object"
    assert configmap["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "ConfigMap", "version": "v1"}]
    assert configmap["properties"]["apiVersion"] == {"description": configmap["properties"]["apiVersion"]
                                                     ["description"], "type": "string"}
    assert configmap["properties"]["data"]["additionalProperties"] == {"type": "string"}
    assert configmap["properties"]["metadata"]["$ref"] == \
        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    assert definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] == {"format": "int-or-string",
                                                                             "type": "string"}
    assert definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"] == "string"
    strategy = definitions["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]
    assert strategy["x-kubernetes-patch-strategy"] == "retainKeys"
    containers = definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name" and containers["type"] == "array"
    for name in ("io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
                 "io.k8s.api.autoscaling.v1.Scale", "io.k8s.api.policy.v1.Eviction"):
        assert name in definitions
    assert decoded["securityDefinitions"] == {"BearerToken": {"description": "Bearer Token authentication",
                                                              "in": "header", "name": "authorization",
                                                              "type": "apiKey"}}
    assert decoded["security"] == [{"BearerToken": []}]


def test_custom_resources_get_upstreams_v2_schema(decoded: dict[str, Any]) -> None:
    definitions = decoded["definitions"]
    widget = definitions["org.example.stable.v1.Widget"]
    assert widget["x-kubernetes-group-version-kind"] == [{"group": "stable.example.org", "kind": "Widget",
                                                          "version": "v1"}]
    assert widget["type"] == "object"
    assert widget["properties"]["apiVersion"]["type"] == "string" and widget["properties"]["kind"]["type"] == "string"
    assert widget["properties"]["metadata"]["$ref"] == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    spec = widget["properties"]["spec"]
    assert spec["required"] == ["size"]  # the nullable "note" is not required in v2
    assert spec["properties"]["size"] == {"maximum": 10.5, "minimum": 1, "type": "integer"}  # default pruned
    assert spec["properties"]["note"] == {}
    assert spec["properties"]["port"] == {"x-kubernetes-int-or-string": True}
    assert spec["properties"]["free"] == {"x-kubernetes-preserve-unknown-fields": True}
    assert spec["properties"]["mode"]["enum"] == ["a", "b"]
    assert spec["properties"]["replicas"] == {"format": "int32", "type": "integer"}
    assert spec["properties"]["tags"] == {"items": {"type": "string"}, "type": "array",
                                          "x-kubernetes-list-type": "set"}
    template = spec["properties"]["template"]
    assert set(template["properties"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert template["required"] == ["kind", "apiVersion"]
    listed = definitions["org.example.stable.v1.WidgetList"]
    assert listed["properties"]["items"]["items"] == {"$ref": "#/definitions/org.example.stable.v1.Widget"}
    assert listed["x-kubernetes-group-version-kind"] == [{"group": "stable.example.org", "kind": "WidgetList",
                                                          "version": "v1"}]
    assert definitions["org.example.stable.v2.Widget"] == {
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": "stable.example.org", "kind": "Widget", "version": "v2"}]}
    item = decoded["paths"]["/apis/stable.example.org/v1/namespaces/{namespace}/widgets/{name}"]
    assert item["patch"]["consumes"] == ["application/json-patch+json", "application/merge-patch+json",
                                         "application/apply-patch+yaml"]
    assert item["patch"]["operationId"] == "patchStableExampleOrgV1NamespacedWidget"
    scale = decoded["paths"]["/apis/stable.example.org/v1/namespaces/{namespace}/widgets/{name}/scale"]
    assert scale["get"]["responses"]["200"]["schema"] == {"$ref": "#/definitions/io.k8s.api.autoscaling.v1.Scale"}
    assert "/apis/stable.example.org/v1/widgets" in decoded["paths"]
    assert not any(path.startswith("/apis/stable.example.org/v1/watch") for path in decoded["paths"])


def test_every_schema_field_round_trips() -> None:
    """Fields the served documents do not use today, through the same encoder."""
    schema = {"$ref": "#/definitions/a", "format": "f", "title": "t", "description": "d", "default": {"k": [1, "x"]},
              "multipleOf": 0.5, "maximum": -3.25, "exclusiveMaximum": True, "minimum": -7, "exclusiveMinimum": True,
              "maxLength": 9, "minLength": 1, "pattern": "^é$", "maxItems": 300, "minItems": 2, "uniqueItems": True,
              "maxProperties": 4, "minProperties": 1, "required": ["a", ""], "enum": ["a", 1, None, True, {"b": 2}],
              "additionalProperties": False, "type": "object", "items": {"type": "string"},
              "allOf": [{"type": "string"}, {}], "properties": {"p": {"additionalProperties": {"type": "integer"}},
                                                                "enum": {"type": "string"}},
              "discriminator": "kind", "readOnly": True, "example": "ex", "x-kubernetes-list-map-keys": ["a", "b"],
              "x-kubernetes-validations": [{"rule": "self.a != 'b: c'", "message": "quoted \"ok\"\n"}]}
    spec = {"swagger": "2.0", "info": {"title": "T", "version": "v"}, "definitions": {"s": schema},
            "paths": {"/x": {"parameters": [{"$ref": "#/parameters/p"}],
                             "get": {"responses": {"default": {"$ref": "#/responses/r"},
                                                   "200": {"description": "OK", "schema": {"type": "string"}}},
                                     "parameters": [{"in": "query", "name": "q", "type": "integer", "required": True,
                                                     "enum": [1, 2], "default": 1},
                                                    {"in": "header", "name": "h", "type": "string"}],
                                     "deprecated": True, "x-custom": {"a": 1}}}},
            "parameters": {"p": {"in": "path", "name": "p", "required": True, "type": "string"}},
            "responses": {"r": {"description": "R"}}}
    decoded = decode_document(encode_document(spec))
    assert decoded == proto3(spec)
    assert decoded["definitions"]["s"]["additionalProperties"] is False
    assert decoded["definitions"]["s"]["maximum"] == -3.25 and decoded["definitions"]["s"]["minimum"] == -7
    assert math.isclose(decoded["definitions"]["s"]["multipleOf"], 0.5)


def test_field_numbers_match_gnostics_proto() -> None:
    """Spot checks against OpenAPIv2.proto: Document.paths 8, definitions 9; NamedSchema name 1,
    value 2; Schema $ref 1, description 4, type 22 (TypeItem.value 1), properties 25,
    vendor_extension 31; NamedAny value 2, Any.yaml 2."""
    body = encode_document({"paths": {}, "definitions": {"D": {"$ref": "#/definitions/E", "description": "x",
                                                               "type": "object", "properties": {},
                                                               "x-a": "b"}}})
    fields = list(wire.fields(body))
    assert [(number, kind) for number, kind, _ in fields] == [(8, wire.LENGTH), (9, wire.LENGTH)]
    definitions = fields[1][2]
    assert isinstance(definitions, bytes)
    entries = list(wire.fields(definitions))
    assert len(entries) == 1 and entries[0][0] == 1
    entry = entries[0][2]
    assert isinstance(entry, bytes)
    named = list(wire.fields(entry))
    assert named[0][0] == 1 and named[0][2] == b"D" and named[1][0] == 2
    schema = named[1][2]
    assert isinstance(schema, bytes)
    parts = {number: value for number, _, value in wire.fields(schema)}
    assert parts[1] == b"#/definitions/E" and parts[4] == b"x"
    assert list(wire.fields(parts[22])) == [(1, wire.LENGTH, b"object")]  # type: ignore[arg-type]
    assert parts[25] == b""
    extension = {number: value for number, _, value in wire.fields(parts[31])}  # type: ignore[arg-type]
    assert extension[1] == b"x-a"
    assert dict((n, v) for n, _, v in wire.fields(extension[2])) == {2: b'"b"'}  # type: ignore[arg-type]


@pytest.mark.parametrize(("accept", "expected"), [
    ("", openapiv2.JSON), ("*/*", openapiv2.JSON), ("application/json", openapiv2.JSON),
    ("application/*", openapiv2.JSON), (PROTO_ACCEPT, PROTO_SERVED), (PROTO_SERVED, PROTO_SERVED),
    (f"{PROTO_ACCEPT}, application/json", PROTO_SERVED), (f"application/json;q=0.5, {PROTO_ACCEPT}", PROTO_SERVED),
    ("application/json, */*", openapiv2.JSON), ("text/html", None), ("application/yaml", None),
    (f"{PROTO_ACCEPT};q=0, application/json", openapiv2.JSON)])
def test_the_accept_header_picks_the_encoding(served: OpenAPIV2, accept: str, expected: str | None) -> None:
    answer = served.document(accept)
    if expected is None:
        assert answer is None
        return
    assert answer is not None
    content_type, body = answer
    assert content_type == expected
    assert body == (served.json() if expected == openapiv2.JSON else served.protobuf())


def test_the_documents_are_cached_until_the_registry_changes() -> None:
    registry = ResourceRegistry(BUILTIN)
    served = OpenAPIV2(registry)
    first, proto, etag = served.json(), served.protobuf(), served.etag()
    assert served.json() is first and served.protobuf() is proto
    assert etag.startswith('"') and len(etag) == 130
    assert "com.example.v1.Gizmo" not in served.spec()["definitions"]
    crd = {"metadata": {"name": "gizmos.example.com"},
           "spec": {"group": "example.com", "scope": "Cluster", "names": {"plural": "gizmos", "kind": "Gizmo"},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object"}}}]}}
    added = resource_types(crd)
    for resource in added:
        registry.add(resource)
    assert served.json() is not first and served.etag() != etag
    assert served.spec()["definitions"]["com.example.v1.Gizmo"]["properties"]["metadata"]
    assert "/apis/example.com/v1/gizmos/{name}" in served.spec()["paths"]
    assert "com.example.v1.GizmoList" in decode_document(served.protobuf())["definitions"]
    for resource in added:
        registry.remove(resource)
    assert "com.example.v1.Gizmo" not in served.spec()["definitions"]


# ---------------------------------------------------------------------------------------------
# Against a real server (the route wired into the router)


def _get(server: RunningServer, accept: str | None) -> tuple[int, str, bytes]:
    headers = {"Accept": accept} if accept is not None else {}
    request = urllib.request.Request(server.url + "/openapi/v2", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def test_the_server_answers_in_either_encoding(apiserver: RunningServer) -> None:
    status, content_type, body = _get(apiserver, "application/json")
    assert status == 200 and content_type.startswith("application/json")
    document = json.loads(body)
    assert document["swagger"] == "2.0"
    assert "/api/v1/namespaces/{namespace}/configmaps/{name}" in document["paths"]
    status, content_type, proto = _get(apiserver, PROTO_ACCEPT)
    assert status == 200 and content_type == PROTO_SERVED
    assert decode_document(proto) == proto3(document)
    status, content_type, default = _get(apiserver, None)
    assert status == 200 and json.loads(default)["swagger"] == "2.0"
    status, _, _ = _get(apiserver, "text/html")
    assert status == 406


def test_kubectl_apply_of_a_kind_without_a_crd_asks_for_the_crd(apiserver: RunningServer) -> None:
    result = apiserver.kubectl("apply", "-f", "-", check=False,
                               input="apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
    assert result.returncode != 0
    assert 'resource mapping not found for name: "w" namespace: "" from "STDIN"' in result.stderr
    assert 'no matches for kind "Widget" in version "example.com/v1"' in result.stderr
    assert "ensure CRDs are installed first" in result.stderr
    assert "error validating data" not in result.stderr


def test_kubectl_strict_apply_of_a_configmap_still_works(apiserver: RunningServer) -> None:
    result = apiserver.kubectl("apply", "--validate=strict", "-f", "-",
                               input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v2-strict\n"
                                     "  namespace: default\ndata:\n  a: b\n")
    assert "configmap/v2-strict created" in result.stdout
    again = apiserver.kubectl("apply", "--validate=strict", "-f", "-", check=False,
                              input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: v2-strict\n"
                                    "  namespace: default\ndatta:\n  a: b\n")
    assert again.returncode != 0 and 'unknown field "datta"' in again.stderr


def test_kubectl_reads_the_protobuf_document(apiserver: RunningServer) -> None:
    """``explain --output=plaintext-openapiv2`` decodes /openapi/v2 with gnostic and parses every
    definition with kube-openapi; it finds a kind by the definitions' group-version-kind."""
    explained = apiserver.kubectl("explain", "deployment.spec.strategy", "--output=plaintext-openapiv2").stdout
    assert "KIND:     Deployment" in explained and "rollingUpdate" in explained
    apiserver.kubectl("apply", "-f", "-", input=json.dumps(WIDGET_CRD))
    status, _, body = _get(apiserver, "application/json")
    assert status == 200
    widget = json.loads(body)["definitions"]["org.example.stable.v1.Widget"]
    assert widget["properties"]["spec"]["properties"]["size"]["type"] == "integer"
    explained = apiserver.kubectl("explain", "widgets.spec", "--api-version=stable.example.org/v1",
                                  "--output=plaintext-openapiv2").stdout
    assert "size\t<integer> -required-" in explained
