"""``myriad bench nodes`` run as a real command, tiny, against the servers and nodes it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

MYRIAD = Path(sys.executable).with_name("myriad")


def test_bench_nodes_runs_every_scenario_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([str(MYRIAD), "bench", "nodes", "--nodes", "40", "--images", "5", "--warmup", "1",
                           "--steady", "3", "--pods", "200", "--pod-rate", "200", "--watch-pods", "100",
                           "--server-cpu", "-1", "--nodes-cpu", "-1", "--json", str(out), "--data-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    document = orjson.loads(out.read_bytes())
    results = document["results"]
    assert results["a"]["nodes"] == 40 and 0 < results["a"]["seconds"] < 60
    b = results["b"]
    assert 2 < b["renewals_per_s"] < 6  # 40 nodes renewing every 10 s
    assert b["lease_latency"]["count"] > 0 and b["nodes_cores"] > 0 and b["server_cores"] > 0
    assert b["disk_commit_floor"]["count"] >= b["disk_sync_latency"]["count"] > 0  # the probe ran beside
    c = results["c"]
    assert c["lease"]["storage_bytes_per_min"] > 0 and c["legacy"]["storage_bytes_per_min"] > 0 and c["ratio"] > 0
    for churned, pods in ((results["d"], 200), (results["e"]["per-node"], 100), (results["e"]["shared"], 100)):
        assert churned["pods"] == pods and churned["bind_failures"] == 0
        assert churned["running"] == pods and churned["deleted"] == pods
        assert churned["startup_latency"]["count"] == pods
        assert churned["server_cpu_s"] > 0 and churned["nodes_cpu_s"] > 0
        assert churned["server_cpu_ms_per_pod"] >= 0 and churned["nodes_cpu_ms_per_pod"] >= 0
    assert set(document["targets"]) == {"a_registration_s", "b_nodes_cores", "b_nodes_kb_per_node", "b_lease_p99_ms",
                                        "d_startup_p99_ms_at_1000_per_s", "d_deletion_s"}
    assert "myriad bench nodes" in done.stdout


def test_bench_nodes_refuses_unknown_scenarios(tmp_path: Path) -> None:
    done = subprocess.run([str(MYRIAD), "bench", "nodes", "--scenarios", "a,z"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--scenarios" in done.stderr
