"""NodeName.Filter (upstream nodename/node_name.go): fits when spec.nodeName is empty or equals
the node's name; else "node(s) didn't match the requested node name", UnschedulableAndUnresolvable."""

from __future__ import annotations

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.nodename import NodeName
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import Code, CycleState, Reason

REASON = Reason("node(s) didn't match the requested node name", Code.UNRESOLVABLE)


def _table(*names: str) -> NodeTable:
    table = NodeTable()
    for name in names:
        table.set_node({"metadata": {"name": name}, "status": {"allocatable": {"cpu": "1", "pods": "10"}}})
    return table


def _pod(node_name: str | None):
    spec: dict = {"containers": [{"name": "c", "image": "busybox"}]}
    if node_name is not None:
        spec["nodeName"] = node_name
    return pod_info({"metadata": {"namespace": "default", "name": "p", "uid": "u"}, "spec": spec})


@pytest.mark.parametrize(("node_name", "expected"), [
    (None, [0, 0, 0]),          # no spec.nodeName: every node fits
    ("", [0, 0, 0]),            # an empty nodeName is the same as none
    ("n2", [1, 0, 1]),          # only the named node fits
    ("n9", [1, 1, 1]),          # a name no node has: nothing fits
    ("N2", [1, 1, 1]),          # names compare exactly
])
def test_filter(node_name: str | None, expected: list[int]) -> None:
    table = _table("n1", "n2", "n3")
    verdict = NodeName().filter(CycleState(), _pod(node_name), table, table.live_rows())
    assert verdict.failed.dtype == np.uint32
    assert verdict.failed.tolist() == expected
    assert verdict.reasons == (REASON,)


def test_filter_aligns_to_rows_subset_and_order() -> None:
    table = _table("n1", "n2", "n3", "n4")
    rows = np.array([table.index["n4"], table.index["n2"], table.index["n1"]])
    verdict = NodeName().filter(CycleState(), _pod("n2"), table, rows)
    assert verdict.failed.tolist() == [1, 0, 1]


def test_filter_after_row_reuse() -> None:
    # A deleted node's row is reused; the name, not the old row, decides.
    table = _table("n1", "n2")
    table.remove_node("n1")
    table.set_node({"metadata": {"name": "n3"}})
    verdict = NodeName().filter(CycleState(), _pod("n1"), table, table.live_rows())
    assert verdict.failed.tolist() == [1, 1]
