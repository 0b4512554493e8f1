"""Flow control's vocabulary: priority levels and the options that size them.

Modelled on upstream's API Priority and Fairness. The server has ``max_readonly`` +
``max_mutating`` seats: upstream's --max-requests-inflight (400) and
--max-mutating-requests-inflight (200), whose sum APF shares out when it is on, as it is by
default (separate read-only and mutating caps would let a flood at one level take the seats of
every other). Each priority level gets seats in proportion to its ``shares`` and may not borrow,
so a flood at one level never takes another's. A list takes one seat per ``objects_per_seat``
objects it may return, up to ``max_seats``. A request over its level's seats waits in the
level's queue (first come, first served) for up to ``queue_wait``; a full queue or a wait that
runs out answers 429 with Retry-After.

Seats bound concurrency, which on a multi-core server bounds a level's CPU; on one event loop
they do not (a stream of short, heavy lists never waits for a seat yet takes the whole core). So
a *background* level (workload-low) is also held to ``background_share`` of the loop's time
while other levels are busy: one of its requests runs at a time, and after one that took d
seconds (until its response drained) the next waits d × (1 − share) / share. When no other
level has been busy for ``busy_window`` seconds it runs unthrottled.

Long-running requests (watches) take no seats; at most ``max_watches`` are open at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from myriad.clock import Clock, SystemClock


@dataclass(frozen=True, slots=True)
class LevelConfig:
    name: str
    #: Upstream's nominalConcurrencyShares.
    shares: int
    #: Requests that may wait for a seat; one more is rejected at once.
    queue_length: int = 128
    #: For a background level: the share of the event loop's time its requests may take while
    #: requests of other levels are in flight (None: not a background level). See limiter.py.
    background_share: float | None = None


#: Upstream's suggested levels (same names and shares; ``catch-all`` here takes every client
#: flow control does not recognise, so it gets global-default's 20 shares rather than 5).
DEFAULT_LEVELS = (
    LevelConfig("leader-election", 10),
    LevelConfig("node-high", 40),
    LevelConfig("workload-high", 40),
    LevelConfig("workload-low", 100, background_share=0.2),
    LevelConfig("catch-all", 20),
)


@dataclass(frozen=True, kw_only=True)
class FlowControlOptions:
    max_readonly: int = 400
    max_mutating: int = 200
    levels: tuple[LevelConfig, ...] = DEFAULT_LEVELS
    #: How long a request may wait for a seat (upstream: a quarter of the 60 s request timeout).
    queue_wait: float = 15.0
    #: Seats a list takes: one per this many objects it may return...
    objects_per_seat: int = 100
    #: ...up to this many (upstream's limits).
    max_seats: int = 10
    max_watches: int = 30_000
    #: Other levels count as busy for this long after their last request ended.
    busy_window: float = 0.1
    clock: Clock = field(default_factory=SystemClock)
