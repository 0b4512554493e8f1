"""The node lifecycle controller, as upstream's ``pkg/controller/nodelifecycle``.

Every ``node_monitor_period`` it looks at each node's last heartbeat: the later of its Lease's
renewals and its Ready condition's heartbeats, as *this* controller saw them change (a new
leader gives every node a full grace period). A node silent for longer than
``node_monitor_grace_period`` has its Ready, MemoryPressure, DiskPressure and PIDPressure
conditions set Unknown (``NodeStatusUnknown``, "Kubelet stopped posting node status.").

Taints follow Ready:
* ``node.kubernetes.io/unreachable`` (Unknown) or ``not-ready`` (False) with effect NoSchedule,
  at once;
* the same keys with effect NoExecute (which the taint eviction controller acts on), through a
  rate-limited queue per zone: ``node_eviction_rate`` nodes a second; in a zone with at least 3
  not-ready nodes making up ``unhealthy_zone_threshold`` of it, the secondary rate if the zone
  is larger than ``large_cluster_size_threshold`` nodes, else none; and when every zone has no
  ready node at all (the control plane more likely cut off than every node dead), none anywhere,
  the NoExecute taints lifted;
* a node Ready again loses both kinds at once.

Concurrency: loop only. Two keys drive it: ``monitor`` (every ``node_monitor_period`` from the
start of the last pass, or as soon as a node's grace runs out, so a silent node is seen at its
deadline rather than up to a period after it) and ``taint`` (every 0.1 s, draining the zone
queues); the informers' handlers only note heartbeats.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from myriad.api.meta import rfc3339
from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.objects import Object
from myriad.client.types import LEASES, NODES
from myriad.controllers.types import ControllerContext, Obj

NAME = "node-lifecycle"
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
ZONE = "topology.kubernetes.io/zone"
REGION = "topology.kubernetes.io/region"
CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
MONITOR, TAINT = "monitor", "taint"
#: Upstream's NodeEvictionPeriod: how often the zone queues are drained.
TAINT_PERIOD = 0.1
#: Nodes whose status and taints are written at once in a monitor pass (upstream's
#: nodeUpdateWorkerSize is 8; these are awaits, not threads).
WRITERS = 16
#: The least time between two monitor passes, however soon a grace period runs out: each pass
#: is O(nodes), so a failure spread over seconds costs at most two passes a second.
MIN_PASS_GAP = 0.5
NORMAL, PARTIAL, FULL = "Normal", "PartialDisruption", "FullDisruption"


@dataclass(slots=True)
class _Zone:
    queue: deque[str] = field(default_factory=deque)
    #: The queue's names, for O(1) membership.
    queued: set[str] = field(default_factory=set)
    rate: float = 0.0
    tokens: float = 1.0
    state: str = NORMAL


def zone_of(node: Object | Obj) -> str:
    """Upstream's GetZoneKey: region and zone, joined by a NUL."""
    labels = node.labels if isinstance(node, Object) else (node.get("metadata") or {}).get("labels") or {}
    region, zone = labels.get(REGION, ""), labels.get(ZONE, "")
    return f"{region}:\x00:{zone}" if region or zone else ""


def zone_state(ready: int, not_ready: int, threshold: float) -> str:
    """Upstream's ComputeZoneState."""
    if ready == 0 and not_ready > 0:
        return FULL
    if not_ready > 2 and not_ready / (ready + not_ready) >= threshold:
        return PARTIAL
    return NORMAL


