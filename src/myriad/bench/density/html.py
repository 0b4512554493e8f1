"""``myriad bench density``'s result JSON as one self-contained HTML report.

:func:`render` returns the whole document; :func:`write` saves it. The document needs nothing else
to open offline: no external URLs, no scripts but a few inline lines, plots as inline SVG (made by
:mod:`myriad.bench.density.plots`). It shows, in order: the run and its targets, the phases, pods
by phase over time, the pod startup CDFs and percentiles, API p99 per (verb, resource, scope)
against its SLO, CPU and RSS per component, queue depths and rejections, where the time went, and
a lookup of one object's timeline by ``namespace/name``.

Only ``schema``, ``config``, ``started_at`` and ``duration_s`` are required; any other section
may be missing or empty and then shows "no data". Every string from the result is HTML-escaped
(Jinja2 autoescape). The objects are embedded as ``{"fields": [...], "objects": {key: [seconds or
null per field]}}`` (seconds rounded to the millisecond) in a ``<script type="application/json">``
whose ``<`` are written ``\\u003c``, so no key can end the script.

Result schema (v1), times in seconds since the run's start::

    {"schema": 1, "config": {"preset", "nodes", "pods_per_node", "throughput", ...}, "started_at",
     "duration_s", "phases": [{"name", "began_s", "seconds", "calls", "failed", "throttled"}],
     "pods": {"created", "running", "deleted",
              "startup": {transition: {"count", "p50_ms", "p90_ms", "p99_ms", "max_ms"}},
              "cdf": {transition: [[ms, fraction], ...]}, "timeline": [[t_s, {phase: count}], ...]},
     "api": [{"verb", "resource", "subresource", "scope", "count", "p99_s", "slo_s", "met"}],
     "scheduling": {"pods_per_s_avg", "pods_per_s_p50", "pods_per_s_max"}, "registration_s",
     "components": {name: {"pid", "samples": [[t_s, cpu_cores, rss_bytes], ...], "cpu_s", "rss_peak_bytes"}},
     "queues": {"scheduler_pending": [[t_s, n], ...], "workqueue_depth": [[t_s, n], ...]},
     "rejections": {"by_level": {level: n}}, "storage_bytes_written", "attribution": [text, ...],
     "targets": {name: {"limit", "value", "met"}},
     "objects": {"namespace/name": {"created", "scheduled", "running", "ready", "deleted"}}}
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from myriad.bench.density import plots

OBJECT_FIELDS = ("created", "scheduled", "running", "ready", "deleted")
CONFIG_SUMMARY = ("preset", "nodes", "pods_per_node", "throughput")
TRANSITIONS = ("create_to_schedule", "schedule_to_run", "run_to_watch", "create_to_watch")
PERCENTILES = ("p50_ms", "p90_ms", "p99_ms", "max_ms")
MIB = 1024 * 1024

_environment = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=True,
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def number(value: Any, digits: int | None = 0) -> str:
    """A figure for a table cell, thousands separated: ``digits`` decimals, or with ``None`` up to
    three (trailing zeros dropped); "—" when absent, other values as they are."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if digits is None:
        return f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"{value:,.{digits}f}"


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    config = result.get("config") or {}
    pods = result.get("pods") or {}
    scheduling = result.get("scheduling") or {}
    written = result.get("storage_bytes_written")
    return {
        "started_at": result.get("started_at"),
        "duration": number(result.get("duration_s"), 1),
        "config": [(key, config.get(key)) for key in CONFIG_SUMMARY],
        "config_json": orjson.dumps(config, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode(),
        "totals": [
            ("pods created", number(pods.get("created"))),
            ("pods running", number(pods.get("running"))),
            ("pods deleted", number(pods.get("deleted"))),
            ("scheduled pods/s avg", number(scheduling.get("pods_per_s_avg"), 1)),
            ("scheduled pods/s p50", number(scheduling.get("pods_per_s_p50"), 1)),
            ("scheduled pods/s max", number(scheduling.get("pods_per_s_max"), 1)),
            ("node registration s", number(result.get("registration_s"), 1)),
            ("storage MiB written", number(written / MIB if isinstance(written, int | float) else None, 1)),
        ],
    }


def _targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": name, "limit": (t or {}).get("limit"), "value": number((t or {}).get("value"), None),
             "met": bool((t or {}).get("met"))}
            for name, t in (result.get("targets") or {}).items()]


