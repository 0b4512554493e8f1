"""``myriad bench apiserver`` run as a real command, tiny, against the server it starts."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import orjson

MYRIAD = Path(sys.executable).with_name("myriad")


def test_bench_apiserver_measures_every_phase_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([str(MYRIAD), "bench", "apiserver", "--pods", "1200", "--gets", "500", "--updates", "300",
                           "--patches", "300", "--applies", "300", "--lists", "60", "--concurrency", "8",
                           "--server-cpu", "-1",
                           "--json", str(out), "--data-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    results = orjson.loads(out.read_bytes())["results"]
    assert [r["op"] for r in results] == ["create", "get", "update", "update-plain", "patch", "apply", "list"]
    # 60 lists: served from the watch cache a list takes about a millisecond of server CPU, and
    # /proc counts CPU in 10 ms ticks, so fewer could measure as zero.
    expected = {"create": 1200, "get": 500, "update": 300, "update-plain": 300, "patch": 300, "apply": 300,
                "list": 60}
    for result in results:
        assert result["completed"] == expected[result["op"]] and result["errors"] == 0, result
        latency = result["latency"]
        assert 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
        assert result["per_s"] > 0
        assert result["server_cpu_us_per_request"] is not None and result["server_cpu_us_per_request"] > 0
    targets = {r["op"]: r["target"] for r in results}
    assert targets["create"]["per_s"] == 3000 and targets["get"]["p99_ms"] == 10
    assert targets["update"] is None and targets["apply"]["per_s"] == 2000
    cpu = {r["op"]: r["server_cpu_us_per_request"] for r in results}
    tracking = orjson.loads(out.read_bytes())["tracking"]
    assert tracking["update_us"] == cpu["update"] and tracking["plain_update_us"] == cpu["update-plain"]
    assert tracking["overhead"] == cpu["update"] / cpu["update-plain"] - 1 and tracking["max"] == 0.3
    rounds = {r["op"]: r["rounds_us"] for r in results if "rounds_us" in r}
    assert len(rounds["update"]) == len(rounds["update-plain"]) == 8
    paired = [t / p - 1 for t, p in zip(rounds["update"], rounds["update-plain"], strict=True) if t and p]
    assert tracking["round_overheads"] == paired  # rounds this small may measure 0 CPU (10 ms ticks): left out
    assert tracking["median_overhead"] == (statistics.median(paired) if paired else tracking["overhead"])
    assert tracking["met"] is (tracking["median_overhead"] <= 0.3)
    assert "managed fields add" in done.stdout


def test_bench_apiserver_refuses_more_updates_than_pods(tmp_path: Path) -> None:
    done = subprocess.run([str(MYRIAD), "bench", "apiserver", "--pods", "1000", "--updates", "2000"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--updates must not exceed --pods" in done.stderr


def test_bench_apiserver_refuses_plain_updates_that_do_not_fit_beside_the_updates(tmp_path: Path) -> None:
    done = subprocess.run([str(MYRIAD), "bench", "apiserver", "--pods", "1000", "--updates", "600"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--updates plus --plain-updates must not exceed --pods" in done.stderr
