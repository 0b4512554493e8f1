"""Latency histograms: HdrHistogram over 1 µs .. 60 s at 3 significant digits.

Values are recorded in microseconds; percentiles come back in milliseconds. A value outside
the trackable range is clamped to its nearest end, so no sample is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 60_000_000
SIGNIFICANT_DIGITS = 3


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Latency percentiles in milliseconds over ``count`` samples (all zero when empty)."""

    count: int
    p50: float
    p99: float
    p999: float
    max: float

    def to_json(self) -> dict[str, float | int]:
        return {"count": self.count, "p50_ms": self.p50, "p99_ms": self.p99, "p99_9_ms": self.p999,
                "max_ms": self.max}


class LatencyHistogram:
    def __init__(self) -> None:
        self._hdr = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)

    @property
    def count(self) -> int:
        return self._hdr.get_total_count()

    def record_us(self, micros: float) -> None:
        self._hdr.record_value(min(max(round(micros), LOWEST_US), HIGHEST_US))

    def record_seconds(self, seconds: float) -> None:
        self.record_us(seconds * 1_000_000)

    def percentiles(self) -> Percentiles:
        hdr = self._hdr

        def ms(percentile: float) -> float:
            return hdr.get_value_at_percentile(percentile) / 1000

        return Percentiles(self.count, ms(50), ms(99), ms(99.9), hdr.get_max_value() / 1000)
