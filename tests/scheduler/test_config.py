"""KubeSchedulerConfiguration: defaults, upstream's plugin merge and MultiPoint expansion,
plugin args reaching the plugins, several profiles, every validation error's exact text, and
the frameworks ``myriad scheduler`` builds from a file."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from myriad.client.rest import Client
from myriad.client.types import ClientOptions
from myriad.scheduler.command import SchedulerRunOptions, build_frameworks, make_scheduler
from myriad.scheduler.config import (
    API_VERSION,
    DEFAULT_MULTI_POINT,
    KIND,
    SchedulerConfig,
    _format_duration,
    default_config,
    load_config,
    parse_config,
)
from myriad.scheduler.errors import ConfigError
from myriad.scheduler.plugins.noderesourcesfit import NodeResourcesFit
from myriad.scheduler.profiles import DEFAULT_BINDER, DEFAULT_PLUGINS, REGISTRY, build_profile
from myriad.scheduler.types import Handle

# Upstream's default MultiPoint list (default_plugins.go, DRA off), with score weights.
UPSTREAM_MULTI_POINT = (
    ("SchedulingGates", 0), ("PrioritySort", 0), ("NodeUnschedulable", 0), ("NodeName", 0), ("TaintToleration", 3),
    ("NodeAffinity", 2), ("NodePorts", 0), ("NodeResourcesFit", 1), ("VolumeRestrictions", 0), ("EBSLimits", 0),
    ("GCEPDLimits", 0), ("NodeVolumeLimits", 0), ("AzureDiskLimits", 0), ("VolumeBinding", 0), ("VolumeZone", 0),
    ("PodTopologySpread", 2), ("InterPodAffinity", 2), ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1), ("DefaultBinder", 0),
)
# Upstream's default profile after MultiPoint expansion, per extension point.
UPSTREAM_POINTS: dict[str, tuple[str, ...]] = {
    "queueSort": ("PrioritySort",),
    "preFilter": ("NodeAffinity", "NodePorts", "NodeResourcesFit", "VolumeRestrictions", "NodeVolumeLimits",
                  "VolumeBinding", "VolumeZone", "PodTopologySpread", "InterPodAffinity"),
    "filter": ("NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit",
               "VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone", "PodTopologySpread",
               "InterPodAffinity"),
    "postFilter": ("DefaultPreemption",),
    "preScore": ("TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity",
                 "NodeResourcesBalancedAllocation"),
    "score": ("TaintToleration", "NodeAffinity", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity",
              "NodeResourcesBalancedAllocation", "ImageLocality"),
    "reserve": (),
    "bind": ("DefaultBinder",),
}
UPSTREAM_WEIGHTS = {name: weight for name, weight in UPSTREAM_MULTI_POINT if weight}


def known(name: str) -> bool:
    return name in REGISTRY or name == DEFAULT_BINDER


def doc(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": KIND, **fields}


def one(plugins: dict[str, Any] | None = None, plugin_config: list[dict[str, Any]] | None = None,
        **fields: Any) -> dict[str, Any]:
    """A configuration of one profile."""
    profile: dict[str, Any] = dict(fields)
    if plugins is not None:
        profile["plugins"] = plugins
    if plugin_config is not None:
        profile["pluginConfig"] = plugin_config
    return doc(profiles=[profile])


def names(config: SchedulerConfig, point: str, profile: int = 0) -> tuple[str, ...]:
    return config.profiles[profile].plugins(point)


def message(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return str(info.value)


# -- defaults ------------------------------------------------------------------------------------


def test_default_multi_point_is_upstreams_order_and_weights() -> None:
    expected = tuple((n, w) for n, w in UPSTREAM_MULTI_POINT if known(n))
    assert expected == DEFAULT_MULTI_POINT
    assert expected[:-1] == DEFAULT_PLUGINS


@pytest.mark.parametrize("point", sorted(UPSTREAM_POINTS))
def test_default_profile_matches_upstreams_expansion(point: str) -> None:
    config = default_config()
    assert [p.scheduler_name for p in config.profiles] == ["default-scheduler"]
    assert names(config, point) == tuple(n for n in UPSTREAM_POINTS[point] if known(n))
    if point == "score":
        assert dict(config.profiles[0].points["score"]) == {n: UPSTREAM_WEIGHTS[n] for n in names(config, "score")}


def test_default_scalars() -> None:
    config = default_config()
    assert (config.parallelism, config.percentage_of_nodes_to_score, config.pod_initial_backoff_seconds,
            config.pod_max_backoff_seconds) == (16, 0, 1, 10)
    leader = config.leader_election
    assert (leader.leader_elect, leader.lease_duration, leader.renew_deadline, leader.retry_period,
            leader.resource_lock, leader.resource_name, leader.resource_namespace) == (
        True, 15.0, 10.0, 2.0, "leases", "kube-scheduler", "kube-system")
    assert config.profiles[0].percentage_of_nodes_to_score is None
    assert config.percentage_for(config.profiles[0]) == 0
    assert parse_config(doc(profiles=[{}])) == config == parse_config(doc(profiles=[]))


def test_scalars_and_leader_election_parsed() -> None:
    config = parse_config(doc(parallelism=4, percentageOfNodesToScore=30, podInitialBackoffSeconds=2,
                              podMaxBackoffSeconds=20,
                              leaderElection={"leaderElect": False, "leaseDuration": "1m30s", "renewDeadline": "45s",
                                              "retryPeriod": "500ms", "resourceName": "mine",
                                              "resourceNamespace": "sched"},
                              profiles=[{"schedulerName": "a", "percentageOfNodesToScore": 70},
                                        {"schedulerName": "b"}]))
    assert (config.parallelism, config.percentage_of_nodes_to_score, config.pod_initial_backoff_seconds,
            config.pod_max_backoff_seconds) == (4, 30, 2, 20)
    leader = config.leader_election
    assert (leader.leader_elect, leader.lease_duration, leader.renew_deadline, leader.retry_period,
            leader.resource_name, leader.resource_namespace) == (False, 90.0, 45.0, 0.5, "mine", "sched")
    assert [config.percentage_for(p) for p in config.profiles] == [70, 30]


# -- plugin merge and expansion ------------------------------------------------------------------

DEFAULT = default_config()
MERGES = [
    # (what, plugins, point, expected names at that point)
    ("disable at one point only", {"score": {"disabled": [{"name": "TaintToleration"}]}},
     "score", tuple(n for n in names(DEFAULT, "score") if n != "TaintToleration")),
    ("...the plugin stays at its other points", {"score": {"disabled": [{"name": "TaintToleration"}]}},
     "filter", names(DEFAULT, "filter")),
    ("...and at preScore", {"score": {"disabled": [{"name": "TaintToleration"}]}},
     "preScore", names(DEFAULT, "preScore")),
    ("disable all at a point", {"filter": {"disabled": [{"name": "*"}]}}, "filter", ()),
    ("disable all then enable one", {"filter": {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeName"}]}},
     "filter", ("NodeName",)),
    ("explicit entry of a MultiPoint plugin goes first",
     {"filter": {"enabled": [{"name": "NodePorts"}]}},
     "filter", ("NodePorts", *(n for n in names(DEFAULT, "filter") if n != "NodePorts"))),
    ("multiPoint disabled leaves every point", {"multiPoint": {"disabled": [{"name": "NodePorts"}]}},
     "preFilter", tuple(n for n in names(DEFAULT, "preFilter") if n != "NodePorts")),
    ("multiPoint disable all, enable a few",
     {"multiPoint": {"disabled": [{"name": "*"}],
                     "enabled": [{"name": "PrioritySort"}, {"name": "NodeName"}, {"name": DEFAULT_BINDER}]}},
     "filter", ("NodeName",)),
    ("...nothing scores", {"multiPoint": {"disabled": [{"name": "*"}],
                                          "enabled": [{"name": "PrioritySort"}, {"name": DEFAULT_BINDER}]}},
     "score", ()),
    ("disabling an unknown name is harmless", {"filter": {"disabled": [{"name": "VolumeBinding"}]}},
     "filter", names(DEFAULT, "filter")),
    ("queueSort explicit replaces MultiPoint's", {"queueSort": {"enabled": [{"name": "PrioritySort"}]}},
     "queueSort", ("PrioritySort",)),
]


@pytest.mark.parametrize(("plugins", "point", "expected"), [m[1:] for m in MERGES], ids=[m[0] for m in MERGES])
def test_merge_and_expansion(plugins: dict[str, Any], point: str, expected: tuple[str, ...]) -> None:
    assert names(parse_config(one(plugins)), point) == expected


WEIGHTS = [
    ("multiPoint weight replaces the default in place", {"multiPoint": {"enabled": [{"name": "TaintToleration",
                                                                                      "weight": 7}]}},
     (("TaintToleration", 7), ("NodeAffinity", 2), ("NodeResourcesFit", 1), ("PodTopologySpread", 2),
      ("InterPodAffinity", 2), ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1))),
    ("explicit score entry goes first with its weight", {"score": {"enabled": [{"name": "ImageLocality",
                                                                                 "weight": 5}]}},
     (("ImageLocality", 5), ("TaintToleration", 3), ("NodeAffinity", 2), ("NodeResourcesFit", 1),
      ("PodTopologySpread", 2), ("InterPodAffinity", 2), ("NodeResourcesBalancedAllocation", 1))),
    ("weight 0 means 1", {"score": {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeResourcesFit",
                                                                              "weight": 0}]}},
     (("NodeResourcesFit", 1),)),
    ("no weight means 1", {"score": {"disabled": [{"name": "*"}], "enabled": [{"name": "ImageLocality"},
                                                                              {"name": "NodeAffinity",
                                                                               "weight": 100}]}},
     (("ImageLocality", 1), ("NodeAffinity", 100))),
    ("explicit weight wins over multiPoint's", {"multiPoint": {"enabled": [{"name": "NodeAffinity", "weight": 9}]},
                                                "score": {"enabled": [{"name": "NodeAffinity", "weight": 4}]}},
     (("NodeAffinity", 4), ("TaintToleration", 3), ("NodeResourcesFit", 1), ("PodTopologySpread", 2),
      ("InterPodAffinity", 2), ("NodeResourcesBalancedAllocation", 1), ("ImageLocality", 1))),
]


@pytest.mark.parametrize(("plugins", "expected"), [w[1:] for w in WEIGHTS], ids=[w[0] for w in WEIGHTS])
def test_score_weights(plugins: dict[str, Any], expected: tuple[tuple[str, int], ...]) -> None:
    """``expected``: upstream's whole score list; the plugins not registered here drop out."""
    points = parse_config(one(plugins)).profiles[0].points
    assert tuple(points["score"]) == tuple(p for p in expected if p[0] in REGISTRY)
    frameworks = build_frameworks(parse_config(one(plugins)), SchedulerRunOptions(), Handle())
    assert [(p.name, w) for p, w in frameworks["default-scheduler"].profile.score] == list(points["score"])


