"""Presenting ``myriad bench client`` results: a table and a JSON file.

JSON layout::

    {"config": {...ClientBenchConfig...},
     "results": {"informer": {"objects", "sync_s", "lists", "relists", "watches", "rss_start", "rss_synced",
                              "rss_peak", "rss_end", "bytes_per_object", "pod_json_bytes", "create_per_s",
                              "updates_sent", "updates", "events_per_s", "cpu_us_per_event", "update_errors",
                              "update_latency": {latency},
                              "lag": {latency}, "server_rss_bytes"},
                 "queue": {"plan": {...}, "on": {"add_wait": {latency}, "update_wait": {latency}, ...},
                           "off": {...}},
                 "balance": {"watchers", "before": [n, n, n], "after": [n, n, n], "server_reported_before",
                             "server_reported_after", "rebalanced_in_s", "max_deviation_after"},
                 "http": {"myriad": {"requests", "per_s", "latency"}, "aiohttp": {...},
                          "myriad_over_aiohttp", "concurrency"}},
     "targets": {"balance_within_10_percent": {"limit": 0.1, "met": true}}}

where {latency} is ``{"count", "p50_ms", "p99_ms", "p99_9_ms", "max_ms", "over_range"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.table import Table

from myriad.bench.readreport import latency_text, mib, print_targets

if TYPE_CHECKING:
    from myriad.bench.client import ClientBenchConfig


def targets(results: dict[str, Any]) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    if "balance" in results:
        out["balance_within_10_percent"] = {"limit": 0.1, "met": results["balance"]["max_deviation_after"] <= 0.1}
    return out


def print_report(config: ClientBenchConfig, results: dict[str, Any], console: Console) -> None:
    table = Table(title="myriad bench client", show_lines=True)
    table.add_column("scenario")
    table.add_column("figures")
    if "informer" in results:
        r = results["informer"]
        table.add_row(f"informer on {r['objects']:,} pods, {config.watch_rate:g} updates/s"
                      + (" (compressed)" if config.compress else ""),
                      f"sync {r['sync_s']:.1f} s ({r['lists']} {'watch-list' if config.watch_list else 'list'}, "
                      f"{r['pod_json_bytes']:,} B JSON per pod)\n"
                      f"memory: {mib(r['rss_synced'] - r['rss_start'])} for the cache, "
                      f"{r['bytes_per_object']:,.0f} B per pod; RSS {mib(r['rss_synced'])} synced "
                      f"(peak {mib(r['rss_peak'])}), "
                      f"{mib(r['rss_end'])} at the end\n"
                      f"event lag: {latency_text(r['lag'])} over {r['updates']:,} of {r['updates_sent']:,} updates, "
                      f"arriving at {r['events_per_s']:,.0f}/s; informer CPU {r['cpu_us_per_event'] or 0:,.0f} µs "
                      f"per event\n"
                      f"(the updates' own latency: {latency_text(r['update_latency'])})\n"
                      f"re-lists {r['relists']}, watches {r['watches']}; server RSS {mib(r['server_rss_bytes'])}")
    if "queue" in results:
        q = results["queue"]
        table.add_row(f"priority queue: {q['plan']['update_rate']:g} updates/s + {q['plan']['add_rate']:g} adds/s",
                      f"adds queued, priorities on: {latency_text(q['on']['add_wait'])}\n"
                      f"adds queued, priorities off: {latency_text(q['off']['add_wait'])}\n"
                      f"updates queued (on / off): p99 {q['on']['update_wait']['p99_ms']:,.0f} / "
                      f"{q['off']['update_wait']['p99_ms']:,.0f} ms")
    if "balance" in results:
        b = results["balance"]
        table.add_row(f"balance {b['watchers']:,} watchers over 3 servers",
                      f"before the restart: {b['before']} (servers say {b['server_reported_before']})\n"
                      f"after: {b['after']} (servers say {b['server_reported_after']}), "
                      f"in {b['rebalanced_in_s']:.1f} s\nmax deviation from even: {b['max_deviation_after']:.1%}")
    if "http" in results:
        h = results["http"]
        table.add_row(f"REST client vs aiohttp, {h['concurrency']} concurrent GETs",
                      f"myriad: {h['myriad']['per_s']:,.0f}/s, {latency_text(h['myriad']['latency'])}\n"
                      f"aiohttp: {h['aiohttp']['per_s']:,.0f}/s, {latency_text(h['aiohttp']['latency'])}\n"
                      f"myriad / aiohttp: {h['myriad_over_aiohttp']:.2f}x")
    console.print(table)
    print_targets(targets(results), console)


def write_json(config: ClientBenchConfig, results: dict[str, Any]) -> None:
    document = {"config": config.to_json(), "results": results, "targets": targets(results)}
    config.json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
