"""What the controller manager hands each controller it runs.

Every controller is a :class:`myriad.client.controller.Controller` built by a constructor
taking a :class:`ControllerContext` and its :class:`ControllerOptions`; the manager registers
them by name (:mod:`myriad.controllers.registry`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from myriad.client.controller import Controller, ControllerOptions
from myriad.client.events.recorder import EventRecorder
from myriad.client.informers.factory import SharedInformerFactory
from myriad.client.informers.informer import SharedInformer
from myriad.client.rest import Client
from myriad.clock import Clock, SystemClock
from myriad.controllers.discovery import Discovered

Obj = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class ControllerSettings:
    """Tunables of particular controllers, under upstream's flag names (durations in seconds)."""

    #: --node-monitor-period: how often node health is checked.
    node_monitor_period: float = 5.0
    #: --node-monitor-grace-period: a node whose heartbeat is older than this is not ready.
    node_monitor_grace_period: float = 40.0
    #: --node-eviction-rate: nodes a second whose pods may be evicted (NoExecute taints), per zone.
    node_eviction_rate: float = 0.1
    #: --secondary-node-eviction-rate: the rate in a zone deemed unhealthy (large zones only).
    secondary_node_eviction_rate: float = 0.01
    #: --unhealthy-zone-threshold: the share of not-ready nodes (at least 3) that makes a zone unhealthy.
    unhealthy_zone_threshold: float = 0.55
    #: --large-cluster-size-threshold: zones at most this big stop evicting when unhealthy.
    large_cluster_size_threshold: int = 50
    #: --cluster-cidr and --node-cidr-mask-size: pod CIDRs handed to nodes ("" turns IPAM off).
    cluster_cidr: str = ""
    node_cidr_mask_size: int = 24
    #: --terminated-pod-gc-threshold: terminated pods kept before the oldest are deleted.
    terminated_pod_gc_threshold: int = 12500
    #: --endpoint-updates-batch-period (and upstream's endpointslice one): pod changes within
    #: this window reach a Service's endpoints in one write (upstream's default is 0).
    endpoint_updates_batch_period: float = 0.5


#: Pod writes in flight at once, all controllers together.
WRITES_IN_FLIGHT = 100


@dataclass(frozen=True, kw_only=True)
class ControllerContext:
    """Shared by every controller of one manager: one client, one informer factory (nothing is
    listed or watched twice), one event recorder, one clock."""

    client: Client
    factory: SharedInformerFactory
    recorder: EventRecorder
    clock: Clock = field(default_factory=SystemClock)
    #: What the server serves, from discovery at start (the collector watches all of it).
    resources: list[Discovered] = field(default_factory=list)
    settings: ControllerSettings = field(default_factory=ControllerSettings)
    #: Bounds the pod creations and deletions in flight across every controller (slow-start
    #: batches grow to thousands): past the server's seats and queue for the manager's
    #: priority level (about 240 by default) writes get 429 and retry a second later.
    writes: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(WRITES_IN_FLIGHT))


Constructor = Callable[[ControllerContext, ControllerOptions], Controller]


def ensure_index(informer: SharedInformer, name: str, function: Callable[[Obj], Iterable[str]]) -> None:
    """Adds index ``name`` to the informer's cache unless a controller sharing it already did
    (indexes are added before the factory starts)."""
    try:
        informer.indexer.add_indexer(name, function)
    except ValueError:
        if not informer.indexer.has_index(name):
            raise
