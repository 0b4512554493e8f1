"""The regression check behind ``myriad bench density --compare previous.json``: two results of
schema 1 measured against each other.

Measurements, lower is better unless noted:

* ``pods.startup.<transition>.p50_ms`` / ``p90_ms`` / ``p99_ms``, per transition;
* ``api.<verb> <resource>[/<subresource>] <scope>.p99_s``, API rows matched by verb, resource,
  subresource and scope;
* ``scheduling.pods_per_s_avg`` (higher is better);
* ``registration_s``;
* ``phases.<name>.seconds``, phases matched by name;
* ``components.<name>.cpu_s`` and ``components.<name>.rss_peak_bytes``;
* ``storage_bytes_written``;
* ``pods.running`` (higher is better).

A section missing (or malformed) on either side is skipped, and so is a measurement missing on
either side of a matched item. An item (transition, API row, phase, component) present in only one
side's section is listed with the other side empty and never regresses.

A row is *worse* when it moved in the bad direction at all, and *regressed* when worse by more than
``threshold`` relative to the previous value (any worsening from 0 counts). Times (latencies,
durations, CPU seconds) below 10 ms on both sides, or that changed by less than 5 ms, never regress:
at that size the difference is timer and scheduling noise, not the code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

#: Times below this on both sides never regress (seconds).
SMALL_S = 0.010
#: Nor do times that changed by less than this (seconds).
NOISE_S = 0.005
_MS, _S = 0.001, 1.0
_PERCENTILES = ("p50_ms", "p90_ms", "p99_ms")
#: A JSON object of a result: a section, or one item of a section.
Item = Mapping[str, Any]


@dataclass(frozen=True)
class Row:
    name: str
    previous: float | None
    current: float | None
    #: (current - previous) / previous; None when a side is missing, or previous is 0 and current is not.
    change: float | None
    worse: bool
    regressed: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "previous": self.previous, "current": self.current, "change": self.change,
                "worse": self.worse, "regressed": self.regressed}


@dataclass(frozen=True)
class Comparison:
    rows: tuple[Row, ...]
    threshold: float

    @property
    def regressed(self) -> bool:
        return any(row.regressed for row in self.rows)

    def table(self) -> Table:
        """The rows whose value changed (or that one side lacks), regressions in bold red."""
        table = Table(title=f"Compared with the previous run (regression: worse by more than {self.threshold:.0%})")
        table.add_column("measurement")
        table.add_column("previous", justify="right")
        table.add_column("current", justify="right")
        table.add_column("change", justify="right")
        for row in self.rows:
            if row.previous != row.current:
                table.add_row(row.name, _format(row.previous), _format(row.current), _format_change(row),
                              style="bold red" if row.regressed else None)
        return table

    def to_json(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "regressed": self.regressed, "rows": [row.to_json() for row in self.rows]}


def compare(previous: Item, current: Item, *, threshold: float = 0.10) -> Comparison:
    """The measurements listed in the module docstring, in that order."""
    rows: list[Row] = []

    def add(name: str, before: Item | None, after: Item | None, field: str, *, higher_is_better: bool = False,
            time_unit: float | None = None) -> None:
        values = _values(before, after, field)
        if values is not None:
            rows.append(_row(name, *values, threshold=threshold, higher_is_better=higher_is_better,
                             time_unit=time_unit))

    def scalar(name: str, section: tuple[str, ...], field: str, *, higher_is_better: bool = False,
               time_unit: float | None = None) -> None:
        before, after = _section(previous, *section), _section(current, *section)
        if before is not None and after is not None:
            add(name, before, after, field, higher_is_better=higher_is_better, time_unit=time_unit)

    for transition, before, after in _matched(_section(previous, "pods", "startup"),
                                              _section(current, "pods", "startup")):
        for field in _PERCENTILES:
            add(f"pods.startup.{transition}.{field}", before, after, field, time_unit=_MS)
    for (verb, resource, subresource, scope), before, after in _matched(_api(previous), _api(current)):
        path = f"{resource}/{subresource}" if subresource else resource
        add(f"api.{verb} {path} {scope}.p99_s", before, after, "p99_s", time_unit=_S)
    scalar("scheduling.pods_per_s_avg", ("scheduling",), "pods_per_s_avg", higher_is_better=True)
    scalar("registration_s", (), "registration_s", time_unit=_S)
    for name, before, after in _matched(_phases(previous), _phases(current)):
        add(f"phases.{name}.seconds", before, after, "seconds", time_unit=_S)
    for name, before, after in _matched(_section(previous, "components"), _section(current, "components")):
        add(f"components.{name}.cpu_s", before, after, "cpu_s", time_unit=_S)
        add(f"components.{name}.rss_peak_bytes", before, after, "rss_peak_bytes")
    scalar("storage_bytes_written", (), "storage_bytes_written")
    scalar("pods.running", ("pods",), "running", higher_is_better=True)
    return Comparison(rows=tuple(rows), threshold=threshold)


def load(path: Path) -> dict[str, Any]:
    """A previous result; ValueError naming the file when it is missing, unreadable, not JSON, or
    not a result of schema 1."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read it: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: not a density result: the document is not a JSON object")
    schema = document.get("schema")
    if isinstance(schema, bool) or schema != 1:
        raise ValueError(f'{path}: not a density result of schema 1 ("schema": {json.dumps(schema)})')
    return document


