"""Content negotiation: what a client accepts, and what a request body is."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from myriad.api.errors import BadRequestError, NotAcceptableError, UnsupportedMediaTypeError
from myriad.apiserver.tables.convert import INCLUDE_VALUES, PARTIAL, TABLE, View

JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"
YAML = "application/yaml"
PATCH_JSON = "application/json-patch+json"
PATCH_MERGE = "application/merge-patch+json"
PATCH_STRATEGIC = "application/strategic-merge-patch+json"
PATCH_APPLY = "application/apply-patch+yaml"
#: The patch types served, in upstream's order (a 415 lists them); custom resources take no
#: strategic merge patch.
PATCH_TYPES = (PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC, PATCH_APPLY)
CUSTOM_PATCH_TYPES = (PATCH_JSON, PATCH_MERGE, PATCH_APPLY)


#: Distinct header values whose parse is remembered: clients send a handful, over and over.
_CACHED = 512


@functools.lru_cache(maxsize=_CACHED)
def media_type(header: str) -> tuple[str, Mapping[str, str]]:
    """``type/subtype`` (lower-case) and its parameters."""
    base, *params = header.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"')
    return base.strip().lower(), MappingProxyType(parsed)


@functools.lru_cache(maxsize=_CACHED)
def view(accept: str, include_object: str | None = None) -> View | None:
    """What the response should be: None for the object itself as JSON, or a :class:`View`
    (Table, PartialObjectMetadata) from the first acceptable ``Accept`` entry. Raises 406 when
    nothing offered can be served, 400 for a bad ``includeObject``."""
    include = include_object or ""
    if include not in INCLUDE_VALUES:
        raise BadRequestError(f'Unable to convert to Table as requested: includeObject: Invalid value: "{include}": '
                              "must be 'Metadata', 'Object', 'None', or empty")
    if not accept:
        return None
    for part in accept.split(","):
        base, params = media_type(part)
        if base == YAML and "as" not in params:
            return None
        if base not in (JSON, "*/*", "application/*"):
            continue
        shape = params.get("as")
        if shape is None:
            return None
        if base != JSON or params.get("g") != "meta.k8s.io" or params.get("v") not in ("v1", "v1beta1"):
            continue
        if shape == TABLE:
            return View(TABLE, params["v"], include or "Metadata")
        if shape in (PARTIAL, PARTIAL + "List"):
            return View(PARTIAL, params["v"])
    raise NotAcceptableError(f"only the following media types are accepted: {JSON}, {YAML}")


@functools.lru_cache(maxsize=_CACHED)
def output_format(accept: str) -> str:
    """:data:`YAML` when the first entry of ``Accept`` that can be served asks for YAML, else
    :data:`JSON` (call after :func:`view` has found one)."""
    for part in accept.split(","):
        base, params = media_type(part)
        if base == YAML and "as" not in params:
            return YAML
        if base in (JSON, "*/*", "application/*"):
            return JSON
    return JSON


@functools.lru_cache(maxsize=_CACHED)
def body_format(content_type: str) -> str:
    """The request body's media type, :data:`JSON`, :data:`YAML` or :data:`PROTOBUF` (what
    kubectl's typed clients send); anything else gets 415."""
    base, _ = media_type(content_type) if content_type else (JSON, {})
    if base in (JSON, "*/*", ""):
        return JSON
    if base in (PROTOBUF, YAML):
        return base
    raise UnsupportedMediaTypeError(f'the body of the request was in an unknown format - accepted media types '
                                    f'include: {JSON}, {YAML}, {PROTOBUF}')


def patch_type(content_type: str, accepted: tuple[str, ...] = PATCH_TYPES) -> str:
    """The patch's media type; 415 naming the ``accepted`` ones for any other."""
    base, _ = media_type(content_type)
    if base not in accepted:
        raise UnsupportedMediaTypeError(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(accepted)}")
    return base
