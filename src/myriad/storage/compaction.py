"""The automatic compaction policy both backends run: keep about ``retention`` seconds of
history, like etcd's periodic auto-compaction mode.

Every ``interval`` seconds the policy notes the current revision; it compacts to the newest
revision noted at least ``retention`` seconds earlier. Several processes may run it against one
etcd: a compaction someone else already passed is ignored.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from myriad.clock import Clock
from myriad.storage.errors import CompactedError


async def compact_periodically(*, current: Callable[[], Awaitable[int]], compacted: Callable[[], Awaitable[int]],
                               compact: Callable[[int], Awaitable[None]], clock: Clock, retention: float,
                               interval: float) -> None:
    """Runs the policy until cancelled."""
    seen: deque[tuple[float, int]] = deque()
    while True:
        await asyncio.sleep(interval)
        now = clock.monotonic()
        seen.append((now, await current()))
        target = 0
        while seen and seen[0][0] <= now - retention:
            target = seen.popleft()[1]
        if target > await compacted():
            try:
                await compact(target)
            except CompactedError:  # compacted past it meanwhile
                pass
