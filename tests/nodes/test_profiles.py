"""Pod profiles: the YAML file, its errors (each naming its field), and how a pod's is chosen."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from myriad.nodes.profiles import Latency, ProfileError, load, parse


def test_a_profiles_file_declares_each_behaviour(tmp_path: Path) -> None:
    path = tmp_path / "profiles.yaml"
    path.write_text("""
default:
  completeAfter: 2s
profiles:
  - name: web
    selector: {matchLabels: {app: web}}
    startup: {median: 500ms, p99: 2s}
    readiness: {delay: 1m30s}
  - name: crashy
    exit: {after: 3s, code: 1}
  - name: oom
    exit: {after: 3, reason: OOMKilled}
  - name: flappy
    readiness: {flapEvery: 20s}
  - name: lazy
    readiness: never
  - name: bad-image
    imagePull: fail
""")
    profiles = load(str(path))
    web, crashy, oom, flappy, lazy, bad = profiles.profiles
    assert profiles.default.complete_after == 2.0 and web.complete_after == 2.0
    assert web.startup == Latency(0.5, 2.0) and web.readiness.delay == 90.0
    assert crashy.exit is not None and (crashy.exit.code, crashy.exit.reason) == (1, "Error")
    assert oom.exit is not None and (oom.exit.code, oom.exit.reason) == (137, "OOMKilled")
    assert flappy.readiness.mode == "flapping" and flappy.readiness.period == 20.0
    assert lazy.readiness.mode == "never" and bad.image_pull == "fail"


@pytest.mark.parametrize(("document", "message"), [
    ({"profile": []}, 'the file: unknown field "profile"'),
    ({"profiles": {}}, "profiles: must be a list"),
    ({"profiles": [{"startup": "1s"}]}, "profiles[0].name: required"),
    ({"profiles": [{"name": "a"}, {"name": "a"}]}, 'profiles[1].name: "a" is used twice'),
    ({"profiles": [{"name": "a", "startup": "fast"}]}, 'profiles[0].startup: "fast" is not a duration'),
    ({"profiles": [{"name": "a", "startup": {"median": "2s", "p99": "1s"}}]},
     "profiles[0].startup.p99: must be at least the median"),
    ({"profiles": [{"name": "a", "startup": {"median": "2s"}}]}, "profiles[0].startup.p99: required"),
    ({"profiles": [{"name": "a", "startup": -1}]}, "profiles[0].startup: must be zero or more"),
    ({"profiles": [{"name": "a", "exit": {"code": 1}}]}, "profiles[0].exit.after: required"),
    ({"profiles": [{"name": "a", "exit": {"after": 1, "code": 300}}]}, "profiles[0].exit.code: must be an integer"),
    ({"profiles": [{"name": "a", "exit": {"after": 1, "code": 0, "reason": "Error"}}]},
     'profiles[0].exit.code: reason "Error" does not go with exit code 0'),
    ({"profiles": [{"name": "a", "readiness": {"flapEvery": 0}}]}, "profiles[0].readiness.flapEvery: must be positive"),
    ({"profiles": [{"name": "a", "imagePull": "maybe"}]}, 'profiles[0].imagePull: must be "ok" or "fail"'),
    ({"profiles": [{"name": "a", "selector": {"matchExpressions": [{"key": "k", "operator": "Near"}]}}]},
     'profiles[0].selector: "Near" is not a valid label selector operator'),
    ({"default": {"name": "x"}}, 'default: unknown field "name"'),
])
def test_every_error_names_its_field(document: object, message: str) -> None:
    with pytest.raises(ProfileError) as raised:
        parse(document)
    assert str(raised.value).startswith(message)


def test_a_file_that_is_not_yaml_or_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="No such file"):
        load(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles: [\n")
    with pytest.raises(ProfileError, match="not YAML"):
        load(str(bad))


def test_the_annotation_wins_then_the_first_matching_selector_then_the_default() -> None:
    profiles = parse({"profiles": [{"name": "web", "selector": {"matchLabels": {"app": "web"}}},
                                   {"name": "any-app", "selector": {"matchExpressions": [
                                       {"key": "app", "operator": "Exists"}]}},
                                   {"name": "named"}]})

    def pod(labels: dict, annotations: dict | None = None) -> dict:
        return {"metadata": {"labels": labels, "annotations": annotations or {}}}

    assert profiles.choose(pod({"app": "web"})).name == "web"
    assert profiles.choose(pod({"app": "db"})).name == "any-app"
    assert profiles.choose(pod({"app": "web"}, {"myriad.dev/profile": "named"})).name == "named"
    assert profiles.choose(pod({}, {"myriad.dev/profile": "unknown"})).name == "default"
    assert profiles.choose(pod({})).name == "default"


def test_a_latency_distribution_has_its_median_and_p99() -> None:
    rng = random.Random(7)
    samples = sorted(Latency(1.0, 5.0).sample(rng) for _ in range(20_000))
    assert 0.95 < samples[10_000] < 1.05
    assert 4.6 < samples[19_800] < 5.4
    assert Latency(2.0, 2.0).sample(rng) == 2.0
