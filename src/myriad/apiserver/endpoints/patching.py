"""Reading a PATCH request and applying it to an object: the part every patchable endpoint
(resources and their scale subresource) shares."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from myriad.api import gojson, schemas
from myriad.api.errors import BadRequestError, InvalidError, RequestEntityTooLargeError
from myriad.api.patch import (
    PatchError,
    PatchFormatError,
    PatchTooLargeError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_patch,
)
from myriad.apiserver.endpoints import negotiation
from myriad.apiserver.endpoints.fieldchecks import undecodable_patch
from myriad.apiserver.http import Request
from myriad.apiserver.http.options import HttpOptions
from myriad.apiserver.rest.interfaces import Obj

#: What a JSON patch's copies may add in all: the request body limit, as upstream sets
#: json-patch's AccumulatedCopySizeLimit.
COPY_LIMIT = HttpOptions.max_body_bytes


@dataclass(frozen=True, slots=True)
class Patch:
    content_type: str
    body: object

    @classmethod
    def read(cls, request: Request, *, custom: bool) -> Patch:
        """The patch in ``request`` (not an apply: see :mod:`.applying`); 415 for a type this
        resource cannot take, 400 for bad JSON."""
        accepted = negotiation.CUSTOM_PATCH_TYPES if custom else negotiation.PATCH_TYPES
        kind = negotiation.patch_type(request.header("content-type"), accepted)
        try:
            body = gojson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(f"error decoding patch: {exc}") from exc
        if kind != negotiation.PATCH_JSON and not isinstance(body, dict):
            raise BadRequestError("the patch must be a JSON object")
        return cls(kind, body)

    def apply(self, current: Obj, api_version: str, kind: str, *, owned: bool = False) -> Obj:
        """``current`` patched, with ``apiVersion`` and ``kind`` set; a patch that cannot apply
        is upstream's generic 422. ``owned``: ``current`` is the caller's own decoding, which a
        strategic merge patch may then change in place instead of copying."""
        try:
            if self.content_type == negotiation.PATCH_JSON:
                patched = apply_json_patch(current, self.body, copy_limit=COPY_LIMIT)
            elif self.content_type == negotiation.PATCH_STRATEGIC:
                patched = apply_strategic_patch(current, self.body, api_version, kind, in_place=owned)
            else:
                patched = apply_merge_patch(current, self.body)
        except PatchTooLargeError as exc:
            raise RequestEntityTooLargeError(str(exc)) from exc
        except PatchFormatError as exc:
            raise BadRequestError(str(exc)) from exc
        except PatchError as exc:
            raise InvalidError.generic() from exc
        if not isinstance(patched, dict):
            raise BadRequestError("the patched object must be a JSON object")
        if self.content_type != negotiation.PATCH_STRATEGIC:  # a strategic patch goes into the typed object as is
            mismatch = _other_type(patched, api_version, kind)
            if mismatch:
                raise undecodable_patch(patched, mismatch)
        if not isinstance(patched.get("metadata"), dict):
            patched["metadata"] = {}
        patched["apiVersion"], patched["kind"] = api_version, kind
        return patched


def _other_type(patched: Obj, api_version: str, kind: str) -> str | None:
    """Why Go's decode of a JSON or merge patched built-in object fails when the patch changed its
    ``apiVersion`` or ``kind`` (upstream decodes the patched JSON into the resource's type); None
    when it names the same type, or another version of it, which converts."""
    registered = schemas.kinds()
    if (api_version, kind) not in registered:
        return None  # a custom resource
    for field in ("apiVersion", "kind"):
        value = patched.get(field)
        if value is not None and not isinstance(value, str):
            json_type = {list: "array", dict: "object", bool: "bool"}.get(type(value), "number")
            return (f"couldn't get version/kind; json parse error: json: cannot unmarshal {json_type} into Go "
                    f"struct field .{field} of type string")
    new_version, new_kind = patched.get("apiVersion") or api_version, patched.get("kind") or kind
    if (new_version, new_kind) == (api_version, kind):
        return None
    group = api_version.rpartition("/")[0]
    if (new_version, new_kind) in registered and new_kind == kind and str(new_version).rpartition("/")[0] == group:
        return None
    if (new_version, new_kind) not in registered:
        return (f'no kind "{new_kind}" is registered for version "{new_version}" in scheme '
                '"pkg/api/legacyscheme/scheme.go:30"')
    new_group, _, version = str(new_version).rpartition("/")
    return f"unable to decode {new_group}/{version}, Kind={new_kind} into *{group.split('.')[0] or 'core'}.{kind}"
