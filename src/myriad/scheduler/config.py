"""``KubeSchedulerConfiguration`` (``kubescheduler.config.k8s.io/v1``) from a YAML or JSON file.

As upstream, in three stages:

1. **Decoding**, strict (the readers of :mod:`.configfields`): an unknown field (``strict
   decoding error: unknown field "<path>"``) or a value of the wrong type fails at once.
2. **Defaulting and validation** (``pkg/scheduler/apis/config/v1/defaults.go``,
   ``validation/validation.go``; plugin args: :mod:`.configargs`): every error is collected
   and they are reported together, rendered as upstream's ``field.Error`` (:mod:`.configfields`:
   ``<path>: Invalid value: <v>: <detail>``; several as ``[e1, e2]``). Each profile's plugins
   are merged into the default MultiPoint list as ``mergePluginSet`` does: disabled names
   (``"*"``: all) leave it, an enabled name already there replaces it in place (its weight
   too), other enabled names are appended; the per-point sets, which have no defaults, are
   the user's.
3. **Framework construction** (``expandMultiPointPlugins``): the per-point plugin lists; its
   errors read ``creating profile for scheduler name <name>: <upstream's text>``.

Myriad's additions to upstream's validation: an enabled plugin that is not registered, or
does not implement the point it is enabled at, is reported at its path
(``profiles[0].plugins.score.enabled[0]: Invalid value: "Nope": ScorePlugin "Nope" does not
exist``), as is a pluginConfig for an unknown plugin; score and MultiPoint weights must be in
[0, 100] (0: the default, 1); non-empty ``extenders`` are refused; plugin args are validated
with the rest (:mod:`.configargs`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from myriad.scheduler.configargs import _plugin_args
from myriad.scheduler.configfields import (
    _SECOND,
    API_VERSION,
    _aggregate,
    _bool,
    _duplicate,
    _duration,
    _FieldError,
    _format_duration,
    _int,
    _invalid,
    _list,
    _number,
    _object,
    _render,
    _required,
    _str,
    _Text,
    _unsupported,
)
from myriad.scheduler.errors import ConfigError
from myriad.scheduler.profiles import (
    DEFAULT_BINDER,
    DEFAULT_PLUGINS,
    EXTENSION_POINTS,
    expand_points,
    go_quote,
    implements,
    plugin_class,
)

KIND = "KubeSchedulerConfiguration"
DEFAULT_SCHEDULER_NAME = "default-scheduler"
MULTI_POINT = "multiPoint"
#: Plugins upstream refuses in v1 (``invalidPluginsByVersion``).
INVALID_PLUGINS = ("AzureDiskLimits", "CinderLimits", "EBSLimits", "GCEPDLimits")
MAX_WEIGHT = 100
#: Upstream's default MultiPoint list as far as it is implemented here.
DEFAULT_MULTI_POINT: tuple[tuple[str, int], ...] = (*DEFAULT_PLUGINS, (DEFAULT_BINDER, 0))


# -- the configuration ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LeaderElection:
    leader_elect: bool = True
    #: Seconds.
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    resource_lock: str = "leases"
    resource_name: str = "kube-scheduler"
    resource_namespace: str = "kube-system"


@dataclass(frozen=True, kw_only=True)
class ClientConnection:
    kubeconfig: str = ""
    accept_content_types: str = ""
    content_type: str = "application/vnd.kubernetes.protobuf"
    qps: float = 50.0
    burst: int = 100


@dataclass(frozen=True, kw_only=True)
class ProfileConfig:
    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    #: None: the configuration's.
    percentage_of_nodes_to_score: int | None = None
    #: extension point -> ((plugin, weight), ...) in order, defaults merged and MultiPoint
    #: expanded; weights are the score weights (0 at other points).
    points: Mapping[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    #: plugin -> its constructor's keyword arguments (plugins with a pluginConfig entry).
    plugin_args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def plugins(self, point: str) -> tuple[str, ...]:
        return tuple(name for name, _ in self.points.get(point, ()))


@dataclass(frozen=True, kw_only=True)
class SchedulerConfig:
    #: Accepted, not used (cycles are not parallel here).
    parallelism: int = 16
    #: 0: adaptive.
    percentage_of_nodes_to_score: int = 0
    pod_initial_backoff_seconds: int = 1
    pod_max_backoff_seconds: int = 10
    leader_election: LeaderElection = field(default_factory=LeaderElection)
    client_connection: ClientConnection = field(default_factory=ClientConnection)
    enable_profiling: bool = True
    enable_contention_profiling: bool = True
    delay_cache_until_active: bool = False
    profiles: tuple[ProfileConfig, ...] = ()

    def percentage_for(self, profile: ProfileConfig) -> int:
        """The profile's percentageOfNodesToScore, else the configuration's."""
        if profile.percentage_of_nodes_to_score is not None:
            return profile.percentage_of_nodes_to_score
        return self.percentage_of_nodes_to_score


def load_config(path: str | os.PathLike[str]) -> SchedulerConfig:
    """The configuration in the YAML or JSON file ``path``; raises :class:`ConfigError`."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"failed to read scheduler config file {os.fspath(path)}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if os.fspath(path).endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"failed to parse scheduler config file {os.fspath(path)}: {exc}") from exc
    return parse_config(data)


