"""``myriad bench density``: the whole cluster measured as clusterloader2 measures a real one.

Phases: start the cluster (``myriad up`` in a scratch dir, or ``--kubeconfig`` for a running
one) and register its nodes; create namespaces and Deployments at a paced pod throughput; wait
until every pod is Running; churn; delete everything (:mod:`.phases`). Meanwhile a watch times
every pod (:mod:`.podwatch`), a sampler reads every component's CPU and memory and the queues
(:mod:`.sampler`), and the API server's own ``/metrics`` are read before and after for API call
latency per verb, resource and scope (:mod:`.apimetrics`).

Output: a live view, a table, JSON (its shape: ``docs/density.md``), a self-contained HTML
report (:mod:`.html`), and with ``--compare`` the differences against an earlier JSON, exiting
1 when something regressed past the threshold.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import uvloop
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from myriad.bench.density import apimetrics, attribution, cluster, compare, html
from myriad.bench.density.config import DensityConfig
from myriad.bench.density.phases import Phases
from myriad.bench.density.podwatch import TRANSITIONS, PodWatch
from myriad.bench.density.sampler import Sampler
from myriad.bench.density.workload import LABEL
from myriad.client.kubeconfig import load_kubeconfig
from myriad.client.rest import Client


@dataclass(frozen=True, kw_only=True)
class DensityRun:
    config: DensityConfig
    kubeconfig: Path | None = None
    json_path: Path = Path("bench-density.json")
    html_path: Path = Path("bench-density.html")
    compare_path: Path | None = None
    threshold: float = 0.10
    data_dir: Path | None = None


def run(options: DensityRun, *, console: Console | None = None) -> int:
    """Runs every phase; 0, or 1 when ``--compare`` found a regression."""
    console = console or Console()
    previous = compare.load(options.compare_path) if options.compare_path else None  # fails before the run
    with contextlib.ExitStack() as stack:
        began = time.monotonic()
        if options.kubeconfig is not None:
            found = cluster.running(options.kubeconfig)
        else:
            scratch = options.data_dir or Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="myriad-density-")))
            console.print(f"starting myriad up --nodes {options.config.nodes:,} in {scratch}")
            found = stack.enter_context(cluster.started(scratch, nodes=options.config.nodes,
                                                        timeout=options.config.timeout))
        started_s = time.monotonic() - began
        result = uvloop.run(_measure(options, found, began, started_s, console))
    result["duration_s"] = round(time.monotonic() - began, 3)
    result["targets"] = targets(options.config, result)
    result["attribution"] = attribution.attribute(result)
    options.json_path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    html.write(result, options.html_path)
    print_report(result, console)
    console.print(f"JSON: {options.json_path}  HTML: {options.html_path}")
    if previous is not None:
        comparison = compare.compare(previous, result, threshold=options.threshold)
        console.print(comparison.table())
        if comparison.regressed:
            console.print(f"[bold red]regressed past {options.threshold:.0%} against {options.compare_path}[/]")
            return 1
    return 0


async def _measure(options: DensityRun, found: cluster.Cluster, began: float, started_s: float,
                   console: Console) -> dict[str, Any]:
    config = options.config
    client = Client.from_kubeconfig(str(found.kubeconfig), user_agent="myriad-bench-density",
                                    max_idle_per_endpoint=128)
    watch = PodWatch(client, f"{LABEL}=1", began)
    sampler = Sampler(found.state, began)
    phases = Phases(client, config, watch, began)
    api_url = _api_url(found)
    tasks = [asyncio.create_task(watch.run()), asyncio.create_task(sampler.run())]
    try:
        if found.registration_s is None:
            await phases.nodes_ready()
        before = apimetrics.parse(await asyncio.to_thread(_scrape, api_url))
        with Live(_live(phases, watch, sampler), console=console, refresh_per_second=1,
                  transient=True) as live:
            ticker = asyncio.create_task(_tick(live, phases, watch, sampler))
            try:
                await phases.create()
                await phases.running()
                if config.churn_seconds > 0:
                    await phases.churn()
                running = len([p for p in watch.pods.values() if p.running is not None])
                await phases.delete()
            finally:
                ticker.cancel()
        after = apimetrics.parse(await asyncio.to_thread(_scrape, api_url))
        await sampler.sample()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()
    return _result(options, found, started_s, phases, watch, sampler, before, after, running)


def _api_url(found: cluster.Cluster) -> str:
    return load_kubeconfig(str(found.kubeconfig)).server + "/metrics"


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode()


#: Off a terminal (a log, CI) the live view is a line this often (seconds).
LOG_EVERY = 30


async def _tick(live: Live, phases: Phases, watch: PodWatch, sampler: Sampler) -> None:
    ticks = 0
    while True:
        await asyncio.sleep(1.0)
        ticks += 1
        if live.console.is_terminal:
            live.update(_live(phases, watch, sampler))
        elif ticks % LOG_EVERY == 0:
            live.console.print("  ".join(_row(phases, watch, sampler)), soft_wrap=True)


def _row(phases: Phases, watch: PodWatch, sampler: Sampler) -> tuple[str, ...]:
    """The live view's cells: phase, elapsed, pods by phase, API QPS, CPU per component."""
    current = phases.current
    cpu = ", ".join(f"{name} {samples[-1][1]:.2f}" for name, samples in sampler.components.items() if samples)
    by_phase = ", ".join(f"{k} {v:,}" for k, v in watch.by_phase().items() if v)
    return (current.name if current else "start", f"{time.monotonic() - phases.began:.0f} s",
            f"{by_phase or '-'} (wanted {phases.wanted:,})",
            f"{sampler.api_qps[-1][1]:,.0f} QPS" if sampler.api_qps else "- QPS", f"CPU {cpu or '-'}")


