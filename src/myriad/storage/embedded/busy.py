"""How busy the writer thread is: the share of its time its turns take, smoothed.

Concurrency: owned by the writer thread; nothing else reads or writes it.
"""

from __future__ import annotations


class BusyMeter:
    """An exponential moving average of the share of the time a worker spends in turns: each
    turn counts as the part of the time since the previous turn ended that it took."""

    __slots__ = ("share", "ended", "_smoothing")

    def __init__(self, *, smoothing: float = 0.1) -> None:
        """``smoothing``: the latest turn's weight (about 1/smoothing turns are averaged)."""
        self._smoothing = smoothing
        #: The smoothed share, 0 to 1.
        self.share = 0.0
        #: When the last turn ended (-inf before the first).
        self.ended = float("-inf")

    def record(self, started: float, ended: float) -> None:
        """Folds in a turn that ran from ``started`` to ``ended`` (monotonic seconds)."""
        cycle = ended - self.ended
        if cycle > 0:
            self.share += self._smoothing * (min(1.0, (ended - started) / cycle) - self.share)
        self.ended = ended
