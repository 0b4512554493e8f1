"""``pluginConfig`` args: decoded strictly, validated as upstream's ``validation_pluginargs.go``.

Contract: :func:`_plugin_args` takes a plugin's name, its raw ``args`` and their path; it raises
:class:`ConfigError` on a decoding error (unknown field, wrong type), appends every validation
error to ``errors`` (a kind or apiVersion other than ``<name>Args`` / the configuration's is one,
and then no args are read), and answers the constructor keyword arguments. A registered plugin
with no args of its own answers ``{}``. Upstream validates NodeResourcesFit's args only when the
plugin is made (a quirk of its validation map); here they are validated with the rest, at their
path.

Plugin args become constructor keyword arguments (camelCase to snake_case), only the fields
given (constructors default as upstream does):

* NodeResourcesFit: ``scoring_strategy`` (the type), ``resources`` ((name, weight), weight 0
  → 1, none → cpu and memory), ``shape`` ((utilization, score), RequestedToCapacityRatio
  only); ``ignoredResources`` / ``ignoredResourceGroups`` are checked and dropped (the node
  table tracks no extended resources).
* NodeResourcesBalancedAllocation: ``resources``. NodeAffinity: ``added_affinity``.
* InterPodAffinity: ``hard_pod_affinity_weight``, ``ignore_preferred_terms_of_existing_pods``.
* PodTopologySpread: ``default_constraints`` (the constraints as objects), ``defaulting_type``.
* DefaultPreemption: ``min_candidate_nodes_percentage``, ``min_candidate_nodes_absolute``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from myriad.scheduler.configfields import (
    API_VERSION,
    _bool,
    _duplicate,
    _FieldError,
    _forbidden,
    _int,
    _invalid,
    _list,
    _object,
    _required,
    _str,
    _unsupported,
)
from myriad.scheduler.plugins.noderesourcesfit import (
    MAX_CUSTOM_PRIORITY_SCORE,
    MAX_UTILIZATION,
    REQUESTED_TO_CAPACITY_RATIO,
    STRATEGIES,
)

_ArgsParser = Callable[[Mapping[str, Any], str, list[_FieldError]], dict[str, Any]]


def _plugin_args(name: str, raw: Any, path: str, errors: list[_FieldError]) -> dict[str, Any]:
    parser = _ARGS.get(name)
    fields = ("apiVersion", "kind", *(_ARG_FIELDS.get(name, ())))
    value = _object(raw, path, fields)
    kind = _str(value.get("kind"), f"{path}.kind")
    version = _str(value.get("apiVersion"), f"{path}.apiVersion")
    if (kind and kind != f"{name}Args") or (version and version != API_VERSION):
        errors.append(_invalid(path, kind or version, "has to match plugin args"))
        return {}
    given = {k: v for k, v in value.items() if k not in ("apiVersion", "kind")}
    return parser(given, path, errors) if parser else {}


def _shape(raw: Any, path: str, errors: list[_FieldError]) -> list[tuple[int, int]]:
    points = []
    for i, entry in enumerate(_list(raw, path)):
        point = _object(entry, f"{path}[{i}]", ("utilization", "score"))
        points.append((_int(point.get("utilization"), f"{path}[{i}].utilization") or 0,
                       _int(point.get("score"), f"{path}[{i}].score") or 0))
    if not points:
        errors.append(_required(path, "at least one point must be specified"))
        return points
    for i in range(1, len(points)):
        if points[i - 1][0] >= points[i][0]:
            errors.append(_invalid(f"{path}[{i}].utilization", points[i][0],
                                   "values must be sorted in increasing order"))
            break
    for i, (utilization, score) in enumerate(points):
        if not 0 <= utilization <= MAX_UTILIZATION:
            errors.append(_invalid(f"{path}[{i}].utilization", utilization,
                                   f"not in valid range [0, {MAX_UTILIZATION}]"))
        if not 0 <= score <= MAX_CUSTOM_PRIORITY_SCORE:
            errors.append(_invalid(f"{path}[{i}].score", score, f"not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"))
    return points


def _resources(raw: Any, path: str) -> list[tuple[str, int]]:
    """ResourceSpecs, defaulted: none -> cpu and memory, weight 0 -> 1."""
    resources = []
    for i, entry in enumerate(_list(raw, path)):
        spec = _object(entry, f"{path}[{i}]", ("name", "weight"))
        resources.append((_str(spec.get("name"), f"{path}[{i}].name") or "",
                          _int(spec.get("weight"), f"{path}[{i}].weight") or 1))
    return resources or [("cpu", 1), ("memory", 1)]


def _fit_args(args: Mapping[str, Any], path: str, errors: list[_FieldError]) -> dict[str, Any]:
    for key in ("ignoredResources", "ignoredResourceGroups"):
        for i, item in enumerate(_list(args.get(key), f"{path}.{key}")):
            item = _str(item, f"{path}.{key}[{i}]") or ""
            if key == "ignoredResourceGroups" and "/" in item:
                errors.append(_invalid(f"{path}.{key}[{i}]", item, "resource group name can't contain '/'"))
    if args.get("scoringStrategy") is None:
        return {}
    strategy_path = f"{path}.scoringStrategy"
    strategy = _object(args["scoringStrategy"], strategy_path, ("type", "resources", "requestedToCapacityRatio"))
    kind = _str(strategy.get("type"), f"{strategy_path}.type") or ""
    resources = _resources(strategy.get("resources"), f"{strategy_path}.resources")
    ratio_path = f"{strategy_path}.requestedToCapacityRatio"
    ratio = strategy.get("requestedToCapacityRatio")
    if kind not in STRATEGIES:
        errors.append(_unsupported(f"{strategy_path}.type", kind, STRATEGIES))
    for i, (name, weight) in enumerate(resources):
        if not 0 < weight <= 100:
            errors.append(_invalid(f"{strategy_path}.resources[{i}].weight", weight,
                                   f"resource weight of {name} not in valid range (0, 100]"))
    kwargs: dict[str, Any] = {"scoring_strategy": kind, "resources": tuple(resources)}
    if kind == REQUESTED_TO_CAPACITY_RATIO:
        if ratio is None:
            errors.append(_required(ratio_path, "must be specified when type is RequestedToCapacityRatio"))
        else:
            shape = _shape(_object(ratio, ratio_path, ("shape",)).get("shape"), f"{ratio_path}.shape", errors)
            kwargs["shape"] = tuple(shape)
    elif ratio is not None:
        errors.append(_forbidden(ratio_path, "must be nil when type is not RequestedToCapacityRatio"))
    return kwargs


def _balanced_args(args: Mapping[str, Any], path: str, errors: list[_FieldError]) -> dict[str, Any]:
    if not args.get("resources"):
        _list(args.get("resources"), f"{path}.resources")
        return {}
    resources = _resources(args["resources"], f"{path}.resources")
    seen = set()
    for i, (name, weight) in enumerate(resources):
        if name in seen:
            errors.append(_duplicate(f"{path}.resources[{i}].name", name))
        seen.add(name)
        if weight != 1:
            errors.append(_invalid(f"{path}.resources[{i}].weight", weight, "must be 1"))
    return {"resources": tuple(resources)}


def _node_affinity_args(args: Mapping[str, Any], path: str, errors: list[_FieldError]) -> dict[str, Any]:
    if args.get("addedAffinity") is None:
        return {}
    affinity_path = f"{path}.addedAffinity"
    required_key, preferred_key = ("requiredDuringSchedulingIgnoredDuringExecution",
                                   "preferredDuringSchedulingIgnoredDuringExecution")
    affinity = _object(args["addedAffinity"], affinity_path, (required_key, preferred_key))
    if affinity.get(required_key) is not None:
        required = _object(affinity[required_key], f"{affinity_path}.{required_key}", ("nodeSelectorTerms",))
        for i, term in enumerate(_list(required.get("nodeSelectorTerms"), f"{affinity_path}.{required_key}"
                                                                          ".nodeSelectorTerms")):
            _object(term, f"{affinity_path}.{required_key}.nodeSelectorTerms[{i}]", ("matchExpressions", "matchFields"))
    for i, term in enumerate(_list(affinity.get(preferred_key), f"{affinity_path}.{preferred_key}")):
        _object(term, f"{affinity_path}.{preferred_key}[{i}]", ("weight", "preference"))
    return {"added_affinity": json.loads(json.dumps(affinity))}


def _inter_pod_affinity_args(args: Mapping[str, Any], path: str, errors: list[_FieldError]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    weight = _int(args.get("hardPodAffinityWeight"), f"{path}.hardPodAffinityWeight")
    ignore = _bool(args.get("ignorePreferredTermsOfExistingPods"), f"{path}.ignorePreferredTermsOfExistingPods")
    if weight is not None:
        if not 0 <= weight <= 100:
            errors.append(_invalid(f"{path}.hardPodAffinityWeight", weight, "not in valid range [0, 100]"))
        kwargs["hard_pod_affinity_weight"] = weight
    if ignore is not None:
        kwargs["ignore_preferred_terms_of_existing_pods"] = ignore
    return kwargs


_CONSTRAINT_FIELDS = ("maxSkew", "topologyKey", "whenUnsatisfiable", "labelSelector", "minDomains",
                      "nodeAffinityPolicy", "nodeTaintsPolicy", "matchLabelKeys")
_SPREAD_ACTIONS = ("DoNotSchedule", "ScheduleAnyway")


def _topology_spread_args(args: Mapping[str, Any], path: str, errors: list[_FieldError]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    defaulting = _str(args.get("defaultingType"), f"{path}.defaultingType")
    constraints_path = f"{path}.defaultConstraints"
    raw = _list(args.get("defaultConstraints"), constraints_path)
    constraints = [_object(c, f"{constraints_path}[{i}]", _CONSTRAINT_FIELDS) for i, c in enumerate(raw)]
    kind = defaulting or "System"
    if kind not in ("System", "List"):
        errors.append(_unsupported(f"{path}.defaultingType", kind, ("System", "List")))
    elif kind == "System" and constraints:
        errors.append(_invalid(f"{path}.defaultingType", kind, "when .defaultConstraints are not empty"))
    seen: set[tuple[str, str]] = set()
    for i, constraint in enumerate(constraints):
        at = f"{constraints_path}[{i}]"
        skew = _int(constraint.get("maxSkew"), f"{at}.maxSkew") or 0
        key = _str(constraint.get("topologyKey"), f"{at}.topologyKey") or ""
        action = _str(constraint.get("whenUnsatisfiable"), f"{at}.whenUnsatisfiable") or ""
        if skew <= 0:
            errors.append(_invalid(f"{at}.maxSkew", skew, "not in valid range (0, inf)"))
        if not key:
            errors.append(_required(f"{at}.topologyKey", "can not be empty"))
        if not action:
            errors.append(_required(f"{at}.whenUnsatisfiable", "can not be empty"))
        elif action not in _SPREAD_ACTIONS:
            errors.append(_unsupported(f"{at}.whenUnsatisfiable", action, _SPREAD_ACTIONS))
        if constraint.get("labelSelector") is not None:
            errors.append(_forbidden(f"{at}.labelSelector",
                                     "constraint must not define a selector, as they deduced for each pod"))
        if (key, action) in seen:
            errors.append(_duplicate(at, f"{{{key}, {action}}}"))
        seen.add((key, action))
    if defaulting is not None:
        kwargs["defaulting_type"] = defaulting
    if "defaultConstraints" in args:
        kwargs["default_constraints"] = tuple(json.loads(json.dumps(c)) for c in constraints)
    return kwargs


def _preemption_args(args: Mapping[str, Any], path: str, errors: list[_FieldError]) -> dict[str, Any]:
    percentage = _int(args.get("minCandidateNodesPercentage"), f"{path}.minCandidateNodesPercentage")
    absolute = _int(args.get("minCandidateNodesAbsolute"), f"{path}.minCandidateNodesAbsolute")
    kwargs: dict[str, Any] = {}
    if percentage is not None:
        kwargs["min_candidate_nodes_percentage"] = percentage
    if absolute is not None:
        kwargs["min_candidate_nodes_absolute"] = absolute
    percentage = 10 if percentage is None else percentage
    absolute = 100 if absolute is None else absolute
    if not 0 <= percentage <= 100:
        errors.append(_invalid(f"{path}.minCandidateNodesPercentage", percentage, "not in valid range [0, 100]"))
    if absolute < 0:
        errors.append(_invalid(f"{path}.minCandidateNodesAbsolute", absolute, "not in valid range [0, inf)"))
    if percentage == 0 and absolute == 0:
        errors.append(_invalid(f"{path}.minCandidateNodesPercentage", percentage,
                               "cannot be zero at the same time as minCandidateNodesAbsolute"))
        errors.append(_invalid(f"{path}.minCandidateNodesAbsolute", absolute,
                               "cannot be zero at the same time as minCandidateNodesPercentage"))
    return kwargs


_ARGS: dict[str, _ArgsParser] = {
    "NodeResourcesFit": _fit_args,
    "NodeResourcesBalancedAllocation": _balanced_args,
    "NodeAffinity": _node_affinity_args,
    "InterPodAffinity": _inter_pod_affinity_args,
    "PodTopologySpread": _topology_spread_args,
    "DefaultPreemption": _preemption_args,
}
_ARG_FIELDS: dict[str, tuple[str, ...]] = {
    "NodeResourcesFit": ("ignoredResources", "ignoredResourceGroups", "scoringStrategy"),
    "NodeResourcesBalancedAllocation": ("resources",),
    "NodeAffinity": ("addedAffinity",),
    "InterPodAffinity": ("hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods"),
    "PodTopologySpread": ("defaultConstraints", "defaultingType"),
    "DefaultPreemption": ("minCandidateNodesPercentage", "minCandidateNodesAbsolute"),
}