def _row(name: str, previous: float | None, current: float | None, *, threshold: float, higher_is_better: bool,
         time_unit: float | None) -> Row:
    if previous is None or current is None:
        return Row(name, previous, current, change=None, worse=False, regressed=False)
    if previous:
        change: float | None = (current - previous) / abs(previous)
    else:
        change = 0.0 if current == previous else None
    worse = current < previous if higher_is_better else current > previous
    beyond = change is None or abs(change) > threshold
    noise = time_unit is not None and (max(abs(previous), abs(current)) * time_unit < SMALL_S
                                       or abs(current - previous) * time_unit < NOISE_S)
    return Row(name, previous, current, change=change, worse=worse, regressed=worse and beyond and not noise)


def _values(before: Item | None, after: Item | None,
            field: str) -> tuple[float | None, float | None] | None:
    """``field`` of each side, None for a side without the item; None to skip the measurement when a
    side has the item but not a number in ``field``."""
    values = tuple(None if item is None else _number(item.get(field)) for item in (before, after))
    if any(item is not None and value is None for item, value in zip((before, after), values, strict=True)):
        return None
    return values  # type: ignore[return-value]


def _matched(before: Mapping[Any, Any] | None,
             after: Mapping[Any, Any] | None) -> Iterator[tuple[Any, Item | None, Item | None]]:
    """Items of two sections by key, previous order first; nothing when either section is missing."""
    if before is None or after is None:
        return
    for key in [*before, *(key for key in after if key not in before)]:
        items = tuple(side.get(key) for side in (before, after))
        if all(item is None or isinstance(item, Mapping) for item in items):
            yield key, *items


def _section(document: Item, *path: str) -> Item | None:
    for key in path:
        document = document.get(key)  # type: ignore[assignment]
        if not isinstance(document, Mapping):
            return None
    return document


def _api(document: Item) -> dict[tuple[str, ...], Item] | None:
    rows = document.get("api")
    if not isinstance(rows, list):
        return None
    matched = {}
    for row in rows:
        if isinstance(row, Mapping):
            key = tuple(row.get(field, "") for field in ("verb", "resource", "subresource", "scope"))
            if all(isinstance(part, str) for part in key):
                matched[key] = row
    return matched


def _phases(document: Item) -> dict[str, Item] | None:
    phases = document.get("phases")
    if not isinstance(phases, list):
        return None
    return {phase["name"]: phase for phase in phases
            if isinstance(phase, Mapping) and isinstance(phase.get("name"), str)}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _format(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _format_change(row: Row) -> str:
    if row.previous is None:
        return "new"
    if row.current is None:
        return "gone"
    return "from 0" if row.change is None else f"{row.change:+.1%}"
