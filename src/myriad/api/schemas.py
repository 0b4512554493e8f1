"""The built-in types' schemas, from the JSON schemas bundled in ``kubernetes-validate``
(Kubernetes 1.37, strict variant): definitions by name, kinds by (apiVersion, kind), and the
walk that finds and drops fields a schema does not declare (what Go's decoder drops, and what
``fieldValidation=Strict`` refuses).

Loaded once per process, lazily; the file is about 2 MB of JSON.
"""

from __future__ import annotations

import functools
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
    _walk(obj, definitions()[name], "", unknown)
    return unknown


def _walk(value: Any, schema: dict[str, Any], path: str, unknown: list[str]) -> None:
    schema = resolve(schema)
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties is not None:
            for key in list(value):
                child = properties.get(key)
                if child is None:
                    if schema.get("additionalProperties") is False:
                        unknown.append(f"{path}.{key}" if path else key)
                        del value[key]
                    continue
                _walk(value[key], child, f"{path}.{key}" if path else key, unknown)
        elif isinstance(schema.get("additionalProperties"), dict):
            for key, item in value.items():
                _walk(item, schema["additionalProperties"], f"{path}[{key}]", unknown)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{i}]", unknown)
