"""Presenting ``myriad bench apiserver`` results: a rich table and a JSON file.

JSON layout::

    {"config": {...ApiBenchConfig...},
     "results": [{"op": "create", "concurrency": 32, "completed", "errors", "first_error",
                  "elapsed_s", "per_s", "server_cpu_s", "server_cpu_us_per_request",
                  "latency": {"count", "p50_ms", "p99_ms", "p99_9_ms", "max_ms", "over_range"},
                  "target": {"per_s": 3000, "p99_ms": 50, "met": true} | null}, ...],
     "tracking": {"update_us": 470, "plain_update_us": 380, "overhead": 0.24, "round_overheads": [...],
                  "median_overhead": 0.22, "max": 0.3, "met": true} | null}

``tracking`` is what managed fields add to an update's server CPU: ``update`` against
``update-plain``, in all and round by round; issue 23's bound (at most 30% more) is judged by the
rounds' median.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
from rich.console import Console
from rich.table import Table

from myriad.bench.apiload import PhaseFigures
from myriad.bench.report import latency_cells, latency_headers

if TYPE_CHECKING:
    from myriad.bench.apiserver import ApiBenchConfig

#: Targets for a server on one core: (requests/s at least, p99 ms at most, or None): issue 3's
#: for create and get, issue 23's for server-side apply.
TARGETS: dict[str, tuple[float, float | None]] = {"create": (3000.0, 50.0), "get": (10_000.0, 10.0),
                                                  "apply": (2000.0, None)}

#: The most managed-field tracking may add to an update's server CPU (issue 23).
TRACKING_OVERHEAD_MAX = 0.30


@dataclass(frozen=True, kw_only=True)
class PhaseResult:
    op: str
    concurrency: int
    figures: PhaseFigures
    #: Server CPU seconds (user + system) spent during the phase; None when not measurable.
    server_cpu_s: float | None
    #: For a phase run in rounds: each round's server CPU µs a request.
    rounds_us: tuple[float | None, ...] = ()

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.server_cpu_s is None or not self.figures.count:
            return None
        return self.server_cpu_s / self.figures.count * 1e6

    def target_met(self) -> bool | None:
        if self.op not in TARGETS:
            return None
        rate, p99 = TARGETS[self.op]
        return self.figures.errors == 0 and self.figures.per_second >= rate and (
            p99 is None or self.figures.latency.p99 <= p99)

    def to_json(self) -> dict[str, object]:
        figures = self.figures
        target = None
        if self.op in TARGETS:
            rate, p99 = TARGETS[self.op]
            target = {"per_s": rate, "p99_ms": p99, "met": self.target_met()}
        return {"op": self.op, "concurrency": self.concurrency, "completed": figures.count,
                "errors": figures.errors, "first_error": figures.first_error, "elapsed_s": figures.elapsed,
                "per_s": figures.per_second, "server_cpu_s": self.server_cpu_s,
                "server_cpu_us_per_request": self.cpu_us_per_request, "latency": figures.latency.to_json(),
                "target": target, **({"rounds_us": list(self.rounds_us)} if self.rounds_us else {})}


def tracking(results: list[PhaseResult]) -> dict[str, object] | None:
    """What tracking managed fields adds to an update's server CPU, over the whole phases and
    round by round (judged by the rounds' median); None without both update phases."""
    by_op = {r.op: r for r in results}
    tracked, plain = by_op.get("update"), by_op.get("update-plain")
    if tracked is None or plain is None or not tracked.cpu_us_per_request or not plain.cpu_us_per_request:
        return None
    rounds = [t / p - 1 for t, p in zip(tracked.rounds_us, plain.rounds_us, strict=False) if t and p]
    median = statistics.median(rounds) if rounds else tracked.cpu_us_per_request / plain.cpu_us_per_request - 1
    return {"update_us": tracked.cpu_us_per_request, "plain_update_us": plain.cpu_us_per_request,
            "overhead": tracked.cpu_us_per_request / plain.cpu_us_per_request - 1, "round_overheads": rounds,
            "median_overhead": median, "max": TRACKING_OVERHEAD_MAX, "met": median <= TRACKING_OVERHEAD_MAX}


def write_json(config: ApiBenchConfig, results: list[PhaseResult]) -> None:
    document = {"config": config.to_json(), "results": [r.to_json() for r in results], "tracking": tracking(results)}
    config.json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


def print_report(config: ApiBenchConfig, results: list[PhaseResult], console: Console) -> None:
    where = config.url or (f"server pinned to CPU {config.server_cpu}" if config.server_cpu is not None
                           else "server unpinned")
    table = Table(title=f"apiserver bench: pods, {where}", caption="latencies in ms; CPU is the server's")
    for column in ("op", "conns", "requests", "errors", "req/s", *latency_headers("lat"), "CPU µs/req",
                   "target"):
        table.add_column(column, justify="left" if column == "op" else "right")
    for result in results:
        figures = result.figures
        cpu = result.cpu_us_per_request
        met = result.target_met()
        target = "-" if met is None else ("[green]met[/green]" if met else "[red]missed[/red]")
        table.add_row(result.op, str(result.concurrency), f"{figures.count:,}", f"{figures.errors:,}",
                      f"{figures.per_second:,.0f}", *latency_cells(figures.latency),
                      "-" if cpu is None else f"{cpu:,.0f}", target)
    console.print(table)
    cost = tracking(results)
    if cost is not None:
        verdict = "[green]met[/green]" if cost["met"] else "[red]missed[/red]"
        rounds = cost["round_overheads"]
        spread = f", from {min(rounds):+.0%} to {max(rounds):+.0%}" if rounds else ""  # type: ignore[type-var]
        console.print(f"managed fields add {cost['median_overhead']:+.0%} server CPU to an update, the median of "
                      f"{len(rounds)} rounds{spread} ({cost['update_us']:,.0f} µs against "  # type: ignore[arg-type]
                      f"{cost['plain_update_us']:,.0f} untracked in all; at most {TRACKING_OVERHEAD_MAX:.0%}: "
                      f"{verdict})")
    for result in results:
        if result.figures.first_error:
            console.print(f"[red]{result.op}: {result.figures.errors} errors; first:[/red] "
                          f"{result.figures.first_error}")
    console.print(f"results written to {config.json_path}")
