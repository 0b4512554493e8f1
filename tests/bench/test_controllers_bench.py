"""``myriad bench controllers`` run as a real command, tiny, against the servers and controller
managers it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

MYRIAD = Path(sys.executable).with_name("myriad")


def test_bench_controllers_runs_every_scenario_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([str(MYRIAD), "bench", "controllers", "--raw-pods", "200", "--replicas", "300",
                           "--deployments", "10", "--per-deployment", "10", "--gc-deployments", "2", "--gc-pods", "100",
                           "--nodes", "12", "--failing", "3", "--zones", "3", "--grace", "15", "--eviction-rate", "1",
                           "--window", "3", "--server-cpu", "-1", "--manager-cpu", "-1", "--json", str(out),
                           "--data-dir", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    results = orjson.loads(out.read_bytes())["results"]
    a = results["a"]
    assert a["raw"]["pods"] == 200 and a["raw"]["per_s"] > 0
    for key, pods in (("one", 300), ("many", 100)):
        assert a[key]["pods"] == pods and a[key]["seconds"] is not None and a[key]["per_s"] > 0
        assert a[key]["server_cpu_us_per_pod"] > 0 and a[key]["manager_cpu_us_per_pod"] > 0
    assert results["b"]["deleted_in_s"] is not None and results["b"]["made_in_s"] is not None
    c = results["c"]
    assert c["no_schedule_after_s"] is not None and c["no_schedule_after_s"] <= 15 + 10
    assert 0 <= c["no_execute_tainted"] <= 3
    d = results["d"]
    for how in ("sigkill", "sigterm"):
        assert d[how]["takeover_s"] is not None and d[how]["standby_writes_before"] == {}
        assert d[how]["standby_writes_after"].get("POST pods", 0) > 0
    assert d["sigterm"]["takeover_s"] < d["sigkill"]["takeover_s"]
    assert "myriad bench controllers" in done.stdout
