"""Recently written values, so the writer rarely reads the disk for a previous value.

Every update and delete needs the previous value (for ``prev_kv`` in events and results, and for
value comparisons). Objects that change are usually the ones that changed recently (node
leases, pod status), so a FIFO of the last ``capacity`` bytes written answers most of those
reads from memory. Row ids never get a new value, so an entry can never be stale.

Writer thread only.
"""

from __future__ import annotations

from collections import OrderedDict


class ValueCache:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._size = 0
        self._values: OrderedDict[int, bytes] = OrderedDict()  # O(1) FIFO eviction, unlike a dict

    def get(self, row_id: int) -> bytes | None:
        return self._values.get(row_id)

    def add(self, row_id: int, value: bytes) -> None:
        values = self._values
        values[row_id] = value
        self._size += len(value) + 64
        while self._size > self._capacity and values:
            self._size -= len(values.popitem(last=False)[1]) + 64
