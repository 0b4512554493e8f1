"""The protobuf encoding of the ``/openapi/v2`` document: gnostic's ``openapi.v2`` messages
(openapiv2/OpenAPIv2.proto; proto3, so zero scalars are left out), which is what client-go's
discovery client asks for."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from typing import Any

_VARINT, _FIXED64, _LENGTH = 0, 1, 2


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited field: a string, bytes, or an embedded message (written even when
    empty: a present message differs from an absent one)."""
    return _tag(number, _LENGTH) + _varint(len(data)) + data


def _string(number: int, value: Any) -> bytes:
    text = str(value)
    return _field(number, text.encode()) if text else b""


def _yaml(value: Any) -> str:
    """A value as gnostic's ``Any.yaml`` holds it: JSON, which YAML parsers read as flow style."""
    return json.dumps(value, ensure_ascii=False)


def _any(value: Any) -> bytes:
    return _string(2, _yaml(value))


def _named_any(name: str, value: Any) -> bytes:
    return _string(1, name) + _field(2, _any(value))


# Field kinds in the tables below; a callable is an embedded message's encoder, a list holding one
# a repeated message field.
_STR, _STRS, _BOOL, _INT, _DOUBLE, _ANY, _ANYS = "str", "strs", "bool", "int", "double", "any", "anys"
_Table = tuple[tuple[str, int, Any], ...]


def _encode(obj: dict[str, Any], table: _Table, extensions: int = 0) -> bytes:
    """The fields of ``obj`` that ``table`` lists, in field-number order, then its ``x-`` keys
    as NamedAny in field ``extensions``."""
    out = []
    for key, number, kind in table:
        if key not in obj:
            continue
        value = obj[key]
        if kind == _STR:
            out.append(_string(number, value))
        elif kind == _STRS:
            out.extend(_field(number, str(item).encode()) for item in value)
        elif kind == _BOOL:
            if value:
                out.append(_tag(number, _VARINT) + b"\x01")
        elif kind == _INT:
            if value:
                out.append(_tag(number, _VARINT) + _varint(int(value)))
        elif kind == _DOUBLE:
            number_value = float(value)
            if number_value != 0 or math.copysign(1.0, number_value) < 0:
                out.append(_tag(number, _FIXED64) + struct.pack("<d", number_value))
        elif kind == _ANY:
            out.append(_field(number, _any(value)))
        elif kind == _ANYS:
            out.extend(_field(number, _any(item)) for item in value)
        elif isinstance(kind, list):
            out.extend(_field(number, kind[0](item)) for item in value)
        else:
            out.append(_field(number, kind(value)))
    if extensions:
        out.extend(_field(extensions, _named_any(key, value)) for key, value in obj.items() if key.startswith("x-"))
    return b"".join(out)


def _named(mapping: dict[str, Any], encode: Callable[[Any], bytes]) -> bytes:
    """A map as gnostic's ``Named*`` pairs in field 1 of its holder (name 1, value 2)."""
    return b"".join(_field(1, _string(1, name) + _field(2, encode(value))) for name, value in mapping.items())


def _schema(obj: dict[str, Any]) -> bytes:
    return _encode(obj, _SCHEMA, 31)


def _type_item(value: Any) -> bytes:
    return b"".join(_field(1, str(item).encode()) for item in (value if isinstance(value, list) else [value]))


def _items_item(value: Any) -> bytes:
    return b"".join(_field(1, _schema(item)) for item in (value if isinstance(value, list) else [value]))


def _additional_properties(value: Any) -> bytes:
    if isinstance(value, bool):  # a oneof member: written even when false
        return _tag(2, _VARINT) + (b"\x01" if value else b"\x00")
    return _field(1, _schema(value))


def _properties(value: dict[str, Any]) -> bytes:
    return _named(value, _schema)


def _external_docs(value: dict[str, Any]) -> bytes:
    return _encode(value, (("description", 1, _STR), ("url", 2, _STR)), 3)


