"""An acknowledged write survives ``kill -9`` of the process that made it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from myriad.storage import EmbeddedOptions, open_store

WRITER = Path(__file__).with_name("kill9_writer.py")
ACKS = 3000


async def test_every_acknowledged_write_survives_kill_9(tmp_path):
    data = tmp_path / "data"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(WRITER), str(data), "16", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    acked: list[tuple[str, int, int]] = []
    try:
        while len(acked) < ACKS:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            if not line:
                break
            key, revision, size = line.split()
            acked.append((key.decode(), int(revision), int(size)))
    finally:
        proc.kill()  # SIGKILL: no chance to flush or close anything
        _, stderr = await proc.communicate()
    assert len(acked) == ACKS, stderr.decode()

    store = await open_store(EmbeddedOptions(data_dir=data, compaction_retention=0))
    try:
        for key, revision, size in acked:
            kv = await store.get(key.encode())
            assert kv is not None, f"acknowledged {key} lost"
            assert kv.mod_revision == revision and len(kv.value) == size
        assert await store.current_revision() >= max(r for _, r, _ in acked)
    finally:
        await store.close()
