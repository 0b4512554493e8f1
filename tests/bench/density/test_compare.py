"""compare: directions, the threshold, the small-time rule, missing sections, matching of API rows
and phases, the table, and load()'s errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from myriad.bench.density.compare import Comparison, Row, compare, load


def startup(p50: float, p90: float, p99: float) -> dict[str, float]:
    return {"count": 3000, "p50_ms": p50, "p90_ms": p90, "p99_ms": p99, "max_ms": p99 * 2}


def result() -> dict[str, Any]:
    """A result of schema 1 with every measured section (the rest of the schema trimmed)."""
    return {
        "schema": 1,
        "phases": [{"name": "create", "began_s": 14.1, "seconds": 30.2, "calls": 3210, "failed": 0, "throttled": 0},
                   {"name": "delete", "began_s": 60.0, "seconds": 20.0, "calls": 3000, "failed": 0, "throttled": 0}],
        "pods": {"created": 3000, "running": 3000, "deleted": 3000,
                 "startup": {"create_to_schedule": startup(12.0, 40.0, 90.0),
                             "create_to_watch": startup(800.0, 1500.0, 2000.0)}},
        "api": [{"verb": "GET", "resource": "pods", "subresource": "", "scope": "resource", "count": 1234,
                 "p99_s": 0.012, "slo_s": 1.0, "met": True},
                {"verb": "LIST", "resource": "pods", "subresource": "", "scope": "cluster", "count": 10,
                 "p99_s": 2.5, "slo_s": 30.0, "met": True}],
        "scheduling": {"pods_per_s_avg": 410.0, "pods_per_s_p50": 400.0, "pods_per_s_max": 800.0},
        "registration_s": 3.2,
        "components": {"apiserver": {"pid": 1, "samples": [], "cpu_s": 80.1, "rss_peak_bytes": 2.0e9}},
        "storage_bytes_written": 123456789,
    }


ALL_ROWS = [
    "pods.startup.create_to_schedule.p50_ms", "pods.startup.create_to_schedule.p90_ms",
    "pods.startup.create_to_schedule.p99_ms", "pods.startup.create_to_watch.p50_ms",
    "pods.startup.create_to_watch.p90_ms", "pods.startup.create_to_watch.p99_ms",
    "api.GET pods resource.p99_s", "api.LIST pods cluster.p99_s", "scheduling.pods_per_s_avg", "registration_s",
    "phases.create.seconds", "phases.delete.seconds", "components.apiserver.cpu_s",
    "components.apiserver.rss_peak_bytes", "storage_bytes_written", "pods.running",
]


def row(comparison: Comparison, name: str) -> Row:
    (found,) = (r for r in comparison.rows if r.name == name)
    return found


def test_identical_results_list_every_measurement_unchanged() -> None:
    comparison = compare(result(), result())
    assert [r.name for r in comparison.rows] == ALL_ROWS
    assert all(r.change == 0.0 and not r.worse and not r.regressed for r in comparison.rows)
    assert not comparison.regressed
    assert comparison.table().row_count == 0


def set_path(document: dict[str, Any], path: tuple[str | int, ...], value: float) -> None:
    for key in path[:-1]:
        document = document[key]  # type: ignore[index]
    document[path[-1]] = value  # type: ignore[index]


@pytest.mark.parametrize(("path", "name", "previous", "current", "threshold", "worse", "regressed"), [
    # lower is better
    (("pods", "startup", "create_to_watch", "p99_ms"), "pods.startup.create_to_watch.p99_ms", 1000, 1090, 0.10,
     True, False),
    (("pods", "startup", "create_to_watch", "p99_ms"), "pods.startup.create_to_watch.p99_ms", 1000, 1110, 0.10,
     True, True),
    (("pods", "startup", "create_to_watch", "p99_ms"), "pods.startup.create_to_watch.p99_ms", 1000, 1090, 0.05,
     True, True),
    (("pods", "startup", "create_to_watch", "p50_ms"), "pods.startup.create_to_watch.p50_ms", 1000, 500, 0.10,
     False, False),
    (("registration_s",), "registration_s", 3.0, 3.5, 0.10, True, True),
    (("phases", 1, "seconds"), "phases.delete.seconds", 20.0, 21.0, 0.10, True, False),
    (("components", "apiserver", "cpu_s"), "components.apiserver.cpu_s", 80.0, 100.0, 0.10, True, True),
    (("components", "apiserver", "rss_peak_bytes"), "components.apiserver.rss_peak_bytes", 2e9, 2.1e9, 0.10,
     True, False),
    (("storage_bytes_written",), "storage_bytes_written", 100, 125, 0.10, True, True),
    (("storage_bytes_written",), "storage_bytes_written", 0, 1, 0.10, True, True),  # any worsening from 0
    (("api", 1, "p99_s"), "api.LIST pods cluster.p99_s", 2.0, 2.1, 0.10, True, False),
    (("api", 1, "p99_s"), "api.LIST pods cluster.p99_s", 2.0, 3.0, 0.10, True, True),
    # higher is better
    (("scheduling", "pods_per_s_avg"), "scheduling.pods_per_s_avg", 400, 350, 0.10, True, True),
    (("scheduling", "pods_per_s_avg"), "scheduling.pods_per_s_avg", 400, 380, 0.10, True, False),
    (("scheduling", "pods_per_s_avg"), "scheduling.pods_per_s_avg", 400, 800, 0.10, False, False),
    (("pods", "running"), "pods.running", 3000, 2900, 0.10, True, False),
    (("pods", "running"), "pods.running", 3000, 2900, 0.01, True, True),
    (("pods", "running"), "pods.running", 0, 3000, 0.10, False, False),
])
def test_direction_and_threshold(path: tuple[str | int, ...], name: str, previous: float, current: float,
                                 threshold: float, worse: bool, regressed: bool) -> None:
    before, after = result(), result()
    set_path(before, path, previous)
    set_path(after, path, current)
    comparison = compare(before, after, threshold=threshold)
    found = row(comparison, name)
    assert (found.previous, found.current, found.worse, found.regressed) == (previous, current, worse, regressed)
    assert found.change == (pytest.approx((current - previous) / previous) if previous else None)
    assert comparison.regressed == regressed
    assert [r.name for r in comparison.rows if r.change != 0.0] == [name]


@pytest.mark.parametrize(("path", "name", "previous", "current", "regressed"), [
    # milliseconds: both below 10 ms, or a change under 5 ms, is noise whatever the fraction
    (("pods", "startup", "create_to_schedule", "p99_ms"), "pods.startup.create_to_schedule.p99_ms", 2, 9.9, False),
    (("pods", "startup", "create_to_schedule", "p99_ms"), "pods.startup.create_to_schedule.p99_ms", 6, 12, True),
    (("pods", "startup", "create_to_schedule", "p99_ms"), "pods.startup.create_to_schedule.p99_ms", 40, 44.9, False),
    (("pods", "startup", "create_to_schedule", "p99_ms"), "pods.startup.create_to_schedule.p99_ms", 40, 45.1, True),
    (("pods", "startup", "create_to_schedule", "p50_ms"), "pods.startup.create_to_schedule.p50_ms", 0, 4.9, False),
    # seconds
    (("api", 0, "p99_s"), "api.GET pods resource.p99_s", 0.002, 0.0099, False),
    (("api", 0, "p99_s"), "api.GET pods resource.p99_s", 0.004, 0.011, True),
    (("api", 0, "p99_s"), "api.GET pods resource.p99_s", 0.020, 0.0249, False),
    (("phases", 0, "seconds"), "phases.create.seconds", 0.001, 0.009, False),
    (("components", "apiserver", "cpu_s"), "components.apiserver.cpu_s", 0.002, 0.008, False),
    # not a time: no floor
    (("storage_bytes_written",), "storage_bytes_written", 2, 9, True),
])
def test_small_times_never_regress(path: tuple[str | int, ...], name: str, previous: float, current: float,
                                   regressed: bool) -> None:
    before, after = result(), result()
    set_path(before, path, previous)
    set_path(after, path, current)
    found = row(compare(before, after), name)
    assert found.worse
    assert found.regressed == regressed


@pytest.mark.parametrize(("section", "gone"), [
    (("api",), ["api."]),
    (("components",), ["components."]),
    (("phases",), ["phases."]),
    (("scheduling",), ["scheduling."]),
    (("pods", "startup"), ["pods.startup."]),
    (("pods",), ["pods."]),
    (("registration_s",), ["registration_s"]),
    (("storage_bytes_written",), ["storage_bytes_written"]),
])
@pytest.mark.parametrize("side", ["previous", "current"])
def test_a_section_missing_on_either_side_is_skipped(section: tuple[str, ...], gone: list[str], side: str) -> None:
    sides = {"previous": result(), "current": result()}
    holder = sides[side]
    for key in section[:-1]:
        holder = holder[key]
    del holder[section[-1]]
    names = [r.name for r in compare(sides["previous"], sides["current"]).rows]
    assert names == [name for name in ALL_ROWS if not name.startswith(tuple(gone))]


def test_malformed_and_partial_sections_do_not_crash() -> None:
    before, after = result(), result()
    after["api"] = {"not": "a list"}
    after["components"] = ["not", "a", "dict"]
    after["phases"][0] = {"name": "create"}  # no seconds: that measurement is skipped
    after["phases"].append("junk")
    after["pods"]["startup"]["create_to_watch"] = None  # an item with nothing in it: only previous has it
    after["scheduling"]["pods_per_s_avg"] = None
    after["registration_s"] = "3.2"
    names = [r.name for r in compare(before, after).rows]
    assert not any(name.startswith(("api.", "components.", "phases.create", "scheduling", "registration"))
                   for name in names)
    assert "phases.delete.seconds" in names
    gone = row(compare(before, after), "pods.startup.create_to_watch.p99_ms")
    assert (gone.previous, gone.current, gone.regressed) == (2000.0, None, False)
    assert compare({}, result()).rows == ()


def test_api_rows_match_on_verb_resource_subresource_and_scope() -> None:
    before, after = result(), result()
    after["api"] = [
        {"verb": "LIST", "resource": "pods", "subresource": "", "scope": "cluster", "p99_s": 2.4},
        {"verb": "GET", "resource": "pods", "subresource": "status", "scope": "resource", "p99_s": 0.9},
        {"verb": "GET", "resource": "pods", "subresource": "", "scope": "namespace", "p99_s": 0.8},
        {"verb": "GET", "resource": "pods", "subresource": "", "scope": "resource", "p99_s": 0.5},
    ]
    comparison = compare(before, after)
    api = {r.name: (r.previous, r.current, r.regressed) for r in comparison.rows if r.name.startswith("api.")}
    assert api == {
        "api.GET pods resource.p99_s": (0.012, 0.5, True),
        "api.LIST pods cluster.p99_s": (2.5, 2.4, False),
        "api.GET pods/status resource.p99_s": (None, 0.9, False),  # only in current: listed, never regresses
        "api.GET pods namespace.p99_s": (None, 0.8, False),
    }
    assert [r.name for r in comparison.rows if r.name.startswith("api.")][:2] == [
        "api.GET pods resource.p99_s", "api.LIST pods cluster.p99_s"]  # previous order first
    gone = row(compare(after, before), "api.GET pods/status resource.p99_s")
    assert (gone.previous, gone.current, gone.change, gone.worse, gone.regressed) == (0.9, None, None, False, False)


def test_phases_match_by_name() -> None:
    before, after = result(), result()
    after["phases"] = [{"name": "churn", "seconds": 99.0}, {"name": "delete", "seconds": 30.0},
                       {"name": "create", "seconds": 30.2}]
    phases = [(r.name, r.previous, r.current, r.regressed) for r in compare(before, after).rows
              if r.name.startswith("phases.")]
    assert phases == [("phases.create.seconds", 30.2, 30.2, False), ("phases.delete.seconds", 20.0, 30.0, True),
                      ("phases.churn.seconds", None, 99.0, False)]


def test_table_shows_changed_rows_and_regressions_in_bold_red() -> None:
    before, after = result(), result()
    after["registration_s"] = 6.4  # +100 %: regressed
    after["scheduling"]["pods_per_s_avg"] = 500.0  # better
    after["storage_bytes_written"] = 123456789 * 1.05  # worse within the threshold
    after["api"].append({"verb": "POST", "resource": "pods", "subresource": "", "scope": "resource", "p99_s": 0.05})
    table = compare(before, after).table()
    names = list(table.columns[0].cells)
    assert names == ["api.POST pods resource.p99_s", "scheduling.pods_per_s_avg", "registration_s",
                     "storage_bytes_written"]
    assert [r.style for r in table.rows] == [None, None, "bold red", None]
    assert list(table.columns[3].cells) == ["new", "+22.0%", "+100.0%", "+5.0%"]
    assert list(table.columns[1].cells)[3] == "123,456,789"
    console = Console(record=True, width=200)
    console.print(table)
    assert "registration_s" in console.export_text()


def test_to_json() -> None:
    before, after = result(), result()
    after["pods"]["running"] = 1500
    document = json.loads(json.dumps(compare(before, after, threshold=0.2).to_json()))
    assert document["threshold"] == 0.2 and document["regressed"] is True
    assert [r["name"] for r in document["rows"]] == ALL_ROWS
    assert document["rows"][-1] == {"name": "pods.running", "previous": 3000, "current": 1500, "change": -0.5,
                                    "worse": True, "regressed": True}


def test_load_reads_a_result(tmp_path: Path) -> None:
    path = tmp_path / "previous.json"
    path.write_text(json.dumps(result()))
    assert load(path) == result()


@pytest.mark.parametrize(("content", "problem"), [
    (None, "no such file"),
    ("{\"schema\": 1,", "not valid JSON: Expecting property name enclosed in double quotes at line 1, column 14"),
    ("", "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8 text"),
    ("[1, 2]", "not a JSON object"),
    ("{}", '"schema": null'),
    ('{"schema": 2}', '"schema": 2'),
    ('{"schema": "1"}', '"schema": "1"'),
    ('{"schema": true}', '"schema": true'),
])
def test_load_names_the_file_and_the_problem(tmp_path: Path, content: str | bytes | None, problem: str) -> None:
    path = tmp_path / "previous.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ValueError) as raised:
        load(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert problem in str(raised.value)


def test_load_of_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read it: Is a directory"):
        load(tmp_path)
