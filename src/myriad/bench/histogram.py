"""Latency histograms: HdrHistogram over 1 µs .. 60 s (or a longer ``highest_s``) at 3
significant digits.

Values are recorded in microseconds; percentiles come back in milliseconds. A value outside
the trackable range is clamped to its nearest end, so no sample is dropped; ``over_range``
counts those clamped down to the top, whose true latency is higher than any figure shows.
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
    #: Samples above the range, recorded as its top.
    over_range: int = 0

    def to_json(self) -> dict[str, float | int]:
        return {"count": self.count, "p50_ms": self.p50, "p99_ms": self.p99, "p99_9_ms": self.p999,
                "max_ms": self.max, "over_range": self.over_range}


class LatencyHistogram:
    def __init__(self, *, highest_s: float = HIGHEST_US / 1e6) -> None:
        self._highest = round(highest_s * 1e6)
        self._hdr = HdrHistogram(LOWEST_US, self._highest, SIGNIFICANT_DIGITS)
        self._over_range = 0

    @property
    def count(self) -> int:
        return self._hdr.get_total_count()

    def record_us(self, micros: float) -> None:
        if micros > self._highest:
            self._over_range += 1
        self._hdr.record_value(min(max(round(micros), LOWEST_US), self._highest))

    def record_seconds(self, seconds: float) -> None:
        self.record_us(seconds * 1_000_000)

    def value_at_ms(self, percentile: float) -> float:
        """The latency at ``percentile`` (0–100), in milliseconds."""
        return self._hdr.get_value_at_percentile(percentile) / 1000

    def cdf_ms(self, points: int = 200) -> list[tuple[float, float]]:
        """Up to ``points`` pairs (milliseconds, fraction of samples at or below), fraction rising to 1."""
        if not self.count:
            return []
        step = 100 / points
        return [(self.value_at_ms(min(100.0, step * (i + 1))), min(1.0, step * (i + 1) / 100)) for i in range(points)]

    def percentiles(self) -> Percentiles:
        hdr = self._hdr

        def ms(percentile: float) -> float:
            return hdr.get_value_at_percentile(percentile) / 1000

        return Percentiles(self.count, ms(50), ms(99), ms(99.9), hdr.get_max_value() / 1000, self._over_range)
