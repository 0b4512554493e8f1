"""``myriad apiserver``: the API server alone, in this process, until SIGINT/SIGTERM (``myriad
up`` runs it as its first child)."""

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

#: The line that says where the server listens: ``myriad up`` reads the URL from it.
LISTENING = "API server on "


def run_apiserver(options: ServerOptions) -> int:
    """Serves the API until SIGINT/SIGTERM; prints where it listens and how to point kubectl at it."""
    gc.set_threshold(*options.gc_thresholds)
    sys.setrecursionlimit(gojson.RECURSION_LIMIT)  # values nested as deep as Go reads them
    return uvloop.run(_serve(options))


async def _serve(options: ServerOptions) -> int:
    server = APIServer(options)
    await server.start()
    freezer = asyncio.create_task(freeze_periodically(interval=options.gc_freeze_interval), name="myriad-gc-freeze")
    print(f"myriad {__version__}: {LISTENING}{server.url} ({options.storage} storage)", flush=True)
    print(f"export KUBECONFIG={options.kubeconfig_path.resolve()}", flush=True)
    try:
        await server.serve_forever()
    finally:
        freezer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await freezer
        await server.stop()
    return 0
