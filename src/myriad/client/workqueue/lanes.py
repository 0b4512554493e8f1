"""The order in which a queue hands out ready keys.

:class:`FifoLanes` is one first-in-first-out lane. :class:`PriorityLanes` keeps one FIFO lane per
priority (0 is the highest) and serves the highest non-empty lane, with a bounded ratio against
starvation: every pop that passes over a non-empty lower lane counts as a skip for that lane,
and a lane that has been skipped ``max_skips`` times is served next (the most-skipped first),
its count reset. So a non-empty lane is served at least once every ``max_skips + lanes`` pops,
however busy the lanes above it are, while a burst in a higher lane still overtakes everything
below it almost entirely.

A key sits in at most one lane. Re-pushing a waiting key with a higher priority moves it up
(keeping nothing of its old place); with an equal or lower one it stays where it is.

Concurrency: no awaits; the owning queue calls these from the event loop only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Protocol


class Lanes(Protocol):
    def push(self, key: Hashable, priority: int) -> None: ...

    def pop(self) -> Hashable: ...

    def __len__(self) -> int: ...

    def __contains__(self, key: Hashable) -> bool: ...


class FifoLanes:
    """Priorities are ignored: keys leave in the order they first became ready."""

    def __init__(self) -> None:
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def push(self, key: Hashable, priority: int = 0) -> None:
        self._keys.setdefault(key, None)

    def pop(self) -> Hashable:
        return self._keys.popitem(last=False)[0]

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys


class PriorityLanes:
    """``levels`` FIFO lanes, 0 the highest; see the module docstring for the starvation bound."""

    def __init__(self, levels: int, *, max_skips: int = 10) -> None:
        if levels < 1 or max_skips < 1:
            raise ValueError("PriorityLanes needs at least one level and max_skips >= 1")
        self._lanes: list[OrderedDict[Hashable, None]] = [OrderedDict() for _ in range(levels)]
        self._skips = [0] * levels
        self._where: dict[Hashable, int] = {}
        self._max_skips = max_skips

    def push(self, key: Hashable, priority: int) -> None:
        level = min(max(priority, 0), len(self._lanes) - 1)
        current = self._where.get(key)
        if current is not None:
            if level >= current:
                return
            del self._lanes[current][key]
        self._lanes[level][key] = None
        self._where[key] = level

    def pop(self) -> Hashable:
        """The next key; IndexError when every lane is empty."""
        lanes, skips = self._lanes, self._skips
        starved = [level for level, lane in enumerate(lanes) if lane and skips[level] >= self._max_skips]
        if starved:
            chosen = max(starved, key=lambda level: skips[level])
        else:
            chosen = next((level for level, lane in enumerate(lanes) if lane), -1)
            if chosen < 0:
                raise IndexError("pop from empty lanes")
        for level in range(chosen + 1, len(lanes)):
            if lanes[level]:
                skips[level] += 1
        skips[chosen] = 0
        key = lanes[chosen].popitem(last=False)[0]
        del self._where[key]
        return key

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._where
