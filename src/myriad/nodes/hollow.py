"""A process's hollow nodes: registered (or adopted), then heartbeating and running the pods
bound to them until stopped.

They are ordinary API clients, as kubelets are: everything goes through :mod:`myriad.client`
over HTTP, with a kubelet's user agent so the server's flow control files their writes under
node-high.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from myriad.client.events.recorder import EventRecorder, RecorderOptions
from myriad.client.rest import Client
from myriad.client.tasks import run_all
from myriad.client.types import ClientOptions
from myriad.nodes.controls import follow_nodes, heartbeat_stopped
from myriad.nodes.heartbeat import LeaseHeartbeats
from myriad.nodes.nodeobject import node_labels
from myriad.nodes.podwatch import PodWatches
from myriad.nodes.podworkers import PodWorkers
from myriad.nodes.registration import NodeState, register
from myriad.nodes.status import NodeStatusReports
from myriad.nodes.types import NodesOptions

USER_AGENT = "kubelet/v1.37.0 (linux/amd64) myriad-hollow"


class HollowNodes:
    def __init__(self, client: Client, options: NodesOptions) -> None:
        options.validate()
        self._client = client
        self.options = options
        self.states: dict[str, NodeState] = {}
        self.heartbeats: LeaseHeartbeats | None = None
        self.reports: NodeStatusReports | None = None
        self.pods: PodWorkers | None = None
        self.watches: PodWatches | None = None
        self.recorder: EventRecorder | None = None
        #: Nodes registered (or found) so far; set once every node is, with its Lease.
        self.registered = 0
        self.ready = asyncio.Event()

    async def run(self) -> None:
        """Registers (or adopts) the nodes, then renews their Leases, reports their status and
        runs the pods bound to them until cancelled. Nodes stay registered when it stops, as when
        kubelets stop; their Leases lapse."""
        options, client = self.options, self._client
        version = options.kubelet_version or await self._server_version()
        self.states = await register(client, options, kubelet_version=version, progress=self._registered)
        self.reports = NodeStatusReports(client, options, self.states)
        self.recorder = EventRecorder(client, RecorderOptions(controller="kubelet", qps=options.event_qps,
                                                              burst=options.event_burst, clock=options.clock))
        self.pods = PodWorkers(client, options, self.states, profiles=options.profiles, labels_of=self._labels,
                               recorder=self.recorder, writers=options.status_writers)
        self.watches = PodWatches(client, list(self.states), self.pods, mode=options.pod_watch)  # type: ignore[arg-type]
        loops = [follow_nodes(client, self._follow), self.reports.run(), self.pods.run(), self.watches.run()]
        if options.heartbeat == "lease":
            self.heartbeats = LeaseHeartbeats(client, options, self.states)
            loops.append(self.heartbeats.run())
        self.recorder.start()
        self.ready.set()
        try:
            await run_all(loops)
        finally:
            await self.recorder.stop()

    def requests(self) -> dict[tuple[str, str, str], int]:
        """The API requests made so far, by verb, resource and answer."""
        return dict(self._client.requests)

    def _registered(self, count: int) -> None:
        self.registered += count

    def _follow(self, node: dict) -> None:
        """A Node as the API has it: its heartbeat annotation, labels changed by hand, and
        conditions that are not what its kubelet says (corrected at once)."""
        metadata = node.get("metadata") or {}
        name = metadata.get("name", "")
        state = self.states.get(name)
        if state is None:
            return
        state.stopped = heartbeat_stopped(node)
        if not state.stopped and self.reports is not None:
            self.reports.correct(name, (node.get("status") or {}).get("conditions") or [])
        labels = metadata.get("labels") or {}
        state.labels = None if labels == node_labels(self.options, state.index) else labels

    def _labels(self, name: str) -> dict[str, str]:
        state = self.states[name]
        return state.labels if state.labels is not None else node_labels(self.options, state.index)

    async def _server_version(self) -> str:
        answer = await self._client.call("GET", "/version")
        return str(answer.get("gitVersion") or "v0.0.0")


def client_for(servers: Sequence[str], kubeconfig: str | None) -> Client:
    """A client with a kubelet's user agent, for ``servers`` or the kubeconfig's current context,
    keeping as many idle connections as heartbeats, status writes and events keep busy (a
    connection opened per request costs more than the request)."""
    if servers:
        return Client(ClientOptions(endpoints=tuple(servers), user_agent=USER_AGENT, max_idle_per_endpoint=256))
    return Client.from_kubeconfig(kubeconfig, user_agent=USER_AGENT, max_idle_per_endpoint=256)
