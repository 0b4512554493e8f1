"""An acknowledged write survives ``kill -9`` of the process that made it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from myriad.storage import EmbeddedOptions, open_store

WRITER = Path(__file__).with_name("kill9_writer.py")


async def test_every_acknowledged_write_survives_kill_9(tmp_path):
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(data), "16"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: list[tuple[str, int, int]] = []
    try:
        for line in proc.stdout:
            key, revision, size = line.split()
            acked.append((key, int(revision), int(size)))
            if len(acked) == 3000:
                os.kill(proc.pid, signal.SIGKILL)
                break
    finally:
        proc.kill()
        proc.wait()
    assert len(acked) == 3000, proc.stderr.read()

    store = await open_store(EmbeddedOptions(data_dir=data, compaction_retention=0))
    try:
        for key, revision, size in acked:
            kv = await store.get(key.encode())
            assert kv is not None, f"acknowledged {key} lost"
            assert kv.mod_revision == revision and len(kv.value) == size
        assert await store.current_revision() >= max(r for _, r, _ in acked)
    finally:
        await store.close()
