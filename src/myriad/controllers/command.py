"""``myriad controller-manager``: upstream's core controllers in one process until SIGINT or
SIGTERM.

The defaults leave the client unpaced (``--kube-api-qps 0``): the controllers create and delete
as fast as the API server's flow control admits, a 429 being the brake, rather than at
upstream's 20 requests a second.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field

import uvloop
from prometheus_client import REGISTRY, start_http_server

from myriad import gcfreeze
from myriad.client import errors
from myriad.client.controller import ControllerOptions
from myriad.client.events.recorder import EventRecorder, RecorderOptions
from myriad.client.informers.factory import SharedInformerFactory
from myriad.client.informers.metrics import StoreCollector
from myriad.client.leaderelection import LeaderElectionConfig
from myriad.client.rest import Client
from myriad.client.types import ClientOptions
from myriad.controllers import registry
from myriad.controllers.discovery import discover
from myriad.controllers.errors import ConfigError
from myriad.controllers.manager import LEASE_NAME, ControllerManager, RequestsCollector
from myriad.controllers.nodeipam import CIDRSet
from myriad.controllers.types import ControllerContext, ControllerSettings
from myriad.gcfreeze import freeze_periodically

USER_AGENT = "myriad-controller-manager"


@dataclass(frozen=True, kw_only=True)
class ManagerRunOptions:
    servers: tuple[str, ...] = ()
    kubeconfig: str | None = None
    controllers: str = "*"
    #: Workers per controller, by its flag name (``replicaset``); the registry's default otherwise.
    workers: dict[str, int] = field(default_factory=dict)
    leader_elect: bool = False
    identity: str | None = None
    #: Client pacing (``--kube-api-qps``/``--kube-api-burst``); 0: unpaced.
    qps: float = 0.0
    burst: int = 0
    metrics_port: int | None = None
    settings: ControllerSettings = field(default_factory=ControllerSettings)


def check(options: ManagerRunOptions) -> tuple[str, ...]:
    """The controllers to run; raises ConfigError naming the flag that cannot be used."""
    names = registry.enabled(options.controllers)
    for flag, workers in options.workers.items():
        if workers < 1:
            raise ConfigError(f"--concurrent-{flag}-syncs: must be at least 1, not {workers}")
    if options.qps < 0:
        raise ConfigError(f"--kube-api-qps: must not be negative, not {options.qps}")
    if options.burst < 0 or (options.qps > 0 and options.burst < 1):
        raise ConfigError(f"--kube-api-burst: must be at least 1 when --kube-api-qps is set, not {options.burst}")
    if options.metrics_port is not None and not 0 <= options.metrics_port <= 65535:
        raise ConfigError(f"--metrics-port: {options.metrics_port} is not a port")
    settings = options.settings
    if settings.node_monitor_period <= 0:
        raise ConfigError("--node-monitor-period: must be positive")
    if settings.node_monitor_grace_period <= settings.node_monitor_period:
        raise ConfigError("--node-monitor-grace-period: must be longer than --node-monitor-period")
    for flag, rate in (("--node-eviction-rate", settings.node_eviction_rate),
                       ("--secondary-node-eviction-rate", settings.secondary_node_eviction_rate)):
        if rate < 0:
            raise ConfigError(f"{flag}: must not be negative, not {rate}")
    if not 0 < settings.unhealthy_zone_threshold <= 1:
        raise ConfigError(f"--unhealthy-zone-threshold: must be in (0, 1], not {settings.unhealthy_zone_threshold}")
    if settings.cluster_cidr:
        CIDRSet(settings.cluster_cidr, settings.node_cidr_mask_size)  # raises ConfigError naming the flag
    if settings.terminated_pod_gc_threshold < 0:
        raise ConfigError("--terminated-pod-gc-threshold: must not be negative")
    # Node IPAM runs only with a cluster CIDR to hand out, as upstream's with --allocate-node-cidrs.
    return tuple(n for n in names if n != "node-ipam-controller" or settings.cluster_cidr)


def main(options: ManagerRunOptions) -> int:
    """Runs until SIGINT or SIGTERM (0); a flag that cannot be used is reported (1)."""
    try:
        names = check(options)
    except ConfigError as exc:
        print(f"myriad controller-manager: {exc}", file=sys.stderr)
        return 1
    try:
        return uvloop.run(_serve(options, names))
    except errors.ClientError as exc:  # the server could not be reached, or refused discovery
        print(f"myriad controller-manager: the API server: {exc}", file=sys.stderr)
        return 1


def make_client(options: ManagerRunOptions) -> Client:
    extra = {"user_agent": USER_AGENT, "max_idle_per_endpoint": 128, "qps": options.qps, "burst": options.burst}
    if options.servers:
        return Client(ClientOptions(endpoints=options.servers, **extra))  # type: ignore[arg-type]
    return Client.from_kubeconfig(options.kubeconfig, **extra)


async def build(client: Client, options: ManagerRunOptions, names: tuple[str, ...]) -> ControllerManager:
    """The manager and its controllers, sharing one factory, one recorder and what discovery
    found."""
    identity = options.identity or f"{os.uname().nodename}-{os.getpid()}"
    recorder = EventRecorder(client, RecorderOptions(controller="kube-controller-manager", instance=identity))
    factory = SharedInformerFactory(client, compress=True, watch_list=True, trim_managed_fields=True)
    context = ControllerContext(client=client, factory=factory, recorder=recorder, clock=client.options.clock,
                                resources=await discover(client), settings=options.settings)
    controllers = {}
    for name in sorted(names, key=lambda n: registry.KNOWN[n].metadata_only):  # stable: metadata readers last
        known = registry.KNOWN[name]
        workers = options.workers.get(known.flag, known.workers)
        controllers[name] = known.build(context, ControllerOptions(name=known.flag, workers=workers))
    election = LeaderElectionConfig(name=LEASE_NAME, namespace="kube-system", identity=identity, watch=True) \
        if options.leader_elect else None
    return ControllerManager(context, controllers, election=election)


async def _serve(options: ManagerRunOptions, names: tuple[str, ...]) -> int:
    freezer = asyncio.create_task(freeze_periodically(interval=gcfreeze.DEFAULT_INTERVAL))
    async with make_client(options) as client:
        manager = await build(client, options, names)
        if options.metrics_port is not None:
            REGISTRY.register(RequestsCollector(client))
            REGISTRY.register(StoreCollector(manager.context.factory.informers))
            start_http_server(options.metrics_port, addr="127.0.0.1")
        task = asyncio.create_task(manager.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        election = manager.election
        print(f"myriad controller-manager: running {', '.join(names)}"
              + (f" (leader election on, as {election.identity})" if election else ""), flush=True)
        try:
            await task
        except asyncio.CancelledError:
            pass
    freezer.cancel()
    return 0
