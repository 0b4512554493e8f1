"""Pod profiles: how a hollow node's pods behave, declared in a YAML file (``--profiles``).

A pod's profile is the one its ``myriad.dev/profile`` annotation names, else the first whose
label selector matches it, else the default. The file::

    default:                      # optional: changes the built-in default's fields
      completeAfter: 1s           # run-to-completion pods (restartPolicy Never/OnFailure) succeed
    profiles:
      - name: web
        selector: {matchLabels: {app: web}}
        startup: {median: 500ms, p99: 2s}    # or a fixed duration: "startup: 1s"
        readiness: {delay: 5s}               # or "never", or {flapEvery: 20s}
      - name: crashy
        exit: {after: 3s, code: 1}           # then restartPolicy decides: Always crash-loops
      - name: oom
        exit: {after: 3s, reason: OOMKilled} # exit code 137
      - name: bad-image
        imagePull: fail                      # ErrImagePull, then ImagePullBackOff

Durations are Go's (``1m30s``, ``500ms``) or numbers of seconds. Every error names its field
(``profiles[2].startup.p99: ...``) and is a :class:`ProfileError`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import yaml

from myriad.api import durations
from myriad.api.selectors import LabelSelector, SelectorError, selector_from_object

PROFILE_ANNOTATION = "myriad.dev/profile"
_Z99 = 2.3263478740408408  # the standard normal's 99th percentile


class ProfileError(ValueError):
    """A profiles file that cannot be used; the message names the field."""


@dataclass(frozen=True, slots=True)
class Latency:
    """A duration: fixed (``p99 == median``), or log-normal with that median and p99."""

    median: float = 0.0
    p99: float = 0.0

    def sample(self, rng: random.Random) -> float:
        if self.p99 <= self.median or self.median <= 0:
            return self.median
        return self.median * math.exp(rng.gauss(0.0, math.log(self.p99 / self.median) / _Z99))


@dataclass(frozen=True, slots=True)
class Exit:
    """Each container exits this long after it starts, with this code and reason."""

    after: Latency
    code: int = 0
    reason: str = "Completed"


@dataclass(frozen=True, slots=True)
class Readiness:
    mode: Literal["ready", "never", "flapping"] = "ready"
    #: Ready this long after the container starts (``ready``), or flipping every this long (``flapping``).
    delay: float = 0.0
    period: float = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    name: str
    #: None: chosen only by the annotation.
    selector: LabelSelector | None = None
    #: From admission to the containers running (image pull and creation included).
    startup: Latency = Latency()
    #: None: run-to-completion pods exit 0 after ``complete_after``; other pods run until deleted.
    exit: Exit | None = None
    complete_after: float = 1.0
    readiness: Readiness = Readiness()
    image_pull: Literal["ok", "fail"] = "ok"

    def exit_for(self, restart_policy: str) -> Exit | None:
        """How a container of a pod with ``restart_policy`` ends, if it does on its own."""
        if self.exit is not None:
            return self.exit
        if restart_policy in ("Never", "OnFailure"):
            return Exit(Latency(self.complete_after, self.complete_after))
        return None


DEFAULT = Profile(name="default")


@dataclass(frozen=True, slots=True)
class Profiles:
    profiles: tuple[Profile, ...] = ()
    default: Profile = DEFAULT
    _by_name: dict[str, Profile] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({p.name: p for p in self.profiles})

    def choose(self, pod: Mapping[str, Any]) -> Profile:
        metadata = pod.get("metadata") or {}
        named = (metadata.get("annotations") or {}).get(PROFILE_ANNOTATION)
        if named is not None and named in self._by_name:
            return self._by_name[named]
        labels = metadata.get("labels") or {}
        for profile in self.profiles:
            if profile.selector is not None and profile.selector.matches(labels):
                return profile
        return self.default


def load(path: str) -> Profiles:
    """The profiles in the YAML file at ``path``; raises ProfileError naming the field."""
    try:
        with open(path, encoding="utf-8") as f:
            document = yaml.safe_load(f)
    except OSError as e:
        raise ProfileError(f"{path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ProfileError(f"{path}: not YAML: {e}") from e
    return parse(document)


def parse(document: Any) -> Profiles:
    """Profiles from a decoded document (see the module's docstring)."""
    if document is None:
        return Profiles()
    _object(document, "", {"default", "profiles"})
    default = _profile(document.get("default") or {}, "default", DEFAULT, named=False)
    entries = document.get("profiles")
    entries = [] if entries is None else entries
    if not isinstance(entries, list):
        raise ProfileError("profiles: must be a list")
    profiles, seen = [], set()
    for i, entry in enumerate(entries):
        profile = _profile(entry, f"profiles[{i}]", replace(default, name=""), named=True)
        if profile.name in seen:
            raise ProfileError(f'profiles[{i}].name: "{profile.name}" is used twice')
        seen.add(profile.name)
        profiles.append(profile)
    return Profiles(tuple(profiles), default)


_PROFILE_KEYS = {"name", "selector", "startup", "exit", "completeAfter", "readiness", "imagePull"}


def _profile(entry: Any, where: str, base: Profile, *, named: bool) -> Profile:
    _object(entry, where, _PROFILE_KEYS if named else _PROFILE_KEYS - {"name", "selector"})
    changes: dict[str, Any] = {}
    if named:
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ProfileError(f"{where}.name: required, a non-empty string")
        changes["name"] = name
        if "selector" in entry:
            try:
                changes["selector"] = selector_from_object(entry["selector"])
            except SelectorError as e:
                raise ProfileError(f"{where}.selector: {e}") from e
    if "startup" in entry:
        changes["startup"] = _latency(entry["startup"], f"{where}.startup")
    if "completeAfter" in entry:
        changes["complete_after"] = _duration(entry["completeAfter"], f"{where}.completeAfter")
    if "exit" in entry:
        changes["exit"] = _exit(entry["exit"], f"{where}.exit")
    if "readiness" in entry:
        changes["readiness"] = _readiness(entry["readiness"], f"{where}.readiness")
    if "imagePull" in entry:
        if entry["imagePull"] not in ("ok", "fail"):
            raise ProfileError(f'{where}.imagePull: must be "ok" or "fail"')
        changes["image_pull"] = entry["imagePull"]
    return replace(base, **changes)


def _exit(value: Any, where: str) -> Exit:
    _object(value, where, {"after", "code", "reason"})
    if "after" not in value:
        raise ProfileError(f"{where}.after: required")
    reason = value.get("reason")
    if reason not in (None, "Completed", "Error", "OOMKilled"):
        raise ProfileError(f'{where}.reason: must be "Completed", "Error" or "OOMKilled"')
    code = value.get("code", 137 if reason == "OOMKilled" else 0)
    if not isinstance(code, int) or isinstance(code, bool) or not 0 <= code <= 255:
        raise ProfileError(f"{where}.code: must be an integer from 0 to 255")
    if reason is None:
        reason = "Completed" if code == 0 else "Error"
    elif (reason == "Completed") != (code == 0):
        raise ProfileError(f'{where}.code: reason "{reason}" does not go with exit code {code}')
    return Exit(_latency(value["after"], f"{where}.after"), code, reason)


def _readiness(value: Any, where: str) -> Readiness:
    if value == "never":
        return Readiness(mode="never")
    _object(value, where, {"delay", "flapEvery"})
    if "flapEvery" in value:
        if "delay" in value:
            raise ProfileError(f"{where}: delay and flapEvery exclude each other")
        period = _duration(value["flapEvery"], f"{where}.flapEvery")
        if period <= 0:
            raise ProfileError(f"{where}.flapEvery: must be positive")
        return Readiness(mode="flapping", period=period)
    return Readiness(mode="ready", delay=_duration(value.get("delay", 0), f"{where}.delay"))


def _latency(value: Any, where: str) -> Latency:
    if not isinstance(value, dict):
        fixed = _duration(value, where)
        return Latency(fixed, fixed)
    _object(value, where, {"median", "p99"})
    for key in ("median", "p99"):
        if key not in value:
            raise ProfileError(f"{where}.{key}: required (or give one fixed duration)")
    median, p99 = _duration(value["median"], f"{where}.median"), _duration(value["p99"], f"{where}.p99")
    if p99 < median:
        raise ProfileError(f"{where}.p99: must be at least the median")
    return Latency(median, p99)


def _duration(value: Any, where: str) -> float:
    """Seconds, from a number of seconds or a Go duration (``1m30s``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        try:
            seconds = durations.seconds(value) if isinstance(value, str) else math.nan
        except ValueError:
            seconds = math.nan
        if math.isnan(seconds):
            raise ProfileError(f'{where}: "{value}" is not a duration (e.g. 500ms, 2s, 1m30s, or seconds)')
    if seconds < 0 or math.isinf(seconds) or math.isnan(seconds):
        raise ProfileError(f"{where}: must be zero or more")
    return seconds


def _object(value: Any, where: str, allowed: set[str]) -> None:
    label = where or "the file"
    if not isinstance(value, dict):
        raise ProfileError(f"{label}: must be a mapping")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise ProfileError(f'{label}: unknown field "{unknown[0]}" (known: {", ".join(sorted(allowed))})')
