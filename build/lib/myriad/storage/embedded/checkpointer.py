"""Background WAL checkpoints, so the writer does not pay for copying pages into the database.

A thread with its own connection runs PASSIVE checkpoints every ``interval`` seconds, and back
to back while a pass leaves frames behind. PASSIVE
never waits for, or blocks, the writer or readers: it copies the frames no reader still needs
and syncs the database file. What it leaves is little, so when the writer later completes the
checkpoint between commits (see ``Writer._maintain``) the pause is short, and the WAL restarts
from its beginning instead of growing.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from myriad.storage.embedded.schema import open_reader


class Checkpointer:
    def __init__(self, data_dir: Path, *, interval: float, lock: threading.Lock) -> None:
        """``lock`` is held around every checkpoint, here and in the writer, so the two never
        contend inside SQLite (whose busy handler would sleep in coarse steps)."""
        self._data_dir = data_dir
        self._interval = interval
        self._lock = lock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="myriad-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn = open_reader(self._data_dir)
        try:
            pause = self._interval
            while not self._stop.wait(pause):
                try:
                    with self._lock:
                        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.OperationalError:
                    continue  # the database is busy; try again next time
                # Still behind: go again at once, so the writer only ever finishes a small remainder.
                pause = 0.002 if not busy and frames > copied else self._interval
        finally:
            conn.close()
