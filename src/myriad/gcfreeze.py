"""Short garbage-collector pauses for a long-running server process.

A control plane holds millions of long-lived containers: the store's key indexes, watch cache
entries, informer caches. CPython's collector walks every tracked object of each generation it
collects, so an unaided full collection pauses the event loop for as long as walking all of them
takes. :func:`freeze_periodically` collects, then ``gc.freeze()``\\ s what survived, at once and
then whenever enough was allocated since the last freeze, so a collection only ever walks what
was allocated since the last freeze, and a burst of allocation is walked in pieces. Freezing is
process-wide: run one freezer per process, from its entry point.

A reference cycle frozen while in use is never walked again, so when it is dropped nothing frees
it. Code that makes and drops cycles per request or connection must break them itself, as the
HTTP edge's protocol does when its connection is lost. (A full collection whenever the frozen set
grew by a quarter would bound such garbage, but it is the pause this module exists to avoid: it
doubled `bench apiserver`'s write p99s.)
"""

from __future__ import annotations

import asyncio
import gc
import time

#: At most this many seconds pass between freezes. Each freeze first collects what was allocated
#: since the last, so the interval bounds that pause under a steady load: under ``bench reads``
#: (c), 10 s gave 147 ms collections, 1 s 5–15 ms, 0.25 s 1.5–3 ms.
DEFAULT_INTERVAL = 0.25
#: How often the freezer looks at the collector's counts, to freeze sooner after a burst.
DEFAULT_TICK = 0.025


async def freeze_periodically(*, interval: float, tick: float = DEFAULT_TICK) -> None:
    """Collects everything and freezes it; then collects the young generations (so cyclic
    garbage is not frozen with the rest) and freezes the survivors every ``interval`` seconds,
    or at the first ``tick`` after a generation-0 collection (a generation-0 threshold's worth
    of objects survived since the last freeze: a burst, such as thousands of watches opening at
    once, which one collection a whole interval later would walk in one long pause). Runs until
    cancelled."""
    gc.collect()
    gc.freeze()
    last = time.monotonic()
    while True:
        await asyncio.sleep(min(tick, interval))
        now = time.monotonic()
        if now - last >= interval or gc.get_count()[1] > 0:
            gc.collect(1)
            gc.freeze()
            last = now
