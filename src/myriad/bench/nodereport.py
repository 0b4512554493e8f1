"""Presenting ``myriad bench nodes`` results: a table and a JSON file.

JSON layout::

    {"config": {...NodesBenchConfig...},
     "results": {"a": {"nodes", "seconds", "per_s"},
                 "b": {"seconds", "nodes_cores", "server_cores", "nodes_rss_bytes", "nodes_bytes_per_node",
                       "server_rss_bytes", "storage_bytes_per_min", "object_bytes_per_min", "lease_bytes_per_min",
                       "node_bytes_per_min", "renewals_per_s", "status_reports_per_s",
                       "disk_sync_latency": {latency}, "disk_commit_floor": {latency} (myriad.bench.diskprobe),
                       "lease_latency": {"count", "p50_ms", "p99_ms", "max_ms"}},
                 "c": {"lease": {"object_bytes_per_min", "lease_bytes_per_min", "node_bytes_per_min",
                                 "storage_bytes_per_min", "server_cores"}, "legacy": {...},
                       "ratio" (objects), "disk_ratio", "kep589_ratio"},
                 "d": {churn}, "e": {"per-node": {churn, "idle_server_rss_bytes", "idle_nodes_rss_bytes"},
                                     "shared": {...}}},
     "targets": {"a_registration_s": {"limit": 60, "met": true}, ...}}

where {churn} is :func:`myriad.bench.nodechurn.churn`'s figures plus, for ``server`` and
``nodes``, ``<side>_cpu_s`` (all the CPU the churn's time took), ``<side>_baseline_cores`` (what
heartbeats alone cost just before), ``<side>_cpu_ms_per_pod`` (net of that baseline) and
``<side>_rss_bytes``, and latencies are ``{"count", "p50_ms", "p99_ms", "p99_9_ms", "max_ms",
"over_range"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.table import Table

from myriad.bench.readreport import latency_text, mib, print_targets

if TYPE_CHECKING:
    from myriad.bench.nodes import NodesBenchConfig


def targets(results: dict[str, Any]) -> dict[str, dict[str, object]]:
    """Issue 18's targets, checked against what was measured."""
    out: dict[str, dict[str, object]] = {}
    if "a" in results:
        out["a_registration_s"] = {"limit": 60, "met": results["a"]["seconds"] <= 60}
    if "b" in results:
        b = results["b"]
        out["b_nodes_cores"] = {"limit": 0.4, "met": b["nodes_cores"] <= 0.4}
        out["b_nodes_kb_per_node"] = {"limit": 40, "met": b["nodes_bytes_per_node"] <= 40_000}
        out["b_lease_p99_ms"] = {"limit": 100, "met": (b["lease_latency"] or {}).get("p99_ms", 1e9) <= 100}
    if "d" in results:
        d = results["d"]
        out["d_startup_p99_ms_at_1000_per_s"] = {
            "limit": 1000, "met": d["startup_latency"]["p99_ms"] <= 1000 and d["bound_per_s"] >= 1000}
        allowed = 90 * d["pods"] / 10_000
        out["d_deletion_s"] = {"limit": round(allowed, 1), "met": d["all_deleted_after_s"] <= allowed}
    return out


def print_report(config: NodesBenchConfig, results: dict[str, Any], console: Console) -> None:
    table = Table(title="myriad bench nodes", show_lines=True)
    table.add_column("scenario")
    table.add_column("figures")
    if "a" in results:
        a = results["a"]
        table.add_row(f"(a) register {a['nodes']:,} nodes", f"{a['seconds']:,.1f} s ({a['per_s']:,.0f} nodes/s)")
    if "b" in results:
        b = results["b"]
        table.add_row(f"(b) steady state, {b['seconds']:,.0f} s",
                      f"nodes: {b['nodes_cores']:.2f} cores, {mib(b['nodes_rss_bytes'])} "
                      f"({b['nodes_bytes_per_node'] / 1000:,.1f} KB per node)\n"
                      f"server: {b['server_cores']:.2f} cores, {mib(b['server_rss_bytes'])}\n"
                      f"{b['renewals_per_s']:,.0f} lease renewals/s, {b['status_reports_per_s']:,.1f} status "
                      f"reports/s\nlease renewal: {_latency(b['lease_latency'])}\n"
                      f"disk's own sync: {latency_text(b['disk_sync_latency'])}\n"
                      f"disk commit floor: {latency_text(b['disk_commit_floor'])}")
    if "c" in results:
        c = results["c"]
        lines = []
        for mode in ("lease", "legacy"):
            figures = c[mode]
            mb = {key: figures[key] / 1e6 for key in ("object_bytes_per_min", "lease_bytes_per_min",
                                                      "node_bytes_per_min", "storage_bytes_per_min")}
            lines.append(f"{mode}: objects {mb['object_bytes_per_min']:,.1f} MB/min (Leases "
                         f"{mb['lease_bytes_per_min']:,.1f}, Nodes {mb['node_bytes_per_min']:,.1f}); disk "
                         f"{mb['storage_bytes_per_min']:,.1f} MB/min; server {figures['server_cores']:.2f} cores")
        lines.append(f"legacy / leases: objects {_times(c['ratio'])}, disk {_times(c['disk_ratio'])} "
                     f"(KEP-589: {c['kep589_ratio']:.0f}x)")
        table.add_row("(c) heartbeats: bytes written", "\n".join(lines))
    if "d" in results:
        table.add_row("(d) pod churn", _churn(results["d"]))
    if "e" in results:
        for mode, figures in results["e"].items():
            table.add_row(f"(e) --pod-watch {mode}",
                          f"idle: server {mib(figures['idle_server_rss_bytes'])}, nodes "
                          f"{mib(figures['idle_nodes_rss_bytes'])}\n{_churn(figures)}")
    console.print(table)
    print_targets(targets(results), console)


def _refused(d: dict[str, Any]) -> str:
    refused = d.get("delete_failures") or 0
    return f" ({refused:,} deletions refused)" if refused else ""


def _churn(d: dict[str, Any]) -> str:
    return (f"{d['pods']:,} pods bound in {d['bound_s']:,.1f} s ({d['bound_per_s']:,.0f}/s, "
            f"{d['bind_failures']} failed); all Running after {d['all_running_after_s']:,.1f} s\n"
            f"startup (bind → Running): {latency_text(d['startup_latency'])}\n"
            f"deleted: {d['deleted']:,} in {d['all_deleted_after_s']:,.1f} s{_refused(d)}\n"
            f"CPU per pod (net of heartbeats): server {d['server_cpu_ms_per_pod']:,.2f} ms, nodes "
            f"{d['nodes_cpu_ms_per_pod']:,.2f} ms; "
            f"RSS: server {mib(d['server_rss_bytes'])}, nodes {mib(d['nodes_rss_bytes'])}")


def _times(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:,.1f}x"


def _latency(latency: dict[str, float]) -> str:
    if not latency:
        return "-"
    return (f"p50 {latency['p50_ms']:,.1f} / p99 {latency['p99_ms']:,.1f} / max {latency['max_ms']:,.1f} ms "
            f"over {int(latency['count']):,}")


def write_json(config: NodesBenchConfig, results: dict[str, Any]) -> None:
    document = {"config": config.to_json(), "results": results, "targets": targets(results)}
    config.json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
