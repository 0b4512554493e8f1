"""Series de-duplication (KEP-383), as client-go's events broadcaster does it; pure logic.

Two events are isomorphic when they share ``regarding``, ``action``, ``reason``,
``reportingController``, ``reportingInstance`` and ``related``. The cache keeps the first event
of each isomorphism class and decides what each new occurrence costs:

* first occurrence: **create** the Event;
* second: the cached event starts a series (``count`` 2, ``lastObservedTime`` now): **patch** it;
* later ones: count them in the cache, **no API call**;
* every ``heartbeat`` (30 min): **patch** every open series with its current count;
* every ``finish`` check (6 min): a series not observed for 6 min gets a final **patch** and
  leaves the cache; a single event older than 6 min just leaves it. The next occurrence then
  starts afresh with a create.

Concurrency: no awaits; the recorder calls it from its own task.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from myriad.api import gojson
from myriad.api.meta import rfc3339_micro
from myriad.clock import Clock

Event = dict[str, Any]
HEARTBEAT = 30 * 60.0
FINISH = 6 * 60.0


@dataclass(frozen=True, slots=True)
class Write:
    verb: Literal["create", "patch"]
    event: Event


def isomorphism_key(event: Event) -> bytes:
    fields = {name: event.get(name) for name in ("regarding", "action", "reason", "reportingController",
                                                  "reportingInstance", "related")}
    return gojson.right_sized(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS))  # kept as a dict key


class SeriesCache:
    def __init__(self, clock: Clock, *, finish_after: float = FINISH) -> None:
        self._clock = clock
        self._finish_after = finish_after
        self._events: dict[bytes, Event] = {}
        #: When each cached event was created or last observed (the clock's ``now``).
        self._seen: dict[bytes, float] = {}

    def observe(self, event: Event) -> Write | None:
        """What recording ``event`` costs now."""
        key = isomorphism_key(event)
        now = self._clock.now()
        cached = self._events.get(key)
        if cached is None:
            self._events[key] = event
            self._seen[key] = now
            return Write("create", copy.deepcopy(event))
        self._seen[key] = now
        series = cached.get("series")
        if series is not None:
            series["count"] += 1
            series["lastObservedTime"] = rfc3339_micro(now)
            return None
        cached["series"] = {"count": 2, "lastObservedTime": rfc3339_micro(now)}
        return Write("patch", copy.deepcopy(cached))

    def heartbeats(self) -> list[Write]:
        """A patch for every open series."""
        return [Write("patch", copy.deepcopy(e)) for e in self._events.values() if e.get("series")]

    def finish(self) -> list[Write]:
        """Closes series idle for ``finish_after`` (a final patch each) and forgets old single events."""
        cutoff = self._clock.now() - self._finish_after
        writes = []
        for key in [k for k, seen in self._seen.items() if seen < cutoff]:
            event = self._events.pop(key)
            del self._seen[key]
            if event.get("series"):
                writes.append(Write("patch", event))
        return writes

    def forget(self, event: Event) -> None:
        """Drops ``event``'s class (its writes failed for good), so the next occurrence creates."""
        key = isomorphism_key(event)
        self._events.pop(key, None)
        self._seen.pop(key, None)

    def __len__(self) -> int:
        return len(self._events)
