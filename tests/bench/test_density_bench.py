"""``myriad bench density --preset ci`` end to end: a whole cluster started with ``myriad up``,
3,000 pods created, churned and deleted, the JSON and the HTML report written; and the
regression gate of ``--compare``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson

from myriad.bench.density.compare import compare

MYRIAD = Path(sys.executable).with_name("myriad")


def test_the_ci_preset_runs_every_pod_and_writes_its_reports(tmp_path: Path) -> None:
    out, report = tmp_path / "density.json", tmp_path / "density.html"
    began = time.monotonic()
    done = subprocess.run([str(MYRIAD), "bench", "density", "--preset", "ci", "--json", str(out), "--html",
                           str(report)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - began
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    result = orjson.loads(out.read_bytes())
    pods = result["pods"]
    assert pods["running"] >= 3_000 and pods["deleted"] == pods["created"] >= 3_000  # every pod ran, and went
    assert pods["startup"]["create_to_watch"]["count"] == pods["running"]
    assert [p["name"] for p in result["phases"]] == ["start", "create", "running", "churn", "settle", "delete"]
    assert not any(p["timed_out"] for p in result["phases"])
    assert result["targets"]["pods_running"]["met"]
    assert {"apiserver", "scheduler", "controller-manager", "nodes"} <= set(result["components"])
    assert all(c["cpu_s"] > 0 and c["rss_peak_bytes"] > 0 for c in result["components"].values())
    assert max(qps for _, qps in result["api_qps"]) > 100  # sampled from the API server's own counters
    assert any(row["verb"] == "POST" and row["resource"] == "pods" for row in result["api"])
    assert result["registration_s"] is not None and len(result["objects"]) == pods["created"]
    html = report.read_text()
    assert html.count("<svg") >= 5 and "http://" not in html.replace("http://www.w3.org/", "")
    assert seconds < 120, f"the ci preset took {seconds:.0f} s"
    assert "myriad bench density" in done.stdout

    # The gate: against a previous run whose pod startup was ten times faster, this one regressed.
    previous = orjson.loads(out.read_bytes())
    for transition in previous["pods"]["startup"].values():
        for key in ("p50_ms", "p90_ms", "p99_ms"):
            transition[key] = transition[key] / 10
    assert compare(previous, result).regressed and not compare(result, result).regressed


def test_compare_against_a_file_that_is_not_a_result_fails_before_running(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 7}')
    done = subprocess.run([str(MYRIAD), "bench", "density", "--preset", "ci", "--compare", str(bad)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "myriad bench density:" in done.stderr and str(bad) in done.stderr
    assert not (tmp_path / "bench-density.json").exists()


def test_a_bad_preset_or_config_names_the_flag(tmp_path: Path) -> None:
    done = subprocess.run([str(MYRIAD), "bench", "density", "--preset", "huge"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "--preset: unknown 'huge'" in done.stderr
    config = tmp_path / "c.yaml"
    config.write_text("throughput: -1\n")
    done = subprocess.run([str(MYRIAD), "bench", "density", "--config", str(config)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "throughput: must be positive, got -1.0" in done.stderr
