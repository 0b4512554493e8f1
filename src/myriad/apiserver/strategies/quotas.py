"""ResourceQuotas and LimitRanges (core/v1): what a namespace may use, and the per-container,
per-pod and per-claim bounds. Upstream's ValidateResourceQuota / ValidateLimitRange and
SetDefaults_LimitRangeItem; a LimitRange without a name is given a random one and a PUT may
create one (upstream's LimitRange strategy)."""

from __future__ import annotations

from fractions import Fraction

from myriad.api import meta, quantity
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, dicts, go_strings, raw_invalid, spec_of, strings

#: helper.standardResources: names a resource may have without a domain.
_STANDARD = frozenset({"cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                       "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
                       "pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
                       "persistentvolumeclaims", "configmaps", "storage", "requests.storage", "services.nodeports",
                       "services.loadbalancers"})
#: helper.standardQuotaResources.
_QUOTA = _STANDARD - {"storage"}
#: helper.integerResources: counted in whole objects.
_INTEGER = frozenset({"pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
                      "persistentvolumeclaims", "services.nodeports", "services.loadbalancers"})
_SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
           "CrossNamespacePodAffinity", "VolumeAttributesClass")
_CONFLICTING_SCOPES = (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating"))
_LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_NON_NEGATIVE = "must be greater than or equal to 0"


def _hugepages(name: str, *prefixes: str) -> bool:
    return any(name.startswith(prefix + "hugepages-") for prefix in prefixes)


def _resource_name_errors(name: str, path: str) -> list[Cause]:
    """validateResourceName: a qualified name; a bare one must be a standard resource."""
    causes = [meta.invalid(path, name, e) for e in meta.qualified_name_errors(name)]
    if causes:
        return causes
    if "/" not in name and name not in _STANDARD and not _hugepages(name, "", "requests."):
        return [meta.invalid(path, name, "must be a standard resource type or fully qualified")]
    return []


def _non_negative_quantity(value: object, path: str) -> list[Cause]:
    parsed = quantity.parse(value)
    if parsed is not None and parsed < 0:
        return [meta.invalid(path, quantity.canonical(value), _NON_NEGATIVE)]
    return []


class ResourceQuotaStrategy(GenericStrategy):
    tracks_generation = False

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        spec = spec_of(obj)
        for name, value in as_dict(spec.get("hard")).items():
            path = f"spec.hard[{name}]"
            name_causes = _resource_name_errors(name, path)
            if not name_causes and "/" not in name and name not in _QUOTA and not _hugepages(name, "requests."):
                name_causes = [meta.invalid(path, name, "must be a standard resource for quota")]
            causes += name_causes + _non_negative_quantity(value, path)
            parsed = quantity.parse(value)
            if (name in _INTEGER or _extended(name)) and parsed is not None and (parsed * 1000) % 1000:
                causes.append(meta.invalid(path, quantity.canonical(value), "must be an integer"))
        scopes = strings(spec.get("scopes"))
        rendered = go_strings("core.ResourceQuotaScope", scopes)
        causes += [raw_invalid("spec.scopes", rendered, "unsupported scope")
                   for scope in scopes if scope not in _SCOPES]
        causes += [raw_invalid("spec.scopes", rendered, "conflicting scopes")
                   for pair in _CONFLICTING_SCOPES if all(scope in scopes for scope in pair)]
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new) + _status_errors(as_dict(new.get("status")))
        causes = self.validate(new)
        new_scopes, old_scopes = strings(spec_of(new).get("scopes")), strings(spec_of(old).get("scopes"))
        if set(new_scopes) != set(old_scopes):
            causes.append(raw_invalid("spec.scopes", go_strings("core.ResourceQuotaScope", new_scopes),
                                      "field is immutable"))
        return causes


def _extended(name: str) -> bool:
    """An extended resource (``example.com/gpu``): counted in whole units."""
    return "/" in name and not name.startswith(("kubernetes.io/", "requests.kubernetes.io/")) and \
        not name.startswith(("count/", "requests.", "limits."))


def _status_errors(status: dict[str, object]) -> list[Cause]:
    causes: list[Cause] = []
    for key in ("hard", "used"):
        for name, value in as_dict(status.get(key)).items():
            causes += _resource_name_errors(name, f"status.{key}[{name}]")
            causes += _non_negative_quantity(value, f"status.{key}[{name}]")
    return causes


def _default_limit(item: dict[str, object]) -> None:
    """SetDefaults_LimitRangeItem: a container's default limit is its max, and its default
    request its default limit, else its min. Empty maps are left out, as Go writes them."""
    if item.get("type") != "Container":
        return
    defaults = dict(as_dict(item.get("default")))
    requests = dict(as_dict(item.get("defaultRequest")))
    for name, value in as_dict(item.get("max")).items():
        defaults.setdefault(name, value)
    for name, value in defaults.items():
        requests.setdefault(name, value)
    for name, value in as_dict(item.get("min")).items():
        requests.setdefault(name, value)
    for key, values in (("default", defaults), ("defaultRequest", requests)):
        if values:
            item[key] = values