def _phases(result: dict[str, Any]) -> list[dict[str, str]]:
    return [{"name": p.get("name"), "began": number(p.get("began_s"), 1), "seconds": number(p.get("seconds"), 1),
             "calls": number(p.get("calls")), "failed": number(p.get("failed")),
             "throttled": number(p.get("throttled"))}
            for p in result.get("phases") or []]


def _startup(pods: dict[str, Any]) -> list[dict[str, Any]]:
    startup = pods.get("startup") or {}
    names = [t for t in TRANSITIONS if t in startup] + sorted(set(startup).difference(TRANSITIONS))
    return [{"name": name, "count": number((startup[name] or {}).get("count")),
             "values": [number((startup[name] or {}).get(p), 1) for p in PERCENTILES]}
            for name in names]


def _api(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The API rows worst first: by p99 / SLO descending, rows without an SLO last."""
    rows = []
    for row in result.get("api") or []:
        p99 = float(row.get("p99_s") or 0.0)
        slo = row.get("slo_s") or None
        label = f"{row.get('verb', '')} {row.get('resource', '')}"
        if row.get("subresource"):
            label += f"/{row['subresource']}"
        if row.get("scope"):
            label += f" ({row['scope']})"
        met = row["met"] if row.get("met") is not None else slo is None or p99 <= slo
        rows.append({"label": label, "count": number(row.get("count")), "p99_s": p99, "slo_s": slo,
                     "p99": number(p99 * 1000, 1), "slo": number(slo, 1), "met": bool(met),
                     "ratio": p99 / slo if slo else -math.inf})
    return sorted(rows, key=lambda row: row["ratio"], reverse=True)


def _objects_json(objects: dict[str, Any]) -> Markup:
    """The objects as compact JSON, safe inside a ``<script>`` element. Missing times go through
    numpy as NaN, which orjson writes as ``null``."""
    timed = {key: times for key, times in objects.items() if isinstance(times, dict)}
    seconds = np.array([[times.get(field) for field in OBJECT_FIELDS] for times in timed.values()], dtype=float)
    rows = dict(zip(timed, seconds.round(3).tolist(), strict=True))
    payload = orjson.dumps({"fields": OBJECT_FIELDS, "objects": rows})
    return Markup(payload.replace(b"<", b"\\u003c").decode())


def render(result: dict[str, Any]) -> str:
    """The whole HTML document for one density result."""
    pods = result.get("pods") or {}
    components = result.get("components")
    api = _api(result)
    objects = result.get("objects") or {}
    plot_svgs = {
        "phases": plots.pods_by_phase(pods.get("timeline")),
        "cdf": plots.startup_cdf(pods.get("cdf")),
        "api": plots.api_p99(api),
        "cpu": plots.component_series(components, 1, 1.0, "cores", "CPU per component", "cpu"),
        "rss": plots.component_series(components, 2, 1 / MIB, "MiB", "RSS per component", "rss"),
        "queues": plots.queue_depths(result.get("queues")),
    }
    by_level = (result.get("rejections") or {}).get("by_level") or {}
    return _environment.get_template("report.html.j2").render(
        summary=_summary(result),
        targets=_targets(result),
        phases=_phases(result),
        startup=_startup(pods),
        percentiles=[p.removesuffix("_ms") for p in PERCENTILES],
        api=api,
        plots={name: Markup(svg) if svg else None for name, svg in plot_svgs.items()},
        rejections=[(level, number(n)) for level, n in by_level.items()],
        attribution=result.get("attribution") or [],
        objects_count=number(len(objects)),
        example_key=next(iter(objects), ""),
        objects_json=_objects_json(objects) if objects else None,
    )


def write(result: dict[str, Any], path: Path) -> None:
    """Save :func:`render`'s document to ``path`` as UTF-8."""
    path.write_text(render(result), encoding="utf-8")
