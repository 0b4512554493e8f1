"""``myriad bench client`` run as a real command, tiny, against the servers (and etcd) it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

MYRIAD = Path(sys.executable).with_name("myriad")


def test_bench_client_runs_every_scenario_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([str(MYRIAD), "bench", "client", "--pods", "600", "--nodes", "20", "--page-size", "100",
                           "--watch-rate", "100", "--duration", "2", "--storm-rate", "2000", "--storm-duration", "1",
                           "--watchers", "30", "--http-requests", "300", "--server-cpu", "-1", "--watch-list", "true",
                           "--json", str(out), "--data-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    results = orjson.loads(out.read_bytes())["results"]
    informer = results["informer"]
    assert informer["objects"] == 600 and informer["lists"] == 1 and informer["relists"] == 0
    assert informer["updates"] == informer["updates_sent"] == 200 and informer["lag"]["count"] == 200
    assert informer["bytes_per_object"] > 0 and informer["pod_json_bytes"] > 1000
    assert informer["rss_peak"] >= informer["rss_synced"] > informer["rss_start"]
    queue = results["queue"]
    # With priorities an add never waits behind the storm's backlog; without, it does.
    assert queue["on"]["add_wait"]["p99_ms"] < queue["off"]["add_wait"]["p99_ms"]
    assert queue["on"]["adds_sent"] == queue["off"]["adds_sent"] == 50
    balance = results["balance"]
    assert sorted(balance["before"]) == [0, 15, 15] and sorted(balance["after"]) == [10, 10, 10]
    assert balance["server_reported_after"] == [10, 10, 10]
    http = results["http"]
    assert http["myriad"]["requests"] == http["aiohttp"]["requests"] == 300 and http["myriad_over_aiohttp"] > 0
