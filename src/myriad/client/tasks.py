"""Running and stopping background tasks: cancel them all, then wait for each to finish."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterable
from typing import Any


async def cancel_and_wait(tasks: Iterable[asyncio.Task[object] | None]) -> None:
    """Cancels every task (None entries are skipped) and waits until each has ended; their
    CancelledErrors are swallowed, any other exception propagates."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def run_all(coroutines: Iterable[Coroutine[Any, Any, object]]) -> None:
    """Runs the coroutines as tasks until every one has ended; when one fails, or the caller is
    cancelled, the others are cancelled and waited for (their outcomes swallowed) before the
    failure or the cancellation goes on."""
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(coroutine) for coroutine in coroutines]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
