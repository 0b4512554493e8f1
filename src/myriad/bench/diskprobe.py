"""The disk's own sync latency, sampled beside a benchmark run.

A store that acknowledges only durable writes can answer no faster than the device completes a
sync. On a shared disk that floor moves by the minute, so the benchmarks measure it in the same
run: :class:`DiskProbe` overwrites one small block of a preallocated file in the data dir's
parent and ``fdatasync``\\ s it, on a thread of its own, for as long as it runs. Overwriting
allocated blocks is what a store's reused WAL does, so a sync is the device's latency for a
commit of one block, with no file system allocation in it.

Two figures come out (:class:`ProbeFigures`):

``sync``
    the time each write + ``fdatasync`` took: the device's service time, one sample per sync.
``commit_floor``
    what a durable write *arriving* every ``interval`` would wait on an ideal group-committing
    store (no CPU cost, one sync in flight): writes are due on a fixed schedule, each sync
    covers every write that fell due before it started, and each write's latency runs from its
    due time to the end of the sync that covered it. A stall of 300 ms is one ``sync`` sample
    but fifteen ``commit_floor`` samples, as it is for the writes of an open-loop load, so this
    is the figure to set beside a benchmark's write latency.

Concurrency: the probe thread owns the file and the histograms until :meth:`DiskProbe.stop`
joins it; only then are the figures read.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from myriad.bench.histogram import LatencyHistogram, Percentiles


@dataclass(frozen=True, kw_only=True)
class ProbeOptions:
    #: Seconds between due writes (50 a second by default: little load beside the benchmark's own).
    interval: float = 0.02
    #: Bytes written per sync.
    block_size: int = 4096
    #: Blocks in the file; syncs overwrite them in turn.
    blocks: int = 64


@dataclass(frozen=True, slots=True)
class ProbeFigures:
    """The device's service time per sync, and the commit floor of writes due on a schedule."""

    sync: Percentiles
    commit_floor: Percentiles


class DiskProbe:
    """Samples write + ``fdatasync`` latency in ``directory`` from :meth:`start` to :meth:`stop`."""

    def __init__(self, directory: Path, *, options: ProbeOptions = ProbeOptions()) -> None:
        self._directory = directory
        self._options = options
        self._sync = LatencyHistogram()
        self._floor = LatencyHistogram()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def start(self) -> None:
        """Creates and syncs the probe file, then starts sampling."""
        fd, name = tempfile.mkstemp(prefix=".myriad-disk-probe-", dir=self._directory)
        os.unlink(name)  # the open descriptor keeps the file until the thread closes it
        options = self._options
        os.write(fd, bytes(options.block_size * options.blocks))
        os.fsync(fd)
        self._thread = threading.Thread(target=self._sample, args=(fd,), name="disk-probe", daemon=True)
        self._thread.start()

    def stop(self) -> ProbeFigures:
        """Stops sampling; the figures of every sync taken. Raises the probe's I/O error.

        Safe to call more than once, and before :meth:`start` succeeded."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return ProbeFigures(self._sync.percentiles(), self._floor.percentiles())

    def _sample(self, fd: int) -> None:
        options = self._options
        block = os.urandom(options.block_size)
        index = 0
        interval = options.interval
        next_due = time.perf_counter() + interval
        try:
            while not self._stopping.wait(max(0.0, next_due - time.perf_counter())):
                started = time.perf_counter()
                os.pwrite(fd, block, index * options.block_size)
                os.fdatasync(fd)
                finished = time.perf_counter()
                self._sync.record_seconds(finished - started)
                while next_due <= started:  # every write due before this sync began rode on it
                    self._floor.record_seconds(finished - next_due)
                    next_due += interval
                index = (index + 1) % options.blocks
        except OSError as exc:
            self._error = exc
        finally:
            os.close(fd)
