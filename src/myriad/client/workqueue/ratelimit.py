"""Rate limiters: how long a key waits before its next try.

* :class:`ItemExponentialLimiter`: ``base · 2^failures`` per key, capped at ``max_delay``;
  ``forget`` resets the key.
* :class:`BucketLimiter`: a token bucket over all keys, ``qps`` tokens a second up to
  ``burst``; a key that finds the bucket empty reserves the next token and waits for it.
* :class:`MaxOfLimiter`: the longest delay any of its limiters gives (client-go's default
  controller limiter is ``MaxOf(ItemExponential(5 ms, 1000 s), Bucket(10 qps, 100 burst))``).

Concurrency: no awaits; one event loop.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from myriad.clock import Clock


class RateLimiter(Protocol):
    def when(self, key: Hashable) -> float: ...

    def forget(self, key: Hashable) -> None: ...

    def retries(self, key: Hashable) -> int: ...


class ItemExponentialLimiter:
    def __init__(self, *, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self._base = base_delay
        self._max = max_delay
        self._failures: dict[Hashable, int] = {}

    def when(self, key: Hashable) -> float:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        if failures > 64:  # 2**64 overflows any sane cap
            return self._max
        return min(self._max, self._base * 2 ** failures)

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def retries(self, key: Hashable) -> int:
        return self._failures.get(key, 0)


class BucketLimiter:
    def __init__(self, *, qps: float = 10.0, burst: int = 100, clock: Clock) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("BucketLimiter needs qps > 0 and burst >= 1")
        self._qps = qps
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock.monotonic()

    def when(self, key: Hashable) -> float:
        self._refill()
        self._tokens -= 1  # reserve a token, borrowing from the future when none is left
        return 0.0 if self._tokens >= 0 else -self._tokens / self._qps

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._qps)
        self._last = now

    def forget(self, key: Hashable) -> None:
        pass

    def retries(self, key: Hashable) -> int:
        return 0


class MaxOfLimiter:
    def __init__(self, *limiters: RateLimiter) -> None:
        self._limiters = limiters

    def when(self, key: Hashable) -> float:
        return max(limiter.when(key) for limiter in self._limiters)

    def forget(self, key: Hashable) -> None:
        for limiter in self._limiters:
            limiter.forget(key)

    def retries(self, key: Hashable) -> int:
        return max(limiter.retries(key) for limiter in self._limiters)


def default_controller_limiter(clock: Clock) -> RateLimiter:
    """client-go's ``DefaultControllerRateLimiter``: per key 5 ms doubling up to 1000 s, and
    10 qps overall with a burst of 100."""
    return MaxOfLimiter(ItemExponentialLimiter(base_delay=0.005, max_delay=1000.0),
                        BucketLimiter(qps=10.0, burst=100, clock=clock))
