"""Presenting storage-benchmark results: a rich table on the terminal and a JSON file.

JSON layout::

    {"config": {...BenchConfig...},
     "results": [{"backend": "embedded", "error": null,
                  "put": {"completed", "elapsed_s", "per_s",
                          "latency": {"count", "p50_ms", "p99_ms", "p99_9_ms", "max_ms", "over_range"}},
                  "range": {...same shape, reads...} | null,
                  "soak": [{"elapsed_s", "puts_per_s", "put_p99_ms", "disk", "revision",
                            "compacted_revision", "compaction_lag"}, ...],
                  "revision", "compacted_revision", "disk": {...},
                  "disk_sync_latency": {...latency...}: the device's write + fdatasync of
                  one 4 KiB block, sampled through the same run,
                  "disk_commit_floor": {...latency...}: what writes due 50 times a second
                  would wait on an ideal group-committing store (myriad.bench.diskprobe)}, ...],
     "embedded_over_etcd_puts_per_s": 1.7 | null}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson
from rich.console import Console
from rich.table import Table

from myriad.bench.diskprobe import ProbeFigures
from myriad.bench.histogram import HIGHEST_US, Percentiles
from myriad.bench.soak import SoakSample
from myriad.bench.workload import RateFigures

if TYPE_CHECKING:
    from myriad.bench.storage import BenchConfig


@dataclass(kw_only=True)
class BackendResult:
    """What one backend's run produced; filled in as the run goes, ``error`` set if it failed."""

    backend: str
    error: str | None = None
    put: RateFigures | None = None
    range: RateFigures | None = None
    soak: list[SoakSample] = field(default_factory=list)
    revision: int = 0
    compacted_revision: int = 0
    disk: dict[str, int] = field(default_factory=dict)
    #: The disk's own sync latency during the run (:mod:`myriad.bench.diskprobe`).
    probe: ProbeFigures | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "error": self.error,
            "put": self.put.to_json() if self.put else None,
            "range": self.range.to_json() if self.range else None,
            "soak": [s.to_json() for s in self.soak],
            "revision": self.revision,
            "compacted_revision": self.compacted_revision,
            "disk": self.disk,
            "disk_sync_latency": self.probe.sync.to_json() if self.probe else None,
            "disk_commit_floor": self.probe.commit_floor.to_json() if self.probe else None,
        }


def puts_ratio(results: list[BackendResult]) -> float | None:
    """Embedded puts/s over etcd puts/s, when both completed runs."""
    rates = {r.backend: r.put.per_second for r in results if r.put and not r.error}
    if rates.get("embedded") and rates.get("etcd"):
        return rates["embedded"] / rates["etcd"]
    return None


def write_json(config: BenchConfig, results: list[BackendResult]) -> None:
    document = {
        "config": config.to_json(),
        "results": [r.to_json() for r in results],
        "embedded_over_etcd_puts_per_s": puts_ratio(results),
    }
    config.json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))


def print_report(config: BenchConfig, results: list[BackendResult], console: Console) -> None:
    console.print(_summary_table(config, results))
    for result in results:
        if result.soak:
            console.print(_soak_table(result))
    for result in results:
        if result.error:
            console.print(f"[red]{result.backend} failed:[/red] {result.error}")
    ratio = puts_ratio(results)
    if ratio is not None:
        console.print(f"embedded/etcd puts/s: [bold]{ratio:.2f}x[/bold]")
    console.print(f"results written to {config.json_path}")


def _summary_table(config: BenchConfig, results: list[BackendResult]) -> Table:
    rate = f"{config.rate:,.0f}/s" if config.rate else "max rate"
    table = Table(title=f"storage bench, mode {config.mode}: {config.clients} clients, "
                        f"{config.value_size} B values, {config.keys:,} keys, {rate}",
                  caption="latencies in ms; disk sync: the device's own 4 KiB write + fdatasync beside "
                          "the run; commit floor: what writes due 50/s would wait on an ideal "
                          "group-committing store")
    for column in ("backend", "puts", "time s", "puts/s", *latency_headers("put"), "disk sync p99.9",
                   "commit floor p99", "p99.9"):
        table.add_column(column, justify="left" if column == "backend" else "right")
    if config.mode == "range":
        for column in (f"reads of {config.range_keys:,}", "reads/s", *latency_headers("read")):
            table.add_column(column, justify="right")
    if config.mode == "soak":
        for column in ("disk", "max lag", "final lag"):
            table.add_column(column, justify="right")
    for result in results:
        if result.put is None:
            continue
        put = result.put
        row = [result.backend, f"{put.count:,}", f"{put.elapsed:.2f}", f"{put.per_second:,.0f}",
               *latency_cells(put.latency), *_probe_cells(result.probe)]
        if config.mode == "range" and result.range:
            reads = result.range
            row += [f"{reads.count:,}", f"{reads.per_second:,.1f}", *latency_cells(reads.latency)]
        if config.mode == "soak":
            lags = [s.compaction_lag for s in result.soak]
            row += [format_disk(result.disk), f"{max(lags, default=0):,}",
                    f"{result.revision - result.compacted_revision:,}"]
        table.add_row(*row)
    return table


def _probe_cells(probe: ProbeFigures | None) -> list[str]:
    if probe is None or not probe.sync.count:
        return ["-", "-", "-"]
    return [f"{probe.sync.p999:.2f}", f"{probe.commit_floor.p99:.2f}", f"{probe.commit_floor.p999:.2f}"]


def _soak_table(result: BackendResult) -> Table:
    table = Table(title=f"{result.backend} soak samples")
    for column in ("elapsed s", "puts/s", "put p99 ms", "disk", "revision", "compacted", "lag"):
        table.add_column(column, justify="right")
    for s in result.soak:
        table.add_row(f"{s.elapsed:.0f}", f"{s.puts_per_s:,.0f}", f"{s.put_p99_ms:.2f}", format_disk(s.disk),
                      f"{s.revision:,}", f"{s.compacted_revision:,}", f"{s.compaction_lag:,}")
    return table


def latency_headers(what: str) -> tuple[str, ...]:
    return tuple(f"{what} {p}" for p in ("p50", "p99", "p99.9", "max"))


def latency_cells(latency: Percentiles) -> list[str]:
    """Figures at the histogram's 60 s ceiling read ``>=60000`` when samples went beyond it."""
    ceiling = HIGHEST_US / 1000
    return [f">={ceiling:.0f}" if latency.over_range and v >= ceiling else f"{v:.2f}"
            for v in (latency.p50, latency.p99, latency.p999, latency.max)]


def format_disk(disk: dict[str, int]) -> str:
    """``{"db_bytes": 3e6, "wal_bytes": 4e3}`` as ``db 2.9M wal 4K``; ``-`` when unknown."""
    if not disk:
        return "-"
    return " ".join(f"{name.removesuffix('_bytes')} {_size(size)}" for name, size in disk.items())


def _size(size: int) -> str:
    return f"{size / 2**20:.1f}M" if size >= 2**20 else f"{size / 2**10:.0f}K"