_SCHEMA: _Table = (
    ("$ref", 1, _STR), ("format", 2, _STR), ("title", 3, _STR), ("description", 4, _STR), ("default", 5, _ANY),
    ("multipleOf", 6, _DOUBLE), ("maximum", 7, _DOUBLE), ("exclusiveMaximum", 8, _BOOL), ("minimum", 9, _DOUBLE),
    ("exclusiveMinimum", 10, _BOOL), ("maxLength", 11, _INT), ("minLength", 12, _INT), ("pattern", 13, _STR),
    ("maxItems", 14, _INT), ("minItems", 15, _INT), ("uniqueItems", 16, _BOOL), ("maxProperties", 17, _INT),
    ("minProperties", 18, _INT), ("required", 19, _STRS), ("enum", 20, _ANYS),
    ("additionalProperties", 21, _additional_properties), ("type", 22, _type_item), ("items", 23, _items_item),
    ("allOf", 24, [_schema]), ("properties", 25, _properties), ("discriminator", 26, _STR),
    ("readOnly", 27, _BOOL), ("externalDocs", 29, _external_docs), ("example", 30, _ANY))

#: QueryParameterSubSchema and FormDataParameterSubSchema number their fields alike, as do
#: PathParameterSubSchema and HeaderParameterSubSchema (which have no allowEmptyValue).
_QUERY_PARAMETER: _Table = (
    ("required", 1, _BOOL), ("in", 2, _STR), ("description", 3, _STR), ("name", 4, _STR),
    ("allowEmptyValue", 5, _BOOL), ("type", 6, _STR), ("format", 7, _STR), ("collectionFormat", 9, _STR),
    ("default", 10, _ANY), ("maximum", 11, _DOUBLE), ("exclusiveMaximum", 12, _BOOL), ("minimum", 13, _DOUBLE),
    ("exclusiveMinimum", 14, _BOOL), ("maxLength", 15, _INT), ("minLength", 16, _INT), ("pattern", 17, _STR),
    ("maxItems", 18, _INT), ("minItems", 19, _INT), ("uniqueItems", 20, _BOOL), ("enum", 21, _ANYS),
    ("multipleOf", 22, _DOUBLE))
_PATH_PARAMETER: _Table = (
    ("required", 1, _BOOL), ("in", 2, _STR), ("description", 3, _STR), ("name", 4, _STR), ("type", 5, _STR),
    ("format", 6, _STR), ("collectionFormat", 8, _STR), ("default", 9, _ANY), ("maximum", 10, _DOUBLE),
    ("exclusiveMaximum", 11, _BOOL), ("minimum", 12, _DOUBLE), ("exclusiveMinimum", 13, _BOOL),
    ("maxLength", 14, _INT), ("minLength", 15, _INT), ("pattern", 16, _STR), ("maxItems", 17, _INT),
    ("minItems", 18, _INT), ("uniqueItems", 19, _BOOL), ("enum", 20, _ANYS), ("multipleOf", 21, _DOUBLE))
_BODY_PARAMETER: _Table = (("description", 1, _STR), ("name", 2, _STR), ("in", 3, _STR), ("required", 4, _BOOL),
                           ("schema", 5, _schema))
#: NonBodyParameter's oneof: where each ``in`` goes, its table and its extensions field.
_NON_BODY = {"header": (1, _PATH_PARAMETER, 22), "formData": (2, _QUERY_PARAMETER, 23),
             "query": (3, _QUERY_PARAMETER, 23), "path": (4, _PATH_PARAMETER, 22)}


def _json_reference(obj: dict[str, Any]) -> bytes:
    return _encode(obj, (("$ref", 1, _STR), ("description", 2, _STR)))


def _parameter(obj: dict[str, Any]) -> bytes:
    """A Parameter message: a body parameter (1) or a non-body one (2)."""
    if obj.get("in") == "body":
        return _field(1, _encode(obj, _BODY_PARAMETER, 6))
    number, table, extensions = _NON_BODY[obj["in"]]
    return _field(2, _field(number, _encode(obj, table, extensions)))


