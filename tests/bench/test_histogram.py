"""Latency histograms: the range they track, and what lies past it."""

from __future__ import annotations

from myriad.bench.histogram import LatencyHistogram


def test_a_sample_past_the_range_is_clamped_to_its_top_and_counted() -> None:
    default, long = LatencyHistogram(), LatencyHistogram(highest_s=3600)
    for histogram in (default, long):
        histogram.record_seconds(0.5)
        histogram.record_seconds(120)
    assert 59_000 < default.percentiles().max <= 60_100
    assert default.percentiles().over_range == 1
    assert 119_000 < long.percentiles().max < 121_000 and long.percentiles().over_range == 0
