"""The scheduler's decisions against the slow reference (:mod:`tests.scheduler.reference`): on
random clusters, with percentageOfNodesToScore 100 and batching off, every placement is a node
of the reference's top score, and a pod the reference finds no node for gets none."""

from __future__ import annotations

import dataclasses
import random

import pytest

from myriad.scheduler.framework import FitError, Framework
from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.profiles import build_profile
from tests.scheduler import reference

IMAGES = ("registry.k8s.io/pause:3.10", "nginx:1.27", "busybox", "redis:7")


def random_node(rng: random.Random, i: int) -> dict:
    drawn = [{"key": rng.choice(("dedicated", "gpu", "spot")), "value": rng.choice(("a", "b")),
              "effect": rng.choice(("NoSchedule", "PreferNoSchedule", "NoExecute"))}
             for _ in range(rng.choice((0, 0, 0, 1, 2)))]
    # API validation keeps taints unique by key and effect
    taints = list({(t["key"], t["effect"]): t for t in drawn}.values())
    return {"metadata": {"name": f"n{i}", "labels": {"zone": rng.choice(("z1", "z2", "z3")),
                                                       "disk": rng.choice(("ssd", "hdd"))}},
            "spec": {"taints": taints, "unschedulable": rng.random() < 0.05},
            "status": {"allocatable": {"cpu": rng.choice(("2", "4", "8")), "memory": rng.choice(("4Gi", "16Gi")),
                                       "pods": rng.choice(("5", "110"))},
                       "images": [{"names": [image], "sizeBytes": rng.choice((10, 200, 800)) * 1024 * 1024}
                                  for image in IMAGES if rng.random() < 0.5]}}


def random_pod(rng: random.Random, i: int) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": rng.choice(IMAGES),
                                  "resources": {"requests": {k: v for k, v in (
                                      ("cpu", rng.choice(("100m", "500m", "1500m"))),
                                      ("memory", rng.choice(("64Mi", "1Gi")))) if rng.random() < 0.8}},
                                  "ports": [{"containerPort": 80, "hostPort": 8080}] if rng.random() < 0.1 else []}]}
    if rng.random() < 0.3:
        spec["tolerations"] = [{"key": rng.choice(("dedicated", "gpu", "spot")), "operator": "Exists"}]
    if rng.random() < 0.2:
        spec["nodeSelector"] = {"disk": rng.choice(("ssd", "hdd"))}
    if rng.random() < 0.3:
        spec["affinity"] = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": rng.choice((1, 10, 50)), "preference": {"matchExpressions": [
                {"key": "zone", "operator": "In", "values": [rng.choice(("z1", "z2", "z3"))]}]}}]}}
    return {"metadata": {"name": f"p{i}", "namespace": "ns", "uid": f"u{i}"}, "spec": spec}


@pytest.mark.parametrize("seed", range(12))
def test_every_placement_is_one_of_the_references_top_scored_nodes(seed: int) -> None:
    rng = random.Random(seed)
    nodes = [random_node(rng, i) for i in range(rng.choice((20, 60, 150)))]
    table = NodeTable()
    for node in nodes:
        table.set_node(node)
    profile = dataclasses.replace(build_profile(percentage_of_nodes_to_score=100, partial_scoring=False),
                                  batching=False)
    framework = Framework(profile, rng=random.Random(seed))
    pods_by_node: dict[str, list[dict]] = {}
    placed = unschedulable = 0
    for i in range(120):
        pod = random_pod(rng, i)
        expected = reference.totals(pod, nodes, pods_by_node)
        try:
            placement, _state = framework.schedule(pod_info(pod), table)
        except FitError:
            assert not expected, f"pod {i}: the reference fits it on {sorted(expected)}"
            unschedulable += 1
            continue
        assert expected, f"pod {i}: placed on {placement.node}, the reference finds no node"
        best = max(expected.values())
        assert expected[placement.node] == best, (
            f"pod {i}: {placement.node} scores {expected[placement.node]} in the reference, the best is {best} "
            f"({sorted(n for n, s in expected.items() if s == best)})")
        bound = {**pod, "spec": {**pod["spec"], "nodeName": placement.node}}
        table.add_pod(pod_info(bound), placement.node)
        pods_by_node.setdefault(placement.node, []).append(bound)
        placed += 1
    assert placed > 20, "the random clusters should place most pods"