def ready_status(node: Object | Obj) -> str:
    """The Ready condition's status; "Unknown" without one. Reads an informer's node from its
    view: a pass over 10,000 nodes decodes none of them."""
    if isinstance(node, Object):
        return node.view.status.condition("Ready") or "Unknown"
    for condition in (node.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return str(condition.get("status", "Unknown"))
    return "Unknown"


class NodeLifecycleController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.settings = context.settings
        self.clock = context.clock
        #: Node name → when (monotonic) its heartbeat last changed, as seen here.
        self.probes: dict[str, float] = {}
        self.zones: dict[str, _Zone] = {}
        #: Every zone has nodes and none is ready: no NoExecute taints anywhere.
        self.every_zone_down = False
        self._drained_at = self.clock.monotonic()
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=2), factory=context.factory)

    def setup(self) -> None:
        self.nodes = self.factory.informer(NODES)
        self.leases = self.factory.informer(LEASES, namespace="kube-node-lease")
        self.nodes.add_handler(Handler(on_add=self._seen, on_update=self._node_changed,
                                       on_delete=lambda node: self.probes.pop(node.name, None)))
        self.leases.add_handler(Handler(on_update=self._lease_changed))

    async def lead(self) -> None:
        now = self.clock.monotonic()
        self.probes = {node.name: now for node in self.nodes.indexer.list()}
        self.queue.add(MONITOR, event="sync")
        self.queue.add(TAINT, event="sync")
        await super().lead()

    # -- heartbeats ----------------------------------------------------------------------------

    def _seen(self, node: Object) -> None:
        self.probes.setdefault(node.name, self.clock.monotonic())

    def _node_changed(self, old: Object, new: Object) -> None:
        if _heartbeat(old) != _heartbeat(new):
            self.probes[new.name] = self.clock.monotonic()

    def _lease_changed(self, old: Object, new: Object) -> None:
        if (old.get("spec") or {}).get("renewTime") != (new.get("spec") or {}).get("renewTime"):
            self.probes[new.name] = self.clock.monotonic()

    # -- the work ------------------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> float | None:
        if key == MONITOR:
            started = self.clock.monotonic()
            due = await self.monitor()
            # Every period from the start of the last pass, or sooner when a node's grace runs out.
            period = self.settings.node_monitor_period - (self.clock.monotonic() - started)
            return max(min(period, due - self.clock.monotonic()), MIN_PASS_GAP)
        if key == TAINT:
            await self.drain()
            return TAINT_PERIOD
        return None

    async def monitor(self) -> float:
        """One pass over every node: conditions and NoSchedule taints (the writes of up to
        :data:`WRITERS` nodes at once, as upstream's node update workers), then the zone queues'
        contents and the zones' rates. Returns when (monotonic) the next node's grace runs out."""
        now = self.clock.monotonic()
        grace = self.settings.node_monitor_grace_period
        gate = asyncio.Semaphore(WRITERS)

        async def check(node: Object) -> tuple[Object | Obj, str]:
            name = node.name
            ready = ready_status(node)
            silent = now - self.probes.setdefault(name, now) > grace and ready != "Unknown"
            wanted = None if ready == "True" and not silent else _wanted("Unknown" if silent else ready)
            stale_no_execute = ready == "True" and not silent and _taints(node, "NoExecute") & {UNREACHABLE, NOT_READY}
            if not silent and not stale_no_execute and \
                    _taints(node, "NoSchedule") & {UNREACHABLE, NOT_READY} == ({wanted} if wanted else set()):
                return node, ready  # nothing to write: no task switch, most nodes most passes
            async with gate:
                if silent:
                    node = await self._mark_unknown(node) or node
                    ready = "Unknown"
                await self._no_schedule(node, ready)
                if stale_no_execute:
                    await self._set_taints(name, "NoExecute", None)
            return node, ready

        checked = await asyncio.gather(*(check(node) for node in self.nodes.indexer.list()))
        counts: dict[str, list[int]] = {}
        due = now + self.settings.node_monitor_period
        for node, ready in checked:
            name = _name(node)
            zone = self.zones.setdefault(zone_of(node), _Zone(rate=self.settings.node_eviction_rate))
            counts.setdefault(zone_of(node), [0, 0])[0 if ready == "True" else 1] += 1
            if ready != "Unknown":
                due = min(due, self.probes.get(name, now) + grace)
            if ready == "True":
                if name in zone.queued:
                    zone.queued.discard(name)
                    zone.queue.remove(name)
            elif _wanted(ready) not in _taints(node, "NoExecute") and name not in zone.queued:
                zone.queued.add(name)
                zone.queue.append(name)
        self._rates(counts)
        return due

    def _rates(self, counts: dict[str, list[int]]) -> None:
        settings = self.settings
        states = {key: zone_state(ready, not_ready, settings.unhealthy_zone_threshold)
                  for key, (ready, not_ready) in counts.items()}
        every_zone_down = bool(states) and all(state == FULL for state in states.values())
        for key, state in states.items():
            zone = self.zones[key]
            zone.state = state
            size = sum(counts[key])
            if every_zone_down:
                zone.rate = 0.0
            elif state == PARTIAL:
                zone.rate = settings.secondary_node_eviction_rate if size > settings.large_cluster_size_threshold \
                    else 0.0
            else:
                zone.rate = settings.node_eviction_rate
        self.every_zone_down = every_zone_down

    async def drain(self) -> None:
        """Taints queued nodes NoExecute, each zone at its rate (a burst of one)."""
        now = self.clock.monotonic()
        elapsed, self._drained_at = now - self._drained_at, now
        if self.every_zone_down:
            for node in self.nodes.indexer.list():
                if _taints(node, "NoExecute") & {UNREACHABLE, NOT_READY}:
                    await self._set_taints(node.name, "NoExecute", None)
            for zone in self.zones.values():
                zone.queue.clear()
                zone.queued.clear()
            return
        for zone in self.zones.values():
            zone.tokens = min(1.0, zone.tokens + elapsed * zone.rate)
            while zone.queue and zone.tokens >= 1.0:
                name = zone.queue.popleft()
                zone.queued.discard(name)
                node = self.nodes.indexer.get(name)
                if node is None or ready_status(node) == "True":
                    continue
                await self._set_taints(name, "NoExecute", _wanted(ready_status(node)))
                zone.tokens -= 1.0

    # -- writes --------------------------------------------------------------------------------

    async def _mark_unknown(self, node: Obj) -> Obj | None:
        """Every condition Unknown (upstream's tryUpdateNodeHealth); the node as written."""
        stamp = rfc3339(self.clock.now())
        status = dict(node.get("status") or {})
        current = {c.get("type"): c for c in status.get("conditions") or ()}
        conditions = [c for c in status.get("conditions") or () if c.get("type") not in CONDITIONS]
        for kind in CONDITIONS:
            old = current.get(kind)
            if old is None:
                conditions.append({"type": kind, "status": "Unknown", "lastHeartbeatTime": stamp,
                                   "lastTransitionTime": stamp, "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status."})
            elif old.get("status") != "Unknown":
                conditions.append({**old, "status": "Unknown", "lastTransitionTime": stamp,
                                   "reason": "NodeStatusUnknown", "message": "Kubelet stopped posting node status."})
            else:
                conditions.append(old)
        try:
            return await self.client.update(NODES, {**node, "status": {**status, "conditions": conditions}},
                                            subresource="status")
        except (errors.Conflict, errors.NotFound):
            return None  # it changed, or went: the next pass looks again

    async def _no_schedule(self, node: Obj, ready: str) -> None:
        wanted = None if ready == "True" else _wanted(ready)
        held = _taints(node, "NoSchedule") & {UNREACHABLE, NOT_READY}
        if held != ({wanted} if wanted else set()):
            await self._set_taints(node["metadata"]["name"], "NoSchedule", wanted)

    async def _set_taints(self, name: str, effect: str, key: str | None) -> None:
        """Leaves the node with ``key`` as its only unreachable/not-ready taint of ``effect``
        (none for None), from a fresh read, conditional on its resourceVersion."""
        for _ in range(2):
            try:
                node = await self.client.get(NODES, name)
            except errors.NotFound:
                return
            taints = [t for t in (node.get("spec") or {}).get("taints") or ()
                      if not (t.get("effect") == effect and t.get("key") in (UNREACHABLE, NOT_READY))]
            if key is not None:
                taint: dict[str, Any] = {"key": key, "effect": effect}
                if effect == "NoExecute":
                    taint["timeAdded"] = rfc3339(self.clock.now())
                taints.append(taint)
            if taints == list((node.get("spec") or {}).get("taints") or ()):
                return
            try:
                await self.client.patch(NODES, name, {"metadata": {"resourceVersion": node["metadata"][
                    "resourceVersion"]}, "spec": {"taints": taints or None}})
                return
            except errors.Conflict:
                continue
            except errors.NotFound:
                return


def _wanted(ready: str) -> str:
    return UNREACHABLE if ready == "Unknown" else NOT_READY


def _taints(node: Object | Obj, effect: str) -> set[str]:
    if isinstance(node, Object):
        return {t.key for t in node.view.spec.taints if t.effect == effect}
    return {t.get("key") for t in (node.get("spec") or {}).get("taints") or () if t.get("effect") == effect}


def _name(node: Object | Obj) -> str:
    return node.name if isinstance(node, Object) else node["metadata"]["name"]


def _heartbeat(node: Obj) -> Any:
    for condition in (node.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "Ready":
            return condition.get("lastHeartbeatTime")
    return None
