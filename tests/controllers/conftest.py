"""The real API server fixtures of the client tests, and a controller manager running in this
process against them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

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


async def kubectl(kubeconfig: Path, namespace: str, *args: str, stdin: str | None = None) -> str:
    """Runs the pinned kubectl against the test server; its output (a non-zero exit fails)."""
    command = [str(Path(sys.executable).parent / "kubectl"), "-n", namespace, *args]
    process = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.PIPE,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                   env={**os.environ, "KUBECONFIG": str(kubeconfig)})
    out, err = await asyncio.wait_for(process.communicate(stdin.encode() if stdin else None), 90)
    assert process.returncode == 0, f"kubectl {' '.join(args)}: {err.decode()}"
    return out.decode()
