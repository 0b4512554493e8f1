"""When heartbeats fall due (pure logic)."""

from __future__ import annotations

from myriad.nodes.schedule import HeartbeatSchedule


def test_nodes_start_spread_evenly_over_one_interval() -> None:
    schedule = HeartbeatSchedule(interval=10.0)
    schedule.spread(list(range(100)), now=0.0)
    due_each_second = [len(schedule.due(second + 0.999)) for second in range(10)]
    assert due_each_second == [10] * 10  # a steady 10 a second, not 100 at once
    assert schedule.due(10.05) == [0]  # node 0 comes round again one interval later


def test_a_late_tick_does_not_shift_the_spread() -> None:
    schedule = HeartbeatSchedule(interval=10.0)
    schedule.spread([0, 1], now=0.0)
    assert schedule.due(7.0) == [0, 1]  # both late (due at 0 and 5)
    assert schedule.next_due() == 10.0  # node 0 keeps its phase
    assert schedule.due(15.0) == [0, 1] and len(schedule) == 2
