"""Reads while a watch cache is not serving (before its first list, or re-listing): lists wait
``ready_wait`` and then read storage; watches get 429. On the real embedded store."""

from __future__ import annotations

import time

import orjson
import pytest

from myriad.api.builtin import BUILTIN
from myriad.api.errors import TooManyRequestsError
from myriad.api.registry import ResourceRegistry
from myriad.apiserver.cache.readpath import CachedReadPath
from myriad.apiserver.cache.types import CacheOptions
from myriad.apiserver.rest.interfaces import ListOptions
from myriad.apiserver.strategies.table import StrategyTable
from myriad.clock import SystemClock
from myriad.storage import EmbeddedOptions, open_store


def stored(name: str) -> bytes:
    return orjson.dumps({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": name, "namespace": "ns"}})


async def test_a_list_waits_for_an_unready_cache_then_reads_storage_and_a_watch_gets_429(tmp_path) -> None:
    store = await open_store(EmbeddedOptions(data_dir=tmp_path / "data", compaction_retention=0))
    resource = ResourceRegistry(BUILTIN).get("", "v1", "configmaps")
    assert resource is not None
    reads = CachedReadPath(store, StrategyTable(clock=SystemClock()), CacheOptions(ready_wait=0.3))
    try:
        await store.put(b"/registry/configmaps/ns/before", stored("before"))
        cache = reads.cache(resource)
        assert await cache.wait_ready(5)
        await reads.stop()  # the feeder stops: the cache is not serving, as while it re-lists
        assert not cache.ready.is_set()
        await store.put(b"/registry/configmaps/ns/after", stored("after"))  # only storage has it

        started = time.monotonic()
        result = await reads.list(resource, ListOptions(namespace="ns", resource_version="0"))
        waited = time.monotonic() - started
        names = sorted(orjson.loads(item)["metadata"]["name"] for item in result.items)
        assert names == ["after", "before"]
        assert 0.3 <= waited < 3
        with pytest.raises(TooManyRequestsError):
            await reads.watch(resource, ListOptions(namespace="ns", resource_version="0"), send_initial=False,
                              bookmarks=False)
    finally:
        await reads.stop()
        await store.close()
