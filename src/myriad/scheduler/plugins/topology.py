"""Topology domains over the node table, shared by InterPodAffinity and PodTopologySpread: a
domain ``(key, value)`` is the label column of ``key`` and the code of ``value`` in it, so a map
"domain -> count" is an int64 array indexed by code, and looking it up for candidate nodes is
one gather."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.types import Toleration

_DO_NOT_SCHEDULE_EFFECTS = ("NoSchedule", "NoExecute")


def codes(table: NodeTable, key: str, rows: np.ndarray) -> np.ndarray:
    """The value codes of label ``key`` on ``rows`` (-1 where the node lacks it)."""
    column = table.label_column(key)
    if column is None:
        return np.full(len(rows), -1, dtype=np.int32)
    return column[rows]


def counts_by_domain(table: NodeTable, key: str, rows: Iterable[int] | np.ndarray,
                     weights: np.ndarray | None = None) -> np.ndarray:
    """Per value code of ``key``: how many of ``rows`` (repeats count; ``weights``: each row's
    amount) sit in that domain. Rows lacking the label count nowhere."""
    rows = np.asarray(rows if isinstance(rows, np.ndarray) else list(rows), dtype=np.intp)
    size = len(table.label_values(key))
    found = codes(table, key, rows)
    keep = found >= 0
    if weights is None:
        return np.bincount(found[keep], minlength=size).astype(np.int64)
    return np.bincount(found[keep], weights=weights[keep], minlength=size).astype(np.int64)


def lookup(counts: np.ndarray, found: np.ndarray) -> np.ndarray:
    """``counts[code]`` for each of ``found`` (0 for -1 or a code past the array)."""
    out = np.zeros(len(found), dtype=np.int64)
    ok = (found >= 0) & (found < len(counts))
    out[ok] = counts[found[ok]]
    return out


def untolerated(table: NodeTable, tolerations: tuple[Toleration, ...], rows: np.ndarray) -> np.ndarray:
    """Over ``rows``: whether the node has a NoSchedule/NoExecute taint none of ``tolerations``
    tolerates (upstream's FindMatchingUntoleratedTaint with DoNotScheduleTaintsFilterFunc)."""
    out = np.zeros(len(rows), dtype=bool)
    for taint, column in table.taints.items():
        if taint.effect in _DO_NOT_SCHEDULE_EFFECTS and not any(t.tolerates(taint) for t in tolerations):
            out |= column[rows]
    return out


def go_round(values: np.ndarray) -> np.ndarray:
    """Go's math.Round (half away from zero) as int64; exact, unlike floor(x + 0.5)."""
    magnitude = np.abs(values)
    whole = np.floor(magnitude)
    rounded = whole + (magnitude - whole >= 0.5)
    return (np.sign(values) * rounded).astype(np.int64)
