"""Starting a ``myriad apiserver`` subprocess (for a benchmark, or a test), optionally pinned to
one CPU; stopping it; reading its CPU time back from its ``/metrics``
(``process_cpu_seconds_total``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_URL = re.compile(r"API server on (http://\S+)")
_CPU = re.compile(rb"^process_cpu_seconds_total\s+(\S+)$", re.MULTILINE)


class ServerStartError(RuntimeError):
    """The server exited, or printed no address, within the start timeout."""


@contextmanager
def running_apiserver(*, data_dir: Path, cpu: int | None, timeout: float = 60.0,
                      args: tuple[str, ...] = ()) -> Iterator[str]:
    """Runs ``myriad apiserver --port 0 [args]`` on ``data_dir`` until the block exits; yields its URL.

    With ``cpu`` set the server (every thread of it) runs on that CPU alone. Its output goes to
    ``data_dir/apiserver.log``.
    """
    process, url = start_apiserver(data_dir=data_dir, cpu=cpu, timeout=timeout, args=args)
    try:
        yield url
    finally:
        stop_process(process)


def start_apiserver(*, data_dir: Path, cpu: int | None = None, timeout: float = 60.0,
                    args: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], str]:
    """:func:`running_apiserver` without the block: the process and its URL; the caller stops it
    (:func:`stop_process`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "apiserver.log"
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "myriad", "apiserver", "--port", "0", "--data-dir",
                                    str(data_dir), *args], stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin)
    try:
        return process, _wait_for_url(process, log_path, timeout)
    except BaseException:
        stop_process(process)
        raise


def stop_process(process: subprocess.Popen, *, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> int:
    """Sends ``sig`` and waits up to ``timeout`` seconds, then kills; returns the exit status."""
    process.send_signal(sig)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _wait_for_url(process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = _URL.search(log_path.read_text())
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise ServerStartError(f"apiserver did not start; its log {log_path}:\n{log_path.read_text()}")


def server_cpu_seconds(url: str) -> float | None:
    """The server's ``process_cpu_seconds_total`` (user + system, all threads), None if absent."""
    with urllib.request.urlopen(url + "/metrics", timeout=30) as response:
        match = _CPU.search(response.read())
    return float(match.group(1)) if match else None
