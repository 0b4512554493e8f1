"""Registering a process's nodes, or adopting the ones a run before it left: a node that exists
is kept (its uid, its status), a missing Node or Lease is created, and nothing is created twice.

Concurrency: event loop only; at most ``options.concurrency`` requests are in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import LEASES, NODES
from myriad.nodes.nodeobject import lease_object, node_object
from myriad.nodes.types import NodesOptions

NODE_LEASE_NAMESPACE = "kube-node-lease"
#: The label every hollow Node carries; adoption lists by it.
HOLLOW_LABEL = "myriad.dev/hollow=true"


@dataclass(slots=True)
class NodeState:
    """What a process keeps per node: little, so ten thousand cost little."""

    index: int
    uid: str
    #: The resourceVersion of the Lease as last written or read (its next renewal is conditional on it).
    lease_version: str = ""
    #: Annotated ``myriad.dev/heartbeat=stopped``: no Lease renewals or status reports.
    stopped: bool = False
    #: The Node's labels when someone changed them from those it registered with, else None.
    labels: dict[str, str] | None = None


async def register(client: Client, options: NodesOptions, *, kubelet_version: str,
                   progress: Callable[[int], None] | None = None) -> dict[str, NodeState]:
    """Every node of ``options`` registered with its Lease, by name; ``progress`` is told of
    each node as it becomes ready (registered, or found)."""
    names = {options.name(index): index for index in range(options.first, options.first + options.count)}
    states: dict[str, NodeState] = {}
    async for page in client.list_pages(NODES, label_selector=HOLLOW_LABEL):  # a page at a time: Nodes are large
        for node in page.get("items") or []:
            name = node["metadata"]["name"]
            if name in names:
                states[name] = NodeState(names[name], node["metadata"]["uid"])
    versions: dict[str, str] = {}
    async for page in client.list_pages(LEASES, namespace=NODE_LEASE_NAMESPACE):
        versions.update((lease["metadata"]["name"], lease["metadata"]["resourceVersion"])
                        for lease in page.get("items") or [])
    gate = asyncio.Semaphore(options.concurrency)
    clock = options.clock

    async def one(name: str, index: int) -> None:
        async with gate:
            state = states.get(name)
            if state is None:
                body = node_object(options, index, now=clock.now(), kubelet_version=kubelet_version)
                created = await _create_or_get(lambda: client.create(NODES, body), lambda: client.get(NODES, name))
                state = states[name] = NodeState(index, created["metadata"]["uid"])
            state.lease_version = versions.get(name, "")
            if not state.lease_version and options.heartbeat == "lease":
                lease = lease_object(name, state.uid, now=clock.now(), duration=options.lease_duration)
                made = await _create_or_get(lambda: client.create(LEASES, lease, namespace=NODE_LEASE_NAMESPACE),
                                            lambda: client.get(LEASES, name, namespace=NODE_LEASE_NAMESPACE))
                state.lease_version = made["metadata"]["resourceVersion"]
        if progress is not None:
            progress(1)

    await asyncio.gather(*(one(name, index) for name, index in names.items()))
    return states


async def _create_or_get(create: Callable[[], Awaitable[dict]], get: Callable[[], Awaitable[dict]]) -> dict:
    """The object made, or the one that is already there (another run got there first)."""
    try:
        return await create()
    except errors.AlreadyExists:
        return await get()
