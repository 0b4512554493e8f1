"""Plugins by name, and profiles built from them as upstream expands its MultiPoint default:
each plugin joins every extension point it implements, in the default order, with upstream's
score weights (``pkg/scheduler/apis/config/v1/default_plugins.go``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from myriad.scheduler.errors import ConfigError
from myriad.scheduler.framework import Profile
from myriad.scheduler.plugins.balancedallocation import NodeResourcesBalancedAllocation
from myriad.scheduler.plugins.imagelocality import ImageLocality
from myriad.scheduler.plugins.nodeaffinity import NodeAffinity
from myriad.scheduler.plugins.nodename import NodeName
from myriad.scheduler.plugins.nodeports import NodePorts
from myriad.scheduler.plugins.noderesourcesfit import NodeResourcesFit
from myriad.scheduler.plugins.nodeunschedulable import NodeUnschedulable
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
    "NodeResourcesBalancedAllocation": NodeResourcesBalancedAllocation,
    "ImageLocality": ImageLocality,
}

#: Upstream's default MultiPoint order, with the weights of the score plugins.
DEFAULT_PLUGINS: tuple[tuple[str, int], ...] = (
    ("PrioritySort", 0), ("NodeUnschedulable", 0), ("NodeName", 0), ("TaintToleration", 3),
    ("NodeAffinity", 2), ("NodePorts", 0), ("NodeResourcesFit", 1), ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
)


def build_profile(*, scheduler_name: str = "default-scheduler",
                  plugins: tuple[tuple[str, int], ...] = DEFAULT_PLUGINS,
                  args: Mapping[str, Mapping[str, Any]] | None = None,
                  percentage_of_nodes_to_score: int = 0, partial_scoring: bool = True,
                  handle: Handle | None = None) -> Profile:
    """A profile of ``plugins`` (name, score weight) in order; ``args`` maps a plugin's name to
    its constructor's keyword arguments; plugins that read informers get ``handle``."""
    handle = handle or Handle()
    args = args or {}
    made = []
    for name, weight in plugins:
        factory = REGISTRY.get(name)
        if factory is None:
            raise ConfigError(f"plugin {name!r} is not registered")
        try:
            given = dict(args.get(name) or {})
            if getattr(factory, "uses_handle", False):
                given["handle"] = handle
            made.append((factory(**given), weight))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"pluginConfig[{name}]: {exc}") from exc
    sorts = [p for p, _ in made if hasattr(p, "sort_key")]
    if len(sorts) != 1:
        raise ConfigError(f"profile {scheduler_name!r}: exactly one queueSort plugin is needed, got {len(sorts)}")
    return Profile(
        scheduler_name=scheduler_name, queue_sort=sorts[0],
        pre_filter=tuple(p for p, _ in made if hasattr(p, "pre_filter")),
        filter=tuple(p for p, _ in made if hasattr(p, "filter")),
        pre_score=tuple(p for p, _ in made if hasattr(p, "pre_score")),
        score=tuple((p, max(w, 1)) for p, w in made if hasattr(p, "score")),
        post_filter=tuple(p for p, _ in made if hasattr(p, "post_filter")),
        reserve=tuple(p for p, _ in made if hasattr(p, "reserve")),
        percentage_of_nodes_to_score=percentage_of_nodes_to_score, partial_scoring=partial_scoring)
