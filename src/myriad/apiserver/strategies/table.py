"""Which strategy serves which resource type."""

from __future__ import annotations

from myriad.api.registry import ResourceType
from myriad.apiserver.rest.interfaces import Strategy
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.namespaces import NamespaceStrategy

_BY_RESOURCE: dict[tuple[str, str], type[GenericStrategy]] = {
    ("", "namespaces"): NamespaceStrategy,
}
#: Resources whose names are DNS-1123 labels rather than subdomains.
_LABEL_NAMES = {("", "services")}
#: Resources whose deletes answer with the deleted object (upstream's ReturnDeletedObject).
_RETURN_DELETED = {("", "pods"), ("", "services"), ("", "serviceaccounts")}
#: Resources with no spec to track generations of.
_NO_GENERATION = {("", "configmaps"), ("", "secrets"), ("", "endpoints"), ("", "events"), ("", "serviceaccounts"),
                  ("events.k8s.io", "events"), ("discovery.k8s.io", "endpointslices"), ("apps", "controllerrevisions"),
                  ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles"),
                  ("rbac.authorization.k8s.io", "rolebindings"),
                  ("rbac.authorization.k8s.io", "clusterrolebindings")}
#: Resources a PUT may create (upstream's AllowCreateOnUpdate).
_CREATE_ON_UPDATE = {("", "endpoints"), ("", "events"), ("events.k8s.io", "events"), ("coordination.k8s.io", "leases"),
                     ("discovery.k8s.io", "endpointslices")}


class StrategyTable:
    def __init__(self) -> None:
        self._cache: dict[ResourceType, Strategy] = {}

    def __call__(self, resource: ResourceType) -> Strategy:
        strategy = self._cache.get(resource)
        if strategy is None:
            key = (resource.group, resource.plural)
            cls = _BY_RESOURCE.get(key, GenericStrategy)
            instance = cls(resource)
            if key in _LABEL_NAMES:
                instance.name_rule = "label"
            if key in _RETURN_DELETED:
                instance.return_deleted_object = True
            if key in _NO_GENERATION:
                instance.tracks_generation = False
            if key in _CREATE_ON_UPDATE:
                instance.allow_create_on_update = True
            strategy = self._cache[resource] = instance
        return strategy
