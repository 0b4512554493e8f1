"""Cleaning: giving back the space of superseded rows without random writes.

Compaction to revision C only moves the compacted revision (reads below C fail from then on);
removing rows is this module's job. Deleting each superseded row where it sits would cost one
random page write per update, since under random updates the previous version of a key may be
anywhere in the file. Instead the log is cut into **segments** of about :data:`SEGMENT_ROWS`
consecutive ids, and a segment is reclaimed whole, log-structured-file-system style:

1. **Relocate.** Once a sealed segment lies at or below C and enough of it is dead, its rows that
   are still current are copied to the end of the relocated region (:mod:`.records`) and the
   key index is pointed at the copies. Those appends are sequential.
2. **Drop.** Its remaining rows were superseded by writes up to ``max_succ``; once C reaches that
   revision no read can reach them, and one range ``DELETE`` frees the segment's pages, which new
   appends then reuse.

A segment is *dead* in proportion to its rows that later writes superseded (tombstones are dead
from birth). Segments cleaned while writes flow must be at least :data:`BUSY_DEAD_RATIO` dead;
idle turns also take those at :data:`IDLE_DEAD_RATIO`, so disk use returns close to the live
size once the load stops. Static rows are never copied while their segment is mostly alive.

Writer thread only: the :class:`Cleaner` is owned by the writer and every call happens inside
one of its turns, so it never races the key index it reads and updates.
"""

from __future__ import annotations

import sqlite3
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from myriad.storage.embedded.keyindex import KeyIndex
from myriad.storage.embedded.records import RELOCATED_BASE, ROW_COLUMNS, SUB_BITS, Meta, Row, original_id
from myriad.storage.embedded.schema import insert_rows, select_by_ids

SEGMENT_ROWS = 1024
BUSY_DEAD_RATIO = 0.75
IDLE_DEAD_RATIO = 0.1
#: How often the cleaner looks for newly eligible segments when it has none queued.
RESCAN_SECONDS = 0.1

@dataclass(slots=True, eq=False)
class Segment:
    first: int
    last: int
    rows: int = 0
    dead: int = 0
    last_rev: int = 0  # the writer's revision when its newest row was stored
    max_succ: int = 0  # the newest revision that superseded one of its rows
    sealed: bool = False
    cursor: int = -1  # relocation has looked at ids up to here
    emptied: bool = False  # every current row relocated; waiting to be dropped


class Region:
    """The segments of one id region in id order; the last one is the open head unless sealed."""

    def __init__(self) -> None:
        self.firsts: list[int] = []
        self.segments: list[Segment] = []

    def find(self, slot: int) -> Segment | None:
        i = bisect_right(self.firsts, slot) - 1
        if i >= 0 and slot <= self.segments[i].last:
            return self.segments[i]
        return None

    def append(self, slot: int, revision: int, dead: bool) -> Segment:
        head = self.segments[-1] if self.segments else None
        if head is None or head.sealed or head.rows >= SEGMENT_ROWS:
            if head is not None:
                head.sealed = True
            head = Segment(slot, slot)
            self.firsts.append(slot)
            self.segments.append(head)
        head.last = slot
        head.rows += 1
        head.last_rev = revision
        head.dead += dead
        return head

    def seal(self) -> None:
        if self.segments:
            self.segments[-1].sealed = True

    def remove(self, segment: Segment) -> None:
        i = bisect_left(self.firsts, segment.first)
        del self.firsts[i]
        del self.segments[i]


