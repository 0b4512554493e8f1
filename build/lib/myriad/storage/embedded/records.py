"""Log rows and in-memory key metadata of the embedded backend.

Every change is one row of the ``log`` table, keyed by ``id = revision << SUB_BITS | sub``:
the rows of one transaction share a revision and are numbered by ``sub``, so rowid order is
revision order. A row is ``(id, key, deleted, create_revision, version, lease, prev_id, value)``:
``prev_id`` links a put or tombstone to the row of the previous version of the same key (0 when
the key did not exist before), which is all that history reads, ``prev_kv`` and cleaning need.

Cleaning (:mod:`.cleaning`) copies still-current rows out of old parts of the log into the
**relocated region**, ids from :data:`RELOCATED_BASE` up, in the order they were copied. A
relocated row has no previous version any read can reach, so its ``prev_id`` holds the row's
original id instead, which carries its mod revision. A row's id is therefore its *slot*: where it
is stored, and what later rows' ``prev_id`` and the key index point to.

The current state lives in memory as :data:`Meta` tuples ``(create_revision, slot, version,
lease, mod_revision)``; values stay on disk and are fetched by slot.
"""

from __future__ import annotations

from myriad.storage.interfaces import Event, EventType, KeyValue

SUB_BITS = 24
MAX_SUB = (1 << SUB_BITS) - 1
#: Ids from here up are relocated rows; revision-keyed ids stay below it (revisions < 2**38).
RELOCATED_BASE = 1 << 62

Meta = tuple[int, int, int, int, int]  # (create_revision, slot, version, lease, mod_revision)
Row = tuple[int, bytes, int, int, int, int, int, bytes]

ROW_COLUMNS = "id, key, deleted, create_rev, version, lease, prev_id, value"


def make_id(revision: int, sub: int) -> int:
    return (revision << SUB_BITS) | sub


def first_id(revision: int) -> int:
    return revision << SUB_BITS


def original_id(row_id: int, prev_id: int) -> int:
    """The revision-keyed id a row was written with, for a row stored at ``row_id``."""
    return prev_id if row_id >= RELOCATED_BASE else row_id


def kv_from_meta(key: bytes, meta: Meta, value: bytes) -> KeyValue:
    return KeyValue(key, value, meta[0], meta[4], meta[2], meta[3])


def kv_from_row(row: Row) -> KeyValue:
    return KeyValue(row[1], row[7], row[3], original_id(row[0], row[6]) >> SUB_BITS, row[4], row[5])


def event_from_row(row: Row, prev: KeyValue | None) -> Event:
    """The event of a revision-keyed (never a relocated) row."""
    if row[2]:
        return Event(EventType.DELETE, KeyValue(row[1], b"", 0, row[0] >> SUB_BITS, 0, 0), prev)
    return Event(EventType.PUT, kv_from_row(row), prev)
