"""Hollow nodes run against a real ``myriad apiserver`` subprocess (the API server tests' fixture)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from myriad.client.rest import Client
from myriad.client.types import ClientOptions
from myriad.nodes.hollow import USER_AGENT, HollowNodes
from myriad.nodes.types import NodesOptions
from tests.apiserver.conftest import (
    RunningServer,
    apiserver,  # noqa: F401  (the fixture, shared)
)

T = TypeVar("T")


@contextlib.asynccontextmanager
async def running(apiserver: RunningServer, options: NodesOptions) -> AsyncIterator[tuple[HollowNodes, Client]]:  # noqa: F811
    """Hollow nodes running against ``apiserver`` (registered and Ready), and a client."""
    client = Client(ClientOptions(endpoints=(apiserver.url,), user_agent=USER_AGENT))
    nodes = HollowNodes(client, options)
    task = asyncio.create_task(nodes.run())
    try:
        await asyncio.wait_for(nodes.ready.wait(), 30)
        yield nodes, client
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


async def eventually(read: Callable[[], Awaitable[T]], check: Callable[[T], bool], *, timeout: float = 10.0) -> T:
    """Reads until ``check`` holds of what was read (then returns it), or fails after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if check(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not so after {timeout} s: {value!r}"[:4000])
        await asyncio.sleep(0.05)
