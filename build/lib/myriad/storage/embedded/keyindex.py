"""An ordered map of key → :data:`Meta` that never pauses to resize.

A CPython dict grows by rehashing every entry at once: at 700k keys that one insert took 66 ms
(measured), and the embedded store holds two such maps that grow in step. Here the order lives in
a ``SortedList`` (already chunked, so it never copies everything) and the metadata in
:data:`SHARDS` dicts chosen by the key's hash, so each resize touches 1/SHARDS of the keys.

Not thread-safe; each instance has one owner (the writer thread or the event loop).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sortedcontainers import SortedList

from myriad.storage.embedded.records import Meta

SHARDS = 256
_MASK = SHARDS - 1


class KeyIndex:
    __slots__ = ("_keys", "_shards")

    def __init__(self, items: Mapping[bytes, Meta] | None = None) -> None:
        self._shards: list[dict[bytes, Meta]] = [{} for _ in range(SHARDS)]
        if items:
            shards = self._shards
            for key, meta in items.items():
                shards[hash(key) & _MASK][key] = meta
        self._keys = SortedList(items.keys() if items else ())

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: bytes) -> bool:
        return key in self._shards[hash(key) & _MASK]

    def __getitem__(self, key: bytes) -> Meta:
        return self._shards[hash(key) & _MASK][key]

    def get(self, key: bytes) -> Meta | None:
        return self._shards[hash(key) & _MASK].get(key)

    def __setitem__(self, key: bytes, meta: Meta) -> None:
        shard = self._shards[hash(key) & _MASK]
        if key not in shard:
            self._keys.add(key)
        shard[key] = meta

    def pop(self, key: bytes) -> Meta | None:
        """Removes ``key``; returns its metadata, or None if it was absent."""
        meta = self._shards[hash(key) & _MASK].pop(key, None)
        if meta is not None:
            self._keys.remove(key)
        return meta

    def irange(self, minimum: bytes, maximum: bytes | None = None, *, inclusive=(True, False)) -> Iterator[bytes]:
        """Keys in order from ``minimum`` up to ``maximum`` (None: to the end)."""
        return self._keys.irange(minimum, maximum, inclusive)

    def bisect_left(self, key: bytes) -> int:
        return self._keys.bisect_left(key)
