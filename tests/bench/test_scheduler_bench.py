"""``myriad bench scheduler`` run as a real command, tiny, against the servers and schedulers it
starts; and its placement checks and throughput summary on made-up states."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from myriad.bench.schedreport import throughput
from myriad.bench.schedworkloads import (
    WORKLOADS,
    node,
    pod_default,
    pod_high_priority,
    pod_low_priority,
    pod_with_node_affinity,
    pod_with_pod_anti_affinity,
    pod_with_topology_spreading,
    verify,
)

MYRIAD = Path(sys.executable).with_name("myriad")
SCALE = 0.004  # basic-10k: 20 nodes, 4 init pods, 40 measured; large: 40 nodes, 800 pods


def test_bench_scheduler_runs_every_workload_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([str(MYRIAD), "bench", "scheduler", "--workloads", ",".join(WORKLOADS), "--scale", str(SCALE),
                           "--ablation", "true", "--stall", "3", "--server-cpu", "-1", "--scheduler-cpu", "-1",
                           "--json", str(out), "--data-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    document = orjson.loads(out.read_bytes())
    assert document["config"]["scale"] == SCALE and document["config"]["ablation"] is True
    results = document["results"]
    assert list(results["workloads"]) == list(WORKLOADS)
    for key, figures in results["workloads"].items():
        expected = WORKLOADS[key].scaled(SCALE)
        assert figures["workload"] == expected.name
        assert (figures["nodes"], figures["init_pods"], figures["measured_pods"]) == (
            expected.nodes, expected.init_pods, expected.measured_pods)
        assert figures["create_failures"] == 0 and figures["scheduler_exit"] is None, key
        assert figures["init_all_bound"] and figures["init_bound"] == expected.init_pods, key
        assert set(figures["throughput"]) == {"samples", "average", "p50", "p90", "p95", "p99"}
        assert figures["scheduler_cpu_s"] >= 0 and figures["bound_s"] > 0
        assert set(figures["checks"]) == {"passed", "violations", "examples", "spread", "victims"}
    for key in ("basic-10k", "basic-50k", "node-affinity", "large"):
        figures = results["workloads"][key]
        assert figures["all_bound"] and figures["measured_bound"] == figures["measured_pods"], key
        assert figures["pending_pods"] == 0 and figures["overall_per_s"] > 0, key
        assert figures["checks"]["passed"], (key, figures["checks"])
    spread = results["workloads"]["spreading"]["checks"]["spread"]
    assert spread and spread[0]["max_skew"] == 5 and set(spread[0]["domains"]) == {"moon-1", "moon-2", "moon-3"}
    preemption = results["workloads"]["preemption"]
    assert preemption["all_bound"] == (preemption["pending_pods"] == 0)  # "not all bound" is reported, not raised
    runs = results["ablation"]["runs"]
    assert [(r["workload"].split("/")[0], r["name"]) for r in runs] == [
        ("SchedulingBasic", "all on"), ("SchedulingBasic", "without partial scoring"),
        ("SchedulingBasic", "without vectorised filter and score"), ("SchedulingBasic", "without batching"),
        ("SchedulingBasic", "without free-capacity index"),
        ("SchedulingPodAntiAffinity", "all on"), ("SchedulingPodAntiAffinity", "without affinity index")]
    assert runs[1]["args"] == ["--partial-scoring", "false"] and runs[6]["args"] == ["--affinity-index", "false"]
    assert all(r["all_bound"] and r["checks"]["passed"] for r in runs)
    assert all(r["cycle_us_per_attempt"] and r["cycle_us_per_attempt"] > 0 for r in runs)
    assert runs[3]["batched_share"] == 0 and runs[0]["batched_share"] > 0  # batching off: every cycle in full
    assert {"basic-10k_pods_per_s", "basic-10k_scheduler_cpu_us_per_pod", "basic-50k_pods_per_s",
            "anti-affinity_pods_per_s", "node-affinity_pods_per_s", "large_all_bound_s"} <= set(document["targets"])
    assert all(f"{key}_placements" in document["targets"] for key in WORKLOADS)
    assert "myriad bench scheduler" in done.stdout and "ablation" in done.stdout


def test_bench_scheduler_refuses_unknown_workloads(tmp_path: Path) -> None:
    done = subprocess.run([str(MYRIAD), "bench", "scheduler", "--workloads", "basic-10k,nope"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--workloads" in done.stderr


def _bound(template: dict[str, Any], name: str, where: str, namespace: str = "ns", **spec: Any) -> dict[str, Any]:
    template["metadata"].update(name=name, namespace=namespace)
    template["spec"].update(nodeName=where, **spec)
    return template


def test_checks_pass_good_placements_and_catch_each_kind_of_violation() -> None:
    nodes = [node("n0", {"topology.kubernetes.io/zone": "zone1"}), node("n1", {"topology.kubernetes.io/zone": "zone3"})]
    good = [_bound(pod_default(), "a", "n0"), _bound(pod_with_pod_anti_affinity(), "b", "n0", "sched-0"),
            _bound(pod_with_pod_anti_affinity(), "c", "n1", "sched-1"), _bound(pod_with_node_affinity(), "d", "n0")]
    assert verify(nodes, good, {}).to_json()["passed"]

    full = [_bound(pod_low_priority(), f"p{i}", "n0") for i in range(5)]  # 4.5 CPU on a 4-CPU node
    assert verify(nodes, full, {}).violations == {"over allocatable": 1}
    crowded = [_bound(pod_with_pod_anti_affinity(), "b", "n0", "sched-0"),
               _bound(pod_with_pod_anti_affinity(), "c", "n0", "sched-1")]
    assert verify(nodes, crowded, {}).violations == {"pod anti-affinity": 2}
    assert verify(nodes, [_bound(pod_with_node_affinity(), "d", "n1")], {}).violations == {"node affinity": 1}
    tainted = [*nodes[:1], {**nodes[1], "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}]
    assert verify(tainted, [_bound(pod_default(), "a", "n1")], {}).violations == {"taints": 1}
    skewed = [_bound(pod_with_topology_spreading(), f"s{i}", "n0") for i in range(6)]
    checks = verify(nodes, skewed, {})
    assert checks.violations == {"topology spread": 1} and checks.spread[0]["skew"] == 6
    assert verify(nodes, skewed[:5], {}).to_json()["passed"]

    high = _bound(pod_high_priority(), "h", "n0", priority=10)
    low = _bound(pod_low_priority(), "l", "n1", priority=0)
    assert verify(nodes, [high, low], {"ns/v": ("n0", 0)}).to_json()["passed"]  # a lower victim, a higher preemptor
    assert verify(nodes, [high, low], {"ns/v": ("n1", 0)}).violations == {"preemption": 1}  # nothing higher on n1
    assert verify(nodes, [high, low], {"ns/h2": ("n0", 10)}).violations == {"preemption": 1}  # the top was deleted


def test_throughput_is_summed_as_upstreams_collect() -> None:
    assert throughput([])["average"] is None
    summary = throughput([float(v) for v in range(100, 0, -1)])  # 1..100, unsorted
    assert summary == {"samples": 100, "average": 50.5, "p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}
    assert throughput([3.0, 1.0])["p50"] == 1.0 and throughput([3.0, 1.0])["p99"] == 3.0
