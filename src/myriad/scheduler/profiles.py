"""Plugins by name, and profiles built from them.

A profile is built from per-extension-point plugin lists (upstream's framework after
``expandMultiPointPlugins``), or, as before, from one MultiPoint list (``plugins``): each plugin
then joins every extension point it implements, in that order, with upstream's score weights
(``pkg/scheduler/apis/config/v1/default_plugins.go``). Each plugin is constructed once per
profile, however many points it serves.

A plugin implements an extension point when its class has the point's method
(:data:`EXTENSION_POINTS`). ``DefaultBinder`` is known by name for the Bind point only: the
scheduler makes it itself (it needs the client), so a profile never constructs it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from myriad.scheduler.errors import ConfigError
from myriad.scheduler.framework import Profile
from myriad.scheduler.plugins.balancedallocation import NodeResourcesBalancedAllocation
from myriad.scheduler.plugins.defaultbinder import DefaultBinder
from myriad.scheduler.plugins.defaultpreemption import DefaultPreemption
from myriad.scheduler.plugins.imagelocality import ImageLocality
from myriad.scheduler.plugins.interpodaffinity import InterPodAffinity
from myriad.scheduler.plugins.nodeaffinity import NodeAffinity
from myriad.scheduler.plugins.nodename import NodeName
from myriad.scheduler.plugins.nodeports import NodePorts
from myriad.scheduler.plugins.noderesourcesfit import NodeResourcesFit
from myriad.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from myriad.scheduler.plugins.podtopologyspread import PodTopologySpread
from myriad.scheduler.plugins.prioritysort import PrioritySort
from myriad.scheduler.plugins.tainttoleration import TaintToleration
from myriad.scheduler.types import Handle

#: name -> factory taking the plugin's args (keyword arguments).
REGISTRY: dict[str, Callable[..., Any]] = {
    "PrioritySort": PrioritySort,
    "NodeUnschedulable": NodeUnschedulable,
    "NodeName": NodeName,
    "TaintToleration": TaintToleration,
    "NodeAffinity": NodeAffinity,
    "NodePorts": NodePorts,
    "NodeResourcesFit": NodeResourcesFit,
    "PodTopologySpread": PodTopologySpread,
    "InterPodAffinity": InterPodAffinity,
    "DefaultPreemption": DefaultPreemption,
    "NodeResourcesBalancedAllocation": NodeResourcesBalancedAllocation,
    "ImageLocality": ImageLocality,
}

#: Upstream's default MultiPoint order, with the weights of the score plugins.
DEFAULT_PLUGINS: tuple[tuple[str, int], ...] = (
    ("PrioritySort", 0), ("NodeUnschedulable", 0), ("NodeName", 0), ("TaintToleration", 3),
    ("NodeAffinity", 2), ("NodePorts", 0), ("NodeResourcesFit", 1), ("PodTopologySpread", 2),
    ("InterPodAffinity", 2), ("DefaultPreemption", 0), ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1),
)

#: The binder the scheduler supplies itself; last in upstream's default MultiPoint list.
DEFAULT_BINDER = "DefaultBinder"

#: Extension point (as the configuration names it) -> (the method a plugin implements for it,
#: upstream's interface name, used in error texts), in upstream's configuration order.
EXTENSION_POINTS: dict[str, tuple[str, str]] = {
    "preEnqueue": ("pre_enqueue", "PreEnqueuePlugin"),
    "queueSort": ("sort_key", "QueueSortPlugin"),
    "preFilter": ("pre_filter", "PreFilterPlugin"),
    "filter": ("filter", "FilterPlugin"),
    "postFilter": ("post_filter", "PostFilterPlugin"),
    "preScore": ("pre_score", "PreScorePlugin"),
    "score": ("score", "ScorePlugin"),
    "reserve": ("reserve", "ReservePlugin"),
    "permit": ("permit", "PermitPlugin"),
    "preBind": ("pre_bind", "PreBindPlugin"),
    "bind": ("bind", "BindPlugin"),
    "postBind": ("post_bind", "PostBindPlugin"),
}
#: The order upstream's framework fills the points in (``getExtensionPoints``): it decides which
#: point an unknown MultiPoint plugin is reported at.
_FRAMEWORK_ORDER = ("preFilter", "filter", "postFilter", "reserve", "preScore", "score", "preBind", "bind",
                    "postBind", "permit", "preEnqueue", "queueSort")
#: Points a :class:`Profile` has no place for (no plugin here implements them yet).
_UNSUPPORTED_POINTS = ("preEnqueue", "preBind", "postBind")

#: extension point -> ((plugin name, weight), ...) in order; weights matter at "score" only.
Points = Mapping[str, Sequence[tuple[str, int]]]


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string (close enough: JSON's escaping)."""
    return json.dumps(text, ensure_ascii=False)


def plugin_class(name: str) -> Any | None:
    """The registered factory named ``name`` (DefaultBinder's class for it), else None."""
    factory = REGISTRY.get(name)
    if factory is None and name == DEFAULT_BINDER:
        return DefaultBinder
    return factory


