"""When heartbeats fall due (pure logic)."""

from __future__ import annotations

import random

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


def test_jitter_makes_nodes_started_together_drift_apart() -> None:
    schedule = HeartbeatSchedule(interval=10.0, jitter=0.04, rng=random.Random(3))
    schedule.spread([0, 1], now=0.0)
    schedule.spread([2], now=0.0)  # node 2 is due with node 0
    assert sorted(schedule.due(0.0)) == [0, 2]
    rounds = []
    for second in range(1, 2000):
        for index in schedule.due(float(second)):
            rounds.append((second, index))
    due_0 = [s for s, i in rounds if i == 0]
    due_2 = [s for s, i in rounds if i == 2]
    assert due_0 != due_2  # no longer in step
    gaps = [b - a for a, b in zip(due_0, due_0[1:], strict=False)]
    assert min(gaps) >= 10 and max(gaps) <= 11  # each period 10 s, up to 4 % late (one-second ticks)
