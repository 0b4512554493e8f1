"""The built-in types' schemas, from the JSON schemas bundled in ``kubernetes-validate``
(Kubernetes 1.37, strict variant): definitions by name, kinds by (apiVersion, kind), and the
walk that finds and drops fields a schema does not declare (what Go's decoder drops, and what
``fieldValidation=Strict`` refuses).

Loaded once per process, lazily; the file is about 2 MB of JSON.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import orjson

SCHEMA_VERSION = "v1.37.0-local-strict"
_REF_PREFIX = "#/$defs/"


@functools.cache
def definitions() -> dict[str, Any]:
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / SCHEMA_VERSION
    return orjson.loads((root / "_definitions.json").read_bytes())["$defs"]


@functools.cache
def kinds() -> dict[tuple[str, str], str]:
    """(apiVersion, kind) → definition name, from x-kubernetes-group-version-kind."""
    out: dict[tuple[str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            group, version = gvk.get("group", ""), gvk["version"]
            out[(f"{group}/{version}" if group else version, gvk["kind"])] = name
    return out


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follows a ``$ref`` (possibly wrapped in ``allOf``) to its definition."""
    while True:
        if "$ref" in schema:
            schema = definitions()[ref_name(schema["$ref"])]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def prune_unknown(obj: Any, api_version: str, kind: str) -> list[str]:
    """Removes, in place, every field the kind's schema does not declare and returns their paths
    (``spec.foo``, ``spec.containers[0].bar``). Kinds without a schema are left alone."""
    name = kinds().get((api_version, kind))
    if name is None:
        return []
    unknown: list[str] = []
    _walk(obj, _compiled(name), [], unknown)
    return unknown


@dataclass(slots=True)
class _Node:
    """A schema reduced to what pruning needs; ``leaf`` nodes (scalars, free-form values) are
    never walked into."""

    properties: dict[str, _Node] | None = None
    #: ``additionalProperties: false``: undeclared properties are unknown fields.
    closed: bool = False
    #: The schema of a map's values.
    values: _Node | None = None
    items: _Node | None = None
    leaf: bool = True


@functools.cache
def _compiled(name: str) -> _Node:
    return _compile(definitions()[name], {})


def _compile(schema: dict[str, Any], memo: dict[int, _Node]) -> _Node:
    schema = resolve(schema)
    node = memo.get(id(schema))
    if node is not None:
        return node
    node = memo[id(schema)] = _Node()
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    items = schema.get("items")
    if properties is not None:
        node.leaf = False  # before the children, which may lead back here
        node.closed = extra is False
        node.properties = {key: _compile(child, memo) for key, child in properties.items()}
    elif isinstance(extra, dict):
        node.leaf = False
        node.values = _compile(extra, memo)
    if isinstance(items, dict):
        node.leaf = False
        node.items = _compile(items, memo)
    return node


def _walk(value: Any, node: _Node, path: list[str], unknown: list[str]) -> None:
    """``path`` holds the parts leading to ``value`` (``.key``, ``[i]``, ``[key]``); it is joined
    into a string only for an unknown field."""
    if type(value) is dict:
        properties = node.properties
        if properties is not None:
            undeclared = None
            for key, item in value.items():
                child = properties.get(key)
                if child is None:
                    if node.closed:
                        undeclared = [key] if undeclared is None else [*undeclared, key]
                elif not child.leaf:
                    path.append("." + key)
                    _walk(item, child, path, unknown)
                    path.pop()
            if undeclared:
                for key in undeclared:
                    unknown.append(("".join(path) + "." + key).removeprefix("."))
                    del value[key]
        elif node.values is not None:
            for key, item in value.items():
                path.append(f"[{key}]")
                _walk(item, node.values, path, unknown)
                path.pop()
    elif type(value) is list and node.items is not None:
        for i, item in enumerate(value):
            path.append(f"[{i}]")
            _walk(item, node.items, path, unknown)
            path.pop()
