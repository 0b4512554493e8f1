"""Running a strategy as the object store does, without a server: defaults, then prepare, then
validation; and reading causes back as (field, message) pairs."""

from __future__ import annotations

import copy
import json
from typing import Any

from myriad.api.builtin import BUILTIN
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Strategy
from myriad.apiserver.strategies.table import StrategyTable
from myriad.clock import FakeClock

#: The time every strategy here reads: 2023-11-14T22:13:20Z.
CLOCK = FakeClock()
NOW = "2023-11-14T22:13:20Z"
_TABLE = StrategyTable(clock=CLOCK)


def strategy(group: str, plural: str) -> Strategy:
    return _TABLE(next(r for r in BUILTIN if r.group == group and r.plural == plural))


def create(group: str, plural: str, body: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The object a create would store, and the causes it would be refused with."""
    obj = copy.deepcopy(body)
    chosen = strategy(group, plural)
    chosen.default(obj)
    chosen.prepare_for_create(obj)
    return obj, pairs(chosen.validate(obj))


def update(group: str, plural: str, new: dict[str, Any], old: dict[str, Any], *,
           subresource: str = "") -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The object an update of ``old`` to ``new`` would store, and its causes."""
    obj, previous = copy.deepcopy(new), copy.deepcopy(old)
    chosen = strategy(group, plural)
    chosen.default(obj)
    chosen.prepare_for_update(obj, previous, subresource=subresource)
    return obj, pairs(chosen.validate_update(obj, previous, subresource=subresource))


def pairs(causes: list[Cause]) -> list[tuple[str, str]]:
    return [(cause.field, cause.message) for cause in causes]


def fields(causes: list[tuple[str, str]]) -> list[str]:
    return [field for field, _ in causes]


def server_causes(status: dict[str, Any]) -> list[tuple[str, str]]:
    """A 422 Status's causes as (field, message) pairs."""
    return [(cause.get("field", ""), cause["message"]) for cause in status["details"]["causes"]]


def as_input(obj: dict[str, Any]) -> str:
    return json.dumps(obj)
