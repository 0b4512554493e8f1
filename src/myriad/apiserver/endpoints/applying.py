"""PATCH with ``application/apply-patch+yaml``: server-side apply's request, checked as upstream
checks it, and the 409 its conflicts give.

- the body is YAML (JSON is YAML): one object, 400 ``error decoding YAML: …`` otherwise;
- ``fieldManager`` is required (422 on PatchOptions), ``force`` is for apply patches only;
- the object must be of the endpoint's kind and version (400 ``invalid object type: …``), name
  the URL's object, and carry no ``metadata.managedFields``;
- an apply to an object that does not exist creates it (201), from the kind's empty object;
- keys given twice in one mapping (the last is applied) are reported after the apply as
  yaml.v2's strict decoding reports them: warnings, or with ``fieldValidation=Strict`` 400
  ``error strict decoding YAML: …`` and nothing stored.
"""

from __future__ import annotations

from typing import Any

import orjson

from myriad.api import gojson, yamljson
from myriad.api.errors import BadRequestError, Cause, ConflictError, InvalidError, NotFoundError
from myriad.api.managed.errors import ApplyConflicts
from myriad.api.registry import ResourceType
from myriad.api.strictjson import may_have_duplicates
from myriad.apiserver.endpoints import negotiation
from myriad.apiserver.endpoints.fieldchecks import WHOLE_OBJECT, check_fields, field_validation
from myriad.apiserver.http import Request
from myriad.apiserver.requestinfo import RequestInfo
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.rest.store import ObjectStore

APPLY_YAML = negotiation.PATCH_APPLY


async def serve(store: ObjectStore, resource: ResourceType, info: RequestInfo, request: Request, *,
                dry_run: bool) -> tuple[int, Obj, tuple[str, ...]]:
    """(status code, the stored object, warnings) of an apply request."""
    config = read_config(request, resource, info)
    manager, force = request.param("fieldManager") or "", forced(request)
    repeated = _repeated_keys(request)
    warnings: list[str] = []

    def mutate(current: Obj | None) -> Obj:
        merged = store.fields.applied(resource, current, config, manager, info.subresource, force=force)
        if repeated:
            if field_validation(request) == "Strict":
                raise BadRequestError("error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal "
                                      "errors:\n  " + "\n  ".join(repeated))
            warnings.extend(repeated)
        if info.subresource in WHOLE_OBJECT:
            warnings.extend(check_fields(merged, resource, request, patch=True, touched=config))
        return merged

    try:
        try:
            stored = await store.patch(resource, info.namespace, info.name, mutate, subresource=info.subresource,
                                       dry_run=dry_run, manager=None)
            return 200, stored, tuple(dict.fromkeys(warnings))
        except NotFoundError:
            if info.subresource:
                raise
        if not config["metadata"].get("name"):
            raise BadRequestError(f"the name of the object ({info.name} based on URL) was undeterminable: "
                                  "name must be provided")
        created = await store.create(resource, info.namespace, mutate(None), dry_run=dry_run, manager=None)
        return 201, created, tuple(dict.fromkeys(warnings))
    except ApplyConflicts as exc:
        raise conflict(exc) from exc


def _repeated_keys(request: Request) -> list[str]:
    """yaml.v2's complaints about keys the body gives twice (none when fieldValidation is Ignore);
    a JSON body (small, as applied configurations are) is first counted against its decoding."""
    if field_validation(request) == "Ignore":
        return []
    body = request.body
    if body.lstrip()[:1] == b"{":
        try:
            if not may_have_duplicates(body, orjson.loads(body)):
                return []
        except orjson.JSONDecodeError:
            pass
    return yamljson.duplicate_keys(body)


def read_config(request: Request, resource: ResourceType, info: RequestInfo) -> Obj:
    """The applied configuration; a StatusError for a request upstream refuses."""
    if not request.param("fieldManager"):
        raise InvalidError.of("PatchOptions", "meta.k8s.io", "", [
            Cause("FieldValueRequired", "Required value: is required for apply patch", "fieldManager")])
    config = _decoded(request.body)
    if not isinstance(config, dict):
        raise BadRequestError("error decoding YAML: the applied configuration must be an object")
    if (config.get("apiVersion"), config.get("kind")) != (resource.api_version, resource.kind):
        raise BadRequestError(f"invalid object type: {_gvk(config)}")
    metadata = config.get("metadata")
    if not isinstance(metadata, dict):
        metadata = config["metadata"] = {}
    if metadata.get("managedFields") is not None:
        raise BadRequestError("metadata.managedFields must be nil")
    name = metadata.get("name")
    if name and name != info.name:
        raise BadRequestError(f"the name of the object ({name}) does not match the name on the URL ({info.name})")
    namespace = metadata.get("namespace")
    if info.namespace and namespace and namespace != info.namespace:
        raise BadRequestError("the namespace of the provided object does not match the namespace sent on the "
                              "request")
    if resource.namespaced:
        metadata["namespace"] = info.namespace
    else:
        metadata.pop("namespace", None)
    return config


def _decoded(body: bytes) -> object:
    """The body as YAML; JSON (what kubectl and most clients send) by the JSON parser, ~10x faster."""
    if body.lstrip()[:1] == b"{":
        try:
            return gojson.loads(body)
        except orjson.JSONDecodeError:
            pass  # YAML's flow style, say: the YAML parser decides
    try:
        return yamljson.loads(body)
    except yamljson.YAMLError as exc:
        raise BadRequestError(f"error decoding YAML: {exc}") from exc


def check_not_forced(request: Request) -> None:
    """A ``force`` on a patch that is not an apply: 422, as upstream."""
    if "force" in request.query:
        raise InvalidError.of("PatchOptions", "meta.k8s.io", "", [
            Cause("FieldValueForbidden", "Forbidden: may not be specified for non-apply patch", "force")])


def forced(request: Request) -> bool:
    return (request.param("force") or "").lower() == "true"


def _gvk(config: dict[str, Any]) -> str:
    api_version = str(config.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    return f"{group}/{version}, Kind={config.get('kind') or ''}"


def conflict(error: ApplyConflicts) -> ConflictError:
    """The 409 of an apply's conflicts: upstream's message, one cause per field."""
    return ConflictError(str(error), causes=[Cause("FieldManagerConflict", f"conflict with {c.owner}", c.field)
                                             for c in error.conflicts])
