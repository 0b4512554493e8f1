"""``myriad bench memory`` run as a real command, tiny, against the server it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

MYRIAD = Path(sys.executable).with_name("myriad")


def test_bench_memory_loads_a_consistent_mix_restarts_measures_the_components_and_writes_json(
        tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([str(MYRIAD), "bench", "memory", "--scale", "0.002", "--images", "5", "--server-cpu", "-1",
                           "--json", str(out), "--data-dir", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"], "temp data dir left behind"
    document = orjson.loads(out.read_bytes())
    results = document["results"]
    kinds = results["load"]["kinds"]
    assert kinds["pods"]["count"] == 400 and kinds["pods"]["status_patches_per_s"] > 0
    assert kinds["nodes"]["count"] == kinds["leases"]["count"] == 20
    assert sum(kinds[k]["count"] for k in ("configmaps", "secrets", "events")) == 1400
    assert results["load"]["objects"] == sum(k["count"] for k in kinds.values())
    caches = results["loaded"]["caches"]
    # Pods carry the kubelet's status: about 2.5 KB each, as the issue sizes them.
    # a pod with its managedFields (its creator's entry and its status writer's: ~2.3 KB of the ~5.3 KB)
    assert caches["pods"]["objects"] == 400 and 4000 < caches["pods"]["bytes"] / 400 < 6500
    assert caches["replicasets.apps"]["objects"] == 40 and "events" not in caches
    assert results["loaded"]["server_rss_bytes"] > 0 and results["files"]["myriad.db"] > 0
    restart = results["restart"]
    assert 0 < restart["listening_s"] <= restart["ready_s"] < 60
    assert restart["caches"]["pods"] == caches["pods"]
    components = results["components"]
    assert components["nodes"]["rss_bytes"] > 0 and components["nodes"]["nodes"] == 20
    assert components["scheduler"]["rss_bytes"] > 0 and components["controller_manager"]["rss_bytes"] > 0
    for name in ("scheduler", "controller_manager"):  # read from the component's /metrics: none at this size
        figures = components[name]
        assert figures["settled"] and 0 < figures["settled_after_s"] < 120
        assert figures["relists"]["pods"] == figures["watches_gone"]["pods"] == 0
        assert set(figures["relists"].values()) == {0}
    # The cluster was consistent: the controllers and the adopting kubelets left every pod and
    # ReplicaSet in place.
    after = components["caches_after"]
    assert after["pods"]["objects"] == 400 and after["replicasets.apps"]["objects"] == 40
    assert set(document["targets"]) == {"server_rss_gib", "restart_ready_s", "scheduler_rss_gib",
                                        "controller_manager_rss_gib"}
    assert "myriad bench memory" in done.stdout and "settled after" in done.stdout and "re-lists: none" in done.stdout
