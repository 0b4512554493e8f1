"""``autoscaling/v1`` HorizontalPodAutoscalers, stored as ``autoscaling/v2`` ones, as upstream
stores both versions (pkg/apis/autoscaling/v1/conversion.go).

v1 knows one metric, ``targetCPUUtilizationPercentage`` (a Resource metric on ``cpu`` with an
Utilization target in v2). What v1 cannot hold travels in annotations, as upstream does: other
metrics in ``autoscaling.alpha.kubernetes.io/metrics`` and ``…/current-metrics`` (in v1's own
metric shapes: ``targetAverageUtilization``, ``metricName``…), the status conditions in
``…/conditions`` and the scaling behavior in ``…/behavior``. Converting back reads them again,
so an object round-trips through either version.
"""

from __future__ import annotations

from typing import Any

import orjson

from myriad.api import gojson, gotypes
from myriad.apiserver.rest.interfaces import Obj

_PREFIX = "autoscaling.alpha.kubernetes.io/"
METRICS, CURRENT_METRICS = _PREFIX + "metrics", _PREFIX + "current-metrics"
CONDITIONS, BEHAVIOR = _PREFIX + "conditions", _PREFIX + "behavior"
_ANNOTATIONS = (METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR)
#: v2 metric source field → v1's for the same metric type.
_V1_STATUS = "io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerStatus"
_SOURCES = {"Resource": "resource", "Pods": "pods", "Object": "object", "External": "external",
            "ContainerResource": "containerResource"}


def _is_cpu_utilization(metric: Any) -> bool:
    resource = metric.get("resource") if isinstance(metric, dict) else None
    return (isinstance(resource, dict) and metric.get("type") == "Resource" and resource.get("name") == "cpu"
            and (resource.get("target") or {}).get("type") == "Utilization")


def _target_to_v1(target: dict[str, Any], *, average_prefix: str = "targetAverage") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "averageUtilization" in target:
        out[average_prefix + "Utilization"] = target["averageUtilization"]
    if "averageValue" in target:
        out[average_prefix + "Value"] = target["averageValue"]
    if "value" in target:
        out["targetValue"] = target["value"]
    return out


def _target_to_v2(source: dict[str, Any]) -> dict[str, Any]:
    if "targetAverageUtilization" in source:
        return {"type": "Utilization", "averageUtilization": source["targetAverageUtilization"]}
    if "targetAverageValue" in source:
        return {"type": "AverageValue", "averageValue": source["targetAverageValue"]}
    if "averageValue" in source:
        return {"type": "AverageValue", "averageValue": source["averageValue"]}
    return {"type": "Value", "value": source.get("targetValue")}