def default_config() -> SchedulerConfig:
    """What an empty configuration defaults to: one profile, default-scheduler, upstream's plugins."""
    return parse_config({"apiVersion": API_VERSION, "kind": KIND})



# -- the configuration, decoded, defaulted and validated ----------------------------------------

_TOP_FIELDS = ("apiVersion", "kind", "parallelism", "leaderElection", "clientConnection", "enableProfiling",
               "enableContentionProfiling", "percentageOfNodesToScore", "podInitialBackoffSeconds",
               "podMaxBackoffSeconds", "profiles", "extenders", "delayCacheUntilActive")
_LEADER_FIELDS = ("leaderElect", "leaseDuration", "renewDeadline", "retryPeriod", "resourceLock", "resourceName",
                  "resourceNamespace")
_CLIENT_FIELDS = ("kubeconfig", "acceptContentTypes", "contentType", "qps", "burst")
_PROFILE_FIELDS = ("schedulerName", "percentageOfNodesToScore", "plugins", "pluginConfig")
_PLUGIN_SETS = (*EXTENSION_POINTS, MULTI_POINT)


@dataclass
class _PluginSet:
    #: (name, weight or 0)
    enabled: list[tuple[str, int]] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


@dataclass
class _Profile:
    path: str
    name: str | None
    percentage: int | None
    plugins: dict[str, _PluginSet]
    #: (name, args or None)
    plugin_config: list[tuple[str, Any]]


