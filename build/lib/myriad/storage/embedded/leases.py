"""Leases of the embedded backend: TTLs, attached keys and an expiry heap.

Owned by the writer thread; nothing else touches a :class:`LeaseTable`. Expiry uses a min-heap
of ``(expiry, lease_id)`` with lazy invalidation (a keepalive pushes a new entry; stale entries
are skipped when they surface), so finding expired leases is O(expired · log n), never a scan.
Expiry times are wall-clock seconds from the injected clock, so they survive a restart.
"""

from __future__ import annotations

import heapq
import math
import secrets
from dataclasses import dataclass, field

#: etcd's minimum TTL with default election settings; both backends grant at least this.
MIN_TTL = 2


@dataclass(slots=True)
class LeaseState:
    ttl: int
    expiry: float
    keys: set[bytes] = field(default_factory=set)


class LeaseTable:
    def __init__(self) -> None:
        self._leases: dict[int, LeaseState] = {}
        self._heap: list[tuple[float, int]] = []

    def __contains__(self, lease_id: int) -> bool:
        return lease_id in self._leases

    def get(self, lease_id: int) -> LeaseState | None:
        return self._leases.get(lease_id)

    def new_id(self) -> int:
        while True:
            lease_id = secrets.randbits(62) + 1
            if lease_id not in self._leases:
                return lease_id

    def grant(self, lease_id: int, ttl: int, expiry: float) -> LeaseState:
        state = LeaseState(ttl, expiry)
        self._leases[lease_id] = state
        heapq.heappush(self._heap, (expiry, lease_id))
        return state

    def renew(self, lease_id: int, expiry: float) -> None:
        self._leases[lease_id].expiry = expiry
        heapq.heappush(self._heap, (expiry, lease_id))

    def remove(self, lease_id: int) -> LeaseState:
        return self._leases.pop(lease_id)

    def attach(self, lease_id: int, key: bytes) -> None:
        self._leases[lease_id].keys.add(key)

    def detach(self, lease_id: int, key: bytes) -> None:
        state = self._leases.get(lease_id)
        if state is not None:
            state.keys.discard(key)

    def expired(self, now: float) -> list[int]:
        """Pops and returns the leases whose expiry is at or before ``now``."""
        out = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            expiry, lease_id = heapq.heappop(heap)
            state = self._leases.get(lease_id)
            if state is not None and state.expiry == expiry:
                out.append(lease_id)
        return out

    @staticmethod
    def remaining(state: LeaseState, now: float) -> int:
        return max(0, math.ceil(state.expiry - now))
