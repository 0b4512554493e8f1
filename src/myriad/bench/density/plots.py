"""The density report's plots: each function takes a section of the ``myriad bench density`` result
(schema in :mod:`myriad.bench.density.html`) and returns one inline ``<svg>`` element as text, or
``None`` when the section is missing or empty.

Figures are drawn with :class:`matplotlib.figure.Figure` and the SVG backend, never pyplot, so no
GUI backend is loaded; each plot's settings live in its own ``rc_context``, so nothing global
changes. Mathtext is off (labels are literal text). The SVG keeps text as ``<text>`` (the browser's
fonts, not glyph outlines), drops the XML prolog and metadata, and prefixes every ``id`` with the
plot's name so several plots can share one HTML document. A time series longer than
:data:`MAX_POINTS` is cut into that many buckets of consecutive samples before it is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

MAX_POINTS = 600
"""Points per line at most; longer time series are bucketed by :func:`downsample`."""

API_PLOT_ROWS = 40
"""The API plot shows this many rows, the ones furthest over (or nearest to) their SLO."""

STARTUP_SLO_MS = 5000.0
PHASE_COLORS = {"Pending": "#f39c12", "Running": "#27ae60", "Succeeded": "#2e86c1", "Failed": "#c0392b",
                "Terminating": "#95a5a6"}
WIDTH_IN = 9.0
HEIGHT_IN = 3.6
MISSED_COLOR = "#c0392b"
MET_COLOR = "#2e86c1"
_RC = {"svg.fonttype": "none", "svg.hashsalt": "myriad", "text.parse_math": False, "font.size": 9}
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


def downsample(t: np.ndarray, ys: np.ndarray, *, peak: bool, limit: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """``t`` (n,) and ``ys`` (lines, n) cut to at most ``limit`` buckets of consecutive samples.

    Each bucket keeps its first time and, with ``peak``, each line's largest value in it (a one-second
    spike stays visible), else each line's first value (stacked counts keep adding up).
    """
    n = len(t)
    if n <= limit:
        return t, ys
    starts = np.linspace(0, n, limit, endpoint=False).astype(np.intp)
    kept = np.maximum.reduceat(ys, starts, axis=1) if peak else ys[:, starts]
    return t[starts], kept


def _series(points: Sequence[Sequence[float]] | None, columns: int) -> np.ndarray | None:
    """``[[t, v...], ...]`` as a (columns, n) float array sorted by time, or None when empty."""
    if not points:
        return None
    array = np.asarray([row[:columns] for row in points], dtype=float).T
    return array[:, np.argsort(array[0], kind="stable")]


def _svg(fig: Figure, name: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    return (text.replace(' id="', f' id="{name}-')
            .replace('xlink:href="#', f'xlink:href="#{name}-')
            .replace("url(#", f"url(#{name}-"))


def _figure(height_in: float = HEIGHT_IN) -> Figure:
    return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def _time_axes(fig: Figure, title: str, ylabel: str) -> Any:
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_xlabel("seconds since start")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return ax


def _log_x(ax: Any) -> None:
    """A log x axis labelled with plain numbers (mathtext is off, so the default 10^n labels are not used)."""
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


@matplotlib.rc_context(_RC)
def pods_by_phase(timeline: Sequence[Sequence[Any]] | None) -> str | None:
    """Stacked areas of ``pods.timeline`` (``[[t_s, {phase: count}], ...]``); a phase that is zero
    throughout is left out."""
    seen = {phase for _, counts in timeline or () for phase, n in (counts or {}).items() if n}
    phases = [p for p in PHASE_COLORS if p in seen] + sorted(seen.difference(PHASE_COLORS))
    if not phases:
        return None
    ordered = sorted(timeline or (), key=lambda entry: entry[0])
    t = np.asarray([entry[0] for entry in ordered], dtype=float)
    counts = np.asarray([[(entry[1] or {}).get(p) or 0 for entry in ordered] for p in phases], dtype=float)
    t, counts = downsample(t, counts, peak=False)
    fig = _figure()
    ax = _time_axes(fig, "Pods by phase", "pods")
    ax.stackplot(t, counts, labels=phases, colors=[PHASE_COLORS.get(p, "#7f7f7f") for p in phases], alpha=0.85)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small")
    return _svg(fig, "phases")


@matplotlib.rc_context(_RC)
def startup_cdf(cdf: Mapping[str, Sequence[Sequence[float]]] | None) -> str | None:
    """One step line per transition in ``pods.cdf`` (``[[ms, fraction], ...]``), ms on a log scale."""
    lines = {name: _series(points, 2) for name, points in (cdf or {}).items()}
    lines = {name: xy[:, xy[0] > 0] for name, xy in lines.items() if xy is not None and (xy[0] > 0).any()}
    if not lines:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    for name, (ms, fraction) in sorted(lines.items()):
        ax.step(ms, fraction, where="post", label=name)
    ax.axvline(STARTUP_SLO_MS, color=MISSED_COLOR, linestyle="--", label="SLO 5 s")
    _log_x(ax)
    ax.set_ylim(0, 1.02)
    ax.set_title("Pod startup latency CDF")
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("fraction of pods")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return _svg(fig, "cdf")


@matplotlib.rc_context(_RC)
def api_p99(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Horizontal p99 bars (log seconds) for the first :data:`API_PLOT_ROWS` rows, each with its SLO.

    ``rows`` are already ordered worst first and carry ``label``, ``p99_s``, ``slo_s`` (or None) and
    ``met``; a bar whose row missed its SLO is drawn in :data:`MISSED_COLOR`.
    """
    shown = list(rows[:API_PLOT_ROWS])
    if not shown:
        return None
    floor = 1e-4
    y = np.arange(len(shown))
    p99 = np.asarray([max(row["p99_s"], floor) for row in shown])
    fig = _figure(1.0 + 0.22 * len(shown))
    ax = fig.add_subplot()
    colors = [MET_COLOR if row["met"] else MISSED_COLOR for row in shown]
    ax.barh(y, p99 - floor, left=floor, color=colors, height=0.7)
    slo = [(i, row["slo_s"]) for i, row in enumerate(shown) if row["slo_s"]]
    handles = [Patch(color=MET_COLOR, label="p99 within SLO"), Patch(color=MISSED_COLOR, label="p99 over SLO")]
    if slo:
        handles.append(ax.scatter([s for _, s in slo], [i for i, _ in slo], marker="|", s=160, color="black",
                                  label="SLO", zorder=3))
    ax.legend(handles=handles, loc="lower right", fontsize="small")
    ax.set_yticks(y, [row["label"] for row in shown], fontsize="small")
    ax.invert_yaxis()
    _log_x(ax)
    ax.set_xlabel("p99 seconds")
    more = f" (top {len(shown)} of {len(rows)} by p99 / SLO)" if len(rows) > len(shown) else ""
    ax.set_title("API request latency p99" + more)
    ax.grid(True, axis="x", alpha=0.3)
    return _svg(fig, "api")


