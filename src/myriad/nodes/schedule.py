"""When each node's next heartbeat is due: one heap for every node of a process, never a task or
a timer per node.

Nodes start spread evenly over one period (node ``i`` of ``n`` is first due ``i/n`` of the way
through it), so ten thousand nodes renewing every 10 s make a steady thousand renewals a second
rather than a burst every 10 s. Event loop only; nothing here awaits.
"""

from __future__ import annotations

import heapq


class HeartbeatSchedule:
    def __init__(self, *, interval: float) -> None:
        self._interval = interval
        self._heap: list[tuple[float, int]] = []

    def __len__(self) -> int:
        return len(self._heap)

    def spread(self, indexes: list[int], *, now: float) -> None:
        """Files ``indexes``, the first due at ``now``, the rest evenly over one interval."""
        count = len(indexes)
        for position, index in enumerate(indexes):
            heapq.heappush(self._heap, (now + self._interval * position / max(count, 1), index))

    def due(self, now: float) -> list[int]:
        """The nodes due by ``now``, each filed again one interval after its due time (not after
        ``now``: a late tick does not shift the spread)."""
        heap, out = self._heap, []
        while heap and heap[0][0] <= now:
            due, index = heapq.heappop(heap)
            out.append(index)
            heapq.heappush(heap, (max(due + self._interval, now), index))
        return out

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None
