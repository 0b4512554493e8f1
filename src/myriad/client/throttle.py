"""Client-side request pacing: client-go's ``--kube-api-qps`` / ``--kube-api-burst`` token
bucket. Off by default: Myriad's components go as fast as the server's flow control lets them,
and a 429 is the brake.

Concurrency: loop only. Callers that find no token reserve one from the future and sleep until
it is due, so waiting callers are served in order without polling.
"""

from __future__ import annotations

from myriad.clock import Clock


class Throttle:
    def __init__(self, *, qps: float, burst: int, clock: Clock) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("a throttle needs qps > 0 and burst >= 1")
        self._qps = qps
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock.monotonic()

    async def wait(self) -> None:
        """Takes a token, sleeping until one is due."""
        now = self._clock.monotonic()
        self._tokens = min(float(self._burst), self._tokens + (now - self._last) * self._qps)
        self._last = now
        self._tokens -= 1
        if self._tokens < 0:
            await self._clock.sleep(-self._tokens / self._qps)
