import pytest

from myriad.storage.embedded.busy import BusyMeter


@pytest.mark.parametrize(("turn", "period", "low", "high"), [
    (0.001, 0.010, 0.09, 0.11),  # a 1 ms turn every 10 ms: busy a tenth of the time
    (0.009, 0.010, 0.85, 0.91),  # a 9 ms turn every 10 ms: nearly saturated
    (0.010, 0.010, 0.99, 1.00),  # back to back
])
def test_the_share_settles_at_the_time_turns_take(turn: float, period: float, low: float, high: float) -> None:
    meter = BusyMeter(smoothing=0.1)
    for n in range(1, 200):
        meter.record(n * period - turn, n * period)
    assert low <= meter.share <= high


def test_a_quiet_spell_after_a_busy_one_brings_the_share_down_within_a_few_turns() -> None:
    meter = BusyMeter(smoothing=0.1)
    now = 0.0
    for _ in range(100):
        meter.record(now, now + 0.010)
        now += 0.010
    assert meter.share > 0.95
    for _ in range(20):
        now += 0.100
        meter.record(now - 0.001, now)
    assert meter.share < 0.15
    assert meter.ended == now


def test_the_first_turn_counts_as_taking_none_of_an_unbounded_past() -> None:
    meter = BusyMeter()
    meter.record(1.0, 1.5)
    assert meter.share == 0.0
    assert meter.ended == 1.5
