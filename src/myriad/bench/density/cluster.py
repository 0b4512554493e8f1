"""The cluster ``myriad bench density`` measures: one it starts with ``myriad up`` in a scratch
data dir (its output in ``up.log`` there), or a running one given by ``--kubeconfig`` (whose
``up.json``, if ``myriad up`` wrote one beside the kubeconfig, names the components to sample).
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: The hollow nodes' line once all are Ready: ``100/100 nodes registered and Ready (1.0 s)``.
_REGISTERED = re.compile(r"(\d+)/(\d+) nodes registered and Ready \(([\d.]+) s\)")


class ClusterError(RuntimeError):
    """The cluster did not start (the message says where its output is)."""


@dataclass(frozen=True)
class Cluster:
    kubeconfig: Path
    #: ``up.json`` of the components (it may not exist for a cluster not started by ``myriad up``).
    state: Path
    #: Seconds the hollow nodes took to register and be Ready, as they reported it (None if unknown).
    registration_s: float | None


@contextlib.contextmanager
def started(data_dir: Path, *, nodes: int, timeout: float) -> Iterator[Cluster]:
    """``myriad up --nodes N`` on ``data_dir``; stopped (SIGTERM) on exit."""
    log_path = data_dir / "up.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "myriad", "up", "--nodes", str(nodes), "--port", "0",
                                    "--data-dir", str(data_dir)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not any(line.startswith("export KUBECONFIG=")  # myriad up's own: every component ready
                      for line in log_path.read_text(errors="replace").splitlines()):
            if process.poll() is not None:
                raise ClusterError(f"myriad up exited with {process.returncode}; its output: {log_path}")
            if time.monotonic() > deadline:
                raise ClusterError(f"myriad up was not ready within {timeout:g} s; its output: {log_path}")
            time.sleep(0.2)
        found = _REGISTERED.search(log_path.read_text(errors="replace"))
        yield Cluster(kubeconfig=data_dir / "kubeconfig", state=data_dir / "up.json",
                      registration_s=float(found.group(3)) if found else None)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def running(kubeconfig: Path) -> Cluster:
    return Cluster(kubeconfig=kubeconfig, state=kubeconfig.parent / "up.json", registration_s=None)
