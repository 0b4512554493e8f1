"""TaintToleration (upstream tainttoleration/taint_toleration.go).

Filter: an untolerated NoSchedule/NoExecute taint rejects the node with the 1.35 text
"node(s) had untolerated taint(s)", UnschedulableAndUnresolvable; PreferNoSchedule never
filters. Score: the count of PreferNoSchedule taints not tolerated by the tolerations with an
empty or PreferNoSchedule effect; NormalizeScore is DefaultNormalizeScore reversed.
"""

from __future__ import annotations

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.tainttoleration import TaintToleration
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import Code, CycleState, Reason

REASON = Reason("node(s) had untolerated taint(s)", Code.UNRESOLVABLE)


def _taint(key: str, effect: str, value: str | None = None) -> dict:
    taint = {"key": key, "effect": effect}
    if value is not None:
        taint["value"] = value
    return taint


NODES = {
    "clean": [],
    "cp": [_taint("node-role.kubernetes.io/control-plane", "NoSchedule")],
    "gpu": [_taint("gpu", "NoSchedule", "true")],
    "evict": [_taint("dying", "NoExecute")],
    "soft": [_taint("spot", "PreferNoSchedule", "yes")],
    "soft2": [_taint("spot", "PreferNoSchedule", "yes"), _taint("slow", "PreferNoSchedule")],
    "mixed": [_taint("spot", "PreferNoSchedule", "yes"), _taint("gpu", "NoSchedule", "true")],
}
ORDER = list(NODES)


def _table() -> NodeTable:
    table = NodeTable()
    for name, taints in NODES.items():
        table.set_node({"metadata": {"name": name}, "spec": {"taints": taints}})
    return table


def _pod(*tolerations: dict):
    return pod_info({"metadata": {"namespace": "default", "name": "p", "uid": "u"},
                     "spec": {"containers": [{"name": "c"}], "tolerations": list(tolerations)}})


def _failing(*names: str) -> list[int]:
    return [int(n in names) for n in ORDER]


@pytest.mark.parametrize(("tolerations", "expected"), [
    # No tolerations: every NoSchedule/NoExecute taint rejects; PreferNoSchedule does not.
    ((), _failing("cp", "gpu", "evict", "mixed")),
    # Equal with the taint's value tolerates it.
    (({"key": "gpu", "operator": "Equal", "value": "true"},), _failing("cp", "evict")),
    # Equal compares values exactly.
    (({"key": "gpu", "value": "false"},), _failing("cp", "gpu", "evict", "mixed")),
    # Exists ignores the value; an empty effect matches every effect.
    (({"key": "gpu", "operator": "Exists"},), _failing("cp", "evict")),
    # A toleration's effect must equal the taint's.
    (({"key": "gpu", "operator": "Exists", "effect": "NoExecute"},), _failing("cp", "gpu", "evict", "mixed")),
    # An empty-valued taint is tolerated by Equal with no value.
    (({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},),
     _failing("gpu", "evict", "mixed")),
    (({"key": "dying", "operator": "Exists", "effect": "NoExecute"},), _failing("cp", "gpu", "mixed")),
    # Empty key with Exists tolerates everything.
    (({"operator": "Exists"},), _failing()),
    # Empty key with Exists but an effect tolerates only that effect.
    (({"operator": "Exists", "effect": "NoSchedule"},), _failing("evict")),
    # An unknown operator tolerates nothing.
    (({"key": "gpu", "operator": "Gt", "value": "1"},), _failing("cp", "gpu", "evict", "mixed")),
])
def test_filter(tolerations: tuple, expected: list[int]) -> None:
    table = _table()
    rows = np.array([table.index[n] for n in ORDER])
    verdict = TaintToleration().filter(CycleState(), _pod(*tolerations), table, rows)
    assert verdict.failed.dtype == np.uint32
    assert verdict.failed.tolist() == expected
    assert verdict.reasons == (REASON,)


def test_filter_sees_taint_changes() -> None:
    table = _table()
    rows = np.array([table.index["gpu"], table.index["clean"]])
    plugin = TaintToleration()
    assert plugin.filter(CycleState(), _pod(), table, rows).failed.tolist() == [1, 0]
    table.set_node({"metadata": {"name": "gpu"}})  # taint removed
    table.set_node({"metadata": {"name": "clean"}, "spec": {"taints": [_taint("x", "NoExecute")]}})
    assert plugin.filter(CycleState(), _pod(), table, rows).failed.tolist() == [0, 1]


SCORED = ["clean", "soft", "soft2", "mixed"]


@pytest.mark.parametrize(("tolerations", "raw", "normalized"), [
    # Counts of untolerated PreferNoSchedule taints; reversed: 100 - 100*c/max.
    ((), [0, 1, 2, 1], [100, 50, 0, 50]),
    # A toleration with effect PreferNoSchedule counts.
    (({"key": "spot", "operator": "Exists", "effect": "PreferNoSchedule"},), [0, 0, 1, 0], [100, 100, 0, 100]),
    # A toleration with an empty effect counts too.
    (({"key": "spot", "value": "yes"},), [0, 0, 1, 0], [100, 100, 0, 100]),
    # A NoSchedule toleration is left out of scoring even though it names the taint.
    (({"key": "spot", "operator": "Exists", "effect": "NoSchedule"},), [0, 1, 2, 1], [100, 50, 0, 50]),
    # Everything tolerated: max 0, reversed, so every node gets 100.
    (({"operator": "Exists"},), [0, 0, 0, 0], [100, 100, 100, 100]),
    # Wrong value: not tolerated.
    (({"key": "spot", "value": "no"},), [0, 1, 2, 1], [100, 50, 0, 50]),
])
def test_score(tolerations: tuple, raw: list[int], normalized: list[int]) -> None:
    table = _table()
    rows = np.array([table.index[n] for n in SCORED])
    plugin, state, pod = TaintToleration(), CycleState(), _pod(*tolerations)
    assert plugin.pre_score(state, pod, table, rows) is True  # PreScore never skips
    scores = plugin.score(state, pod, table, rows)
    assert scores.dtype == np.int64
    assert scores.tolist() == raw
    assert plugin.normalize(state, pod, scores).tolist() == normalized


def test_score_without_pre_score_state() -> None:
    table = _table()
    rows = np.array([table.index[n] for n in SCORED])
    scores = TaintToleration().score(CycleState(), _pod(), table, rows)
    assert scores.tolist() == [0, 1, 2, 1]


def test_normalize_thirds() -> None:
    # 100*1/3 = 33 (Go int division) -> reversed 67.
    assert TaintToleration().normalize(CycleState(), _pod(), np.array([0, 1, 3])).tolist() == [100, 67, 0]
