"""The automatic compaction policy: history older than the retention goes, on both backends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from myriad.clock import SystemClock
from myriad.storage import EtcdOptions, open_store
from myriad.storage.compaction import compact_periodically
from myriad.storage.errors import CompactedError
from myriad.storage.etcd.launcher import LocalEtcd


async def test_the_policy_compacts_to_the_newest_revision_older_than_the_retention() -> None:
    revision, compacted, calls = [10], [0], []

    async def current() -> int:
        revision[0] += 5
        return revision[0]

    async def compacted_revision() -> int:
        return compacted[0]

    async def compact(target: int) -> None:
        calls.append(target)
        if target <= compacted[0]:
            raise CompactedError(compacted[0], target)
        compacted[0] = target

    task = asyncio.create_task(compact_periodically(current=current, compacted=compacted_revision, compact=compact,
                                                    clock=SystemClock(), retention=0.05, interval=0.02))
    await asyncio.sleep(0.3)
    task.cancel()
    assert calls and calls == sorted(calls)
    assert 15 <= compacted[0] < revision[0]


async def test_an_etcd_store_compacts_its_own_history(tmp_path: Path) -> None:
    async with LocalEtcd(data_dir=tmp_path / "etcd") as etcd:
        store = await open_store(EtcdOptions(endpoints=(etcd.endpoint,), compaction_retention=0.2,
                                             compaction_interval=0.1))
        try:
            first = await store.put(b"/k", b"1")
            for i in range(5):
                await store.put(b"/k", b"%d" % i)
            deadline = asyncio.get_running_loop().time() + 10
            while await store.compacted_revision() < first.revision:
                assert asyncio.get_running_loop().time() < deadline, "no automatic compaction"
                await store.put(b"/k", b"again")
                await asyncio.sleep(0.1)
        finally:
            await store.close()
