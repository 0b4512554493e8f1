"""How far a run has got, from :mod:`~myriad.nodes.figures` snapshots: on a terminal, a rich
progress bar of nodes registered and Ready (with pods running); otherwise a line each time
another tenth of the nodes is registered, and one when all are Ready."""

from __future__ import annotations

import sys
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from myriad.nodes.figures import Snapshot


class ProgressView:
    def __init__(self, total: int, *, terminal: bool | None = None) -> None:
        self._total = total
        self._started = time.monotonic()
        self._terminal = sys.stdout.isatty() if terminal is None else terminal
        self._step = max(1, total // 10)
        self._shown = 0
        self._ready_shown = False
        self._progress: Progress | None = None
        if self._terminal:
            self._progress = Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
                                      TextColumn("{task.fields[detail]}"), TimeElapsedColumn())
            self._registered = self._progress.add_task("registered", total=total, detail="")
            self._ready = self._progress.add_task("Ready", total=total, detail="")
            self._progress.start()

    def update(self, figures: Snapshot) -> None:
        nodes = figures.get("nodes") or {}
        registered, ready = int(nodes.get("registered", 0)), int(nodes.get("ready", 0))
        if self._progress is not None:
            pods = figures.get("pods") or {}
            detail = f"pods: {pods.get('Running', 0)} running, {pods.get('Pending', 0)} pending" if pods else ""
            self._progress.update(self._registered, completed=registered)
            self._progress.update(self._ready, completed=ready, detail=detail)
            return
        elapsed = time.monotonic() - self._started
        while self._shown + self._step <= registered and self._shown < self._total:
            self._shown = min(self._total, self._shown + self._step)
            print(f"{self._shown}/{self._total} nodes registered ({elapsed:.1f} s)", flush=True)
        if ready >= self._total and not self._ready_shown:
            self._ready_shown = True
            print(f"{ready}/{self._total} nodes registered and Ready ({elapsed:.1f} s)", flush=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