def _parameters_item(obj: dict[str, Any]) -> bytes:
    if "$ref" in obj:
        return _field(2, _json_reference(obj))
    return _field(1, _parameter(obj))


def _response(obj: dict[str, Any]) -> bytes:
    return _encode(obj, (("description", 1, _STR), ("schema", 2, lambda schema: _field(1, _schema(schema)))), 5)


def _responses(obj: dict[str, Any]) -> bytes:
    codes = {code: value for code, value in obj.items() if not code.startswith("x-")}
    entries = b"".join(
        _field(1, _string(1, code) + _field(2, _field(2, _json_reference(value)) if "$ref" in value
                                            else _field(1, _response(value))))
        for code, value in codes.items())
    return entries + b"".join(_field(2, _named_any(key, value)) for key, value in obj.items() if key.startswith("x-"))


def _operation(obj: dict[str, Any]) -> bytes:
    return _encode(obj, (
        ("tags", 1, _STRS), ("summary", 2, _STR), ("description", 3, _STR), ("externalDocs", 4, _external_docs),
        ("operationId", 5, _STR), ("produces", 6, _STRS), ("consumes", 7, _STRS),
        ("parameters", 8, [_parameters_item]), ("responses", 9, _responses), ("schemes", 10, _STRS),
        ("deprecated", 11, _BOOL), ("security", 12, [_security_requirement])), 13)


def _path_item(obj: dict[str, Any]) -> bytes:
    return _encode(obj, (
        ("$ref", 1, _STR), ("get", 2, _operation), ("put", 3, _operation), ("post", 4, _operation),
        ("delete", 5, _operation), ("options", 6, _operation), ("head", 7, _operation), ("patch", 8, _operation),
        ("parameters", 9, [_parameters_item])), 10)


def _paths(obj: dict[str, Any]) -> bytes:
    extensions = b"".join(_field(1, _named_any(key, value)) for key, value in obj.items() if key.startswith("x-"))
    entries = b"".join(_field(2, _string(1, path) + _field(2, _path_item(item)))
                       for path, item in obj.items() if not path.startswith("x-"))
    return extensions + entries


def _security_requirement(obj: dict[str, list[str]]) -> bytes:
    return _named(obj, lambda scopes: b"".join(_field(1, str(scope).encode()) for scope in scopes))


def _security_definition(obj: dict[str, Any]) -> bytes:
    """A SecurityDefinitionsItem: basic (1) or apiKey (2); OAuth2 schemes are not written."""
    if obj.get("type") == "basic":
        return _field(1, _encode(obj, (("type", 1, _STR), ("description", 2, _STR)), 3))
    if obj.get("type") == "apiKey":
        return _field(2, _encode(obj, (("type", 1, _STR), ("name", 2, _STR), ("in", 3, _STR),
                                       ("description", 4, _STR)), 5))
    return b""


def _info(obj: dict[str, Any]) -> bytes:
    return _encode(obj, (("title", 1, _STR), ("version", 2, _STR), ("description", 3, _STR),
                         ("termsOfService", 4, _STR)), 7)


def encode_document(spec: dict[str, Any]) -> bytes:
    """A Swagger 2.0 document (as :class:`OpenAPIV2` builds it) as a gnostic ``openapi.v2.Document``."""
    return _encode(spec, (
        ("swagger", 1, _STR), ("info", 2, _info), ("host", 3, _STR), ("basePath", 4, _STR), ("schemes", 5, _STRS),
        ("consumes", 6, _STRS), ("produces", 7, _STRS), ("paths", 8, _paths),
        ("definitions", 9, lambda definitions: _named(definitions, _schema)),
        ("parameters", 10, lambda parameters: _named(parameters, _parameter)),
        ("responses", 11, lambda responses: _named(responses, _response)),
        ("security", 12, [_security_requirement]),
        ("securityDefinitions", 13, lambda definitions: _named(definitions, _security_definition)),
        ("externalDocs", 15, _external_docs)), 16)