def _live(phases: Phases, watch: PodWatch, sampler: Sampler) -> Group:
    table = Table(show_header=True, box=None)
    for column in ("phase", "elapsed", "pods by phase", "API QPS", "CPU (cores)"):
        table.add_column(column)
    phase, elapsed, pods, qps, cpu = _row(phases, watch, sampler)
    table.add_row(phase, elapsed, pods, qps.removesuffix(" QPS"), cpu.removeprefix("CPU "))
    return Group(table)


def _result(options: DensityRun, found: cluster.Cluster, started_s: float, phases: Phases, watch: PodWatch,
            sampler: Sampler, before: apimetrics.Scrape, after: apimetrics.Scrape, running: int) -> dict[str, Any]:
    config = options.config
    timelines = watch.pods
    scheduled = sorted(p.scheduled for p in timelines.values() if p.scheduled is not None)
    return {
        "schema": 1,
        "config": {**asdict(config), "pods": config.pods},
        "started_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "phases": [{"name": "start", "began_s": 0.0, "seconds": round(started_s, 3), "calls": 0, "failed": 0,
                    "throttled": 0, "timed_out": False}] + [p.to_json() for p in phases.done],
        "pods": {
            "created": len(timelines), "running": running, "deleted": watch.gone,
            "startup": {t: _percentiles(watch, t) for t in TRANSITIONS},
            "cdf": {t: watch.latencies[t].cdf_ms() for t in TRANSITIONS if t != "run_to_watch"},
            "timeline": _timeline(watch),
        },
        "api": [row.to_json() for row in apimetrics.latencies(before, after)],
        "scheduling": _throughput(scheduled),
        "registration_s": found.registration_s,
        "components": {name: {"pid": sampler.pids.get(name), "samples": samples,
                              "cpu_s": round(sampler.cpu_s.get(name, 0.0), 3),
                              "rss_peak_bytes": max((s[2] for s in samples), default=0.0)}
                       for name, samples in sampler.components.items()},
        "machine": sampler.machine,
        "queues": {"scheduler_pending": sampler.scheduler_pending, "workqueue_depth": sampler.workqueue_depth},
        "api_qps": sampler.api_qps,
        "rejections": {"by_level": apimetrics.rejections(before, after)},
        "storage_bytes_written": sampler.written_bytes,
        "creation_throughput": _creation_rate(timelines, config.pods),
        "objects": {key: line.to_json() for key, line in timelines.items()},
    }


def _percentiles(watch: PodWatch, transition: str) -> dict[str, float]:
    histogram = watch.latencies[transition]
    return {"count": histogram.count, "p50_ms": histogram.value_at_ms(50), "p90_ms": histogram.value_at_ms(90),
            "p99_ms": histogram.value_at_ms(99), "max_ms": histogram.value_at_ms(100)}


def _timeline(watch: PodWatch) -> list[list[Any]]:
    """Pods by phase (Pending or Running) at each whole second, from the timelines' changes."""
    changes: dict[int, list[int]] = {}  # second → [Δpending, Δrunning]

    def add(t: float | None, pending: int, running: int) -> None:
        if t is not None:
            change = changes.setdefault(int(t) + 1, [0, 0])
            change[0] += pending
            change[1] += running

    for line in watch.pods.values():
        add(line.created, 1, 0)
        if line.running is not None and (line.deleted is None or line.running < line.deleted):
            add(line.running, -1, 1)
            add(line.deleted, 0, -1)
        else:
            add(line.deleted, -1, 0)
    out, pending, running = [], 0, 0
    for second in range(max(changes, default=0) + 1):
        delta = changes.get(second)
        if delta is not None:
            pending, running = pending + delta[0], running + delta[1]
        out.append([second, {"Pending": pending, "Running": running, "Succeeded": 0, "Failed": 0, "Terminating": 0}])
    return out


