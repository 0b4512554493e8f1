"""``myriad up``: the all-in-one control plane on embedded storage: the API server in this
process and ``myriad controller-manager`` beside it, a child process restarted a second after it
exits (the scheduler and hollow nodes join with issue 22). ``myriad apiserver`` runs the API
server alone, with a choice of storage.

Concurrency: the supervisor is one task on the server's loop; SIGINT/SIGTERM stop the server,
then the children (SIGTERM, SIGKILL after ``STOP_GRACE`` seconds)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
from pathlib import Path

import uvloop

from myriad import __version__
from myriad.api import gojson
from myriad.apiserver.app import APIServer
from myriad.apiserver.options import ServerOptions
from myriad.gcfreeze import freeze_periodically

#: Seconds a child has to stop after SIGTERM.
STOP_GRACE = 10.0
#: Seconds before a child that exited is started again.
RESTART_DELAY = 1.0


def run(options: ServerOptions) -> int:
    """Runs every component there is until SIGINT/SIGTERM."""
    return _run(options, children=(("controller-manager", "--kubeconfig"),))


def run_apiserver(options: ServerOptions) -> int:
    """Serves the API until SIGINT/SIGTERM; prints where it listens and how to point kubectl at it."""
    return _run(options)


def _run(options: ServerOptions, *, children: tuple[tuple[str, str], ...] = ()) -> int:
    gc.set_threshold(*options.gc_thresholds)
    sys.setrecursionlimit(gojson.RECURSION_LIMIT)  # values nested as deep as Go reads them
    return uvloop.run(_serve(options, children=children))


async def _serve(options: ServerOptions, *, children: tuple[tuple[str, str], ...] = ()) -> int:
    """Serves until stopped; ``children`` are ``myriad`` commands run beside the server, each
    given ``<flag> <kubeconfig>``."""
    server = APIServer(options)
    await server.start()
    freezer = asyncio.create_task(freeze_periodically(interval=options.gc_freeze_interval), name="myriad-gc-freeze")
    print(f"myriad {__version__}: API server on {server.url} ({options.storage} storage)", flush=True)
    print(f"export KUBECONFIG={options.kubeconfig_path.resolve()}", flush=True)
    stopping = asyncio.Event()
    supervisors = [asyncio.create_task(_supervise(command, flag, options.kubeconfig_path.resolve(), stopping),
                                       name=f"myriad-up-{command}") for command, flag in children]
    try:
        await server.serve_forever()
    finally:
        stopping.set()
        await asyncio.gather(*supervisors, return_exceptions=True)
        freezer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await freezer
        await server.stop()
    return 0


async def _supervise(command: str, flag: str, kubeconfig: Path, stopping: asyncio.Event) -> None:
    """Runs ``myriad <command> <flag> <kubeconfig>`` until ``stopping`` is set, starting it
    again ``RESTART_DELAY`` after any exit."""
    while not stopping.is_set():
        # its own session: a terminal's ^C reaches this process only, which stops it in order
        child = await asyncio.create_subprocess_exec(sys.executable, "-m", "myriad", command, flag, str(kubeconfig),
                                                     start_new_session=True)
        exited = asyncio.create_task(child.wait())
        stop = asyncio.create_task(stopping.wait())
        await asyncio.wait((exited, stop), return_when=asyncio.FIRST_COMPLETED)
        if stopping.is_set():
            if child.returncode is None:
                child.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(asyncio.shield(exited), STOP_GRACE)
                except TimeoutError:
                    child.kill()
                    await exited
            return
        stop.cancel()
        print(f"myriad up: {command} exited ({child.returncode}); starting it again", file=sys.stderr, flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), RESTART_DELAY)