# -- plugin args ---------------------------------------------------------------------------------


def built(data: dict[str, Any], name: str = "default-scheduler") -> Any:
    return build_frameworks(parse_config(data), SchedulerRunOptions(), Handle())[name].profile


def fit(profile: Any) -> NodeResourcesFit:
    return next(p for p, _ in profile.score if p.name == "NodeResourcesFit")


ARGS = [
    ("MostAllocated", {"scoringStrategy": {"type": "MostAllocated", "resources": [{"name": "cpu", "weight": 2},
                                                                                  {"name": "memory"}]}},
     "MostAllocated", (("cpu", 2), ("memory", 1)), ()),
    ("resources default to cpu and memory", {"scoringStrategy": {"type": "MostAllocated"}},
     "MostAllocated", (("cpu", 1), ("memory", 1)), ()),
    ("no args: LeastAllocated", {}, "LeastAllocated", (("cpu", 1), ("memory", 1)), ()),
    ("RequestedToCapacityRatio shape", {"scoringStrategy": {
        "type": "RequestedToCapacityRatio", "resources": [{"name": "memory", "weight": 3}],
        "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 10}, {"utilization": 100, "score": 0}]}}},
     "RequestedToCapacityRatio", (("memory", 3),), ((0, 100), (100, 0))),
]


@pytest.mark.parametrize(("args", "strategy", "resources", "shape"), [a[1:] for a in ARGS], ids=[a[0] for a in ARGS])
def test_fit_args_reach_the_plugin(args: dict[str, Any], strategy: str, resources: tuple[tuple[str, int], ...],
                                   shape: tuple[tuple[int, int], ...]) -> None:
    profile = built(one(plugin_config=[{"name": "NodeResourcesFit", "args": args}]))
    plugin = fit(profile)
    assert (plugin.scoring_strategy, plugin.resources, plugin._shape) == (strategy, resources, shape)
    # one instance per profile, at every point it serves
    assert [p for p in profile.filter if p.name == "NodeResourcesFit"] == [plugin]
    assert [p for p in profile.pre_filter if p.name == "NodeResourcesFit"] == [plugin]


def test_args_with_kind_and_other_plugins() -> None:
    profile = built(one(plugin_config=[
        {"name": "NodeResourcesFit", "args": {"apiVersion": API_VERSION, "kind": "NodeResourcesFitArgs",
                                              "scoringStrategy": {"type": "MostAllocated"}}},
        {"name": "NodeResourcesBalancedAllocation", "args": {"resources": [{"name": "cpu"},
                                                                           {"name": "ephemeral-storage"}]}},
        {"name": "NodeAffinity", "args": {"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}}},
    ]))
    assert fit(profile).scoring_strategy == "MostAllocated"
    balanced = next(p for p, _ in profile.score if p.name == "NodeResourcesBalancedAllocation")
    assert balanced.resources == (("cpu", 1), ("ephemeral-storage", 1))
    affinity = next(p for p in profile.filter if p.name == "NodeAffinity")
    assert affinity._added_terms == [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]


class Recorder:
    """Stands in for a plugin being written elsewhere: records its constructor's arguments."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def pre_score(self, *args: Any) -> bool:
        return True

    def score(self, *args: Any) -> Any:
        raise AssertionError

    def normalize(self, *args: Any) -> Any:
        raise AssertionError


PENDING_ARGS = [
    ("InterPodAffinity", {"hardPodAffinityWeight": 5, "ignorePreferredTermsOfExistingPods": True},
     {"hard_pod_affinity_weight": 5, "ignore_preferred_terms_of_existing_pods": True}),
    ("PodTopologySpread", {"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]},
     {"defaulting_type": "List",
      "default_constraints": ({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"},)}),
    ("DefaultPreemption", {"minCandidateNodesPercentage": 20, "minCandidateNodesAbsolute": 0},
     {"min_candidate_nodes_percentage": 20, "min_candidate_nodes_absolute": 0}),
    ("InterPodAffinity", {}, {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), PENDING_ARGS)
def test_args_of_other_plugins_become_kwargs(monkeypatch: pytest.MonkeyPatch, name: str, args: dict[str, Any],
                                             kwargs: dict[str, Any]) -> None:
    monkeypatch.setitem(REGISTRY, name, type(name, (Recorder,), {"name": name}))
    profile = built(one({"multiPoint": {"enabled": [{"name": name, "weight": 2}]}},
                        [{"name": name, "args": args}]))
    plugin = next(p for p, _ in profile.score if p.name == name)
    assert plugin.kwargs == kwargs
    assert [p for p in profile.pre_score if p.name == name] == [plugin]


# -- several profiles ----------------------------------------------------------------------------


def test_two_profiles() -> None:
    data = doc(percentageOfNodesToScore=40, profiles=[
        {"schedulerName": "default-scheduler"},
        {"schedulerName": "packer", "percentageOfNodesToScore": 100,
         "plugins": {"score": {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeResourcesFit", "weight": 5}]}},
         "pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}]},
    ])
    config = parse_config(data)
    assert [p.scheduler_name for p in config.profiles] == ["default-scheduler", "packer"]
    assert names(config, "score", 1) == ("NodeResourcesFit",)
    assert names(config, "filter", 1) == names(config, "filter", 0) == names(DEFAULT, "filter")
    frameworks = build_frameworks(config, SchedulerRunOptions(), Handle())
    assert list(frameworks) == ["default-scheduler", "packer"]
    default, packer = (frameworks[n].profile for n in frameworks)
    assert (default.percentage_of_nodes_to_score, packer.percentage_of_nodes_to_score) == (40, 100)
    assert [(p.name, w) for p, w in packer.score] == [("NodeResourcesFit", 5)]
    assert (fit(default).scoring_strategy, fit(packer).scoring_strategy) == ("LeastAllocated", "MostAllocated")
    assert fit(default) is not fit(packer)


def test_flags_override_the_configuration() -> None:
    config = parse_config(doc(percentageOfNodesToScore=40, profiles=[{"schedulerName": "a"},
                                                                     {"schedulerName": "b",
                                                                      "percentageOfNodesToScore": 70}]))
    frameworks = build_frameworks(config, SchedulerRunOptions(percentage_of_nodes_to_score=10, partial_scoring=False),
                                  Handle())
    assert [(f.profile.percentage_of_nodes_to_score, f.profile.partial_scoring) for f in frameworks.values()] == [
        (10, False), (10, False)]


# -- validation ----------------------------------------------------------------------------------

P0 = "profiles[0]"
ARGS0 = f"{P0}.pluginConfig[0].args"


def with_args(name: str, args: Any) -> dict[str, Any]:
    return one(plugin_config=[{"name": name, "args": args}])


def fit_strategy(**strategy: Any) -> dict[str, Any]:
    return with_args("NodeResourcesFit", {"scoringStrategy": strategy})


ERRORS = [
    # top level
    (doc(percentageOfNodesToScore=120), "percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]"),
    (doc(percentageOfNodesToScore=-1), "percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]"),
    (doc(parallelism=0), "parallelism: Invalid value: 0: should be an integer value greater than zero"),
    (doc(podInitialBackoffSeconds=0), "podInitialBackoffSeconds: Invalid value: 0: must be greater than 0"),
    (doc(podInitialBackoffSeconds=5, podMaxBackoffSeconds=4),
     "podMaxBackoffSeconds: Invalid value: 4: must be greater than or equal to PodInitialBackoffSeconds"),
    (doc(podInitialBackoffSeconds=20), "podMaxBackoffSeconds: Invalid value: 10: must be greater than or equal to "
                                       "PodInitialBackoffSeconds"),
    (doc(parallelism=-2, percentageOfNodesToScore=101),
     "[parallelism: Invalid value: -2: should be an integer value greater than zero, "
     "percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]]"),
    (doc(clientConnection={"burst": -1}), "clientConnection.burst: Invalid value: -1: must be non-negative"),
    (doc(extenders=[{"urlPrefix": "http://x"}]),
     'extenders: Invalid value: [{"urlPrefix":"http://x"}]: extenders are not supported'),
    # leader election
    (doc(leaderElection={"resourceLock": "endpoints"}),
     'leaderElection.resourceLock: Invalid value: "endpoints": resourceLock value must be "leases"'),
    (doc(leaderElection={"leaseDuration": "5s"}),
     "leaderElection.leaseDuration: Invalid value: 10s: LeaseDuration must be greater than RenewDeadline"),
    (doc(leaderElection={"retryPeriod": "0s"}), "leaderElection.retryPeriod: Invalid value: 0s: must be greater than "
                                                "zero"),
    (doc(leaderElection={"renewDeadline": "-1.5s"}),
     "leaderElection.renewDeadline: Invalid value: -1.5s: must be greater than zero"),
    # profiles
    (doc(profiles=[{"schedulerName": "x"}, {"schedulerName": "x"}]),
     "profiles[1].schedulerName: Duplicate value: profiles[0].schedulerName"),
    (doc(profiles=[{"schedulerName": "a"}, {}]), "profiles[1].schedulerName: Required value"),
    (one(schedulerName=""), "profiles[0].schedulerName: Required value"),
    (one(percentageOfNodesToScore=101), f"{P0}.percentageOfNodesToScore: Invalid value: 101: not in valid range "
                                        "[0-100]"),
    (one({"score": {"enabled": [{"name": "Nope"}]}}),
     f'{P0}.plugins.score.enabled[0]: Invalid value: "Nope": ScorePlugin "Nope" does not exist'),
    (one({"filter": {"enabled": [{"name": "NodeName"}, {"name": "Nope"}]}}),
     f'{P0}.plugins.filter.enabled[1]: Invalid value: "Nope": FilterPlugin "Nope" does not exist'),
    (one({"score": {"enabled": [{"name": "PrioritySort"}]}}),
     f'{P0}.plugins.score.enabled[0]: Invalid value: "PrioritySort": plugin "PrioritySort" does not extend '
     "ScorePlugin plugin"),
    (one({"multiPoint": {"enabled": [{"name": "Nope"}]}}),
     f'{P0}.plugins.multiPoint.enabled[0]: Invalid value: "Nope": plugin "Nope" does not exist'),
    (one({"filter": {"enabled": [{"name": "EBSLimits"}]}}),
     f'{P0}.plugins.filter.enabled[0]: Invalid value: "EBSLimits": was invalid in version '
     f'"{API_VERSION}" (KubeSchedulerConfiguration is version "{API_VERSION}")'),
    (one({"score": {"enabled": [{"name": "ImageLocality", "weight": 101}]}}),
     f"{P0}.plugins.score.enabled[0].weight: Invalid value: 101: not in valid range [0, 100]"),
    (one({"multiPoint": {"enabled": [{"name": "ImageLocality", "weight": -1}]}}),
     f"{P0}.plugins.multiPoint.enabled[0].weight: Invalid value: -1: not in valid range [0, 100]"),
    (one({"queueSort": {"enabled": [{"name": "PrioritySort"}, {"name": "PrioritySort"}]}}),
     f"{P0}.plugins.queueSort.Enabled: Invalid value: 2: only one queue sort plugin can be enabled"),
    (doc(profiles=[{"schedulerName": "a"}, {"schedulerName": "b", "plugins": {"queueSort": {
        "disabled": [{"name": "*"}], "enabled": [{"name": "PrioritySort"}]}}}]),
     'profiles[1].plugins.queueSort: Invalid value: config.PluginSet{Enabled:[]config.Plugin{config.Plugin{'
     'Name:"PrioritySort", Weight:0}}, Disabled:[]config.Plugin{config.Plugin{Name:"*", Weight:0}}}: '
     "must be the same for all profiles"),
    (doc(profiles=[{"schedulerName": "a", "plugins": {"queueSort": {"enabled": [{"name": "PrioritySort"}]}}},
                   {"schedulerName": "b"}]),
     "profiles[1].plugins.queueSort: Invalid value: config.PluginSet{Enabled:[]config.Plugin(nil), "
     "Disabled:[]config.Plugin(nil)}: must be the same for all profiles"),
    # pluginConfig
    (one(plugin_config=[{"name": "NodeResourcesFit"}, {"name": "NodeResourcesFit"}]),
     f'{P0}.pluginConfig[1]: Duplicate value: "NodeResourcesFit"'),
    (one(plugin_config=[{"name": "Nope", "args": {}}]),
     f'{P0}.pluginConfig[0]: Invalid value: "Nope": plugin "Nope" does not exist'),
    (one(plugin_config=[{"name": "GCEPDLimits"}]),
     f'{P0}.pluginConfig[0]: Invalid value: "GCEPDLimits": was invalid in version "{API_VERSION}" '
     f'(KubeSchedulerConfiguration is version "{API_VERSION}")'),
    (with_args("NodeResourcesFit", {"kind": "NodeAffinityArgs"}),
     f'{ARGS0}: Invalid value: "NodeAffinityArgs": has to match plugin args'),
    (fit_strategy(type="Spread"),
     f'{ARGS0}.scoringStrategy.type: Unsupported value: "Spread": supported values: "LeastAllocated", '
     '"MostAllocated", "RequestedToCapacityRatio"'),
    (fit_strategy(resources=[{"name": "cpu"}]),
     f'{ARGS0}.scoringStrategy.type: Unsupported value: "": supported values: "LeastAllocated", '
     '"MostAllocated", "RequestedToCapacityRatio"'),
    (fit_strategy(type="MostAllocated", resources=[{"name": "cpu", "weight": 101}]),
     f"{ARGS0}.scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of cpu not in valid range "
     "(0, 100]"),
    (fit_strategy(type="RequestedToCapacityRatio"),
     f"{ARGS0}.scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is "
     "RequestedToCapacityRatio"),
    (fit_strategy(type="LeastAllocated", requestedToCapacityRatio={"shape": []}),
     f"{ARGS0}.scoringStrategy.requestedToCapacityRatio: Forbidden: must be nil when type is not "
     "RequestedToCapacityRatio"),
    (fit_strategy(type="RequestedToCapacityRatio", requestedToCapacityRatio={"shape": []}),
     f"{ARGS0}.scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be "
     "specified"),
    (fit_strategy(type="RequestedToCapacityRatio", requestedToCapacityRatio={"shape": [
        {"utilization": 50, "score": 1}, {"utilization": 10, "score": 2}]}),
     f"{ARGS0}.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 10: values must be "
     "sorted in increasing order"),
    (fit_strategy(type="RequestedToCapacityRatio", requestedToCapacityRatio={"shape": [
        {"utilization": 0, "score": 11}, {"utilization": 101, "score": 0}]}),
     f"[{ARGS0}.scoringStrategy.requestedToCapacityRatio.shape[0].score: Invalid value: 11: not in valid range "
     f"[0, 10], {ARGS0}.scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 101: not in "
     "valid range [0, 100]]"),
    (with_args("NodeResourcesFit", {"ignoredResourceGroups": ["example.com/x"]}),
     f"{ARGS0}.ignoredResourceGroups[0]: Invalid value: \"example.com/x\": resource group name can't contain '/'"),
    (with_args("NodeResourcesBalancedAllocation", {"resources": [{"name": "cpu", "weight": 2}]}),
     f"{ARGS0}.resources[0].weight: Invalid value: 2: must be 1"),
    (with_args("NodeResourcesBalancedAllocation", {"resources": [{"name": "cpu"}, {"name": "cpu"}]}),
     f'{ARGS0}.resources[1].name: Duplicate value: "cpu"'),
    # framework construction
    (one({"bind": {"disabled": [{"name": "*"}]}}),
     "creating profile for scheduler name default-scheduler: at least one bind plugin is needed for profile with "
     'scheduler name "default-scheduler"'),
    (one({"queueSort": {"disabled": [{"name": "*"}]}}),
     "creating profile for scheduler name default-scheduler: only one queue sort plugin required for profile with "
     'scheduler name "default-scheduler", but got 0'),
    (one({"multiPoint": {"enabled": [{"name": "NodeName"}, {"name": "NodeName"}]}}),
     'creating profile for scheduler name default-scheduler: plugin "NodeName" already registered as "FilterPlugin"'),
    (one({"filter": {"enabled": [{"name": "NodeName"}, {"name": "NodeName"}]}}),
     'creating profile for scheduler name default-scheduler: plugin "NodeName" already registered as "FilterPlugin"'),
    # decoding
    (doc(schedulerName="x"), 'strict decoding error: unknown field "schedulerName"'),
    (one(foo=1), f'strict decoding error: unknown field "{P0}.foo"'),
    (one({"scores": {}}), f'strict decoding error: unknown field "{P0}.plugins.scores"'),
    (one({"score": {"enabled": [{"name": "ImageLocality", "wieght": 2}]}}),
     f'strict decoding error: unknown field "{P0}.plugins.score.enabled[0].wieght"'),
    (with_args("NodeResourcesFit", {"scoringStrategy": {"type": "MostAllocated", "shape": []}}),
     f'strict decoding error: unknown field "{ARGS0}.scoringStrategy.shape"'),
    (with_args("PrioritySort", {"foo": 1}), f'strict decoding error: unknown field "{ARGS0}.foo"'),
    (doc(leaderElection={"leaseDuraton": "1s"}), 'strict decoding error: unknown field "leaderElection.leaseDuraton"'),
    (doc(parallelism="4"), 'parallelism: Invalid value: "4": must be an integer'),
    (doc(percentageOfNodesToScore=True), "percentageOfNodesToScore: Invalid value: true: must be an integer"),
    (doc(podMaxBackoffSeconds=1.5), "podMaxBackoffSeconds: Invalid value: 1.5: must be an integer"),
    (doc(profiles={"schedulerName": "x"}), 'profiles: Invalid value: {"schedulerName":"x"}: must be a list'),
    (doc(leaderElection={"leaseDuration": 15}),
     'leaderElection.leaseDuration: Invalid value: 15: must be a duration such as "15s"'),
    (doc(leaderElection={"leaderElect": "yes"}), 'leaderElection.leaderElect: Invalid value: "yes": must be a boolean'),
    (one({"score": {"enabled": [{"name": 5}]}}), f"{P0}.plugins.score.enabled[0].name: Invalid value: 5: must be a "
                                                 "string"),
    (one({"score": {"enabled": "ImageLocality"}}),
     f'{P0}.plugins.score.enabled: Invalid value: "ImageLocality": must be a list'),
    (one(plugin_config=[{"name": "NodeResourcesFit", "args": []}]), f"{ARGS0}: Invalid value: []: must be an object"),
    ({"apiVersion": "kubescheduler.config.k8s.io/v1beta3", "kind": KIND},
     'apiVersion: Unsupported value: "kubescheduler.config.k8s.io/v1beta3": supported values: '
     f'"{API_VERSION}"'),
    ({"apiVersion": API_VERSION}, "kind: Required value"),
    ({}, "[apiVersion: Required value, kind: Required value]"),
]


@pytest.mark.parametrize(("data", "expected"), ERRORS, ids=[e[1][:70] for e in ERRORS])
def test_validation_errors(data: dict[str, Any], expected: str) -> None:
    assert message(data) == expected


PENDING_ERRORS = [
    ("InterPodAffinity", {"hardPodAffinityWeight": 101},
     f"{ARGS0}.hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]"),
    ("InterPodAffinity", {"ignorePreferredTermsOfExistingPods": 1},
     f"{ARGS0}.ignorePreferredTermsOfExistingPods: Invalid value: 1: must be a boolean"),
    ("DefaultPreemption", {"minCandidateNodesPercentage": 200},
     f"{ARGS0}.minCandidateNodesPercentage: Invalid value: 200: not in valid range [0, 100]"),
    ("DefaultPreemption", {"minCandidateNodesAbsolute": -1},
     f"{ARGS0}.minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)"),
    ("DefaultPreemption", {"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0},
     f"[{ARGS0}.minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as "
     f"minCandidateNodesAbsolute, {ARGS0}.minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same "
     "time as minCandidateNodesPercentage]"),
    ("PodTopologySpread", {"defaultConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                                                   "whenUnsatisfiable": "DoNotSchedule"}]},
     f'{ARGS0}.defaultingType: Invalid value: "System": when .defaultConstraints are not empty'),
    ("PodTopologySpread", {"defaultingType": "Cluster"},
     f'{ARGS0}.defaultingType: Unsupported value: "Cluster": supported values: "System", "List"'),
    ("PodTopologySpread", {"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 0, "topologyKey": "", "whenUnsatisfiable": "Maybe", "labelSelector": {}}]},
     f"[{ARGS0}.defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf), "
     f"{ARGS0}.defaultConstraints[0].topologyKey: Required value: can not be empty, "
     f'{ARGS0}.defaultConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: '
     f'"DoNotSchedule", "ScheduleAnyway", {ARGS0}.defaultConstraints[0].labelSelector: Forbidden: constraint must '
     "not define a selector, as they deduced for each pod]"),
    ("PodTopologySpread", {"defaultingType": "List", "defaultConstraints": [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"},
        {"maxSkew": 2, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]},
     f'{ARGS0}.defaultConstraints[1]: Duplicate value: "{{zone, DoNotSchedule}}"'),
    ("PodTopologySpread", {"defaultingType": "List", "defaultConstraints": [{"maxSkew": 1, "topologyKey": "zone"}]},
     f"{ARGS0}.defaultConstraints[0].whenUnsatisfiable: Required value: can not be empty"),
]


@pytest.mark.parametrize(("name", "args", "expected"), PENDING_ERRORS, ids=[e[2][40:100] for e in PENDING_ERRORS])
def test_validation_errors_of_other_plugins_args(monkeypatch: pytest.MonkeyPatch, name: str, args: dict[str, Any],
                                                 expected: str) -> None:
    monkeypatch.setitem(REGISTRY, name, type(name, (Recorder,), {"name": name}))
    assert message(with_args(name, args)) == expected


def test_leader_election_off_skips_its_checks() -> None:
    config = parse_config(doc(leaderElection={"leaderElect": False, "leaseDuration": "0s", "resourceLock": "x"}))
    assert config.leader_election.lease_duration == 0.0


@pytest.mark.parametrize(("nanos", "text"), [
    (0, "0s"), (10 * 10**9, "10s"), (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"), (-1_500_000_000, "-1.5s"),
    (500_000_000, "500ms"), (1_500, "1.5µs"), (7, "7ns"),
])
def test_go_duration_text(nanos: int, text: str) -> None:
    assert _format_duration(nanos) == text


@pytest.mark.parametrize(("text", "seconds"), [("1h", 3600.0), ("1.5m", 90.0), ("250ms", 0.25), ("0", 0.0),
                                               ("1m0.5s", 60.5)])
def test_go_duration_parsed(text: str, seconds: float) -> None:
    config = parse_config(doc(leaderElection={"leaderElect": False, "retryPeriod": text}))
    assert config.leader_election.retry_period == seconds


# -- files ---------------------------------------------------------------------------------------

FILE = {
    "apiVersion": API_VERSION, "kind": KIND, "percentageOfNodesToScore": 50, "podInitialBackoffSeconds": 2,
    "podMaxBackoffSeconds": 30,
    "profiles": [
        {"schedulerName": "default-scheduler"},
        {"schedulerName": "bin-packer",
         "plugins": {"score": {"disabled": [{"name": "NodeResourcesBalancedAllocation"}],
                               "enabled": [{"name": "NodeResourcesFit", "weight": 10}]},
                     "filter": {"disabled": [{"name": "NodePorts"}]}},
         "pluginConfig": [{"name": "NodeResourcesFit",
                           "args": {"scoringStrategy": {"type": "MostAllocated",
                                                        "resources": [{"name": "cpu", "weight": 1},
                                                                      {"name": "memory", "weight": 1}]}}}]},
    ],
}


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_load_config_end_to_end(tmp_path: Any, suffix: str) -> None:
    path = tmp_path / f"config.{suffix}"
    path.write_text(yaml.safe_dump(FILE) if suffix == "yaml" else json.dumps(FILE))
    config = load_config(path)
    frameworks = build_frameworks(config, SchedulerRunOptions(config=str(path)), Handle())
    assert list(frameworks) == ["default-scheduler", "bin-packer"]
    default = frameworks["default-scheduler"].profile
    packer = frameworks["bin-packer"].profile
    assert default.queue_sort.name == packer.queue_sort.name == "PrioritySort"
    assert [p.name for p in default.filter] == list(names(DEFAULT, "filter"))
    assert [p.name for p in packer.filter] == [n for n in names(DEFAULT, "filter") if n != "NodePorts"]
    assert [p.name for p in packer.pre_filter] == list(names(DEFAULT, "preFilter"))  # NodePorts stays at PreFilter
    expected_packer = [("NodeResourcesFit", 10)] + [
        (n, w) for n, w in DEFAULT.profiles[0].points["score"]
        if n not in ("NodeResourcesFit", "NodeResourcesBalancedAllocation")]
    assert [(p.name, w) for p, w in packer.score] == expected_packer
    assert [(p.name, w) for p, w in default.score] == list(DEFAULT.profiles[0].points["score"])
    assert (fit(default).scoring_strategy, fit(packer).scoring_strategy) == ("LeastAllocated", "MostAllocated")
    assert default.percentage_of_nodes_to_score == packer.percentage_of_nodes_to_score == 50
    assert [p.name for p in packer.pre_score] == list(names(DEFAULT, "preScore"))


async def test_make_scheduler_uses_the_file(tmp_path: Any) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(FILE))
    client = Client(ClientOptions(endpoints=("http://127.0.0.1:9",)))
    scheduler = make_scheduler(client, SchedulerRunOptions(servers=("http://127.0.0.1:9",), config=str(path)))
    assert list(scheduler.frameworks) == ["default-scheduler", "bin-packer"]
    assert (scheduler.queue.initial_backoff, scheduler.queue.max_backoff) == (2.0, 30.0)
    plain = make_scheduler(client, SchedulerRunOptions(servers=("http://127.0.0.1:9",)))
    assert list(plain.frameworks) == ["default-scheduler"]
    assert [(p.name, w) for p, w in plain.frameworks["default-scheduler"].profile.score] == list(
        DEFAULT.profiles[0].points["score"])


@pytest.mark.parametrize(("content", "expected"), [
    ("profiles: [\n", "failed to parse scheduler config file {path}: "),
    ("- a\n- b\n", "a KubeSchedulerConfiguration object is needed, got [\"a\",\"b\"]"),
    ("", "a KubeSchedulerConfiguration object is needed, got null"),
])
def test_bad_files(tmp_path: Any, content: str, expected: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(expected.format(path=path))


def test_missing_file(tmp_path: Any) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"failed to read scheduler config file {path}: No such file or directory"


# -- build_profile -------------------------------------------------------------------------------


def test_build_profile_keeps_its_old_call() -> None:
    profile = build_profile(percentage_of_nodes_to_score=30, partial_scoring=False)
    assert profile.scheduler_name == "default-scheduler"
    assert [(p.name, w) for p, w in profile.score] == [(n, w) for n, w in DEFAULT_PLUGINS if w]
    assert [p.name for p in profile.filter] == list(names(DEFAULT, "filter"))
    assert (profile.percentage_of_nodes_to_score, profile.partial_scoring) == (30, False)
    named = build_profile(scheduler_name="x", plugins=(("PrioritySort", 0), ("ImageLocality", 4)))
    assert ([p.name for p in named.filter], [(p.name, w) for p, w in named.score]) == ([], [("ImageLocality", 4)])


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"plugins": (("ImageLocality", 1),)},
     'only one queue sort plugin required for profile with scheduler name "default-scheduler", but got 0'),
    ({"plugins": (("PrioritySort", 0), ("Nope", 1))}, 'PreFilterPlugin "Nope" does not exist'),
    ({"args": {"NodeResourcesFit": {"scoring_strategy": "Spread"}}},
     'initializing plugin "NodeResourcesFit": scoring strategy Spread is not supported'),
    ({"points": {"queueSort": (("PrioritySort", 0),), "preBind": (("ImageLocality", 0),)}},
     'profile "default-scheduler": the preBind extension point is not supported'),
])
def test_build_profile_errors(kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_profile(**kwargs)
    assert str(info.value) == expected


def test_build_profile_makes_each_plugin_once() -> None:
    made: list[str] = []
    original = REGISTRY["NodeResourcesFit"]

    def counting(**kwargs: Any) -> Any:
        made.append("NodeResourcesFit")
        return original(**kwargs)

    points = copy.deepcopy(dict(DEFAULT.profiles[0].points))
    registry = dict(REGISTRY, NodeResourcesFit=counting)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("myriad.scheduler.profiles.REGISTRY", registry)
        profile = build_profile(points=points)
    assert made == ["NodeResourcesFit"]
    assert fit(profile) in profile.filter and fit(profile) in profile.pre_filter and fit(profile) in profile.pre_score
