"""The real API server fixtures of the client tests, and a controller manager running in this
process against them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from myriad.client.rest import Client
from myriad.controllers.command import ManagerRunOptions, build
from myriad.controllers.manager import ControllerManager
from myriad.controllers.types import ControllerSettings
from tests.client.conftest import client, server  # noqa: F401  (the same real API server fixtures)


@contextlib.asynccontextmanager
async def running(client: Client, names: tuple[str, ...],  # noqa: F811
                  settings: ControllerSettings | None = None) -> AsyncIterator[ControllerManager]:
    """A manager of the controllers ``names``, leading, until the block ends."""
    built = await build(client, ManagerRunOptions(servers=client.options.endpoints,
                                                  settings=settings or ControllerSettings()), names)
    task = asyncio.create_task(built.run())
    try:
        await asyncio.wait_for(built.leading.wait(), 30)
        yield built
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