def parse_config(data: Any) -> SchedulerConfig:
    """The configuration in ``data`` (a decoded YAML or JSON document); raises :class:`ConfigError`."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a {KIND} object is needed, got {_render(data)}")
    top = _object(data, "", _TOP_FIELDS)
    errors: list[_FieldError] = []
    api_version = _str(top.get("apiVersion"), "apiVersion")
    kind = _str(top.get("kind"), "kind")
    for path, value, wanted in (("apiVersion", api_version, API_VERSION), ("kind", kind, KIND)):
        if not value:
            errors.append(_required(path))
        elif value != wanted:
            errors.append(_unsupported(path, value, (wanted,)))
    if errors:
        raise ConfigError(_aggregate(errors))

    parallelism = _int(top.get("parallelism"), "parallelism")
    percentage = _int(top.get("percentageOfNodesToScore"), "percentageOfNodesToScore")
    initial = _int(top.get("podInitialBackoffSeconds"), "podInitialBackoffSeconds")
    maximum = _int(top.get("podMaxBackoffSeconds"), "podMaxBackoffSeconds")
    profiling = _bool(top.get("enableProfiling"), "enableProfiling")
    contention = _bool(top.get("enableContentionProfiling"), "enableContentionProfiling")
    delay = _bool(top.get("delayCacheUntilActive"), "delayCacheUntilActive")
    leader, leader_nanos = _leader_election(top.get("leaderElection"))
    client = _client_connection(top.get("clientConnection"))
    extenders = _list(top.get("extenders"), "extenders")
    profiles = [_profile(raw, f"profiles[{i}]") for i, raw in enumerate(_list(top.get("profiles"), "profiles"))]

    # defaults
    parallelism = 16 if parallelism is None else parallelism
    percentage = 0 if percentage is None else percentage
    initial = 1 if initial is None else initial
    maximum = 10 if maximum is None else maximum
    if not profiles:
        profiles = [_Profile("profiles[0]", None, None, {}, [])]
    if len(profiles) == 1 and profiles[0].name is None:
        profiles[0].name = DEFAULT_SCHEDULER_NAME

    # validation
    if client.burst < 0:
        errors.append(_invalid("clientConnection.burst", client.burst, "must be non-negative"))
    errors += _validate_leader_election(leader, leader_nanos)
    if parallelism <= 0:
        errors.append(_invalid("parallelism", parallelism, "should be an integer value greater than zero"))
    args: list[dict[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for i, profile in enumerate(profiles):
        profile_args, profile_errors = _validate_profile(profile)
        args.append(profile_args)
        errors += profile_errors
        name = profile.name or ""
        if name in seen:
            errors.append(_duplicate(f"{profile.path}.schedulerName", _Text(f"profiles[{seen[name]}].schedulerName")))
        seen[name] = i
    errors += _validate_common_queue_sort(profiles)
    if not 0 <= percentage <= 100:
        errors.append(_invalid("percentageOfNodesToScore", percentage, "not in valid range [0-100]"))
    if initial <= 0:
        errors.append(_invalid("podInitialBackoffSeconds", initial, "must be greater than 0"))
    if maximum < initial:
        errors.append(_invalid("podMaxBackoffSeconds", maximum,
                               "must be greater than or equal to PodInitialBackoffSeconds"))
    if extenders:
        errors.append(_invalid("extenders", extenders, "extenders are not supported"))
    if errors:
        raise ConfigError(_aggregate(errors))

    built = tuple(ProfileConfig(scheduler_name=profile.name or "", percentage_of_nodes_to_score=profile.percentage,
                                points=_framework_points(profile), plugin_args=profile_args)
                  for profile, profile_args in zip(profiles, args, strict=True))
    return SchedulerConfig(
        parallelism=parallelism, percentage_of_nodes_to_score=percentage, pod_initial_backoff_seconds=initial,
        pod_max_backoff_seconds=maximum, leader_election=leader, client_connection=client,
        enable_profiling=True if profiling is None else profiling,
        enable_contention_profiling=(profiling is not False) if contention is None else contention,
        delay_cache_until_active=bool(delay), profiles=built)


def _leader_election(raw: Any) -> tuple[LeaderElection, tuple[int, int, int]]:
    path = "leaderElection"
    value = _object(raw, path, _LEADER_FIELDS)
    elect = _bool(value.get("leaderElect"), f"{path}.leaderElect")
    nanos = []
    for key, default in (("leaseDuration", 15), ("renewDeadline", 10), ("retryPeriod", 2)):
        given = _duration(value.get(key), f"{path}.{key}")
        nanos.append(default * _SECOND if given is None else given)
    strings = {key: _str(value.get(key), f"{path}.{key}") or default
               for key, default in (("resourceLock", "leases"), ("resourceName", "kube-scheduler"),
                                    ("resourceNamespace", "kube-system"))}
    lease, renew, retry = nanos
    return LeaderElection(
        leader_elect=True if elect is None else elect, lease_duration=lease / _SECOND, renew_deadline=renew / _SECOND,
        retry_period=retry / _SECOND, resource_lock=strings["resourceLock"], resource_name=strings["resourceName"],
        resource_namespace=strings["resourceNamespace"]), (lease, renew, retry)


def _validate_leader_election(leader: LeaderElection, nanos: tuple[int, int, int]) -> list[_FieldError]:
    if not leader.leader_elect:
        return []
    errors = []
    lease, renew, retry = nanos
    for key, value in (("leaseDuration", lease), ("renewDeadline", renew), ("retryPeriod", retry)):
        if value <= 0:
            errors.append(_invalid(f"leaderElection.{key}", _Text(_format_duration(value)),
                                   "must be greater than zero"))
    if lease < renew:
        errors.append(_invalid("leaderElection.leaseDuration", _Text(_format_duration(renew)),
                               "LeaseDuration must be greater than RenewDeadline"))
    if leader.resource_lock != "leases":
        errors.append(_invalid("leaderElection.resourceLock", leader.resource_lock,
                               'resourceLock value must be "leases"'))
    return errors


def _client_connection(raw: Any) -> ClientConnection:
    path = "clientConnection"
    value = _object(raw, path, _CLIENT_FIELDS)
    qps = _number(value.get("qps"), f"{path}.qps")
    burst = _int(value.get("burst"), f"{path}.burst")
    return ClientConnection(
        kubeconfig=_str(value.get("kubeconfig"), f"{path}.kubeconfig") or "",
        accept_content_types=_str(value.get("acceptContentTypes"), f"{path}.acceptContentTypes") or "",
        content_type=_str(value.get("contentType"), f"{path}.contentType") or "application/vnd.kubernetes.protobuf",
        qps=qps or 50.0, burst=burst or 100)


def _profile(raw: Any, path: str) -> _Profile:
    if raw is None:
        raw = {}
    value = _object(raw, path, _PROFILE_FIELDS)
    plugins: dict[str, _PluginSet] = {}
    plugins_path = f"{path}.plugins"
    for point, sets in _object(value.get("plugins"), plugins_path, _PLUGIN_SETS).items():
        set_path = f"{plugins_path}.{point}"
        decoded = plugins[point] = _PluginSet()
        sets = _object(sets, set_path, ("enabled", "disabled"))
        for key in ("enabled", "disabled"):
            for j, entry in enumerate(_list(sets.get(key), f"{set_path}.{key}")):
                entry_path = f"{set_path}.{key}[{j}]"
                plugin = _object(entry, entry_path, ("name", "weight"))
                name = _str(plugin.get("name"), f"{entry_path}.name") or ""
                weight = _int(plugin.get("weight"), f"{entry_path}.weight") or 0
                if key == "enabled":
                    decoded.enabled.append((name, weight))
                else:
                    decoded.disabled.append(name)
    plugin_config = []
    for j, entry in enumerate(_list(value.get("pluginConfig"), f"{path}.pluginConfig")):
        entry_path = f"{path}.pluginConfig[{j}]"
        config = _object(entry, entry_path, ("name", "args"))
        plugin_config.append((_str(config.get("name"), f"{entry_path}.name") or "", config.get("args")))
    return _Profile(path, _str(value.get("schedulerName"), f"{path}.schedulerName"),
                    _int(value.get("percentageOfNodesToScore"), f"{path}.percentageOfNodesToScore"),
                    plugins, plugin_config)


def _invalid_in_v1(path: str, name: str) -> _FieldError:
    return _invalid(path, name, f"was invalid in version {go_quote(API_VERSION)} "
                                f"(KubeSchedulerConfiguration is version {go_quote(API_VERSION)})")


def _validate_profile(profile: _Profile) -> tuple[dict[str, dict[str, Any]], list[_FieldError]]:
    """Upstream's validateKubeSchedulerProfile, then myriad's checks of plugin names and
    weights; answers the plugins' constructor arguments too."""
    path = profile.path
    errors: list[_FieldError] = []
    if not profile.name:
        errors.append(_required(f"{path}.schedulerName"))
    if profile.percentage is not None and not 0 <= profile.percentage <= 100:
        errors.append(_invalid(f"{path}.percentageOfNodesToScore", profile.percentage, "not in valid range [0-100]"))
    for point in EXTENSION_POINTS:
        for j, (name, _) in enumerate(profile.plugins.get(point, _PluginSet()).enabled):
            if name in INVALID_PLUGINS:
                errors.append(_invalid_in_v1(f"{path}.plugins.{point}.enabled[{j}]", name))
    args: dict[str, dict[str, Any]] = {}
    for j, (name, raw) in enumerate(profile.plugin_config):
        entry_path = f"{path}.pluginConfig[{j}]"
        if name in args:
            errors.append(_duplicate(entry_path, name))
        if name in INVALID_PLUGINS:
            errors.append(_invalid_in_v1(entry_path, name))
            continue
        if plugin_class(name) is None:
            errors.append(_invalid(entry_path, name, f"plugin {go_quote(name)} does not exist"))
            continue
        args[name] = _plugin_args(name, raw, f"{entry_path}.args", errors)
    for point in _PLUGIN_SETS:
        set_path = f"{path}.plugins.{point}"
        for j, (name, weight) in enumerate(profile.plugins.get(point, _PluginSet()).enabled):
            entry_path = f"{set_path}.enabled[{j}]"
            if name in INVALID_PLUGINS and point != MULTI_POINT:
                continue
            if point == MULTI_POINT:
                if plugin_class(name) is None:
                    errors.append(_invalid(entry_path, name, f"plugin {go_quote(name)} does not exist"))
            else:
                kind = EXTENSION_POINTS[point][1]
                if plugin_class(name) is None:
                    errors.append(_invalid(entry_path, name, f"{kind} {go_quote(name)} does not exist"))
                elif not implements(name, point):
                    errors.append(_invalid(entry_path, name, f"plugin {go_quote(name)} does not extend {kind} plugin"))
            if point in ("score", MULTI_POINT) and not 0 <= weight <= MAX_WEIGHT:
                errors.append(_invalid(f"{entry_path}.weight", weight, f"not in valid range [0, {MAX_WEIGHT}]"))
    return args, errors


