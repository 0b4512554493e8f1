"""Log rows and in-memory key metadata of the embedded backend.

Every change is one row of the ``log`` table, keyed by ``id = revision << SUB_BITS | sub``:
the rows of one transaction share a revision and are numbered by ``sub``, so rowid order is
revision order. A row is ``(id, key, deleted, create_revision, version, lease, prev_id, value)``:
``prev_id`` links a put or tombstone to the previous version of the same key (0 when the key did
not exist before), which is all that history reads, ``prev_kv`` and compaction need.

The current state lives in memory as :data:`Meta` tuples ``(create_revision, id, version,
lease)``; values stay on disk and are fetched by ``id``.
"""

from __future__ import annotations

from myriad.storage.interfaces import Event, EventType, KeyValue

SUB_BITS = 24
MAX_SUB = (1 << SUB_BITS) - 1

Meta = tuple[int, int, int, int]  # (create_revision, id, version, lease)
Row = tuple[int, bytes, int, int, int, int, int, bytes]

ROW_COLUMNS = "id, key, deleted, create_rev, version, lease, prev_id, value"


def make_id(revision: int, sub: int) -> int:
    return (revision << SUB_BITS) | sub


def first_id(revision: int) -> int:
    return revision << SUB_BITS


def kv_from_meta(key: bytes, meta: Meta, value: bytes) -> KeyValue:
    return KeyValue(key, value, meta[0], meta[1] >> SUB_BITS, meta[2], meta[3])


def kv_from_row(row: Row) -> KeyValue:
    return KeyValue(row[1], row[7], row[3], row[0] >> SUB_BITS, row[4], row[5])


def event_from_row(row: Row, prev: KeyValue | None) -> Event:
    if row[2]:
        return Event(EventType.DELETE, KeyValue(row[1], b"", 0, row[0] >> SUB_BITS, 0, 0), prev)
    return Event(EventType.PUT, kv_from_row(row), prev)
