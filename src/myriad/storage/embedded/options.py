"""Tunables of the embedded backend. Defaults suit the 10k-node target; tests shrink them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from myriad.clock import Clock, SystemClock


@dataclass(frozen=True, kw_only=True)
class EmbeddedOptions:
    data_dir: Path
    clock: Clock = field(default_factory=SystemClock)
    #: Most transactions applied in one group commit (one fsync).
    max_batch: int = 4096
    #: When writes keep arriving while the writer commits, and its turns have lately taken at
    #: least ``linger_when_busy`` of its time, it waits up to ``commit_linger`` for
    #: ``commit_batch_target`` writes before the next commit (never when it has time to spare).
    commit_linger: float = 0.002
    commit_batch_target: int = 64
    linger_when_busy: float = 0.5
    #: Automatic compaction keeps about this many seconds of history; 0 turns it off.
    compaction_retention: float = 300.0
    #: How often the automatic compactor samples the revision and compacts.
    compaction_interval: float = 10.0
    #: Log rows cleaning may look at in a writer turn that carried no writes (see Writer._clean).
    compaction_chunk: int = 2000
    #: The writer checkpoints (copies the WAL into the database, so the WAL restarts) between
    #: commits once this many bytes were written since its last checkpoint.
    checkpoint_after_bytes: int = 1024 * 1024
    #: The WAL file is cut back to 4 × this when it restarts; past 4 × this, the writer truncates
    #: it with a blocking checkpoint.
    wal_checkpoint_bytes: int = 8 * 1024 * 1024
    #: A quiet watch that asked for progress notifications gets one this often.
    progress_notify_interval: float = 5.0
    #: How often expired leases are looked for.
    lease_check_interval: float = 0.5
    #: Bytes of recently written values the writer keeps to answer previous-value lookups.
    value_cache_bytes: int = 64 * 1024 * 1024
    #: Bytes of current values the event loop keeps, so most reads of current values need no reader thread.
    read_cache_bytes: int = 256 * 1024 * 1024
    #: Threads serving reads (value fetches, history, watch catch-up).
    reader_threads: int = 2
    #: SQLite's page cache of the writer connection. Pages it misses come from the kernel's page
    #: cache (a pread); measured, 64 MiB against 512 MiB: see ARCHITECTURE.md, "Memory".
    writer_cache_bytes: int = 64 * 1024 * 1024
    #: SQLite's page cache of each reader connection.
    reader_cache_bytes: int = 16 * 1024 * 1024
    #: Rows read per step when a watch replays history.
    replay_chunk: int = 2000
    #: Batches a live watcher may hold unread before it falls back to catching up from disk.
    watch_buffer: int = 4096
