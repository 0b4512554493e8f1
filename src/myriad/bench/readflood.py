"""The low-priority list flood of scenario (c) of :mod:`myriad.bench.reads`, in a process of its
own: reading 30 MB answers in a loop would otherwise stall the process that times the lease
renewals, and the stall would be counted as the server's.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import dataclass

import uvloop

from myriad.bench.httpclient import Connection
from myriad.bench.loadprocess import LoadProcess, pin, spawn


@dataclass(frozen=True, kw_only=True)
class FloodPlan:
    host: str
    port: int
    path: bytes
    connections: int
    headers: dict[str, str]
    cpus: frozenset[int] | None = None


def start(plan: FloodPlan) -> LoadProcess:
    """Starts the flood; setting the event stops it, and the queue then yields answers by status."""
    return spawn(_main, plan)


def _main(plan: FloodPlan, queue: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    pin(plan.cpus)
    # The flood is the low-priority client; on a real cluster it would not share a CPU with the
    # kubelets whose renewals the parent times, so it yields that CPU to them here.
    os.nice(19)
    queue.put(uvloop.run(_flood(plan, stop)))


async def _flood(plan: FloodPlan, stop: multiprocessing.Event) -> dict[int, int]:
    statuses: dict[int, int] = {}
    extra = "".join(f"{k}: {v}\r\n" for k, v in plan.headers.items()).encode()
    connections = [await Connection.open(plan.host, plan.port) for _ in range(plan.connections)]

    async def worker(connection: Connection) -> None:
        while not stop.is_set():
            status, _ = await connection.request_chunks(b"GET", plan.path, headers=extra)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 429:
                await asyncio.sleep(0.05)

    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for connection in connections:
            connection.close()
    return statuses
