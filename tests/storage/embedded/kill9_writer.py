"""Child process for the kill -9 test: several clients write, and each acknowledgement is printed.

Usage: python kill9_writer.py DATA_DIR CLIENTS. Prints ``<key> <revision> <value-size>`` per
acknowledged write, flushed at once, until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from myriad.storage import EmbeddedOptions, open_store


async def main(data_dir: Path, clients: int) -> None:
    store = await open_store(EmbeddedOptions(data_dir=data_dir))
    out = sys.stdout

    async def client(c: int) -> None:
        n = 0
        while True:
            key = b"/kill9/%02d/%06d" % (c, n)
            value = key * (1 + n % 40)
            revision = await store.create(key, value)
            out.write(f"{key.decode()} {revision} {len(value)}\n")
            out.flush()
            n += 1

    await asyncio.gather(*(client(c) for c in range(clients)))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
