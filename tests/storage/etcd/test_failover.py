"""The etcd store keeps working when the member it talks to dies: a real three-member cluster, a
member killed with SIGKILL, no mocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from myriad.storage.errors import ConflictError, KeyExistsError, UnavailableError
from myriad.storage.etcd.launcher import LocalEtcd, start_cluster
from myriad.storage.etcd.options import EtcdOptions
from myriad.storage.etcd.store import EtcdStore
from myriad.storage.interfaces import Event, EventType, prefix_end

pytestmark = pytest.mark.timeout(120)

PREFIX = b"/failover/"
KEYS = 8
WRITES = 300
KILL_AFTER = 100


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[list[LocalEtcd]]:
    members = await start_cluster(tmp_path, 3)
    try:
        yield members
    finally:
        await asyncio.gather(*(member.stop() for member in members))


@pytest.fixture
async def store(cluster: list[LocalEtcd]) -> AsyncIterator[EtcdStore]:
    options = EtcdOptions(endpoints=tuple(m.endpoint for m in cluster), timeout=5.0, failover_timeout=30.0)
    store = await EtcdStore.open(options)
    try:
        yield store
    finally:
        await store.close()


def member_at(cluster: list[LocalEtcd], endpoint: str) -> LocalEtcd:
    [member] = [m for m in cluster if m.endpoint == endpoint]
    return member


async def write_once(store: EtcdStore, key: bytes, value: bytes, mod_revision: int) -> int:
    """Writes ``value`` (unique) with compare-and-swap on ``mod_revision`` (0: create) and returns
    the revision it landed at. A write whose outcome a failover left unknown is settled by
    reading the key back; compare-and-swap makes a retry unable to apply it twice."""
    while True:
        try:
            if mod_revision == 0:
                return await store.create(key, value)
            return await store.update(key, value, mod_revision=mod_revision)
        except (UnavailableError, KeyExistsError, ConflictError):
            current = await store.get(key)
            if current is not None and current.value == value:
                return current.mod_revision


async def test_watch_fails_over_without_gaps_or_duplicates(cluster: list[LocalEtcd], store: EtcdStore) -> None:
    start = await store.current_revision() + 1
    watch = store.watch(PREFIX, prefix_end(PREFIX), start_revision=start, prev_kv=True)
    first_endpoint = store.endpoint
    written: list[tuple[int, bytes, bytes]] = []

    async def writer() -> None:
        last: dict[bytes, int] = {}
        for i in range(WRITES):
            if i == KILL_AFTER:
                member_at(cluster, store.endpoint).kill()
            key, value = PREFIX + b"%d" % (i % KEYS), b"v%d" % i
            revision = await write_once(store, key, value, last.get(key, 0))
            last[key] = revision
            written.append((revision, key, value))

    async def reader() -> list[Event]:
        seen: list[Event] = []
        previous = start - 1
        async for batch in watch:
            assert batch.revision >= previous
            if batch.events:
                assert batch.revision == batch.events[-1].revision
                assert batch.events[0].revision > previous
            previous = batch.revision
            seen.extend(batch.events)
            if len(seen) >= WRITES:
                return seen
        raise AssertionError("watch ended")

    seen, _ = await asyncio.wait_for(asyncio.gather(reader(), writer()), timeout=90)
    await watch.aclose()

    assert store.endpoint != first_endpoint
    assert [e.revision for e in seen] == [revision for revision, _, _ in written]
    assert [(e.type, e.kv.key, e.kv.value) for e in seen] == [(EventType.PUT, k, v) for _, k, v in written]
    for i, e in enumerate(seen):
        if i < KEYS:
            assert e.prev_kv is None
        else:
            assert e.prev_kv is not None and e.prev_kv.value == b"v%d" % (i - KEYS)


async def test_read_and_write_after_first_endpoint_dies(cluster: list[LocalEtcd], store: EtcdStore) -> None:
    written = await store.put(b"/read/key", b"value")
    assert store.endpoint == cluster[0].endpoint
    cluster[0].kill()

    kv = await store.get(b"/read/key")
    assert kv is not None and kv.value == b"value" and kv.mod_revision == written.revision
    assert store.endpoint != cluster[0].endpoint  # the next one, or the one after if an election bit
    assert (await store.put(b"/read/key", b"again")).revision > written.revision