def implements(name: str, point: str) -> bool:
    factory = plugin_class(name)
    return factory is not None and hasattr(factory, EXTENSION_POINTS[point][0])


def expand_points(multi_point: Sequence[tuple[str, int]], enabled: Points | None = None,
                  disabled: Mapping[str, Collection[str]] | None = None) -> dict[str, tuple[tuple[str, int], ...]]:
    """Upstream's framework construction of the per-point plugin lists: each point's explicit
    ``enabled`` plugins, plus every ``multi_point`` plugin that implements the point unless the
    point disables it (``"*"``: all of them). A plugin both explicit and in MultiPoint keeps its
    explicit entry and goes first; then the MultiPoint ones; then the other explicit ones.
    Score weights: the explicit entry's, else the MultiPoint one's; 0 becomes 1. Raises
    :class:`ConfigError` with upstream's texts."""
    enabled = enabled or {}
    disabled = disabled or {}
    points: dict[str, tuple[tuple[str, int], ...]] = {}
    for point in _FRAMEWORK_ORDER:
        method, kind = EXTENSION_POINTS[point]
        explicit: dict[str, int] = {}
        for name, weight in enabled.get(point, ()):
            factory = plugin_class(name)
            if factory is None:
                raise ConfigError(f"{kind} {go_quote(name)} does not exist")
            if not hasattr(factory, method):
                raise ConfigError(f"plugin {go_quote(name)} does not extend {kind} plugin")
            if name in explicit:
                raise ConfigError(f"plugin {go_quote(name)} already registered as {go_quote(kind)}")
            explicit[name] = weight
        off = set(disabled.get(point, ()))
        overridden: set[str] = set()
        multi: dict[str, int] = {}
        if "*" not in off:
            for name, weight in multi_point:
                factory = plugin_class(name)
                if factory is None:
                    raise ConfigError(f"{kind} {go_quote(name)} does not exist")
                if not hasattr(factory, method) or name in off:
                    continue
                if name in explicit:
                    overridden.add(name)
                    continue
                if name in multi:
                    raise ConfigError(f"plugin {go_quote(name)} already registered as {go_quote(kind)}")
                multi[name] = weight
        ordered = ([(n, w) for n, w in explicit.items() if n in overridden] + list(multi.items())
                   + [(n, w) for n, w in explicit.items() if n not in overridden])
        points[point] = tuple((n, max(w, 1) if point == "score" else 0) for n, w in ordered)
    return {point: points[point] for point in EXTENSION_POINTS}


def build_profile(*, scheduler_name: str = "default-scheduler",
                  plugins: tuple[tuple[str, int], ...] = DEFAULT_PLUGINS,
                  args: Mapping[str, Mapping[str, Any]] | None = None,
                  percentage_of_nodes_to_score: int = 0, partial_scoring: bool = True,
                  handle: Handle | None = None, points: Points | None = None) -> Profile:
    """A profile of ``points`` (extension point -> (name, weight) in order), or, without them,
    of ``plugins`` (name, score weight) expanded as a MultiPoint list. ``args`` maps a plugin's
    name to its constructor's keyword arguments; plugins that read informers get ``handle``."""
    handle = handle or Handle()
    args = args or {}
    if points is None:
        points = expand_points(plugins)
    for point in _UNSUPPORTED_POINTS:
        if points.get(point):
            raise ConfigError(f"profile {go_quote(scheduler_name)}: the {point} extension point is not supported")
    for name, _ in points.get("bind", ()):
        if name != DEFAULT_BINDER:
            raise ConfigError(f"profile {go_quote(scheduler_name)}: only {DEFAULT_BINDER} can bind")
    made: dict[str, Any] = {}

    def instance(name: str) -> Any:
        plugin = made.get(name)
        if plugin is None:
            factory = REGISTRY.get(name)
            if factory is None:
                raise ConfigError(f"plugin {go_quote(name)} does not exist")
            given = dict(args.get(name) or {})
            if getattr(factory, "uses_handle", False):
                given["handle"] = handle
            try:
                plugin = made[name] = factory(**given)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"initializing plugin {go_quote(name)}: {exc}") from exc
        return plugin

    def at(point: str) -> tuple[Any, ...]:
        return tuple(instance(name) for name, _ in points.get(point, ()))

    sorts = at("queueSort")
    if len(sorts) != 1:
        raise ConfigError(f"only one queue sort plugin required for profile with scheduler name "
                          f"{go_quote(scheduler_name)}, but got {len(sorts)}")
    return Profile(
        scheduler_name=scheduler_name, queue_sort=sorts[0],
        pre_filter=at("preFilter"), filter=at("filter"), pre_score=at("preScore"),
        score=tuple((instance(name), max(weight, 1)) for name, weight in points.get("score", ())),
        post_filter=at("postFilter"), reserve=at("reserve"), permit=at("permit"),
        percentage_of_nodes_to_score=percentage_of_nodes_to_score, partial_scoring=partial_scoring)
