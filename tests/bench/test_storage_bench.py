"""``myriad bench storage`` run as a real command, tiny, against real etcd too."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from myriad.bench.diskprobe import DiskProbe, ProbeOptions
from myriad.bench.histogram import LatencyHistogram

MYRIAD = Path(sys.executable).with_name("myriad")


def myriad(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(MYRIAD), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def bench(tmp_path: Path, *args: str, backend: str = "embedded") -> dict:
    """Runs the command; returns the JSON document, its results checked to be error-free."""
    out = tmp_path / "bench.json"
    done = myriad("bench", "storage", "--backend", backend, "--keys", "1000", "--clients", "10",
                  "--json", str(out), "--data-dir", str(tmp_path), *args, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    document = orjson.loads(out.read_bytes())
    assert [r["backend"] for r in document["results"]] == backend.split(",")
    assert [r["error"] for r in document["results"]] == [None] * len(document["results"])
    return document


def only_result(document: dict) -> dict:
    [result] = document["results"]
    return result


def assert_sensible(figures: dict, *, completed: int | None = None) -> None:
    if completed is not None:
        assert figures["completed"] == completed
    assert figures["completed"] > 0 and figures["per_s"] > 0 and figures["elapsed_s"] > 0
    latency = figures["latency"]
    assert latency["count"] == figures["completed"]
    assert 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["p99_9_ms"] <= latency["max_ms"]


def test_histogram_percentiles_of_known_values() -> None:
    histogram = LatencyHistogram()
    for ms in range(1, 1001):  # 1 ms .. 1 s, one sample each
        histogram.record_seconds(ms / 1000)
    p = histogram.percentiles()
    assert p.count == 1000
    # 3 significant digits: each figure within 0.1% of the exact order statistic
    assert p.p50 == pytest.approx(500, rel=1e-3)
    assert p.p99 == pytest.approx(990, rel=1e-3)
    assert p.p999 == pytest.approx(999, rel=1e-3)
    assert p.max == pytest.approx(1000, rel=1e-3)


def test_histogram_clamps_out_of_range_values() -> None:
    histogram = LatencyHistogram()
    histogram.record_us(0)
    histogram.record_seconds(3600)
    p = histogram.percentiles()
    assert p.count == 2
    assert p.p50 == pytest.approx(0.001, rel=1e-3)
    assert p.max == pytest.approx(60_000, rel=1e-3)
    assert p.over_range == 1


def test_disk_probe_samples_syncs_until_stopped_and_leaves_no_file(tmp_path: Path) -> None:
    probe = DiskProbe(tmp_path, options=ProbeOptions(interval=0.01, blocks=4))
    probe.start()
    time.sleep(0.3)
    figures = probe.stop()
    assert 10 <= figures.sync.count <= 31
    assert 0 < figures.sync.p50 <= figures.sync.max
    # Each sync covers every write that fell due before it began: at least one, and more when the
    # thread woke late (a loaded machine), so there are never fewer waits than syncs.
    assert figures.sync.count <= figures.commit_floor.count <= 31
    assert figures.commit_floor.max >= figures.sync.max
    assert list(tmp_path.iterdir()) == []


def test_disk_probe_floor_counts_every_due_write_when_syncs_fall_behind(tmp_path: Path) -> None:
    # Writes due every 100 µs arrive faster than one sync completes: each sync covers many of them.
    interval = 0.00002
    probe = DiskProbe(tmp_path, options=ProbeOptions(interval=interval, blocks=4))
    started = time.perf_counter()
    probe.start()
    time.sleep(0.3)
    figures = probe.stop()
    elapsed = time.perf_counter() - started
    assert figures.commit_floor.count > figures.sync.count
    assert 0.2 / interval <= figures.commit_floor.count <= elapsed / interval + 1


def test_bench_put_mode(tmp_path: Path) -> None:
    result = only_result(bench(tmp_path, "--puts", "2000", "--rate", "0"))
    assert_sensible(result["put"], completed=2000)
    assert result["revision"] == 2001
    assert result["disk"]["db_bytes"] > 0


def test_bench_range_mode(tmp_path: Path) -> None:
    result = only_result(bench(tmp_path, "--mode", "range", "--range-keys", "200", "--puts", "1000",
                               "--rate", "1000"))
    assert_sensible(result["put"], completed=1000)
    assert_sensible(result["range"])


def test_bench_soak_mode(tmp_path: Path) -> None:
    result = only_result(bench(tmp_path, "--mode", "soak", "--rate", "500", "--duration", "2",
                               "--sample-interval", "0.5", "--retention", "1"))
    assert_sensible(result["put"])
    samples = result["soak"]
    assert len(samples) >= 3
    for sample in samples:
        assert sample["puts_per_s"] > 0
        assert sample["compaction_lag"] == sample["revision"] - sample["compacted_revision"] >= 0
        assert set(sample["disk"]) == {"db_bytes", "wal_bytes"}
    sync = result["disk_sync_latency"]  # 2 s of samples every 20 ms beside the puts
    assert 50 <= sync["count"] <= 100
    assert 0 < sync["p50_ms"] <= sync["p99_9_ms"] <= sync["max_ms"]
    assert result["disk_commit_floor"]["max_ms"] >= sync["max_ms"]


def test_bench_runs_both_backends_side_by_side(tmp_path: Path) -> None:
    document = bench(tmp_path, "--puts", "1000", "--rate", "0", backend="embedded,etcd")
    for result in document["results"]:
        assert_sensible(result["put"], completed=1000)
    assert document["embedded_over_etcd_puts_per_s"] > 0


def test_bench_refuses_unknown_backend(tmp_path: Path) -> None:
    done = myriad("bench", "storage", "--backend", "embedded,zookeeper", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown backend zookeeper" in done.stderr
