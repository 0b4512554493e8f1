"""What ``myriad bench density`` runs: a preset (``ci``, ``1k``, ``10k``) or a YAML file, checked
with errors that name the field.

The YAML file holds any of the :data:`FIELDS` (camelCase), and optionally ``preset:`` to start
from one::

    preset: 1k
    throughput: 300
    churnSeconds: 30
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A bad preset or config file; the message names the file and the field."""


@dataclass(frozen=True, kw_only=True)
class DensityConfig:
    preset: str = "custom"
    nodes: int = 100
    pods_per_node: int = 30
    #: Namespaces the pods are spread over, each with the same mix of Deployments.
    namespaces: int = 2
    #: Pods a second that Deployment creation aims at (clusterloader2's pod throughput).
    throughput: float = 100.0
    #: The steady period with churn: some Deployments scaled up and back, some rolled.
    churn_seconds: float = 10.0
    churn_scale_fraction: float = 0.1
    churn_roll_fraction: float = 0.05
    #: Seconds each wait (nodes Ready, pods Running, everything deleted) may take.
    timeout: float = 600.0
    #: Targets: pod startup p99 (create to Running watched), the whole run, all components' RSS.
    startup_slo_s: float = 5.0
    run_limit_s: float = 120.0
    rss_limit_bytes: float = 16 * 2**30

    @property
    def pods(self) -> int:
        return self.nodes * self.pods_per_node

    def errors(self) -> list[str]:
        out = []
        for name in ("nodes", "pods_per_node", "namespaces"):
            if getattr(self, name) < 1:
                out.append(f"{_camel(name)}: must be 1 or more, got {getattr(self, name)}")
        for name in ("throughput", "timeout", "startup_slo_s", "run_limit_s", "rss_limit_bytes"):
            if getattr(self, name) <= 0:
                out.append(f"{_camel(name)}: must be positive, got {getattr(self, name)}")
        if self.churn_seconds < 0:
            out.append(f"churnSeconds: must be 0 or more, got {self.churn_seconds}")
        for name in ("churn_scale_fraction", "churn_roll_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                out.append(f"{_camel(name)}: must be from 0 to 1, got {getattr(self, name)}")
        if self.namespaces > self.pods:
            out.append(f"namespaces: {self.namespaces} is more than the {self.pods} pods")
        return out


PRESETS: dict[str, DensityConfig] = {
    # 3,000 pods: a smoke test of every phase, part of `make test` (under 2 minutes).
    "ci": DensityConfig(preset="ci", nodes=100, pods_per_node=30, namespaces=2, throughput=100.0,
                        churn_seconds=10.0, timeout=300.0, run_limit_s=120.0),
    "1k": DensityConfig(preset="1k", nodes=1_000, pods_per_node=30, namespaces=10, throughput=200.0,
                        churn_seconds=60.0, timeout=900.0, run_limit_s=900.0),
    # The mission: 10,000 nodes, 200,000 pods at 200 pods/s, within 45 minutes.
    "10k": DensityConfig(preset="10k", nodes=10_000, pods_per_node=20, namespaces=100, throughput=200.0,
                         churn_seconds=120.0, timeout=1800.0, run_limit_s=2700.0),
}
#: The YAML keys: each field in camelCase.
FIELDS = {"".join(w.capitalize() if i else w for i, w in enumerate(f.name.split("_"))): f
          for f in dataclasses.fields(DensityConfig) if f.name != "preset"}


def _camel(name: str) -> str:
    return next(key for key, f in FIELDS.items() if f.name == name)


def preset(name: str) -> DensityConfig:
    if name not in PRESETS:
        raise ConfigError(f"--preset: unknown {name!r} (known: {', '.join(PRESETS)})")
    return PRESETS[name]


def load(path: Path) -> DensityConfig:
    """The config in the YAML file at ``path``; ConfigError naming the file and the field."""
    try:
        document = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ConfigError(f"{path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not YAML: {e}") from e
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: must be a mapping of fields ({', '.join(FIELDS)})")
    return from_mapping(document, where=str(path))


def from_mapping(document: dict[str, Any], *, where: str = "config") -> DensityConfig:
    base = DensityConfig()
    if "preset" in document:
        name = document["preset"]
        if name not in PRESETS:
            raise ConfigError(f"{where}: preset: unknown {name!r} (known: {', '.join(PRESETS)})")
        base = PRESETS[name]
    changes: dict[str, Any] = {}
    for key, value in document.items():
        if key == "preset":
            continue
        field = FIELDS.get(key)
        if field is None:
            raise ConfigError(f"{where}: {key}: unknown field (known: preset, {', '.join(FIELDS)})")
        wanted = int if field.type in ("int", int) else float
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (wanted is int and isinstance(value, float)):
            raise ConfigError(f"{where}: {key}: must be {'an integer' if wanted is int else 'a number'}, "
                              f"got {value!r}")
        changes[field.name] = wanted(value)
    name = base.preset if not changes or base.preset == "custom" else f"{base.preset}+file"
    config = dataclasses.replace(base, preset=name, **changes)
    problems = config.errors()
    if problems:
        raise ConfigError(f"{where}: {problems[0]}")
    return config
