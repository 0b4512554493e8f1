"""Progress notifications of the embedded backend's watches: sent once a watch has waited a whole
interval with nothing to hand out, never while events keep coming."""

from __future__ import annotations

import asyncio

from myriad.storage import EmbeddedOptions, open_store

P, END = b"/p/", b"/p0"


async def test_a_watch_fed_more_often_than_the_interval_gets_only_events_then_progress_once_quiet(tmp_path) -> None:
    store = await open_store(EmbeddedOptions(data_dir=tmp_path / "data", progress_notify_interval=0.3))
    try:
        watch = store.watch(P, END, start_revision=await store.current_revision() + 1, progress_notify=True)
        batches = []

        async def read() -> None:
            async for batch in watch:
                batches.append((asyncio.get_running_loop().time(), batch))

        reader = asyncio.create_task(read())
        began = asyncio.get_running_loop().time()
        for i in range(12):  # 1.2 s of one event every 0.1 s: four intervals, never one idle
            await store.put(P + b"k", b"%d" % i)
            await asyncio.sleep(0.1)
        last_put = asyncio.get_running_loop().time()
        await asyncio.sleep(0.8)
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await watch.aclose()
        busy = [b for t, b in batches if t < last_put]
        quiet = [(t, b) for t, b in batches if t >= last_put]
        assert sum(len(b.events) for b in busy) >= 11 and not any(b.is_progress for b in busy)
        assert quiet and all(b.is_progress for _, b in quiet)
        assert 0.2 <= quiet[0][0] - last_put + 0.1 <= 0.6  # about an interval after the last event came
        assert len(quiet) <= 3 and began < last_put
    finally:
        await store.close()
