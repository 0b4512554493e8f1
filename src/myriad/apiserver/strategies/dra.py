"""Dynamic resource allocation (resource.k8s.io/v1): DeviceClasses, ResourceClaims,
ResourceClaimTemplates and ResourceSlices, as upstream's strategies, v1 defaults and
pkg/apis/resource/validation treat them.

A request asks for exactly one device by default (``allocationMode: ExactCount``, ``count: 1``);
a device taint is stamped with the time it was added. Classes and slices track a generation,
claims and templates never change their spec. Device selectors are CEL: their presence is
checked, not their expressions (Myriad has no CEL compiler)."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import NULL, as_dict, dicts, immutable_if_changed, spec_of
from myriad.apiserver.strategies.storage import csi_driver_name_errors

ALLOCATION_MODES = ["All", "ExactCount"]
MAX_REQUESTS = 32
MAX_SUBREQUESTS = 8
MAX_SELECTORS = 32
MAX_DEVICES = 128
MAX_POOL_NAME = 253
_SLICE_FIELDS = frozenset({"metadata.name", "spec.nodeName", "spec.driver"})
_NODE_CHOICES = "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required"


def _default_request(request: dict[str, object]) -> None:
    """SetDefaults_ExactDeviceRequest / SetDefaults_DeviceSubRequest."""
    if not request.get("allocationMode"):
        request["allocationMode"] = "ExactCount"
    if request["allocationMode"] == "ExactCount" and not request.get("count"):
        request["count"] = 1


def default_device_claim(claim_spec: object) -> None:
    """Each request of a claim spec's ``devices``, exact or first-available, defaulted."""
    for request in dicts(as_dict(as_dict(claim_spec).get("devices")).get("requests")):
        if isinstance(request.get("exactly"), dict):
            _default_request(as_dict(request["exactly"]))
        for sub in dicts(request.get("firstAvailable")):
            _default_request(sub)


def _too_many(items: list[dict[str, object]], limit: int, path: str) -> list[Cause]:
    if len(items) <= limit:
        return []
    return [Cause("FieldValueTooMany", f"Too many: {len(items)}: must have at most {limit} items", path)]


def _label_name_errors(name: object, path: str) -> list[Cause]:
    value = name if isinstance(name, str) else ""
    return [meta.invalid(path, value, e) for e in meta.dns1123_label_errors(value)]


def _selector_errors(selectors: object, path: str) -> list[Cause]:
    items = dicts(selectors)
    causes = _too_many(items, MAX_SELECTORS, path)
    for i, selector in enumerate(items):
        cel = selector.get("cel")
        if not isinstance(cel, dict):
            causes.append(meta.required(f"{path}[{i}].cel"))
        elif not str(cel.get("expression") or "").strip():
            causes.append(meta.required(f"{path}[{i}].cel.expression", "expression is not specified"))
    return causes


def _exact_errors(request: dict[str, object], path: str) -> list[Cause]:
    class_name = request.get("deviceClassName")
    causes = [meta.required(f"{path}.deviceClassName")] if not class_name else [
        meta.invalid(f"{path}.deviceClassName", class_name, e) for e in meta.dns1123_subdomain_errors(str(class_name))]
    causes += _selector_errors(request.get("selectors"), f"{path}.selectors")
    mode, count = request.get("allocationMode") or "", request.get("count", 0) or 0
    if mode == "All":
        if count:
            causes.append(meta.invalid(f"{path}.count", count, "must not be specified when allocationMode is 'All'"))
    elif mode == "ExactCount":
        if not isinstance(count, int) or count <= 0:
            causes.append(meta.invalid(f"{path}.count", count, "must be greater than zero"))
    else:
        causes.append(meta.unsupported(f"{path}.allocationMode", mode, ALLOCATION_MODES))
    return causes


