"""Resources kube-apiserver answers without storing them: the access reviews, the
authentication reviews, ComponentStatuses and core ``bindings``.

Myriad has no authentication or authorization yet (a later issue), so it answers as a
kube-apiserver with anonymous requests and ``--authorization-mode=AlwaysAllow`` does: every
request is ``system:anonymous`` in ``system:unauthenticated``, every access review is allowed,
and a rules review lists ``*`` for everything. Reviews are validated as upstream validates them
and answered ``201`` with the review and its status.

ComponentStatuses report storage (``etcd-0``) from a storage read, and the scheduler and the
controller manager from their leader-election Leases in ``kube-system``: healthy while the
Lease is held and renewed within its duration.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from myriad.api import meta
from myriad.api.errors import Cause, InvalidError, MethodNotAllowedError, NotFoundError, StatusError
from myriad.api.registry import ResourceType
from myriad.apiserver.endpoints.subresources import Subresources
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.tables.format import timestamp

ANONYMOUS = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
#: What an AlwaysAllow authorizer says a subject may do.
_ALL_RULES = {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
              "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": False}
#: Components reported by ComponentStatuses, each with the Lease its leader holds.
COMPONENTS = (("scheduler", "kube-scheduler"), ("controller-manager", "kube-controller-manager"))

#: ``(namespace, name)`` → the Lease object, or None if there is none.
LeaseReader = Callable[[str, str], Awaitable[Obj | None]]
#: Whether storage answers: None if it does, or what went wrong.
StorageProbe = Callable[[], Awaitable[str | None]]


class VirtualResources:
    def __init__(self, subresources: Subresources, *, pods: ResourceType, lease: LeaseReader,
                 storage: StorageProbe, now: Callable[[], float] = time.time) -> None:
        self._subresources = subresources
        self._pods = pods
        self._lease = lease
        self._storage = storage
        self._now = now

    async def create(self, resource: ResourceType, namespace: str, body: Obj, *, dry_run: bool) -> Obj | None:
        """The answer to a create (201): the review with its status, or None for a binding,
        which answers with a Success Status."""
        kind = resource.kind
        if kind == "Binding":
            name = str((body.get("metadata") or {}).get("name") or "")  # type: ignore[union-attr]
            await self._subresources.bind(self._pods, namespace, name, body, dry_run=dry_run)
            return None
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        assert isinstance(spec, dict)
        causes = _review_errors(kind, spec, namespace)
        if causes:
            raise InvalidError.of(kind, resource.group, str((body.get("metadata") or {}).get("name") or ""),  # type: ignore[union-attr]
                                  causes)
        if kind == "SelfSubjectReview":
            status: Obj = {"userInfo": dict(ANONYMOUS)}
        elif kind == "TokenReview":
            status = {"user": {}, "error": "no token authenticator is configured"}
        elif kind == "SelfSubjectRulesReview":
            status = dict(_ALL_RULES)
        else:
            status = {"allowed": True}
        return {**body, "status": status}

    async def read(self, resource: ResourceType, name: str) -> Obj:
        """A get (``name``) or list (``""``) of ComponentStatuses."""
        if resource.kind != "ComponentStatus":
            raise MethodNotAllowedError.of(resource.plural, resource.group, "get")
        items = [await self._component(component, lease) for component, lease in COMPONENTS]
        problem = await self._storage()
        items.append(_status("etcd-0", problem is None, '{"health":"true","reason":""}' if problem is None else "",
                             problem or ""))
        if not name:
            return {"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {}, "items": items}
        for item in items:
            if item["metadata"]["name"] == name:  # type: ignore[index]
                return {"kind": "ComponentStatus", "apiVersion": "v1", **item}
        raise NotFoundError.of("componentstatuses", "", name)

    async def _component(self, component: str, lease_name: str) -> Obj:
        try:
            lease = await self._lease("kube-system", lease_name)
        except StatusError as exc:
            return _status(component, False, "", str(exc))
        spec = (lease or {}).get("spec") or {}
        renewed = timestamp(spec.get("renewTime"))  # type: ignore[union-attr]
        duration = spec.get("leaseDurationSeconds")  # type: ignore[union-attr]
        if not spec.get("holderIdentity") or renewed is None or not isinstance(duration, int):  # type: ignore[union-attr]
            return _status(component, False, "", f"no leader holds Lease kube-system/{lease_name}")
        if self._now() - renewed > duration:
            return _status(component, False, "", f"the leader Lease kube-system/{lease_name} expired")
        return _status(component, True, "ok", "")


def _status(name: str, healthy: bool, message: str, error: str) -> Obj:
    condition: dict[str, object] = {"type": "Healthy", "status": "True" if healthy else "False"}
    if message:
        condition["message"] = message
    if error:
        condition["error"] = error
    return {"metadata": {"name": name}, "conditions": [condition]}


def _review_errors(kind: str, spec: Obj, namespace: str) -> list[Cause]:
    """Upstream's review validation (pkg/apis/authorization/validation, authentication)."""
    if kind not in ("SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview"):
        return []
    causes = []
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        causes.append(meta.invalid("spec.nonResourceAttributes", non_resource,
                                   "cannot be specified in combination with resourceAttributes"))
    elif resource is None and non_resource is None:
        causes.append(meta.invalid("spec.resourceAttributes", None,
                                   "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
    if kind != "SelfSubjectAccessReview" and not spec.get("user") and not spec.get("groups"):
        causes.append(meta.invalid("spec.user", spec.get("user") or "",
                                   "at least one of user or group must be specified"))
    if kind == "LocalSubjectAccessReview" and isinstance(resource, dict) and resource.get("namespace") != namespace:
        causes.append(meta.invalid("spec.resourceAttributes.namespace", resource.get("namespace") or "",
                                   "must match metadata.namespace"))
    return causes
