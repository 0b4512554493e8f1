"""Recently written values, so the writer rarely reads the disk for a previous value.

Every update and delete needs the previous value (for ``prev_kv`` in events and results, and for
value comparisons). Objects that change are usually the ones that changed recently (node
leases, pod status), so a FIFO of the last ``capacity`` bytes written answers most of those
reads from memory. Row ids never get a new value, so an entry can never be stale.

The FIFO is a deque of ids in insertion order plus :data:`SHARDS` dicts chosen by revision. An
``OrderedDict`` rebuilds its whole node index whenever the dict underneath resizes, and under
constant churn that stalled the writer, holding the GIL, for 20 ms every few seconds (measured);
one plain dict still stalled it for 5–10 ms a resize. Sharded, each resize is 1/SHARDS of that.

Writer thread only.
"""

from __future__ import annotations

from collections import deque

from myriad.storage.embedded.records import SUB_BITS

SHARDS = 64
_MASK = SHARDS - 1


class ValueCache:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._size = 0
        self._shards: list[dict[int, bytes]] = [{} for _ in range(SHARDS)]
        self._order: deque[int] = deque()

    def get(self, row_id: int) -> bytes | None:
        return self._shards[(row_id >> SUB_BITS) & _MASK].get(row_id)

    def add(self, row_id: int, value: bytes) -> None:
        """Remembers ``value`` for ``row_id`` (a second add of an id is ignored), then evicts the
        oldest entries until the total is within capacity."""
        shard = self._shards[(row_id >> SUB_BITS) & _MASK]
        if row_id in shard:
            return
        shard[row_id] = value
        order = self._order
        order.append(row_id)
        self._size += len(value) + 64
        shards = self._shards
        while self._size > self._capacity and order:
            oldest = order.popleft()
            self._size -= len(shards[(oldest >> SUB_BITS) & _MASK].pop(oldest)) + 64