def _throughput(scheduled: list[float]) -> dict[str, float]:
    """Pods bound a second: the average over the span of binds, and its median and peak second."""
    if len(scheduled) < 2:
        return {"pods_per_s_avg": 0.0, "pods_per_s_p50": 0.0, "pods_per_s_max": 0.0}
    per_second: dict[int, int] = {}
    for t in scheduled:
        per_second[int(t)] = per_second.get(int(t), 0) + 1
    counts = sorted(per_second.values())
    span = max(1.0, scheduled[-1] - scheduled[0])
    return {"pods_per_s_avg": round(len(scheduled) / span, 1), "pods_per_s_p50": float(counts[len(counts) // 2]),
            "pods_per_s_max": float(counts[-1])}


def _creation_rate(timelines: dict[str, Any], pods: int) -> float:
    """Pods a second over the creation of the first ``pods`` (the churn's come later)."""
    created = sorted(line.created for line in timelines.values() if line.created is not None)[:pods]
    return round(len(created) / max(1e-3, created[-1] - created[0]), 1) if len(created) > 1 else 0.0


def targets(config: DensityConfig, result: dict[str, Any]) -> dict[str, dict[str, object]]:
    pods = result["pods"]
    p99 = pods["startup"]["create_to_watch"]["p99_ms"] / 1000
    rss = sum(c["rss_peak_bytes"] for c in result["components"].values())
    slow = [r for r in result["api"] if not r["met"]]
    return {
        "pods_running": {"limit": f"all {config.pods:,}", "value": pods["running"],
                         "met": pods["running"] >= config.pods},
        "pod_startup_p99": {"limit": f"<= {config.startup_slo_s:g} s", "value": round(p99, 3),
                            "met": pods["startup"]["create_to_watch"]["count"] > 0 and p99 <= config.startup_slo_s},
        "creation_throughput": {"limit": f">= {0.95 * config.throughput:,.0f} pods/s (95% of the configured)",
                                "value": result["creation_throughput"],
                                "met": result["creation_throughput"] >= 0.95 * config.throughput},
        "api_slo": {"limit": "every verb/resource/scope p99 within its SLO (1 s, lists 30 s)",
                    "value": f"{len(slow)} over", "met": not slow},
        "rss_total": {"limit": f"<= {config.rss_limit_bytes / 2**30:g} GiB",
                      "value": round(rss / 2**30, 2), "met": rss <= config.rss_limit_bytes},
        "run_time": {"limit": f"<= {config.run_limit_s:g} s", "value": result["duration_s"],
                     "met": result["duration_s"] <= config.run_limit_s},
    }


def print_report(result: dict[str, Any], console: Console) -> None:
    table = Table(title="myriad bench density")
    table.add_column("measurement")
    table.add_column("figures")
    pods = result["pods"]
    table.add_row("pods", f"{pods['created']:,} created, {pods['running']:,} Running, {pods['deleted']:,} deleted; "
                          f"created at {result['creation_throughput']:,.0f}/s, "
                          f"scheduled at {result['scheduling']['pods_per_s_avg']:,.0f}/s")
    for name, p in pods["startup"].items():
        table.add_row(f"startup {name.replace('_', ' ')}", f"p50 {p['p50_ms']:,.0f} ms, p90 {p['p90_ms']:,.0f} ms, "
                                                          f"p99 {p['p99_ms']:,.0f} ms ({p['count']:,})")
    table.add_row("phases", ", ".join(f"{p['name']} {p['seconds']:.1f} s" + (" (timed out)" if p["timed_out"] else "")
                                      for p in result["phases"]))
    worst = result["api"][:3]
    table.add_row("API p99 (worst)", ", ".join(f"{r['verb']} {r['resource']} {r['scope']} {r['p99_s'] * 1000:,.0f} ms"
                                               for r in worst) or "-")
    table.add_row("components", ", ".join(f"{n} {c['cpu_s']:.0f} s CPU, {c['rss_peak_bytes'] / 2**20:,.0f} MiB"
                                          for n, c in result["components"].items()))
    console.print(table)
    for line in result["attribution"]:
        console.print(f"• {line}")
    for name, target in result["targets"].items():
        verdict = "met" if target["met"] else "[bold red]MISSED[/]"
        console.print(f"target {name} ({target['limit']}): {target['value']} — {verdict}")