def _go_plugin_set(plugins: _PluginSet | None) -> _Text:
    """Go's %#v of the merged config.PluginSet (what upstream prints for a queueSort mismatch)."""
    enabled = plugins.enabled if plugins else []
    disabled = plugins.disabled if plugins else []

    def plugin_list(entries: Sequence[tuple[str, int]]) -> str:
        if not entries:
            return "[]config.Plugin(nil)"
        return "[]config.Plugin{" + ", ".join(f"config.Plugin{{Name:{go_quote(n)}, Weight:{w}}}"
                                              for n, w in entries) + "}"

    return _Text(f"config.PluginSet{{Enabled:{plugin_list(enabled)}, "
                 f"Disabled:{plugin_list([(n, 0) for n in disabled])}}}")


def _validate_common_queue_sort(profiles: Sequence[_Profile]) -> list[_FieldError]:
    """Upstream's validateCommonQueueSort: every profile's queueSort set is profile 0's."""
    errors = []
    first = profiles[0].plugins.get("queueSort")
    if first is not None and len(first.enabled) > 1:
        errors.append(_invalid("profiles[0].plugins.queueSort.Enabled", len(first.enabled),
                               "only one queue sort plugin can be enabled"))

    def canonical(plugins: _PluginSet | None) -> tuple[Any, ...]:
        return (tuple(plugins.enabled), tuple(plugins.disabled)) if plugins else ((), ())

    for i, profile in enumerate(profiles[1:], start=1):
        current = profile.plugins.get("queueSort")
        if canonical(current) != canonical(first):
            errors.append(_invalid(f"profiles[{i}].plugins.queueSort", _go_plugin_set(current),
                                   "must be the same for all profiles"))
    return errors


