"""The density HTML report: self-contained, escaped, one SVG per plot, objects embedded, robust to gaps."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from myriad.bench.density import html, plots

HOSTILE = "<script>alert(1)</script>"
ODD_KEY = "density-0/pod-</script><b>"
API_ROWS = 60


def _result() -> dict[str, Any]:
    seconds = 100
    verbs = ("GET", "LIST", "POST", "PUT", "PATCH", "DELETE", "WATCH")
    api = [{"verb": verbs[i % len(verbs)], "resource": f"res{i}", "subresource": "status" if i % 4 == 0 else "",
            "scope": ("resource", "namespace", "cluster")[i % 3], "count": 100 + i,
            "p99_s": 0.001 * (i + 1), "slo_s": 1.0, "met": True}
           for i in range(API_ROWS)]
    api.append({"verb": "LIST", "resource": "pods", "subresource": "", "scope": "cluster", "count": 7,
                "p99_s": 45.0, "slo_s": 30.0, "met": False})
    samples = [[t + 0.5, 0.25 + (t % 10) / 20, 300e6 + t * 1e6] for t in range(seconds)]
    objects = {f"density-{i % 5}/pod-{i}": {"created": 10.0 + i / 100, "scheduled": 10.0123456 + i / 100,
                                            "running": 10.5 + i / 100, "ready": 10.6 + i / 100, "deleted": None}
               for i in range(3000)}
    objects["density-1/pod-7"] = {"created": 14.2, "scheduled": 14.3, "running": 14.5, "ready": None}
    objects[ODD_KEY] = {"created": 1.0}
    return {
        "schema": 1,
        "config": {"preset": HOSTILE, "nodes": 100, "pods_per_node": 30, "throughput": 100.0, "seed": 7},
        "started_at": "2026-12-05T02:40:00Z",
        "duration_s": 95.2,
        "phases": [{"name": name, "began_s": 10.0 * i, "seconds": 10.0, "calls": 3210 + i, "failed": 0,
                    "throttled": 0} for i, name in enumerate(("start", "nodes", "create", "running", "churn",
                                                              "delete"))],
        "pods": {
            "created": 3000, "running": 3000, "deleted": 3000,
            "startup": {name: {"count": 3000, "p50_ms": 12.0, "p90_ms": 40.0, "p99_ms": 90.0, "max_ms": 4321.5}
                        for name in ("create_to_schedule", "schedule_to_run", "run_to_watch", "create_to_watch")},
            "cdf": {name: [[10 ** (k / 50), (k + 1) / 200] for k in range(200)]
                    for name in ("create_to_watch", "create_to_schedule", "schedule_to_run")},
            "timeline": [[float(t), {"Pending": 10, "Running": 30 * t, "Succeeded": 0, "Failed": 0, "Terminating": 0}]
                         for t in range(seconds)],
        },
        "api": api,
        "scheduling": {"pods_per_s_avg": 410.0, "pods_per_s_p50": 400.0, "pods_per_s_max": 800.0},
        "registration_s": 3.2,
        "components": {name: {"pid": 1000 + i, "samples": samples, "cpu_s": 80.1, "rss_peak_bytes": 2.0e9}
                       for i, name in enumerate(("apiserver", "scheduler", "controller-manager", "nodes"))},
        "queues": {"scheduler_pending": [[float(t), t % 50] for t in range(seconds)],
                   "workqueue_depth": [[float(t), t % 7] for t in range(seconds)]},
        "rejections": {"by_level": {"workload-low": 12345, "global-default": 0}},
        "storage_bytes_written": 123456789,
        "attribution": ["apiserver was CPU-saturated (≥ 0.9 core) 14–45 s, in create and running",
                        "the scheduler waited on binds 50–60 s"],
        "targets": {"pod_startup_p99": {"limit": "<= 5 s", "value": 1.2, "met": True},
                    "api_list_pods_p99": {"limit": "<= 30 s", "value": 45.0, "met": False}},
        "objects": objects,
    }


@pytest.fixture(scope="module")
def document() -> str:
    return html.render(_result())


def _section(document: str, title: str) -> str:
    start = document.index(f"<h2>{title}</h2>")
    end = document.find("<h2>", start + 1)
    return document[start:end if end >= 0 else len(document)]


def _svgs(document: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", document, re.S)


def test_self_contained(document: str) -> None:
    assert document.startswith("<!DOCTYPE html>") and document.rstrip().endswith("</html>")
    assert 'src="http' not in document and 'href="http' not in document
    assert "<link" not in document and "<script src" not in document and "<img" not in document
    # The only URLs left are the SVG namespace names, which nothing fetches.
    assert set(re.findall(r'[\w:]+="https?://[^"]*"', document)) == {
        'xmlns="http://www.w3.org/2000/svg"', 'xmlns:xlink="http://www.w3.org/1999/xlink"'}
    assert len(re.findall(r"https?://", document)) == 2 * len(_svgs(document))


def test_sections_in_order(document: str) -> None:
    titles = re.findall(r"<h2>(.*?)</h2>", document)
    assert titles == ["Targets", "Phases", "Pods by phase", "Pod startup latency", "API latency against SLOs",
                      "Components", "Queues and rejections", "Where the time went", "Object timelines"]
    assert "no data" not in document


def test_one_svg_per_plot(document: str) -> None:
    assert document.count("<svg") == 6
    per_section = {"Pods by phase": 1, "Pod startup latency": 1, "API latency against SLOs": 1, "Components": 2,
                   "Queues and rejections": 1}
    for title, count in per_section.items():
        assert len(_svgs(_section(document, title))) == count, title
    ids = re.findall(r'\sid="([^"]+)"', document)
    assert len(ids) == len(set(ids)), "element ids repeat across plots"
    references = re.findall(r'href="#([^"]+)"|url\(#([^)]+)\)', document)
    assert references and {a or b for a, b in references} <= set(ids)


def test_targets_and_tables(document: str) -> None:
    targets = _section(document, "Targets")
    missed = re.search(r"<tr><td>api_list_pods_p99</td>.*?</tr>", targets, re.S)
    met = re.search(r"<tr><td>pod_startup_p99</td>.*?</tr>", targets, re.S)
    assert missed and 'class="missed">MISSED<' in missed.group(0) and "&lt;= 30 s" in missed.group(0)
    assert met and 'class="met">met<' in met.group(0) and "MISSED" not in met.group(0)
    assert "3,215" in _section(document, "Phases")
    assert "4,321.5" in _section(document, "Pod startup latency")
    queues = _section(document, "Queues and rejections")
    assert "<td>workload-low</td>" in queues and "12,345" in queues
    assert "CPU-saturated (≥ 0.9 core) 14–45 s" in _section(document, "Where the time went")


def test_api_worst_first_top_40_plotted_all_tabled(document: str) -> None:
    api = _section(document, "API latency against SLOs")
    (svg,) = _svgs(api)
    table = api[api.index("<table>"):]
    rows = re.findall(r"<tr><td>(.*?)</td>", table)
    assert len(rows) == API_ROWS + 1
    assert rows[0] == "LIST pods (cluster)"  # 45 s against 30 s
    assert rows[1] == "PUT res59 (cluster)" and rows[-1] == "GET res0/status (resource)"
    assert "LIST pods (cluster)" in svg and "PUT res59 (cluster)" in svg
    assert f"top {plots.API_PLOT_ROWS} of {API_ROWS + 1}" in svg
    assert "GET res0/status (resource)" not in svg
    assert svg.count(plots.MISSED_COLOR) >= 1


def test_strings_are_escaped(document: str) -> None:
    assert HOSTILE not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert document.count("<script") == 2  # the object data and the lookup code, nothing from the result


def test_objects_embedded_and_parse_back(document: str) -> None:
    match = re.search(r'<script type="application/json" id="object-data">(.*?)</script>', document, re.S)
    assert match
    data = json.loads(match.group(1))
    assert data["fields"] == ["created", "scheduled", "running", "ready", "deleted"]
    assert len(data["objects"]) == 3002
    assert data["objects"]["density-1/pod-7"] == [14.2, 14.3, 14.5, None, None]
    assert data["objects"]["density-0/pod-0"] == [10.0, 10.012, 10.5, 10.6, None]
    assert data["objects"][ODD_KEY] == [1.0, None, None, None, None]
    assert "\n" not in match.group(1) and ", " not in match.group(1)


def test_almost_empty_result_says_no_data(tmp_path: Path) -> None:
    result = {"schema": 1, "config": {"preset": "ci"}, "started_at": "2026-12-05T02:40:00Z", "duration_s": 1.5}
    path = tmp_path / "report.html"
    html.write(result, path)
    document = path.read_text(encoding="utf-8")
    assert "<svg" not in document and "<script" not in document
    for title in ("Targets", "Phases", "Pods by phase", "API latency against SLOs", "Components",
                  "Queues and rejections", "Where the time went", "Object timelines"):
        assert "no data" in _section(document, title), title
    assert "1.5 s" in document


def test_empty_sections_say_no_data() -> None:
    result = _result()
    result.update(api=[], queues={"scheduler_pending": [], "workqueue_depth": []}, objects={}, attribution=[])
    result["pods"]["cdf"] = {"create_to_watch": []}
    result["components"] = {"apiserver": {"pid": 1, "samples": []}}
    document = html.render(result)
    assert document.count("<svg") == 1  # pods by phase only
    for title in ("API latency against SLOs", "Components", "Queues and rejections", "Where the time went",
                  "Object timelines"):
        assert "no data" in _section(document, title), title


def test_downsample_keeps_peaks_and_bounds_points() -> None:
    t = np.arange(2700, dtype=float)
    ys = np.zeros((2, 2700))
    ys[0, 1234] = 9.0
    ys[1] = t
    kept_t, kept = plots.downsample(t, ys, peak=True)
    assert len(kept_t) == kept.shape[1] == plots.MAX_POINTS
    assert kept[0].max() == 9.0 and kept[1].max() == 2699.0 and kept_t[0] == 0.0
    picked_t, picked = plots.downsample(t, ys, peak=False)
    assert np.array_equal(picked[1], picked_t)
    short_t, short = plots.downsample(t[:10], ys[:, :10], peak=True)
    assert short_t is not None and short.shape == (2, 10)
