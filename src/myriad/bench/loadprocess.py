"""Running part of a benchmark's load in a process of its own (``spawn``), so its work is not
timed as the server's: the child gets a plan, a queue for what it reports and an event that
tells it to stop."""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from typing import Any

LoadProcess = tuple[multiprocessing.Process, multiprocessing.Queue, multiprocessing.Event]


def spawn(main: Callable[[Any, multiprocessing.Queue, multiprocessing.Event], None], plan: Any) -> LoadProcess:
    """Starts ``main(plan, queue, stop)`` in a new daemon process; returns it, its queue and its
    stop event. ``main`` must be a module-level function (spawn pickles it by name)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    stop = context.Event()
    process = context.Process(target=main, args=(plan, queue, stop), daemon=True)
    process.start()
    return process, queue, stop


def pin(cpus: frozenset[int] | None) -> None:
    """Runs the calling process on ``cpus`` (None or empty: anywhere)."""
    if cpus:
        os.sched_setaffinity(0, cpus)


def take_load_cpus(server_cpu: int | None) -> frozenset[int] | None:
    """Prepares this process to drive servers pinned to ``server_cpu``: raises its open-file
    limit to the hard limit (thousands of watches) and moves it to the other CPUs, which it
    returns (None when the server is not pinned or no other CPU exists)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if server_cpu is None:
        return None
    others = frozenset(os.sched_getaffinity(0) - {server_cpu}) or None
    pin(others)
    return others
