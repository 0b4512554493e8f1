"""``myriad up``: the all-in-one control plane on embedded storage. Today that is the API server;
the scheduler, controllers and hollow nodes join it as their issues land. ``myriad apiserver``
runs the API server alone, with a choice of storage."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys

import uvloop

from myriad import __version__
from myriad.api import gojson
from myriad.apiserver.app import APIServer
from myriad.apiserver.options import ServerOptions
from myriad.gcfreeze import freeze_periodically


def run(options: ServerOptions) -> int:
    """Runs every component there is until SIGINT/SIGTERM."""
    return run_apiserver(options)


def run_apiserver(options: ServerOptions) -> int:
    """Serves the API until SIGINT/SIGTERM; prints where it listens and how to point kubectl at it."""
    gc.set_threshold(*options.gc_thresholds)
    sys.setrecursionlimit(gojson.RECURSION_LIMIT)  # values nested as deep as Go reads them
    return uvloop.run(_serve(options))


async def _serve(options: ServerOptions) -> int:
    server = APIServer(options)
    await server.start()
    freezer = asyncio.create_task(freeze_periodically(interval=options.gc_freeze_interval), name="myriad-gc-freeze")
    print(f"myriad {__version__}: API server on {server.url} ({options.storage} storage)", flush=True)
    print(f"export KUBECONFIG={options.kubeconfig_path.resolve()}", flush=True)
    try:
        await server.serve_forever()
    finally:
        freezer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await freezer
        await server.stop()
    return 0
