"""How a process's hollow kubelets see the pods bound to their nodes (``--pod-watch``).

- ``per-node`` (the default): one reflector per node, listing and watching with the field
  selector ``spec.nodeName=<node>``, as every real kubelet does. Ten thousand nodes make ten
  thousand watches; the API server's watch cache indexes pods by node name, so each event goes
  to one watcher.
- ``shared``: one reflector per process, watching every bound pod (``spec.nodeName!=``) and
  keeping only its own nodes' pods, as KWOK does: one watch, but every bound pod's events reach
  every process.

Either feeds a :class:`PodSink` the same way: ``replace(node, pods)`` after each list (``node``
None for the shared watch: every node of the process), then ``event(type, pod)``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, Protocol

from myriad.client.informers.reflector import Reflector, ReflectorOptions, ReflectorStats
from myriad.client.objects import Object
from myriad.client.rest import Client
from myriad.client.tasks import run_all
from myriad.client.types import PODS, WatchEvent

PodWatch = Literal["per-node", "shared"]


class PodSink(Protocol):
    def replace(self, node: str | None, pods: list[Object]) -> None: ...

    def event(self, kind: str, pod: Object) -> None: ...


class _NodeSink:
    __slots__ = ("_node", "_sink")

    def __init__(self, node: str, sink: PodSink) -> None:
        self._node, self._sink = node, sink

    def replace(self, objects: list[Object], resource_version: str) -> None:
        self._sink.replace(self._node, objects)

    def apply(self, event: WatchEvent) -> None:
        self._sink.event(event.type, event.object)


class _SharedSink:
    def __init__(self, nodes: Collection[str], sink: PodSink) -> None:
        self._nodes, self._sink = nodes, sink

    def replace(self, objects: list[Object], resource_version: str) -> None:
        self._sink.replace(None, [pod for pod in objects if pod.view.node_name in self._nodes])

    def apply(self, event: WatchEvent) -> None:
        if event.object.view.node_name in self._nodes:
            self._sink.event(event.type, event.object)


class PodWatches:
    """The reflectors of one mode; :meth:`run` runs them until cancelled."""

    def __init__(self, client: Client, nodes: Collection[str], sink: PodSink, *, mode: PodWatch = "per-node",
                 min_watch_timeout: float = 300.0) -> None:
        if mode == "per-node":
            self.reflectors = [Reflector(client, PODS, _NodeSink(node, sink), ReflectorOptions(
                field_selector=f"spec.nodeName={node}", min_watch_timeout=min_watch_timeout)) for node in nodes]
        else:
            self.reflectors = [Reflector(client, PODS, _SharedSink(frozenset(nodes), sink), ReflectorOptions(
                field_selector="spec.nodeName!=", min_watch_timeout=min_watch_timeout))]

    @property
    def synced(self) -> bool:
        """Every reflector has listed once."""
        return all(r.stats.lists for r in self.reflectors)

    def stats(self) -> ReflectorStats:
        total = ReflectorStats()
        for reflector in self.reflectors:
            stats = reflector.stats
            total.lists += stats.lists
            total.watches += stats.watches
            total.gone += stats.gone
            total.events += stats.events
            total.errors += stats.errors
        return total

    async def run(self) -> None:
        await run_all(r.run() for r in self.reflectors)
