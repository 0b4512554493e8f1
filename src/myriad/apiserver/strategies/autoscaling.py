"""HorizontalPodAutoscalers in their stored autoscaling/v2 form (both served versions are stored
as v2; :mod:`myriad.apiserver.rest.hpaconversion` converts v1 bodies before this runs).

Upstream's v2 defaults (SetDefaults_HorizontalPodAutoscaler): one replica at least, a CPU
utilization target of 80% when no metric is given, and when a ``behavior`` is given the scale-up
and scale-down rules it leaves out. No generation is tracked; the status starts with zero
replicas. Validation is pkg/apis/autoscaling/validation's, scale-to-zero (an alpha gate) off."""

from __future__ import annotations

from myriad.api import meta, quantity
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, dicts, spec_of

METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
SELECT_POLICIES = ["Disabled", "Max", "Min"]
POLICY_TYPES = ["Percent", "Pods"]
TARGET_TYPES = ("Utilization", "Value", "AverageValue")
MAX_PERIOD_SECONDS = 1800
MAX_STABILIZATION_SECONDS = 3600
_SOURCES = {"Object": "object", "Pods": "pods", "Resource": "resource", "External": "external",
            "ContainerResource": "containerResource"}
_SCALE_UP = {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
             "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                          {"type": "Percent", "value": 100, "periodSeconds": 15}]}
_SCALE_DOWN = {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}


def _rules(given: object, defaults: dict[str, object]) -> dict[str, object]:
    """copyHPAScalingRules: the defaults, overridden by what ``given`` sets."""
    rules = {key: (list(value) if isinstance(value, list) else value) for key, value in defaults.items()}
    for key, value in as_dict(given).items():
        if value is not None:
            rules[key] = value
    return rules


class HorizontalPodAutoscalerStrategy(GenericStrategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if spec.get("minReplicas") is None:
            spec["minReplicas"] = 1
        if not spec.get("metrics"):
            spec["metrics"] = [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
        behavior = spec.get("behavior")
        if isinstance(behavior, dict):
            behavior["scaleUp"] = _rules(behavior.get("scaleUp"), _SCALE_UP)
            behavior["scaleDown"] = _rules(behavior.get("scaleDown"), _SCALE_DOWN)

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + _spec_errors(spec_of(obj), 1)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            status = as_dict(new.get("status"))
            return self.validate_metadata(new) + [
                meta.invalid(f"status.{key}", status[key], "must be greater than or equal to 0")
                for key in ("currentReplicas", "desiredReplicas")
                if isinstance(status.get(key), int) and status[key] < 0]  # type: ignore[operator]
        lowest = 0 if spec_of(old).get("minReplicas") == 0 else 1
        return self.validate_metadata(new) + _spec_errors(spec_of(new), lowest)


def _spec_errors(spec: dict[str, object], lowest: int) -> list[Cause]:
    causes = []
    low, high = spec.get("minReplicas"), spec.get("maxReplicas", 0)
    if isinstance(low, int) and low < lowest:
        causes.append(meta.invalid("spec.minReplicas", low, f"must be greater than or equal to {lowest}"))
    if isinstance(high, int) and high < 1:
        causes.append(meta.invalid("spec.maxReplicas", high, "must be greater than 0"))
    if isinstance(low, int) and isinstance(high, int) and high < low:
        causes.append(meta.invalid("spec.maxReplicas", high, "must be greater than or equal to `minReplicas`"))
    causes += object_reference_errors(as_dict(spec.get("scaleTargetRef")), "spec.scaleTargetRef")
    kinds = []
    for i, metric in enumerate(dicts(spec.get("metrics"))):
        causes += _metric_errors(metric, f"spec.metrics[{i}]")
        kinds.append(metric.get("type"))
    if low == 0 and "Object" not in kinds and "External" not in kinds:
        causes.append(meta.forbidden("spec.metrics", "must specify at least one Object or External metric to "
                                                     "support scaling to zero replicas"))
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        for key in ("scaleUp", "scaleDown"):
            if isinstance(behavior.get(key), dict):
                causes += _scaling_rules_errors(as_dict(behavior[key]), f"spec.behavior.{key}")
    return causes


def object_reference_errors(ref: dict[str, object], path: str) -> list[Cause]:
    """ValidateCrossVersionObjectReference."""
    causes = []
    for key in ("kind", "name"):
        value = ref.get(key)
        if not value:
            causes.append(meta.required(f"{path}.{key}"))
        else:
            causes += [meta.invalid(f"{path}.{key}", value, e) for e in meta.path_segment_errors(str(value))]
    return causes


def _scaling_rules_errors(rules: dict[str, object], path: str) -> list[Cause]:
    causes = []
    window = rules.get("stabilizationWindowSeconds")
    if isinstance(window, int):
        if window < 0:
            causes.append(meta.invalid(f"{path}.stabilizationWindowSeconds", window,
                                       "must be greater than or equal to zero"))
        if window > MAX_STABILIZATION_SECONDS:
            causes.append(meta.invalid(f"{path}.stabilizationWindowSeconds", window,
                                       f"must be less than or equal to {MAX_STABILIZATION_SECONDS}"))
    select = rules.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        causes.append(meta.unsupported(f"{path}.selectPolicy", select, SELECT_POLICIES))
    policies = dicts(rules.get("policies"))
    if not policies:
        causes.append(meta.required(f"{path}.policies", "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        item = f"{path}.policies[{i}]"
        if policy.get("type") not in POLICY_TYPES:
            causes.append(meta.unsupported(f"{item}.type", policy.get("type") or "", POLICY_TYPES))
        value, period = policy.get("value", 0), policy.get("periodSeconds", 0)
        if isinstance(value, int) and value <= 0:
            causes.append(meta.invalid(f"{item}.value", value, "must be greater than zero"))
        if isinstance(period, int) and period <= 0:
            causes.append(meta.invalid(f"{item}.periodSeconds", period, "must be greater than zero"))
        if isinstance(period, int) and period > MAX_PERIOD_SECONDS:
            causes.append(meta.invalid(f"{item}.periodSeconds", period,
                                       f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return causes


def _metric_errors(metric: dict[str, object], path: str) -> list[Cause]:
    kind = metric.get("type") or ""
    causes = [] if kind else [meta.required(f"{path}.type", "must specify a metric source type")]
    if kind not in METRIC_TYPES:
        causes.append(meta.unsupported(f"{path}.type", kind, METRIC_TYPES))
    present = [field for field in ("object", "external", "pods", "resource", "containerResource")
               if metric.get(field) is not None]
    if present:
        causes += _source_errors(present[0], as_dict(metric.get(present[0])), f"{path}.{present[0]}")
    expected = _SOURCES.get(str(kind))
    if expected is not None and metric.get(expected) is None:
        causes.append(meta.required(f"{path}.{expected}", "must populate information for the given metric source"))
    elif expected is None:  # upstream's switch says it again
        causes.append(meta.unsupported(f"{path}.type", kind, METRIC_TYPES))
    if len(present) != 1:
        causes += [meta.forbidden(f"{path}.{field}", "must populate the given metric source only")
                   for field in present if field != expected]
    return causes


def _source_errors(field: str, source: dict[str, object], path: str) -> list[Cause]:
    target = as_dict(source.get("target"))
    causes: list[Cause] = []
    if field == "object":
        causes += object_reference_errors(as_dict(source.get("describedObject")), f"{path}.describedObject")
    if field in ("object", "external", "pods"):
        causes += _metric_name_errors(as_dict(source.get("metric")), f"{path}.metric")
    if field in ("resource", "containerResource") and not source.get("name"):
        causes.append(meta.required(f"{path}.name", "must specify a resource name"))
    if field == "containerResource":
        container = source.get("container")
        if not container:
            causes.append(meta.required(f"{path}.container", "must specify a container"))
        else:
            causes += [meta.invalid(f"{path}.container", container, e)
                       for e in meta.dns1123_label_errors(str(container))]
    causes += _target_errors(target, f"{path}.target")
    value, average, utilization = target.get("value"), target.get("averageValue"), target.get("averageUtilization")
    if field == "object" and value is None and average is None:
        causes.append(meta.required(f"{path}.target.averageValue", "must set either a target value or averageValue"))
    if field == "external":
        if value is None and average is None:
            causes.append(meta.required(f"{path}.target.averageValue",
                                        "must set either a target value for metric or a per-pod target"))
        if value is not None and average is not None:
            causes.append(meta.forbidden(f"{path}.target.value",
                                         "may not set both a target value for metric and a per-pod target"))
    if field == "pods" and average is None:
        causes.append(meta.required(f"{path}.target.averageValue", "must specify a positive target averageValue"))
    if field in ("resource", "containerResource"):
        if utilization is None and average is None:
            causes.append(meta.required(f"{path}.target.averageUtilization",
                                        "must set either a target raw value or a target utilization"))
        if utilization is not None and average is not None:
            causes.append(meta.forbidden(f"{path}.target.averageValue",
                                         "may not set both a target raw value and a target utilization"))
    return causes


def _metric_name_errors(metric: dict[str, object], path: str) -> list[Cause]:
    name = metric.get("name")
    if not name:
        return [meta.required(f"{path}.name", "must specify a metric name")]
    return [meta.invalid(f"{path}.name", name, e) for e in meta.path_segment_errors(str(name))]


def _target_errors(target: dict[str, object], path: str) -> list[Cause]:
    kind = target.get("type") or ""
    causes = [] if kind else [meta.required(f"{path}.type", "must specify a metric target type")]
    if kind not in TARGET_TYPES:
        causes.append(meta.invalid(f"{path}.type", kind, "must be either Utilization, Value, or AverageValue"))
    for key in ("value", "averageValue"):
        parsed = quantity.parse(target.get(key))
        if parsed is not None and parsed <= 0:
            causes.append(meta.invalid(f"{path}.{key}", quantity.canonical(target[key]), "must be positive"))
    utilization = target.get("averageUtilization")
    if isinstance(utilization, int) and utilization < 1:
        causes.append(meta.invalid(f"{path}.averageUtilization", utilization, "must be greater than 0"))
    return causes
