"""``myriad up``: brings up what exists of the control plane so far, the embedded store.

It opens (creating if needed) the embedded store in the data dir, prints its revision,
compacted revision and data files, and exits. The API server arrives in a later issue.
"""

from __future__ import annotations

from pathlib import Path

import uvloop

from myriad import __version__
from myriad.apiserver.app import APIServer
from myriad.apiserver.options import ServerOptions
from myriad.storage import EmbeddedOptions, open_store


def run(*, data_dir: Path) -> int:
    """Prints the store's state; the exit status is 0 when the store opened."""
    print(f"myriad {__version__}: embedded store in {data_dir}")
    data_dir.mkdir(parents=True, exist_ok=True)
    revision, compacted = uvloop.run(_revisions(data_dir))
    print(f"  current revision:   {revision}")
    print(f"  compacted revision: {compacted}")
    print("  data files:")
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        print(f"    {path.relative_to(data_dir)}  {path.stat().st_size:,} bytes")
    print("The API server arrives in a later issue; kubectl cannot be pointed at Myriad yet.")
    return 0


async def _revisions(data_dir: Path) -> tuple[int, int]:
    store = await open_store(EmbeddedOptions(data_dir=data_dir))
    try:
        return await store.current_revision(), await store.compacted_revision()
    finally:
        await store.close()


def run_apiserver(options: ServerOptions) -> int:
    """Serves the API until SIGINT/SIGTERM; prints where it listens and how to point kubectl at it."""
    return uvloop.run(_serve(options))


async def _serve(options: ServerOptions) -> int:
    server = APIServer(options)
    await server.start()
    print(f"myriad {__version__}: API server on {server.url} ({options.storage} storage)", flush=True)
    print(f"export KUBECONFIG={options.kubeconfig_path.resolve()}", flush=True)
    try:
        await server.serve_forever()
    finally:
        await server.stop()
    return 0