class LimitRangeStrategy(GenericStrategy):
    """No generation; a PUT may create; a nameless LimitRange gets a random UUID name."""

    tracks_generation = False
    allow_create_on_update = True

    def default(self, obj: Obj) -> None:
        for item in dicts(spec_of(obj).get("limits")):
            _default_limit(item)

    def prepare_for_create(self, obj: Obj) -> None:
        metadata = obj.get("metadata")
        if isinstance(metadata, dict) and not metadata.get("name"):
            metadata["name"] = meta.new_uid()

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        seen: set[object] = set()
        for i, item in enumerate(dicts(spec_of(obj).get("limits"))):
            causes += _limit_errors(item, f"spec.limits[{i}]", seen)
        return causes


def _limit_type_errors(kind: object, path: str) -> list[Cause]:
    value = kind if isinstance(kind, str) else ""
    causes = [meta.invalid(path, value, e) for e in meta.qualified_name_errors(value)]
    if not causes and "/" not in value and value not in _LIMIT_TYPES:
        causes.append(meta.invalid(path, value, "must be a standard limit type or fully qualified"))
    return causes


def _limit_resource_errors(kind: object, name: str, path: str) -> list[Cause]:
    causes = _resource_name_errors(name, path)
    if kind in ("Pod", "Container") and not causes and "/" not in name and name not in _CONTAINER_RESOURCES \
            and not _hugepages(name, ""):
        causes.append(meta.invalid(path, name, "must be a standard resource for containers"))
    return causes


def _limit_errors(item: dict[str, object], path: str, seen: set[object]) -> list[Cause]:
    kind = item.get("type")
    causes = _limit_type_errors(kind, f"{path}.type")
    if kind in seen:
        causes.append(meta.duplicate(f"{path}.type", kind))
    seen.add(kind)
    values: dict[str, dict[str, object]] = {}
    for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
        values[key] = as_dict(item.get(key))
        if kind == "Pod" and key in ("default", "defaultRequest"):
            if values[key]:
                causes.append(meta.forbidden(f"{path}.{key}", "may not be specified when `type` is 'Pod'"))
            continue
        for name in values[key]:
            causes += _limit_resource_errors(kind, name, f"{path}.{key}[{name}]")
    if kind == "PersistentVolumeClaim" and "storage" not in values["min"] and "storage" not in values["max"]:
        causes.append(meta.required(f"{path}.limits", "either minimum or maximum storage value is required, but "
                                                      "neither was provided"))
    for name in sorted({name for named in values.values() for name in named}):
        causes += _ordering_errors(item, name, values, path)
    return causes


def _ordering_errors(item: dict[str, object], name: str, values: dict[str, dict[str, object]],
                     path: str) -> list[Cause]:
    """The ordering checks between min, default request, default limit and max of one resource."""
    texts = {key: values[key].get(name) for key in values}
    parsed: dict[str, Fraction | None] = {key: quantity.parse(text) for key, text in texts.items()}
    low, high, limit, request, ratio = (parsed["min"], parsed["max"], parsed["default"], parsed["defaultRequest"],
                                        parsed["maxLimitRequestRatio"])

    def shown(key: str) -> str:
        return quantity.canonical(texts[key])

    causes = []
    if low is not None and high is not None and low > high:
        causes.append(meta.invalid(f"{path}.min[{name}]", shown("min"),
                                   f"min value {shown('min')} is greater than max value {shown('max')}"))
    if request is not None and low is not None and low > request:
        causes.append(meta.invalid(f"{path}.defaultRequest[{name}]", shown("defaultRequest"),
                                   f"min value {shown('min')} is greater than default request value "
                                   f"{shown('defaultRequest')}"))
    if request is not None and high is not None and request > high:
        causes.append(meta.invalid(f"{path}.defaultRequest[{name}]", shown("defaultRequest"),
                                   f"default request value {shown('defaultRequest')} is greater than max value "
                                   f"{shown('max')}"))
    if request is not None and limit is not None and request > limit:
        causes.append(meta.invalid(f"{path}.defaultRequest[{name}]", shown("defaultRequest"),
                                   f"default request value {shown('defaultRequest')} is greater than default limit "
                                   f"value {shown('default')}"))
    if limit is not None and low is not None and low > limit:
        causes.append(meta.invalid(f"{path}.default[{name}]", shown("min"),
                                   f"min value {shown('min')} is greater than default value {shown('default')}"))
    if limit is not None and high is not None and limit > high:
        causes.append(meta.invalid(f"{path}.default[{name}]", shown("max"),
                                   f"default value {shown('default')} is greater than max value {shown('max')}"))
    if ratio is not None and ratio < 1:
        causes.append(meta.invalid(f"{path}.maxLimitRequestRatio[{name}]", shown("maxLimitRequestRatio"),
                                   f"ratio {shown('maxLimitRequestRatio')} is less than 1"))
    if ratio is not None and low and high is not None and ratio > high / low:
        causes.append(meta.invalid(f"{path}.maxLimitRequestRatio[{name}]", shown("maxLimitRequestRatio"),
                                   f"ratio {shown('maxLimitRequestRatio')} is greater than max/min = "
                                   f"{float(high / low):f}"))
    if (name.startswith("hugepages-") or "/" in name and not name.startswith("kubernetes.io/")) and \
            limit is not None and request is not None and limit != request:
        causes.append(meta.invalid(f"{path}.defaultRequest[{name}]", shown("defaultRequest"),
                                   f"default value {shown('default')} must equal to defaultRequest value "
                                   f"{shown('defaultRequest')} in {name}"))
    return causes
