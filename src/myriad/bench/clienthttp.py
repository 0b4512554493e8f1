"""``bench client`` (http): the REST client against aiohttp's, side by side on one server.

Both fetch the same ConfigMap ``requests`` times from ``concurrency`` tasks over keep-alive
connections (aiohttp: one ``ClientSession`` with a connection limit of ``concurrency``), decode
the JSON, and are timed per request into HDR histograms. Each runs twice, alternating, and the
better run of each is kept, since this machine's speed moves by the minute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import orjson

from myriad.bench.histogram import LatencyHistogram
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, ClientOptions


async def _timed(call: Callable[[], Awaitable[object]], *, requests: int, concurrency: int) -> dict[str, object]:
    histogram = LatencyHistogram()
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await call()
            histogram.record_seconds(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"requests": requests, "per_s": requests / elapsed, "latency": histogram.percentiles().to_json()}


async def compare(url: str, *, requests: int, concurrency: int) -> dict[str, object]:
    async with Client(ClientOptions(endpoints=(url,), max_idle_per_endpoint=concurrency)) as client:
        await client.create(CONFIGMAPS, {"metadata": {"name": "bench-http", "namespace": "default"},
                                         "data": {"k": "v" * 512}})
        target = f"{url}/api/v1/namespaces/default/configmaps/bench-http"
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def ours() -> object:
                return await client.get(CONFIGMAPS, "bench-http", namespace="default")

            async def theirs() -> object:
                async with session.get(target) as response:
                    return orjson.loads(await response.read())

            runs: dict[str, list[dict[str, object]]] = {"myriad": [], "aiohttp": []}
            for _ in range(2):
                for name, call in (("myriad", ours), ("aiohttp", theirs)):
                    runs[name].append(await _timed(call, requests=requests, concurrency=concurrency))
    best = {name: max(results, key=lambda r: r["per_s"]) for name, results in runs.items()}
    return {**best, "myriad_over_aiohttp": best["myriad"]["per_s"] / best["aiohttp"]["per_s"],
            "concurrency": concurrency}