def _current_to_v1(current: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "averageUtilization" in current:
        out["currentAverageUtilization"] = current["averageUtilization"]
    if "averageValue" in current:
        out["currentAverageValue"] = current["averageValue"]
    if "value" in current:
        out["currentValue"] = current["value"]
    return out


def _current_to_v2(source: dict[str, Any]) -> dict[str, Any]:
    names = {"currentAverageUtilization": "averageUtilization", "currentAverageValue": "averageValue",
             "currentValue": "value", "averageValue": "averageValue"}
    return {names[key]: value for key, value in source.items() if key in names}


def _metric(name: str, selector: Any) -> dict[str, Any]:
    return {"name": name, **({"selector": selector} if selector is not None else {})}


def metric_to_v1(metric: dict[str, Any], *, current: bool) -> dict[str, Any]:
    """A v2 MetricSpec (or MetricStatus with ``current``) in v1's annotation shape."""
    kind = metric.get("type")
    source = metric.get(_SOURCES.get(str(kind), "")) or {}
    value = (_current_to_v1 if current else _target_to_v1)(source.get("current" if current else "target") or {})
    described = source.get("metric") or {}
    if kind in ("Resource", "ContainerResource"):
        out = {"name": source.get("name"), **({"container": source["container"]} if "container" in source else {}),
               **value}
    elif kind == "Object":
        out = {"target": source.get("describedObject"), "metricName": described.get("name"), **value}
        if "selector" in described:
            out["selector"] = described["selector"]
    else:
        selector_key = "metricSelector" if kind == "External" else "selector"
        out = {"metricName": described.get("name"), **value}
        if "selector" in described:
            out[selector_key] = described["selector"]
    return {"type": kind, _SOURCES.get(str(kind), "resource"): out}


def metric_to_v2(metric: dict[str, Any], *, current: bool) -> dict[str, Any]:
    """v1's annotation shape of a metric back in v2's."""
    kind = metric.get("type")
    source = metric.get(_SOURCES.get(str(kind), "")) or {}
    value = {"current": _current_to_v2(source)} if current else {"target": _target_to_v2(source)}
    if kind in ("Resource", "ContainerResource"):
        out = {"name": source.get("name"), **({"container": source["container"]} if "container" in source else {}),
               **value}
    elif kind == "Object":
        out = {"describedObject": source.get("target"), "metric": _metric(source.get("metricName", ""),
                                                                          source.get("selector")), **value}
    else:
        selector = source.get("metricSelector" if kind == "External" else "selector")
        out = {"metric": _metric(source.get("metricName", ""), selector), **value}
    return {"type": kind, _SOURCES.get(str(kind), "resource"): out}


def _json(value: Any) -> str:
    return gojson.dumps(value).decode()


def _decoded(annotations: dict[str, Any], key: str) -> Any:
    text = annotations.pop(key, None)
    if not isinstance(text, str):
        return None
    try:
        return gojson.loads(text)
    except orjson.JSONDecodeError:
        return None


class HPAV1:
    """``autoscaling/v1`` HorizontalPodAutoscaler ↔ the stored ``autoscaling/v2`` one."""

    def to_storage(self, obj: Obj) -> Obj:
        metadata = dict(obj.get("metadata") or {})  # type: ignore[call-overload]
        annotations = dict(metadata.get("annotations") or {})
        spec_v1 = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        status_v1 = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        assert isinstance(spec_v1, dict) and isinstance(status_v1, dict)
        metrics = [metric_to_v2(m, current=False) for m in _decoded(annotations, METRICS) or []
                   if isinstance(m, dict)]
        current = [metric_to_v2(m, current=True) for m in _decoded(annotations, CURRENT_METRICS) or []
                   if isinstance(m, dict)]
        conditions, behavior = _decoded(annotations, CONDITIONS), _decoded(annotations, BEHAVIOR)
        if spec_v1.get("targetCPUUtilizationPercentage") is not None:
            metrics.insert(0, {"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": spec_v1["targetCPUUtilizationPercentage"]}}})
        if status_v1.get("currentCPUUtilizationPercentage") is not None:
            current.insert(0, {"type": "Resource", "resource": {"name": "cpu", "current": {
                "averageUtilization": status_v1["currentCPUUtilizationPercentage"]}}})
        spec = {k: v for k, v in spec_v1.items() if k != "targetCPUUtilizationPercentage"}
        if metrics:
            spec["metrics"] = metrics
        if isinstance(behavior, dict):
            spec["behavior"] = behavior
        status = {k: v for k, v in status_v1.items() if k != "currentCPUUtilizationPercentage"}
        if current:
            status["currentMetrics"] = current
        if isinstance(conditions, list):
            status["conditions"] = conditions
        _set_annotations(metadata, annotations)
        out: Obj = {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2", "metadata": metadata,
                    "spec": spec}
        if "status" in obj:
            out["status"] = status
        return out

    def from_storage(self, obj: Obj) -> Obj:
        metadata = dict(obj.get("metadata") or {})  # type: ignore[call-overload]
        annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k not in _ANNOTATIONS}
        spec_v2 = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        status_v2 = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        assert isinstance(spec_v2, dict) and isinstance(status_v2, dict)
        spec = {k: v for k, v in spec_v2.items() if k not in ("metrics", "behavior")}
        others = []
        for metric in spec_v2.get("metrics") or []:
            if _is_cpu_utilization(metric) and "targetCPUUtilizationPercentage" not in spec:
                spec["targetCPUUtilizationPercentage"] = metric["resource"]["target"]["averageUtilization"]
            elif isinstance(metric, dict):
                others.append(metric_to_v1(metric, current=False))
        if others:
            annotations[METRICS] = _json(others)
        if spec_v2.get("behavior") is not None:
            annotations[BEHAVIOR] = _json(spec_v2["behavior"])
        status = {k: v for k, v in status_v2.items() if k not in ("currentMetrics", "conditions")}
        current_others = []
        for metric in status_v2.get("currentMetrics") or []:
            resource = metric.get("resource") if isinstance(metric, dict) else None
            utilization = (resource.get("current") or {}).get("averageUtilization") if isinstance(resource, dict) \
                else None
            if isinstance(resource, dict) and resource.get("name") == "cpu" and utilization is not None \
                    and "currentCPUUtilizationPercentage" not in status:
                status["currentCPUUtilizationPercentage"] = utilization
            elif isinstance(metric, dict):
                current_others.append(metric_to_v1(metric, current=True))
        if current_others:
            annotations[CURRENT_METRICS] = _json(current_others)
        if status_v2.get("conditions"):
            annotations[CONDITIONS] = _json(status_v2["conditions"])
        for key, zero in gotypes.zero_struct(_V1_STATUS).items():  # what Go always writes of a v1 status
            status.setdefault(key, zero)
        _set_annotations(metadata, annotations)
        out: Obj = {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1", "metadata": metadata,
                    "spec": spec}
        if "status" in obj:
            out["status"] = status
        return out


def _set_annotations(metadata: dict[str, Any], annotations: dict[str, Any]) -> None:
    if annotations:
        metadata["annotations"] = annotations
    else:
        metadata.pop("annotations", None)
