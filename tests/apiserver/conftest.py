"""A real ``myriad apiserver`` subprocess on a free loopback port, as a user would start it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class RunningServer:
    url: str
    kubeconfig: Path
    data_dir: Path

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        kubectl = Path(sys.executable).parent / "kubectl"
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        result = subprocess.run([str(kubectl), f"--cache-dir={self.data_dir / 'kcache'}", *args], input=input,
                                capture_output=True, text=True, env=env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("apiserver")
    process = subprocess.Popen([sys.executable, "-m", "myriad", "apiserver", "--port", "0", "--data-dir",
                                str(data_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    url = None
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"API server on (http://\S+)", line)
        if match:
            url = match.group(1)
        if line.startswith("export KUBECONFIG="):
            break
    if url is None:
        process.kill()
        raise AssertionError("apiserver did not start:\n" + "".join(lines))
    try:
        yield RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
