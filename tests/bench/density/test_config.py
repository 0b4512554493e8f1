"""Density configs (presets and YAML files, with errors that name the field) and the workload's
clusterloader2 shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from myriad.bench.density import workload
from myriad.bench.density.config import PRESETS, ConfigError, DensityConfig, load, preset


def test_the_presets_are_the_issues_sizes() -> None:
    assert (PRESETS["ci"].nodes, PRESETS["ci"].pods_per_node, PRESETS["ci"].pods) == (100, 30, 3_000)
    assert (PRESETS["10k"].nodes, PRESETS["10k"].pods, PRESETS["10k"].throughput) == (10_000, 200_000, 200.0)
    assert PRESETS["10k"].run_limit_s == 45 * 60 and PRESETS["ci"].run_limit_s == 120
    with pytest.raises(ConfigError, match="--preset: unknown 'huge'"):
        preset("huge")


def test_a_file_starts_from_its_preset_and_overrides_fields(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("preset: 1k\nthroughput: 300\nchurnSeconds: 0\n")
    config = load(path)
    assert (config.nodes, config.throughput, config.churn_seconds, config.preset) == (1_000, 300.0, 0.0, "1k+file")


@pytest.mark.parametrize(("text", "message"), [
    ("nodes: 0\n", "nodes: must be 1 or more, got 0"),
    ("podsPerNode: 2.5\n", "podsPerNode: must be an integer, got 2.5"),
    ("throughput: fast\n", "throughput: must be a number, got 'fast'"),
    ("churnScaleFraction: 2\n", "churnScaleFraction: must be from 0 to 1, got 2.0"),
    ("nodez: 3\n", "nodez: unknown field"),
    ("preset: mega\n", "preset: unknown 'mega'"),
    ("- 1\n", "must be a mapping of fields"),
    ("nodes: [\n", "not YAML"),
    ("nodes: 1\npodsPerNode: 1\nnamespaces: 2\n", "namespaces: 2 is more than the 1 pods"),
])
def test_a_bad_file_names_itself_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load(path)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_a_missing_file_is_named() -> None:
    with pytest.raises(ConfigError, match="nowhere.yaml: No such file"):
        load(Path("/nowhere.yaml"))


@pytest.mark.parametrize(("pods", "expected"), [
    (1_500, [250] * 1 + [30] * 12 + [5] * 178),  # a quarter big, a quarter medium, the rest small
    (2_000, [250] * 2 + [30] * 16 + [5] * 204),
    (7, [5, 2]),  # what does not divide goes into a last, smaller one
])
def test_a_namespace_gets_clusterloader2s_mix_of_deployments(pods: int, expected: list[int]) -> None:
    assert workload.shapes(pods) == expected
    assert sum(workload.shapes(pods)) == pods


def test_the_plan_spreads_every_pod_over_the_namespaces_interleaved() -> None:
    config = DensityConfig(nodes=10, pods_per_node=31, namespaces=3)
    groups = workload.plan(config)
    assert sum(g.replicas for g in groups) == config.pods == 310
    assert [g.namespace for g in groups[:3]] == ["density-0", "density-1", "density-2"]
    assert len({(g.namespace, g.name) for g in groups}) == len(groups)
    body = workload.deployment(groups[0])
    volumes = body["spec"]["template"]["spec"]["volumes"]  # type: ignore[index]
    assert [v.get("configMap", v.get("secret")) for v in volumes] == [
        {"name": f"{groups[0].name}-config"}, {"secretName": f"{groups[0].name}-secret"}]
