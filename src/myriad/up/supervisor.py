"""One component process of ``myriad up``, kept running: its output prefixed with its name on
the terminal and appended to its log file, readiness watched, restarted with back-off after any
exit until stopped.

Concurrency: event loop only. :meth:`Child.run` is the one task that owns the process (starts
it, pumps its output, waits for it, starts it again); :meth:`Child.stop` may be awaited from any
other task and makes :meth:`Child.run` return. Children run in sessions of their own, so a
terminal's ^C reaches ``myriad up`` alone, which stops them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from myriad.up.types import ComponentSpec

#: Longest output line read whole; a longer one is cut (its rest still reaches the log).
LINE_LIMIT = 1 << 20


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """Restart delays: ``initial``, doubled after each restart up to ``cap``; a run that lasted
    ``reset`` seconds starts the count again."""

    initial: float = 1.0
    cap: float = 30.0
    reset: float = 60.0


class Child:
    def __init__(self, spec: ComponentSpec, *, log_dir: Path, out: TextIO = sys.stdout, width: int = 0,
                 backoff: Backoff = Backoff(), stop_grace: float = 10.0,
                 on_line: Callable[[str], None] | None = None, on_start: Callable[[], None] | None = None) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        self.restarts = 0
        #: Set once the component first reported ready (it is not cleared by a restart).
        self.ready = asyncio.Event()
        #: Set when the first run ended before the component was ever ready.
        self.failed = asyncio.Event()
        self._out = out
        self._prefix = f"{spec.name:>{width}} | "
        self._backoff = backoff
        self._grace = stop_grace
        self._on_line = on_line
        self._on_start = on_start
        self._process: asyncio.subprocess.Process | None = None
        self._stopping = asyncio.Event()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    def replace_spec(self, spec: ComponentSpec) -> None:
        """The command line used from the next restart on."""
        self.spec = spec

    async def run(self) -> None:
        """Starts the component and starts it again after every exit, until :meth:`stop`."""
        delay = self._backoff.initial
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        while not self._stopping.is_set():
            began = time.monotonic()
            code = await self._run_once()
            if self._stopping.is_set():
                return
            if not self.ready.is_set():
                self.failed.set()
            ran = time.monotonic() - began
            if ran >= self._backoff.reset:
                delay = self._backoff.initial
            self.restarts += 1
            self._say(f"myriad up: {self.spec.name} exited with code {code} after {ran:.1f} s; "
                      f"starting it again in {delay:g} s (restart {self.restarts})")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            delay = min(self._backoff.cap, delay * 2)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period; no restart follows."""
        self._stopping.set()
        process = self._process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self._grace)
        except TimeoutError:
            self._say(f"myriad up: {self.spec.name} did not stop within {self._grace:g} s; killing it")
            process.kill()
            await process.wait()

    async def _run_once(self) -> int:
        process = self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "myriad", *self.spec.argv, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
            limit=LINE_LIMIT)
        if self._on_start is not None:
            self._on_start()
        assert process.stdout is not None
        with self.log_path.open("ab") as log:
            await self._pump(process.stdout, log)
        return await process.wait()

    async def _pump(self, stream: asyncio.StreamReader, log: object) -> None:
        """Copies the output, line by line, to the log and (prefixed) to the terminal."""
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # a line past LINE_LIMIT: take what is buffered as one
                line = await stream.read(LINE_LIMIT) + b"\n"
            if not line:
                return
            log.write(line)  # type: ignore[attr-defined]
            log.flush()  # type: ignore[attr-defined]
            text = line.decode(errors="replace").rstrip("\n")
            self._say(self._prefix + text)
            if self.spec.ready_line and self.spec.ready_line in text:
                self.ready.set()
            if self._on_line is not None:
                self._on_line(text)

    def _say(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a closed terminal must not stop the supervision
            print(text, file=self._out, flush=True)
