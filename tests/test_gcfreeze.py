import asyncio
import contextlib
import gc
import weakref

from myriad.gcfreeze import freeze_periodically


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector can free it


def test_freezer_freezes_survivors_and_collects_young_cycles_first() -> None:
    async def scenario() -> tuple[int, int, bool]:
        freezer = asyncio.create_task(freeze_periodically(interval=0.05))
        await asyncio.sleep(0)  # the first full collection and freeze
        frozen_at_start = gc.get_freeze_count()
        kept = [[n] for n in range(10_000)]  # survivors allocated after the first freeze
        cycle = Node()
        dead = weakref.ref(cycle)
        del cycle
        await asyncio.sleep(0.2)
        freezer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await freezer
        assert len(kept) == 10_000
        return frozen_at_start, gc.get_freeze_count() - frozen_at_start, dead() is None

    gc.disable()  # the freezer is the only collector
    try:
        frozen_at_start, grown, cycle_collected = asyncio.run(scenario())
    finally:
        gc.enable()
        gc.unfreeze()
    assert frozen_at_start > 0
    assert grown >= 10_000  # the later survivors were frozen too
    assert cycle_collected  # garbage cycles are collected before a freeze, not frozen with the rest


def test_a_burst_of_survivors_is_frozen_at_the_next_tick_not_after_the_interval() -> None:
    async def scenario() -> tuple[int, int]:
        freezer = asyncio.create_task(freeze_periodically(interval=60.0, tick=0.01))
        await asyncio.sleep(0)  # the first full collection and freeze
        frozen_at_start = gc.get_freeze_count()
        kept = [[n] for n in range(5_000)]  # five generation-0 thresholds' worth of survivors
        await asyncio.sleep(0.1)
        frozen_after_burst = gc.get_freeze_count()
        freezer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await freezer
        assert len(kept) == 5_000
        return frozen_at_start, frozen_after_burst - frozen_at_start

    thresholds = gc.get_threshold()
    gc.set_threshold(1_000, 1_000, 1_000)  # generation 0 is collected every 1,000 allocations
    try:
        frozen_at_start, grown = asyncio.run(scenario())
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    assert frozen_at_start > 0
    assert grown >= 5_000  # frozen within 0.1 s, although the interval is a minute
