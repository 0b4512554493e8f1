"""``myriad bench nodes``: hollow nodes at scale against a real ``myriad apiserver``.

Each session starts a server on embedded storage (pinned to ``server_cpu``) and a ``myriad nodes``
process (pinned to ``nodes_cpu``) on a fresh data dir (:mod:`.nodesession`); this process drives
pods and reads figures, beside the nodes. Scenarios (``--scenarios``):

``a``  Registration: ``nodes`` Nodes (``images`` images each, as large as real ones) registered and
       Ready, from the process's start.
``b``  Steady state, no pods, over ``steady`` s after ``warmup`` s: the nodes' cores and memory per
       node, the server's cores, Lease renewal latency over that window (the nodes process's HDR
       histogram of each second, added up).
``c``  Heartbeat ablation over the steady window, with Leases (the (b) session) and again with
       ``--heartbeat legacy``: the bytes of objects written per minute (Leases and Nodes, from
       watches: KEP-589's measure, 150 → 30 MB/min, 5×, at 5,000 nodes) and the bytes the
       server wrote to disk (page-sized SQLite writes), and their ratios.
``d``  Pod churn in the (a) session, after (b) or else ``warmup`` s: ``pods`` pods created and
       bound at ``pod_rate`` a second over the nodes, timed to Running by a watcher, then deleted
       (:mod:`.nodechurn`); the server's and the nodes' CPU per pod, net of what their heartbeats
       cost over the same time.
``e``  Pod watch modes: a churn of ``watch_pods`` pods with ``--pod-watch per-node`` (10,000
       watches) and again with ``shared`` (one), each on a fresh session: server CPU and memory,
       the nodes' CPU and memory.

Results: a table, and JSON at :attr:`NodesBenchConfig.json_path` (:mod:`.nodereport`).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import uvloop
from rich.console import Console

from myriad.bench import loadprocess
from myriad.bench.configs import check_server_cpu, config_json
from myriad.bench.nodechurn import ChurnPlan, churn
from myriad.bench.nodereport import print_report, write_json
from myriad.bench.nodesession import Session, session, steady

SCENARIOS = ("a", "b", "c", "d", "e")
#: Seconds of heartbeats alone measured before a churn, whose cost is taken off its CPU per pod.
BASELINE = 5.0


@dataclass(frozen=True, kw_only=True)
class NodesBenchConfig:
    scenarios: tuple[str, ...] = SCENARIOS
    server_cpu: int | None = 0
    nodes_cpu: int = 1
    nodes: int = 10_000
    images: int = 50
    warmup: float = 10.0
    steady: float = 30.0
    pods: int = 20_000
    pod_rate: float = 1000.0
    watch_pods: int = 10_000
    json_path: Path = Path("bench-nodes.json")
    data_dir: Path | None = None

    def validate(self) -> None:
        unknown = set(self.scenarios) - set(SCENARIOS)
        if unknown or not self.scenarios:
            raise ValueError(f"--scenarios takes a comma-separated subset of {','.join(SCENARIOS)}")
        for name in ("nodes", "pods", "watch_pods"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        if self.images < 0 or self.warmup < 0 or self.steady <= 0 or self.pod_rate <= 0:
            raise ValueError("--images and --warmup must be zero or more, --steady and --pod-rate positive")
        check_server_cpu(self.server_cpu)
        if self.nodes_cpu >= 0:
            check_server_cpu(self.nodes_cpu)

    def to_json(self) -> dict[str, object]:
        return config_json(self)


def run(config: NodesBenchConfig, *, console: Console | None = None) -> int:
    console = console or Console()
    loadprocess.take_load_cpus(config.server_cpu)
    results: dict[str, object] = {}
    wanted = set(config.scenarios)
    with tempfile.TemporaryDirectory(prefix="myriad-bench-nodes-", dir=config.data_dir) as scratch:
        if wanted & {"a", "b", "c", "d"}:
            with _session(config, Path(scratch) / "lease") as current:
                console.print(f"(a) registering {config.nodes:,} nodes with {config.images} images each")
                registered = current.wait_ready(config.nodes, timeout=600)
                results["a"] = {"nodes": config.nodes, "seconds": registered, "per_s": config.nodes / registered}
                if wanted & {"b", "c"}:
                    console.print(f"(b) steady state: {config.warmup:.0f} s warm-up, {config.steady:.0f} s measured")
                    time.sleep(config.warmup)
                    figures = steady(current, config.steady)
                    figures["nodes_bytes_per_node"] = figures["nodes_rss_bytes"] / config.nodes
                    results["b"] = figures
                if "d" in wanted:
                    if not wanted & {"b", "c"}:  # else (b) waited: the nodes settle after registering
                        time.sleep(config.warmup)
                    console.print(f"(d) churn: {config.pods:,} pods at {config.pod_rate:,.0f}/s, then deleted")
                    results["d"] = _churn(current, config, config.pods)
            if "c" in wanted:
                console.print("(c) the same with --heartbeat legacy")
                with _session(config, Path(scratch) / "legacy", "--heartbeat", "legacy") as current:
                    current.wait_ready(config.nodes, timeout=600)
                    time.sleep(config.warmup)
                    legacy = steady(current, config.steady)
                lease = results["b"]  # type: ignore[assignment]
                keys = ("object_bytes_per_min", "lease_bytes_per_min", "node_bytes_per_min", "storage_bytes_per_min",
                        "server_cores")
                results["c"] = {"lease": {k: lease[k] for k in keys}, "legacy": {k: legacy[k] for k in keys},
                                "ratio": _ratio(legacy["object_bytes_per_min"], lease["object_bytes_per_min"]),
                                "disk_ratio": _ratio(legacy["storage_bytes_per_min"], lease["storage_bytes_per_min"]),
                                "kep589_ratio": 5.0}
        if "e" in wanted:
            modes = {}
            for mode in ("per-node", "shared"):
                console.print(f"(e) {config.watch_pods:,} pods with --pod-watch {mode}")
                with _session(config, Path(scratch) / f"e-{mode}", "--pod-watch", mode) as current:
                    current.wait_ready(config.nodes, timeout=600)
                    time.sleep(config.warmup)
                    idle = current.sample()
                    modes[mode] = {"idle_server_rss_bytes": idle["server_rss"],
                                   "idle_nodes_rss_bytes": idle["nodes_rss"],
                                   **_churn(current, config, config.watch_pods)}
            results["e"] = modes
    print_report(config, results, console)
    write_json(config, results)
    return 0


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _session(config: NodesBenchConfig, scratch: Path, *args: str):  # type: ignore[no-untyped-def]
    return session(scratch, server_cpu=config.server_cpu, nodes_cpu=None if config.nodes_cpu < 0 else config.nodes_cpu,
                   count=config.nodes, args=("--images", str(config.images), *args))


def _churn(current: Session, config: NodesBenchConfig, pods: int) -> dict[str, object]:
    """The churn's figures, and the CPU it cost each process per pod, less what heartbeats alone
    cost over the same time (measured over ``BASELINE`` s just before)."""
    idle = current.sample()
    time.sleep(BASELINE)
    before = current.sample()
    figures = uvloop.run(churn(ChurnPlan(url=current.url, pods=pods, rate=config.pod_rate, nodes=config.nodes)))
    after = current.sample()
    wall = after["wall"] - before["wall"]
    out: dict[str, object] = dict(figures)
    for side in ("server", "nodes"):
        spent = after[f"{side}_cpu"] - before[f"{side}_cpu"]
        baseline = (before[f"{side}_cpu"] - idle[f"{side}_cpu"]) / (before["wall"] - idle["wall"])
        out.update({f"{side}_cpu_s": spent, f"{side}_baseline_cores": baseline,
                    f"{side}_cpu_ms_per_pod": max(0.0, spent - baseline * wall) / pods * 1000,
                    f"{side}_rss_bytes": after[f"{side}_rss"]})
    return out
