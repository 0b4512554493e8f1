"""How late the load generator's own event loop runs, measured beside a scenario.

A benchmark process that times requests can only see an answer when its loop gets to it; if the
machine starves that process, its latencies grow although the server answered in time.
:class:`LoopLag` sleeps ``interval`` again and again on the loop and records how much later than
asked each sleep returned, so a report can show the client's own delay beside the latencies it
measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from myriad.bench.histogram import LatencyHistogram, Percentiles


class LoopLag:
    def __init__(self, *, interval: float = 0.005) -> None:
        self._interval = interval
        self._histogram = LatencyHistogram()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="bench-loop-lag")

    async def stop(self) -> Percentiles:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self._histogram.percentiles()

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self._interval)
            self._histogram.record_seconds(max(0.0, time.perf_counter() - asked - self._interval))
