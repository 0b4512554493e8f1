"""A fixed clock and object builders for the printer tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from myriad.apiserver.tables.printers import BY_RESOURCE

_NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NOW = _NOW.timestamp()


def ago(seconds: int) -> str:
    """The RFC 3339 time ``seconds`` before :data:`NOW`."""
    return (_NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str = "x", **extra: object) -> dict[str, object]:
    """Metadata of an object created an hour before :data:`NOW` (its Age prints ``60m``)."""
    return {"name": name, "creationTimestamp": ago(3600), **extra}


def cells(group: str, plural: str, obj: dict[str, object]) -> list[object]:
    """The cells the resource's printer gives ``obj`` at :data:`NOW`."""
    return BY_RESOURCE[(group, plural)].cells(obj, NOW)
