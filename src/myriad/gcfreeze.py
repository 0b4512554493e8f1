"""Short garbage-collector pauses for a long-running server process.

A control plane holds millions of long-lived containers: the store's key indexes, watch cache
entries, informer caches. CPython's collector walks every tracked object of each generation it
collects, so an unaided full collection pauses the event loop for as long as walking all of them
takes. :func:`freeze_periodically` collects, then ``gc.freeze()``\\ s what survived, at once and
then whenever enough was allocated since the last freeze, so a collection only ever walks what
was allocated since the last freeze, and a burst of allocation is walked in pieces. Freezing is
process-wide: run one freezer per process, from its entry point.

A reference cycle frozen while in use (a connection whose protocol, transport and parser point
at each other; a task and its frames) is never walked again, so when it is dropped only a full
collection can free it. The freezer runs one, over the frozen objects too, whenever the frozen
set has grown by :data:`FULL_COLLECTION_GROWTH` since the last (CPython's own rule for its
oldest generation): such garbage stays bounded by a fraction of what is alive, and each full
walk is paid for by a proportional number of survivors. Code that churns cycles should still
break them (the HTTP edge does), so memory comes back at once.
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
#: A full collection runs once the frozen set is this fraction larger than after the last one.
FULL_COLLECTION_GROWTH = 0.25


async def freeze_periodically(*, interval: float, tick: float = DEFAULT_TICK,
                              growth: float = FULL_COLLECTION_GROWTH) -> None:
    """Collects everything and freezes it; then collects the young generations (so cyclic
    garbage is not frozen with the rest) and freezes the survivors every ``interval`` seconds,
    or at the first ``tick`` after a generation-0 collection (a generation-0 threshold's worth
    of objects survived since the last freeze: a burst, such as thousands of watches opening at
    once, which one collection a whole interval later would walk in one long pause). Once the
    frozen set has grown by ``growth`` since the last full collection, unfreezes, collects
    everything and freezes again. Runs until cancelled."""
    gc.collect()
    gc.freeze()
    # gc.get_freeze_count() walks the whole frozen list: it is read only after a full collection,
    # and what each freeze adds is counted from the (young) oldest generation instead.
    walked, added = gc.get_freeze_count(), 0
    last = time.monotonic()
    while True:
        await asyncio.sleep(min(tick, interval))
        now = time.monotonic()
        if now - last >= interval or gc.get_count()[1] > 0:
            gc.collect(1)
            added += len(gc.get_objects(generation=2))  # what this freeze is about to add
            gc.freeze()
            last = now
            if added > walked * growth:
                gc.unfreeze()
                gc.collect()
                gc.freeze()
                walked, added = gc.get_freeze_count(), 0
