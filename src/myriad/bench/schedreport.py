"""Presenting ``myriad bench scheduler`` results: throughput as upstream's collector sums it, a
table, and a JSON file.

JSON layout::

    {"config": {...SchedulerBenchConfig...},
     "results": {"workloads": {"<key>": {workload}, ...},
                 "ablation": {"workload": "<test case>/<workload>",
                              "runs": [{"name": "all on", "args": [], "throughput", "overall_per_s", "all_bound",
                                        "measured_bound", "scheduler_cpu_us_per_pod", "checks"},
                                       {"name": "without partial scoring", "args": ["--partial-scoring", "false"],
                                        ...}]}},
     "targets": {"basic-10k_pods_per_s": {"limit": 1000, "upstream": 680, "measure": "average", "met": true,
                                           "scale": 1.0}, ...}}

where {workload} is ``{"workload" (upstream's name), "nodes", "init_pods", "measured_pods",
"scheduler_args", "nodes_s" (creating the nodes), "init_bound", "init_all_bound", "init_s",
"measured_bound", "all_bound", "create_s" (creating the measured pods), "create_failures",
"bound_s" (first measured create to last measured bind), "overall_per_s" (measured_bound /
bound_s), "throughput": {"samples", "average", "p50", "p90", "p95", "p99"} (pods/s; null
figures without samples), "scheduler_cpu_s", "scheduler_cpu_us_per_pod", "pending_pods",
"scheduler_exit" (null: it ran to the end; else also "scheduler_log_tail"), "checks": {"passed",
"violations": {kind: count},
"examples", "spread": [{"namespace", "topology_key", "max_skew", "skew", "domains"}],
"victims"}}``.
"""

from __future__ import annotations

from math import ceil
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.table import Table

from myriad.bench.readreport import print_targets
from myriad.bench.schedworkloads import WORKLOADS

if TYPE_CHECKING:
    from myriad.bench.scheduler import SchedulerBenchConfig

#: The issue's target for the scheduler's CPU per pod in SchedulingBasic at 5,000 nodes.
CPU_US_PER_POD = 500


def throughput(samples: list[float]) -> dict[str, float | int | None]:
    """upstream's ``collect()``: samples sorted, their average, and ``PercXX`` =
    ``samples[ceil(len * XX / 100) - 1]``."""
    ordered = sorted(samples)
    if not ordered:
        return {"samples": 0, "average": None, "p50": None, "p90": None, "p95": None, "p99": None}
    out: dict[str, float | int | None] = {"samples": len(ordered), "average": sum(ordered) / len(ordered)}
    for percent in (50, 90, 95, 99):
        out[f"p{percent}"] = ordered[ceil(len(ordered) * percent / 100) - 1]
    return out


def targets(config: SchedulerBenchConfig, results: dict[str, Any]) -> dict[str, dict[str, object]]:
    """The issue's targets, checked against what was measured (at ``config.scale``: below 1 they
    are indicative only), and every workload's placement checks. A throughput target is checked
    against the samples' average, or the overall rate when the pods were bound too fast for any
    sample (``"measure"`` says which)."""
    out: dict[str, dict[str, object]] = {}
    for key, figures in results["workloads"].items():
        workload = WORKLOADS[key]
        if workload.target is not None:
            average, measure = figures["throughput"]["average"], "average"
            if average is None:  # bound within a couple of ticks: no samples, the overall rate stands in
                average, measure = figures["overall_per_s"], "overall"
            out[f"{key}_pods_per_s"] = {"limit": workload.target, "upstream": workload.upstream, "measure": measure,
                                        "met": average is not None and average >= workload.target and
                                        figures["all_bound"], "scale": config.scale}
        if workload.all_bound_within is not None:
            within = figures["all_bound"] and figures["bound_s"] <= workload.all_bound_within
            out[f"{key}_all_bound_s"] = {"limit": workload.all_bound_within, "scale": config.scale, "met": within}
        if key == "basic-10k":
            out[f"{key}_scheduler_cpu_us_per_pod"] = {
                "limit": CPU_US_PER_POD, "scale": config.scale,
                "met": figures["all_bound"] and figures["scheduler_cpu_us_per_pod"] <= CPU_US_PER_POD}
        out[f"{key}_placements"] = {"limit": "no violations", "met": figures["checks"]["passed"]}
    return out


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _checks(checks: dict[str, Any]) -> str:
    if checks["passed"]:
        text = "ok"
    else:
        text = "[red]" + ", ".join(f"{kind} ×{count:,}" for kind, count in checks["violations"].items()) + "[/]"
    skews = [f"skew {s['skew']}/{s['max_skew']}" for s in checks["spread"]]
    if skews:
        text += "\n" + ", ".join(skews[:3])
    if checks["victims"]:
        text += f"\n{checks['victims']:,} preempted"
    return text


