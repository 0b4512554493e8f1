"""``myriad bench reads`` run as a real command, tiny, against the servers it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

MYRIAD = Path(sys.executable).with_name("myriad")


def test_bench_reads_runs_every_scenario_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([str(MYRIAD), "bench", "reads", "--configmaps", "1500", "--lists", "2", "--nodes", "40",
                           "--duration", "2", "--update-rate", "50", "--lease-rate", "50", "--flooders", "2",
                           "--restart-watchers", "10", "--quiet-objects", "45", "--window", "2",
                           "--server-cpu", "-1", "--json", str(out), "--data-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    document = orjson.loads(out.read_bytes())
    results = document["results"]
    a = results["a"]
    assert a["objects"] == 1500 and a["cache"]["count"] == a["storage"]["count"] == 2
    assert a["storage_over_cache_p50"] > 0 and a["list_bytes"] > 1500 * 1024
    for name in ("b", "c"):
        run = results[name]
        assert run["watchers"] == 45 and run["failed_watches"] == 0 and run["update_errors"] == {}
        # Each update reaches its node's watcher and the five unfiltered ones, nobody else.
        assert run["events_delivered"] == run["updates"] * 6 and run["updates"] == 100
        assert run["delivery_latency"]["count"] == run["events_delivered"]
        assert run["server_cpu_us_per_event"] > 0
        assert run["disk_sync_latency"]["count"] > 0  # the disk probe ran beside the load
        assert run["disk_commit_floor"]["count"] >= run["disk_sync_latency"]["count"]
        assert run["load_loop_lag"]["count"] > 100  # sampled every 5 ms through the load
    c = results["c"]
    assert c["lease_puts"] == 100 and c["lease_errors"] == {} and not c["rejected_by_level"].get("node-high")
    assert c["flood_answers"].get("200", 0) > 0
    d = results["d"]
    assert d["with_bookmarks"]["expired"] == 0 and d["with_bookmarks"]["events_to_recover_per_watcher"] == 0
    # Without bookmarks every watcher's revision has left the window: a 410, then all 45 objects.
    assert d["without_bookmarks"]["expired"] == 10
    assert d["without_bookmarks"]["events_to_recover_per_watcher"] == 46
    assert document["targets"]["d_reduction"]["met"] and document["targets"]["c_node_high_429s"]["met"]


def test_bench_reads_refuses_unknown_scenarios(tmp_path: Path) -> None:
    done = subprocess.run([str(MYRIAD), "bench", "reads", "--scenarios", "a,x"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--scenarios" in done.stderr