def _merge(defaults: Sequence[tuple[str, int]], custom: _PluginSet | None) -> _PluginSet:
    """Upstream's mergePluginSet."""
    if custom is None:
        return _PluginSet(list(defaults), [])
    off = set(custom.disabled)
    custom_index = {name: i for i, (name, _) in enumerate(custom.enabled)}
    replaced: set[int] = set()
    enabled: list[tuple[str, int]] = []
    if "*" not in off:
        for name, weight in defaults:
            if name in off:
                continue
            if name in custom_index:
                replaced.add(custom_index[name])
                name, weight = custom.enabled[custom_index[name]]
            enabled.append((name, weight))
    enabled += [entry for i, entry in enumerate(custom.enabled) if i not in replaced]
    return _PluginSet(enabled, list(custom.disabled))


def _framework_points(profile: _Profile) -> dict[str, tuple[tuple[str, int], ...]]:
    multi = _merge(DEFAULT_MULTI_POINT, profile.plugins.get(MULTI_POINT))
    merged = {point: _merge((), profile.plugins.get(point)) for point in EXTENSION_POINTS}
    prefix = f"creating profile for scheduler name {profile.name}: "
    try:
        points = expand_points(multi.enabled, {p: s.enabled for p, s in merged.items()},
                               {p: s.disabled for p, s in merged.items()})
    except ConfigError as exc:
        raise ConfigError(prefix + str(exc)) from exc
    if len(points["queueSort"]) != 1:
        raise ConfigError(prefix + f"only one queue sort plugin required for profile with scheduler name "
                                   f"{go_quote(profile.name or '')}, but got {len(points['queueSort'])}")
    if not points["bind"]:
        raise ConfigError(prefix + f"at least one bind plugin is needed for profile with scheduler name "
                                   f"{go_quote(profile.name or '')}")
    return points
