"""PrioritySort.Less (upstream queuesort/priority_sort.go): higher spec.priority first (unset is
0); equal priorities by queue timestamp, earlier first."""

from __future__ import annotations

import pytest

from myriad.scheduler.plugins.prioritysort import PrioritySort
from myriad.scheduler.podinfo import pod_info


def _pod(name: str, priority: int | None) -> object:
    spec: dict = {"containers": [{"name": "c", "image": "busybox"}]}
    if priority is not None:
        spec["priority"] = priority
    return pod_info({"metadata": {"namespace": "default", "name": name, "uid": name}, "spec": spec})


@pytest.mark.parametrize(("first", "second", "first_wins"), [
    ((10, 5.0), (0, 1.0), True),       # p1 > p2 wins whatever the timestamps
    ((0, 1.0), (10, 5.0), False),
    ((3, 1.0), (3, 2.0), True),        # equal priority: the earlier timestamp
    ((3, 2.0), (3, 1.0), False),
    ((None, 1.0), (0, 2.0), True),     # unset priority counts as 0
    ((None, 1.0), (1, 0.5), False),
    ((-5, 0.0), (None, 9.0), False),   # negative priorities sort after 0
    ((2_000_001_000, 9.0), (2_000_000_000, 0.0), True),  # system-node-critical first
])
def test_less(first: tuple, second: tuple, first_wins: bool) -> None:
    plugin = PrioritySort()
    a, b = _pod("a", first[0]), _pod("b", second[0])
    assert (plugin.sort_key(a, first[1]) < plugin.sort_key(b, second[1])) is first_wins


def test_sort_key_value_and_name() -> None:
    plugin = PrioritySort()
    assert plugin.name == "PrioritySort"
    assert plugin.sort_key(_pod("a", 7), 12.5) == (-7, 12.5)


def test_sorted_queue_order() -> None:
    plugin = PrioritySort()
    entries = [(_pod("low-early", 0), 1.0), (_pod("high-late", 100), 9.0), (_pod("low-late", 0), 5.0),
               (_pod("mid", 50), 3.0), (_pod("high-early", 100), 2.0)]
    ordered = sorted(entries, key=lambda e: plugin.sort_key(*e))
    assert [p.name for p, _ in ordered] == ["high-early", "high-late", "mid", "low-early", "low-late"]
