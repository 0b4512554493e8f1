"""NodeUnschedulable.Filter (upstream nodeunschedulable/node_unschedulable.go): a node with
spec.unschedulable rejects a pod unless it tolerates node.kubernetes.io/unschedulable:NoSchedule
(empty value), with "node(s) were unschedulable", UnschedulableAndUnresolvable."""

from __future__ import annotations

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import Code, CycleState, Reason

REASON = Reason("node(s) were unschedulable", Code.UNRESOLVABLE)
KEY = "node.kubernetes.io/unschedulable"


def _table() -> NodeTable:
    table = NodeTable()
    table.set_node({"metadata": {"name": "ok"}})
    table.set_node({"metadata": {"name": "cordoned"}, "spec": {"unschedulable": True}})
    table.set_node({"metadata": {"name": "explicit-false"}, "spec": {"unschedulable": False}})
    return table


def _pod(*tolerations: dict):
    return pod_info({"metadata": {"namespace": "default", "name": "p", "uid": "u"},
                     "spec": {"containers": [{"name": "c"}], "tolerations": list(tolerations)}})


@pytest.mark.parametrize(("tolerations", "expected"), [
    ((), [0, 1, 0]),                                                        # no toleration: cordoned fails
    (({"key": KEY, "operator": "Exists"},), [0, 0, 0]),                     # the documented toleration
    (({"operator": "Exists"},), [0, 0, 0]),                                 # empty key + Exists tolerates all
    (({"key": KEY, "operator": "Exists", "effect": "NoSchedule"},), [0, 0, 0]),
    (({"key": KEY, "operator": "Exists", "effect": "NoExecute"},), [0, 1, 0]),        # effect must match
    (({"key": KEY, "operator": "Exists", "effect": "PreferNoSchedule"},), [0, 1, 0]),
    (({"key": KEY},), [0, 0, 0]),                                           # Equal with value "" == taint value ""
    (({"key": KEY, "operator": "Equal", "value": "true"},), [0, 1, 0]),     # value must equal the empty value
    (({"key": "other", "operator": "Exists"},), [0, 1, 0]),                 # another key
    (({"key": "other", "operator": "Exists"}, {"key": KEY, "operator": "Exists"}), [0, 0, 0]),  # any toleration
])
def test_filter(tolerations: tuple, expected: list[int]) -> None:
    table = _table()
    verdict = NodeUnschedulable().filter(CycleState(), _pod(*tolerations), table, table.live_rows())
    assert verdict.failed.dtype == np.uint32
    assert verdict.failed.tolist() == expected
    assert verdict.reasons == (REASON,)


def test_filter_rows_subset_and_uncordon() -> None:
    table = _table()
    rows = np.array([table.index["cordoned"], table.index["ok"]])
    assert NodeUnschedulable().filter(CycleState(), _pod(), table, rows).failed.tolist() == [1, 0]
    table.set_node({"metadata": {"name": "cordoned"}})  # uncordoned by an update
    assert NodeUnschedulable().filter(CycleState(), _pod(), table, rows).failed.tolist() == [0, 0]
