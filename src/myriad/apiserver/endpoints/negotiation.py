"""Content negotiation: what a client accepts, and what a request body is."""

from __future__ import annotations

from myriad.api.errors import NotAcceptableError, UnsupportedMediaTypeError

JSON = "application/json"
PATCH_JSON = "application/json-patch+json"
PATCH_MERGE = "application/merge-patch+json"
PATCH_STRATEGIC = "application/strategic-merge-patch+json"
PATCH_APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC, PATCH_APPLY)


def media_type(header: str) -> tuple[str, dict[str, str]]:
    """``type/subtype`` (lower-case) and its parameters."""
    base, *params = header.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"')
    return base.strip().lower(), parsed


def accepts_json(accept: str) -> None:
    """Raises 406 unless JSON is acceptable (protobuf-only clients are refused)."""
    if not accept:
        return
    for part in accept.split(","):
        base, params = media_type(part)
        if base in (JSON, "*/*", "application/*") and "as" not in params:
            return
        if base == JSON and params.get("as") in ("Table", "PartialObjectMetadata", "PartialObjectMetadataList"):
            return
    raise NotAcceptableError(f"only the following media types are accepted: {JSON}")


def body_is_json(content_type: str) -> None:
    base, _ = media_type(content_type) if content_type else (JSON, {})
    if base not in (JSON, "*/*", ""):
        raise UnsupportedMediaTypeError(f'the body of the request was in an unknown format - accepted media types '
                                        f'include: {JSON}, application/yaml, application/vnd.kubernetes.protobuf')


def patch_type(content_type: str) -> str:
    base, _ = media_type(content_type)
    if base not in PATCH_TYPES:
        raise UnsupportedMediaTypeError(
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(PATCH_TYPES)}")
    return base