def print_report(config: SchedulerBenchConfig, results: dict[str, Any], console: Console) -> None:
    table = Table(title=f"myriad bench scheduler (scale {config.scale:g})", show_lines=True)
    for column in ("workload\nnodes/init/measured", "measured pods bound", "pods/s avg\n(target)",
                   "p50/p90/p99\noverall", "sched CPU\nµs/pod", "placements"):
        table.add_column(column)
    legend = []
    for key, figures in results["workloads"].items():
        workload = WORKLOADS[key]
        legend.append(f"{key} = {figures['workload']}")
        rate = figures["throughput"]
        bound = (f"all, {figures['bound_s']:,.1f} s" if figures["all_bound"] else
                 f"[red]not all bound[/]: {figures['measured_bound']:,}/{figures['measured_pods']:,}, "
                 f"{figures['bound_s']:,.1f} s")
        if not figures["init_all_bound"]:
            bound += f"\n[red]init: {figures['init_bound']:,}/{figures['init_pods']:,} bound[/]"
        average = _rate(rate["average"])
        if workload.target is not None:
            average += f"\n(≥{workload.target:,.0f}; upstream {workload.upstream:,.0f})"
        elif workload.all_bound_within is not None:
            bound += f"\n(target: all ≤ {workload.all_bound_within:,.0f} s)"
        table.add_row(f"{key}\n{figures['nodes']:,}/{figures['init_pods']:,}/{figures['measured_pods']:,}", bound,
                      average, f"{_rate(rate['p50'])}/{_rate(rate['p90'])}/{_rate(rate['p99'])}\n"
                      f"{_rate(figures['overall_per_s'])}", f"{figures['scheduler_cpu_us_per_pod']:,.0f}",
                      _checks(figures["checks"]))
    console.print(table)
    console.print("; ".join(legend))
    ablation = results.get("ablation")
    if ablation:
        rows = Table(title="ablation: each technique off in turn", show_lines=True)
        for column in ("workload", "run", "pods/s avg", "overall pods/s", "sched CPU µs/pod", "cycle µs",
                       "batched", "bound", "placements"):
            rows.add_column(column)
        for run in ablation["runs"]:
            cycle, share = run.get("cycle_us_per_attempt"), run.get("batched_share")
            rows.add_row(run.get("workload", ablation["workload"]), run["name"], _rate(run["throughput"]["average"]),
                         _rate(run["overall_per_s"]), f"{run['scheduler_cpu_us_per_pod']:,.0f}",
                         "-" if cycle is None else f"{cycle:,.0f}", "-" if share is None else f"{share:.0%}",
                         "all" if run["all_bound"] else f"[red]{run['measured_bound']:,}[/]", _checks(run["checks"]))
        console.print(rows)
    print_targets(targets(config, results), console)


def write_json(config: SchedulerBenchConfig, results: dict[str, Any]) -> None:
    document = {"config": config.to_json(), "results": results, "targets": targets(config, results)}
    config.json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
