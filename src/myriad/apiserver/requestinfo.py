"""Reading a request's path and method the way kube-apiserver's RequestInfoFactory does.

    /api/v1/namespaces/{ns}/{resource}/{name}/{subresource}
    /apis/{group}/{version}/{resource}/{name}
    /api/v1/watch/...            (legacy watch prefix)
    /api/v1/namespaces/{name}/status|finalize   (subresources of the namespace itself)
"""

from __future__ import annotations

from dataclasses import dataclass

from myriad.apiserver.http import Request
from myriad.apiserver.params import go_bool

_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_METHOD_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """``is_resource`` is false for non-resource paths such as /version; the rest is empty then.
    ``verb`` is one of get, list, watch, create, update, patch, delete, deletecollection."""

    is_resource: bool
    path: str
    verb: str = ""
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    name: str = ""
    subresource: str = ""
    #: The path goes on past the subresource (no route serves that: 404).
    extra: bool = False


def request_info(request: Request) -> RequestInfo:
    path = request.path
    segments = [part for part in path.strip("/").split("/") if part != ""] if path != "/" else []
    if len(segments) >= 2 and segments[0] == "api":
        group, rest = "", segments[1:]
    elif len(segments) >= 3 and segments[0] == "apis":
        group, rest = segments[1], segments[2:]
    else:
        return RequestInfo(is_resource=False, path=path)
    version, parts = rest[0], rest[1:]
    if not parts:
        return RequestInfo(is_resource=False, path=path, group=group, version=version)

    legacy_watch = parts[0] == "watch"
    if legacy_watch:
        parts = parts[1:]
    namespace = ""
    scoped = False  # the path names a namespace and then a resource in it
    if parts and parts[0] == "namespaces" and len(parts) > 1:
        namespace = parts[1]
        if len(parts) > 2 and parts[2] not in _NAMESPACE_SUBRESOURCES:
            parts, scoped = parts[2:], True
    resource = parts[0] if parts else ""
    name = parts[1] if len(parts) > 1 else ""
    subresource = parts[2] if len(parts) > 2 else ""
    if resource == "namespaces" and not scoped:  # /namespaces/{name}: the Namespace itself
        namespace = ""

    method = request.method
    if legacy_watch:
        verb = "watch"
    elif method in ("GET", "HEAD"):
        verb = "watch" if go_bool(request.param("watch")) else "get" if name else "list"
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    else:
        verb = _METHOD_VERBS.get(method, method.lower())
    return RequestInfo(is_resource=True, path=path, verb=verb, group=group, version=version, namespace=namespace,
                       resource=resource, name=name, subresource=subresource, extra=len(parts) > 3)
