"""Fixtures for the storage conformance suite: every test runs against both backends.

``store`` is parametrized over the embedded backend (a fresh data directory) and a real etcd
started for the test (loopback only, random free port, temporary data directory, stopped after).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from myriad.storage import EmbeddedOptions, EtcdOptions, Store, open_store
from myriad.storage.etcd.launcher import LocalEtcd
from myriad.storage.interfaces import WatchBatch

#: Small tunables so the embedded backend's timers fire within a test's patience.
FAST = dict(progress_notify_interval=0.3, lease_check_interval=0.05, compaction_retention=0)


@pytest.fixture(params=["embedded", "etcd"])
async def store(request, tmp_path) -> AsyncIterator[Store]:
    if request.param == "embedded":
        s = await open_store(EmbeddedOptions(data_dir=tmp_path / "data", **FAST))
        yield s
        await s.close()
        return
    etcd = LocalEtcd(data_dir=tmp_path / "etcd")
    await etcd.start()
    try:
        s = await open_store(EtcdOptions(endpoints=(etcd.endpoint,)))
        yield s
        await s.close()
    finally:
        await etcd.stop()


async def next_batch(watch, timeout: float = 5.0) -> WatchBatch:
    return await asyncio.wait_for(watch.__anext__(), timeout)


async def collect_events(watch, count: int, timeout: float = 10.0) -> list:
    """Reads batches until ``count`` events arrived; progress notifications are skipped."""
    events: list = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(events) < count:
        remaining = deadline - asyncio.get_running_loop().time()
        batch = await asyncio.wait_for(watch.__anext__(), max(remaining, 0.01))
        events.extend(batch.events)
    return events