@matplotlib.rc_context(_RC)
def component_series(components: Mapping[str, Any] | None, column: int, scale: float, ylabel: str,
                     title: str, name: str) -> str | None:
    """One line per component from ``components.*.samples`` (``[[t_s, cpu_cores, rss_bytes], ...]``):
    column ``column`` of each sample, times ``scale``, at each bucket's peak."""
    fig = _figure()
    ax = _time_axes(fig, title, ylabel)
    drawn = False
    for component, figures in sorted((components or {}).items()):
        series = _series((figures or {}).get("samples"), column + 1)
        if series is None or series.shape[0] <= column:
            continue
        t, values = downsample(series[0], series[column:column + 1] * scale, peak=True)
        ax.plot(t, values[0], label=component, linewidth=1.2)
        drawn = True
    if not drawn:
        return None
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small")
    return _svg(fig, name)


@matplotlib.rc_context(_RC)
def queue_depths(queues: Mapping[str, Sequence[Sequence[float]]] | None) -> str | None:
    """One line per queue in ``queues`` (``[[t_s, n], ...]``), at each bucket's peak."""
    fig = _figure()
    ax = _time_axes(fig, "Queue depths", "items")
    drawn = False
    for queue, points in sorted((queues or {}).items()):
        series = _series(points, 2)
        if series is None or series.shape[0] < 2:
            continue
        t, values = downsample(series[0], series[1:2], peak=True)
        ax.step(t, values[0], where="post", label=queue, linewidth=1.2)
        drawn = True
    if not drawn:
        return None
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small")
    return _svg(fig, "queues")