class Cleaner:
    def __init__(self) -> None:
        self.log = Region()
        self.relocated = Region()
        self._next_relocated = RELOCATED_BASE
        self._compacted = 0
        self._work: list[Segment] = []
        self._scanned_at = float("-inf")

    # -- bookkeeping ---------------------------------------------------------------------------

    def region(self, slot: int) -> Region:
        return self.relocated if slot >= RELOCATED_BASE else self.log

    def stored(self, rows: list[Row]) -> None:
        """Rows just written to the log (revision-keyed ids)."""
        log = self.log
        for row in rows:
            log.append(row[0], row[0] >> SUB_BITS, bool(row[2]))

    def superseded(self, pairs: list[tuple[int, int]]) -> None:
        """``(slot, revision)``: the row at ``slot`` was superseded by a write at ``revision``."""
        for slot, revision in pairs:
            segment = self.region(slot).find(slot)
            if segment is not None:
                segment.dead += 1
                if revision > segment.max_succ:
                    segment.max_succ = revision

    def start_relocating_at(self, slot: int) -> None:
        self._next_relocated = slot

    def compacted(self, revision: int) -> None:
        self._compacted = revision
        self._scanned_at = float("-inf")

    def loaded(self, revision: int) -> None:
        """Seals what a restart rebuilt. What superseded the rows of a loaded segment is not
        known, so it is assumed to be as new as the revision at load."""
        for region in (self.log, self.relocated):
            region.seal()
            for segment in region.segments:
                if region is self.relocated:
                    segment.last_rev = revision
                if segment.dead:
                    segment.max_succ = revision

    # -- work ----------------------------------------------------------------------------------

    def pending(self, *, idle: bool) -> bool:
        """Whether a writer turn would find cleaning to do, at the idle or the busy threshold.
        Looks for newly eligible segments at most every RESCAN_SECONDS, and at once after a
        compaction."""
        if time.monotonic() - self._scanned_at >= RESCAN_SECONDS:
            self._rescan()
        ratio = IDLE_DEAD_RATIO if idle else BUSY_DEAD_RATIO
        return any(s.emptied or s.dead >= ratio * s.rows for s in self._work)

    def _rescan(self) -> None:
        self._scanned_at = time.monotonic()
        compacted = self._compacted
        work = []
        for region in (self.log, self.relocated):
            if region.segments and region.segments[-1].last_rev <= compacted:
                region.seal()  # all of the head is compacted: close it so it can be cleaned
            for segment in region.segments:
                if segment.emptied:
                    if segment.max_succ <= compacted:
                        work.append(segment)
                elif (
                    segment.sealed
                    and segment.last_rev <= compacted
                    and segment.dead >= IDLE_DEAD_RATIO * segment.rows
                ):
                    work.append(segment)
        self._work = work

    def step(self, conn: sqlite3.Connection, index: KeyIndex, *, revision: int, budget: int, deadline: float,
             idle: bool, changes: list[tuple[bytes, Meta | None]]) -> bool:
        """Relocates or drops up to about ``budget`` rows, stopping at ``deadline``
        (``time.monotonic``). Index changes go to ``changes`` for the event loop. Returns whether
        any segment was dropped."""
        dropped = False
        work = self._work
        i = 0
        while i < len(work) and budget > 0 and time.monotonic() < deadline:
            segment = work[i]
            if segment.emptied:
                if segment.max_succ > self._compacted:
                    i += 1
                    continue
                conn.execute("DELETE FROM log WHERE id >= ? AND id <= ?", (segment.first, segment.last))
                self.region(segment.first).remove(segment)
                budget -= segment.rows // 4  # a range delete frees pages without rewriting them
                dropped = True
                del work[i]
                continue
            if not idle and segment.dead < BUSY_DEAD_RATIO * segment.rows:
                i += 1
                continue
            budget -= self._relocate(conn, index, segment, revision, budget, changes)
            if segment.emptied and segment.max_succ > self._compacted:
                del work[i]  # comes back once compaction passes max_succ
        return dropped

    def _relocate(self, conn: sqlite3.Connection, index: KeyIndex, segment: Segment, revision: int, budget: int,
                  changes: list[tuple[bytes, Meta | None]]) -> int:
        """Copies the next current rows of ``segment`` to the relocated region; returns the number
        of rows looked at."""
        start = max(segment.first, segment.cursor + 1)
        scanned = conn.execute(
            "SELECT id, key FROM log WHERE id >= ? AND id <= ? ORDER BY id LIMIT ?",
            (start, segment.last, max(budget, 64)),
        ).fetchall()
        current = [row_id for row_id, key in scanned if (m := index.get(key)) is not None and m[1] == row_id]
        if current:
            copies = []
            for row in select_by_ids(conn, ROW_COLUMNS, current):
                slot = self._next_relocated
                self._next_relocated += 1
                row_id, key, _, create, version, lease, prev_id, value = row
                orig = original_id(row_id, prev_id)
                copies.append((slot, key, 0, create, version, lease, orig, value))
                meta = (create, slot, version, lease, orig >> SUB_BITS)
                index[key] = meta
                changes.append((key, meta))
                self.relocated.append(slot, revision, False)
            insert_rows(conn, copies)
            segment.dead += len(current)
        if len(scanned) < max(budget, 64):
            segment.emptied = True
        else:
            segment.cursor = scanned[-1][0]
        return len(scanned) + len(current)
