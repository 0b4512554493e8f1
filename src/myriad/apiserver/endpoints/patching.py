"""Reading a PATCH request and applying it to an object: the part every patchable endpoint
(resources and their scale subresource) shares."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from myriad.api import gojson
from myriad.api.errors import BadRequestError, InvalidError, RequestEntityTooLargeError
from myriad.api.patch import PatchError, PatchTooLargeError, apply_json_patch, apply_merge_patch, apply_strategic_patch
from myriad.apiserver.endpoints import negotiation
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
        """The patch in ``request``; 415 for a type this resource cannot take, 400 for bad JSON."""
        accepted = (negotiation.PATCH_JSON, negotiation.PATCH_MERGE) if custom else negotiation.PATCH_TYPES
        kind = negotiation.patch_type(request.header("content-type"), accepted)
        try:
            body = gojson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            raise BadRequestError(f"error decoding patch: {exc}") from exc
        if kind != negotiation.PATCH_JSON and not isinstance(body, dict):
            raise BadRequestError("the patch must be a JSON object")
        return cls(kind, body)

    def apply(self, current: Obj, api_version: str, kind: str) -> Obj:
        """``current`` patched, with ``apiVersion`` and ``kind`` set; a patch that cannot apply
        is upstream's generic 422."""
        try:
            if self.content_type == negotiation.PATCH_JSON:
                patched = apply_json_patch(current, self.body, copy_limit=COPY_LIMIT)
            elif self.content_type == negotiation.PATCH_STRATEGIC:
                patched = apply_strategic_patch(current, self.body, api_version, kind)
            else:
                patched = apply_merge_patch(current, self.body)
        except PatchTooLargeError as exc:
            raise RequestEntityTooLargeError(str(exc)) from exc
        except PatchError as exc:
            raise InvalidError.generic() from exc
        if not isinstance(patched, dict):
            raise BadRequestError("the patched object must be a JSON object")
        if not isinstance(patched.get("metadata"), dict):
            patched["metadata"] = {}
        patched["apiVersion"], patched["kind"] = api_version, kind
        return patched
