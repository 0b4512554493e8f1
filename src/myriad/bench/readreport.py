"""Presenting ``myriad bench reads`` results: a rich table per scenario and a JSON file.

JSON layout::

    {"config": {...ReadsBenchConfig...},
     "results": {"a": {"objects", "create_per_s", "list_bytes", "cache": {latency}, "storage": {latency},
                       "storage_over_cache_p50", "server_rss_bytes": {"cache", "storage"}},
                 "b": {"watchers", "failed_watches", "ended_early", "updates", "update_errors",
                       "update_latency": {latency}, "events_delivered", "delivery_latency": {latency},
                       "server_cpu_s", "server_cpu_us_per_event", "server_rss_bytes", "server_rss_before_bytes",
                       "disk_sync_latency": {latency}: the data disk's own 4 KiB write + fdatasync,
                       sampled beside the load, "disk_commit_floor": {latency}: what writes due
                       50 times a second would wait on an ideal group-committing store on that
                       disk (myriad.bench.diskprobe), "load_loop_lag": {latency}: how late the
                       process timing the writes ran its loop (myriad.bench.looplag)},
                 "c": {...b..., "lease_puts", "lease_errors": {status: n}, "lease_latency": {latency},
                       "flood_answers": {status: n}, "rejected_by_level": {level: n}},
                 "d": {"watchers", "quiet_objects", "window_s",
                       "with_bookmarks": {"expired", "events_to_recover_per_watcher"},
                       "without_bookmarks": {...}, "reduction"}},
     "targets": {"a_cache_p50_ms": {"limit": 300, "met": true}, ...}}

where {latency} is ``{"count", "p50_ms", "p99_ms", "p99_9_ms", "max_ms", "over_range"}``.
"""

from __future__ import annotations

import re
import urllib.request
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from myriad.bench.reads import ReadsBenchConfig

_RSS = re.compile(rb"^process_resident_memory_bytes\s+(\S+)$", re.MULTILINE)
_REJECTED = re.compile(r'apiserver_flowcontrol_rejected_requests_total\{[^}]*priority_level="([^"]+)"[^}]*\} (\S+)')


def server_memory(url: str) -> int | None:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        match = _RSS.search(response.read())
    return int(float(match.group(1))) if match else None


def rejections(url: str) -> dict[str, float]:
    """429s so far by priority level, from the server's metrics."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        text = response.read().decode()
    counts: dict[str, float] = {}
    for level, value in _REJECTED.findall(text):
        counts[level] = counts.get(level, 0.0) + float(value)
    return counts


def targets(results: dict[str, Any]) -> dict[str, dict[str, object]]:
    """The issue's targets, checked against what was measured."""
    out: dict[str, dict[str, object]] = {}
    if "a" in results:
        out["a_cache_p50_ms"] = {"limit": 300, "met": results["a"]["cache"]["p50_ms"] <= 300}
    if "b" in results:
        out["b_delivery_p99_ms"] = {"limit": 100, "met": results["b"]["delivery_latency"]["p99_ms"] <= 100}
    if "c" in results:
        c = results["c"]
        out["c_lease_p99_ms"] = {"limit": 50, "met": c["lease_latency"]["p99_ms"] <= 50}
        out["c_node_high_429s"] = {"limit": 0, "met": not c["rejected_by_level"].get("node-high")
                                   and 429 not in c["lease_errors"]}
    if "d" in results:
        d = results["d"]
        # No event at all with bookmarks: any cost without them is an unbounded reduction.
        without = d["without_bookmarks"]["events_to_recover_per_watcher"]
        met = d["reduction"] >= 40 if d["reduction"] is not None else without > 0
        out["d_reduction"] = {"limit": 40, "met": met}
    return out


def latency_text(latency: dict[str, float]) -> str:
    """``p50 … / p99 … / max … ms`` from a {latency} dict."""
    return f"p50 {latency['p50_ms']:,.1f} / p99 {latency['p99_ms']:,.1f} / max {latency['max_ms']:,.1f} ms"


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.0f} MiB"


def print_report(config: ReadsBenchConfig, results: dict[str, Any], console: Console) -> None:
    table = Table(title="myriad bench reads", show_lines=True)
    table.add_column("scenario")
    table.add_column("figures")
    if "a" in results:
        a = results["a"]
        ratio = a["storage_over_cache_p50"]
        table.add_row(f"(a) list {a['objects']:,} ConfigMaps ({a['list_bytes'] / 2**20:,.0f} MiB)",
                      f"cache: {latency_text(a['cache'])}\nstorage: {latency_text(a['storage'])}\n"
                      f"storage / cache (p50): {ratio:,.1f}x\nserver RSS with cache: "
                      f"{mib(a['server_rss_bytes']['cache'])}")
    for name in ("b", "c"):
        if name not in results:
            continue
        r = results[name]
        text = (f"{r['watchers']:,} watchers ({r['failed_watches']} failed), {r['updates']:,} updates, "
                f"{r['events_delivered']:,} events delivered\ndelivery: {latency_text(r['delivery_latency'])}\n"
                f"server CPU per event: {r['server_cpu_us_per_event'] or 0:,.1f} µs, RSS {mib(r['server_rss_bytes'])}"
                f"\ndisk's own sync: {latency_text(r['disk_sync_latency'])}"
                f"\ndisk commit floor: {latency_text(r['disk_commit_floor'])}"
                f"\nthe load generator's own loop lag: {latency_text(r['load_loop_lag'])}")
        if name == "c":
            text += (f"\nlease PUTs: {r['lease_puts']:,}, {latency_text(r['lease_latency'])}, "
                     f"errors {r['lease_errors']}"
                     f"\nflood answers {r['flood_answers']}, 429s by level {r['rejected_by_level']}")
        table.add_row("(b) watch fan-out" if name == "b" else "(c) leases under a list flood", text)
    if "d" in results:
        d = results["d"]
        table.add_row(f"(d) restart {d['watchers']:,} watchers on a quiet resource",
                      f"with bookmarks: {d['with_bookmarks']['events_to_recover_per_watcher']:,.2f} events each"
                      f" ({d['with_bookmarks']['expired']} expired)\nwithout: "
                      f"{d['without_bookmarks']['events_to_recover_per_watcher']:,.2f} events each"
                      f" ({d['without_bookmarks']['expired']} expired)\nreduction: "
                      + ("all events avoided" if d["reduction"] is None else f"{d['reduction']:,.1f}x"))
    console.print(table)
    print_targets(targets(results), console)


def print_targets(found: dict[str, dict[str, Any]], console: Console) -> None:
    """One line per target: its name, limit, and met or MISSED."""
    for name, target in found.items():
        console.print(f"target {name} ({target['limit']}): {'met' if target['met'] else 'MISSED'}")


def write_json(config: ReadsBenchConfig, results: dict[str, Any]) -> None:
    document = {"config": config.to_json(), "results": results, "targets": targets(results)}
    config.json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