def _duplicates(items: list[dict[str, object]], path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[object] = set()
    for i, item in enumerate(items):
        name = item.get("name", "")
        if name in seen:
            causes.append(meta.duplicate(f"{path}[{i}]", name))
        seen.add(name)
    return causes


def claim_spec_errors(spec: dict[str, object], path: str) -> list[Cause]:
    """validateResourceClaimSpec: the device requests."""
    requests = dicts(as_dict(spec.get("devices")).get("requests"))
    requests_path = f"{path}.devices.requests"
    causes = _too_many(requests, MAX_REQUESTS, requests_path)
    for i, request in enumerate(requests):
        item = f"{requests_path}[{i}]"
        causes += _label_name_errors(request.get("name"), f"{item}.name")
        exactly, first = request.get("exactly"), dicts(request.get("firstAvailable"))
        if exactly is None and not first:
            causes.append(meta.required(item, "exactly one of `exactly` or `firstAvailable` is required"))
        elif exactly is not None and first:
            causes.append(meta.invalid(item, NULL, "exactly one of `exactly` or `firstAvailable` is required, but "
                                                   "multiple fields are set"))
        elif first:
            causes += _too_many(first, MAX_SUBREQUESTS, f"{item}.firstAvailable")
            for j, sub in enumerate(first):
                causes += _label_name_errors(sub.get("name"), f"{item}.firstAvailable[{j}].name")
                causes += _exact_errors(sub, f"{item}.firstAvailable[{j}]")
            causes += _duplicates(first, f"{item}.firstAvailable")
        else:
            causes += _exact_errors(as_dict(exactly), f"{item}.exactly")
    return causes + _duplicates(requests, requests_path)


class DeviceClassStrategy(GenericStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj) + _selector_errors(spec.get("selectors"), "spec.selectors")
        for i, config in enumerate(dicts(spec.get("config"))):
            causes += _opaque_errors(config, f"spec.config[{i}]")
        return causes


def _opaque_errors(config: dict[str, object], path: str) -> list[Cause]:
    opaque = config.get("opaque")
    if not isinstance(opaque, dict):
        return [meta.required(f"{path}.opaque")]
    causes = csi_driver_name_errors(opaque.get("driver"), f"{path}.opaque.driver")
    if opaque.get("parameters") is None:
        causes.append(meta.required(f"{path}.opaque.parameters"))
    return causes


class ResourceClaimStrategy(GenericStrategy):
    """No generation: the spec never changes after creation."""

    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_device_claim(obj.get("spec"))

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + claim_spec_errors(spec_of(obj), "spec")

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate_metadata(new)
        if subresource == "status":
            return causes
        return causes + immutable_if_changed(spec_of(new), spec_of(old), "spec")


class ResourceClaimTemplateStrategy(GenericStrategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        default_device_claim(spec_of(obj).get("spec"))

    def validate(self, obj: Obj) -> list[Cause]:
        template = spec_of(obj)
        template_meta = as_dict(template.get("metadata"))
        causes = self.validate_metadata(obj)
        causes += meta.labels_errors(template_meta.get("labels"), "spec.metadata.labels")
        causes += meta.annotations_errors(template_meta.get("annotations"), "spec.metadata.annotations")
        return causes + claim_spec_errors(as_dict(template.get("spec")), "spec.spec")

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        return self.validate_metadata(new) + immutable_if_changed(spec_of(new), spec_of(old), "spec")


class ResourceSliceStrategy(GenericStrategy):
    fields = _SLICE_FIELDS

    def default(self, obj: Obj) -> None:
        now = meta.rfc3339(self.clock.now())
        for device in dicts(spec_of(obj).get("devices")):
            for taint in dicts(device.get("taints")):
                if not taint.get("timeAdded"):
                    taint["timeAdded"] = now

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + _slice_errors(spec_of(obj))

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        new_spec, old_spec = spec_of(new), spec_of(old)
        causes = self.validate_metadata(new)
        causes += immutable_if_changed(as_dict(new_spec.get("pool")).get("name"),
                                       as_dict(old_spec.get("pool")).get("name"), "spec.pool.name")
        causes += immutable_if_changed(new_spec.get("driver"), old_spec.get("driver"), "spec.driver")
        causes += immutable_if_changed(new_spec.get("nodeName"), old_spec.get("nodeName"), "spec.nodeName")
        return causes + _slice_errors(new_spec)


def _slice_errors(spec: dict[str, object]) -> list[Cause]:
    causes = csi_driver_name_errors(spec.get("driver"), "spec.driver")
    pool = as_dict(spec.get("pool"))
    name = pool.get("name")
    if not name or not isinstance(name, str):
        causes.append(meta.required("spec.pool.name"))
    else:
        if len(name) > MAX_POOL_NAME:
            causes.append(meta.too_long("spec.pool.name", MAX_POOL_NAME))
        for part in name.split("/"):
            causes += [meta.invalid("spec.pool.name", part, e) for e in meta.dns1123_subdomain_errors(part)]
    count, generation = pool.get("resourceSliceCount", 0), pool.get("generation", 0)
    if isinstance(count, int) and count <= 0:
        causes.append(meta.invalid("spec.pool.resourceSliceCount", count, "must be greater than zero"))
    if isinstance(generation, int) and generation < 0:
        causes.append(meta.invalid("spec.pool.generation", generation, "must be greater than or equal to zero"))
    chosen = []
    node = spec.get("nodeName")
    if node is not None:
        if node:
            chosen.append("`nodeName`")
            causes += [meta.invalid("spec.nodeName", node, e) for e in meta.dns1123_subdomain_errors(str(node))]
        else:
            causes.append(meta.invalid("spec.nodeName", "", "must be either unset or set to a non-empty string"))
    if spec.get("nodeSelector") is not None:
        chosen.append("`nodeSelector`")
        terms = dicts(as_dict(spec["nodeSelector"]).get("nodeSelectorTerms"))
        if len(terms) != 1:
            causes.append(meta.invalid("spec.nodeSelector.nodeSelectorTerms", terms,
                                       "must have exactly one node selector term"))
    for key in ("allNodes", "perDeviceNodeSelection"):
        value = spec.get(key)
        if value is True:
            chosen.append(f"`{key}`")
        elif value is not None:
            causes.append(meta.invalid(f"spec.{key}", value, "must be either unset or set to true"))
    if not chosen:
        causes.append(meta.required("spec", _NODE_CHOICES))
    elif len(chosen) > 1:
        causes.append(meta.invalid("spec", "{" + ", ".join(chosen) + "}", _NODE_CHOICES + ", but multiple fields "
                                                                                         "are set"))
    if spec.get("sharedCounters") is not None and spec.get("devices") is not None:
        causes.append(meta.invalid("spec", "", "only one of `sharedCounters` or `devices` is allowed"))
    devices = dicts(spec.get("devices"))
    causes += _too_many(devices, MAX_DEVICES, "spec.devices")
    for i, device in enumerate(devices):
        causes += _label_name_errors(device.get("name"), f"spec.devices[{i}].name")
    return causes + _duplicates(devices, "spec.devices")
