"""Current values of recently written or read keys, so that reading a key's current value is
answered on the event loop instead of a reader thread.

A thread hop costs a read more CPU than the read itself (a future, a wake-up of a reader thread,
a wake-up of the loop, the GIL handed back and forth), and with the server on one core it also
costs latency: the reader waits for the loop to release the GIL. Objects that are read are
mostly ones written recently (pods being scheduled and started, leases, statuses), so a bounded
FIFO of values filled by commits answers most current reads from memory.

An entry is ``key -> (mod_revision, value)`` and is only ever returned for the mod revision the
caller asks for (the published index's), so a stale entry is a miss, never a wrong answer.
Eviction is oldest-first by bytes; entries live in :data:`SHARDS` dicts chosen by the key's hash,
so no single dict resize stalls the loop (see :mod:`.valuecache`).

Event loop only: every method runs on the loop and none awaits.
"""

from __future__ import annotations

from collections import deque

SHARDS = 64
_MASK = SHARDS - 1
#: Bookkeeping bytes charged per entry on top of its key and value.
_OVERHEAD = 120


class CurrentValues:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._size = 0
        self._entries = 0
        self._shards: list[dict[bytes, tuple[int, bytes]]] = [{} for _ in range(SHARDS)]
        self._order: deque[tuple[bytes, int]] = deque()

    def get(self, key: bytes, mod_revision: int) -> bytes | None:
        entry = self._shards[hash(key) & _MASK].get(key)
        return entry[1] if entry is not None and entry[0] == mod_revision else None

    def put(self, key: bytes, mod_revision: int, value: bytes) -> None:
        """Remembers ``value`` as ``key``'s value at ``mod_revision`` (an older revision than the
        one held is ignored), then evicts the oldest entries until within capacity."""
        if self._capacity <= 0:
            return
        shard = self._shards[hash(key) & _MASK]
        held = shard.get(key)
        if held is not None:
            if held[0] >= mod_revision:
                return
            self._size -= len(key) + len(held[1]) + _OVERHEAD
            self._entries -= 1
        shard[key] = (mod_revision, value)
        self._order.append((key, mod_revision))
        self._size += len(key) + len(value) + _OVERHEAD
        self._entries += 1
        self._evict()

    def discard(self, key: bytes) -> None:
        held = self._shards[hash(key) & _MASK].pop(key, None)
        if held is not None:
            self._size -= len(key) + len(held[1]) + _OVERHEAD
            self._entries -= 1

    def _evict(self) -> None:
        order, shards = self._order, self._shards
        while self._size > self._capacity and order:
            key, revision = order.popleft()
            shard = shards[hash(key) & _MASK]
            held = shard.get(key)
            if held is not None and held[0] == revision:
                del shard[key]
                self._size -= len(key) + len(held[1]) + _OVERHEAD
                self._entries -= 1
        if len(order) > 4 * self._entries + 1024:
            self._compact_order()

    def _compact_order(self) -> None:
        """Drops order entries of keys since rewritten or discarded, so the deque stays bounded."""
        shards = self._shards
        self._order = deque(
            (key, revision) for key, revision in self._order
            if (held := shards[hash(key) & _MASK].get(key)) is not None and held[0] == revision)
