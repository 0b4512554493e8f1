"""The disk's own sync latency, sampled beside a benchmark run.

A store that acknowledges only durable writes can answer no faster than the device completes a
sync. On a shared disk that floor moves by the minute, so the storage benchmark measures it in
the same run: :class:`DiskProbe` overwrites one small block of a preallocated file in the data
dir's parent and ``fdatasync``\\ s it every ``interval``, on a thread of its own, for as long as
it runs. Overwriting allocated blocks is what a store's reused WAL does, so a sample is the
device's latency for a commit of one block, with no file system allocation in it.

Concurrency: the probe thread owns the file and the histogram until :meth:`DiskProbe.stop`
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
    #: Seconds between samples (50 syncs/s by default: little load beside the benchmark's own).
    interval: float = 0.02
    #: Bytes written per sample.
    block_size: int = 4096
    #: Blocks in the file; samples overwrite them in turn.
    blocks: int = 64


class DiskProbe:
    """Samples write + ``fdatasync`` latency in ``directory`` from :meth:`start` to :meth:`stop`."""

    def __init__(self, directory: Path, *, options: ProbeOptions = ProbeOptions()) -> None:
        self._directory = directory
        self._options = options
        self._histogram = LatencyHistogram()
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

    def stop(self) -> Percentiles:
        """Stops sampling; the percentiles of every sample taken. Raises the probe's I/O error."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._histogram.percentiles()

    def _sample(self, fd: int) -> None:
        options = self._options
        block = os.urandom(options.block_size)
        index = 0
        try:
            while not self._stopping.wait(options.interval):
                started = time.perf_counter()
                os.pwrite(fd, block, index * options.block_size)
                os.fdatasync(fd)
                self._histogram.record_seconds(time.perf_counter() - started)
                index = (index + 1) % options.blocks
        except OSError as exc:
            self._error = exc
        finally:
            os.close(fd)
