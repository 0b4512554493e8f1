"""``myriad scheduler``: one scheduler process until SIGINT or SIGTERM.

With leader election, the informers sync before contending, so a standby takes over with a warm
cache (a hot standby); only the leader schedules. The Lease is ``kube-system/kube-scheduler``
with upstream's durations (15 s, 10 s, 2 s) unless the configuration file says otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from dataclasses import dataclass

import uvloop
from prometheus_client import CollectorRegistry, start_http_server

from myriad import gcfreeze
from myriad.client.events.recorder import EventRecorder, RecorderOptions
from myriad.client.informers.metrics import StoreCollector
from myriad.client.leaderelection import LeaderElectionConfig, LeaderElector
from myriad.client.rest import Client
from myriad.client.types import ClientOptions
from myriad.gcfreeze import freeze_periodically
from myriad.scheduler.config import SchedulerConfig, default_config, load_config
from myriad.scheduler.errors import ConfigError
from myriad.scheduler.framework import Framework
from myriad.scheduler.metrics import SchedulerMetrics
from myriad.scheduler.plugins.defaultbinder import DefaultBinder
from myriad.scheduler.podinfo import DEFAULT_SCHEDULER
from myriad.scheduler.profiles import build_profile
from myriad.scheduler.scheduler import Scheduler
from myriad.scheduler.types import Handle

USER_AGENT = "myriad-scheduler"


@dataclass(frozen=True, kw_only=True)
class SchedulerRunOptions:
    servers: tuple[str, ...] = ()
    kubeconfig: str | None = None
    #: None: the configuration file's leaderElection.leaderElect, or off without a file.
    leader_elect: bool | None = None
    identity: str | None = None
    metrics_port: int | None = None
    percentage_of_nodes_to_score: int = 0
    partial_scoring: bool = True
    batching: bool = True
    capacity_index: bool = True
    affinity_index: bool = True
    vectorised: bool = True
    #: A KubeSchedulerConfiguration file; None: upstream's defaults.
    config: str | None = None


def main(options: SchedulerRunOptions) -> int:
    """Runs until SIGINT or SIGTERM (0); a configuration that cannot be used is reported with
    the field it names (1)."""
    try:
        config = load_config(options.config) if options.config is not None else default_config()
    except ConfigError as exc:
        print(f"myriad scheduler: {exc}", file=sys.stderr)
        return 1
    return uvloop.run(_serve(options, config))


def make_client(options: SchedulerRunOptions) -> Client:
    if options.servers:
        return Client(ClientOptions(endpoints=options.servers, user_agent=USER_AGENT, max_idle_per_endpoint=128))
    return Client.from_kubeconfig(options.kubeconfig, user_agent=USER_AGENT, max_idle_per_endpoint=128)


def build_frameworks(config: SchedulerConfig, options: SchedulerRunOptions, handle: Handle) -> dict[str, Framework]:
    """One Framework per profile of ``config``, by scheduler name. A non-zero
    ``--percentage-of-nodes-to-score`` overrides the configuration's (every profile's), and
    partial scoring, batching or the capacity index off applies to every profile."""
    frameworks = {}
    for profile in config.profiles:
        percentage = options.percentage_of_nodes_to_score or config.percentage_for(profile)
        built = build_profile(scheduler_name=profile.scheduler_name, points=profile.points, args=profile.plugin_args,
                              percentage_of_nodes_to_score=percentage, partial_scoring=options.partial_scoring,
                              handle=handle)
        built = dataclasses.replace(built, batching=options.batching, capacity_index=options.capacity_index,
                                    vectorised=options.vectorised)
        frameworks[built.scheduler_name] = Framework(built)
    return frameworks


def make_scheduler(client: Client, options: SchedulerRunOptions, config: SchedulerConfig | None = None, *,
                   metrics: SchedulerMetrics | None = None) -> Scheduler:
    if config is None:
        config = load_config(options.config) if options.config is not None else default_config()
    recorder = EventRecorder(client, RecorderOptions(controller=DEFAULT_SCHEDULER,
                                                     instance=f"{DEFAULT_SCHEDULER}-{os.uname().nodename}"))
    scheduler = Scheduler(client, lambda handle: build_frameworks(config, options, handle), DefaultBinder(client),
                          recorder=recorder, metrics=metrics)
    scheduler.table.pods.indexed = options.affinity_index
    if metrics is not None:
        for framework in scheduler.frameworks.values():
            framework.observe_plugin = metrics.plugin
    scheduler.queue.initial_backoff = float(config.pod_initial_backoff_seconds)
    scheduler.queue.max_backoff = float(config.pod_max_backoff_seconds)
    return scheduler


def leader_election(options: SchedulerRunOptions, config: SchedulerConfig, identity: str
                    ) -> LeaderElectionConfig | None:
    """The election to run: ``--leader-elect`` when given, else the configuration file's
    (upstream's default, on), else off; the Lease and timings are the configuration's."""
    wanted = options.leader_elect if options.leader_elect is not None else (
        config.leader_election.leader_elect if options.config is not None else False)
    if not wanted:
        return None
    lease = config.leader_election
    return LeaderElectionConfig(name=lease.resource_name, namespace=lease.resource_namespace, identity=identity,
                                lease_duration=lease.lease_duration, renew_deadline=lease.renew_deadline,
                                retry_period=lease.retry_period)


async def _serve(options: SchedulerRunOptions, config: SchedulerConfig) -> int:
    identity = options.identity or f"{os.uname().nodename}-{os.getpid()}"
    election = leader_election(options, config, identity)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    freezer = asyncio.create_task(freeze_periodically(interval=gcfreeze.DEFAULT_INTERVAL))
    async with make_client(options) as client:
        metrics = None
        if options.metrics_port is not None:
            registry = CollectorRegistry()
            metrics = SchedulerMetrics(registry, pending=lambda: scheduler.queue.counts(), cycles=lambda: {
                "full": sum(f.full for f in scheduler.frameworks.values()),
                "batched": sum(f.batched for f in scheduler.frameworks.values())})
            registry.register(StoreCollector(lambda: scheduler.informers.informers()))
            start_http_server(options.metrics_port, addr="127.0.0.1", registry=registry)
        scheduler = make_scheduler(client, options, config, metrics=metrics)
        scheduler.recorder.start()
        await scheduler.start_informers()  # a standby keeps these synced: a hot standby
        if election is not None:
            work = asyncio.create_task(LeaderElector(client, election, on_started_leading=scheduler.run).run())
        else:
            work = asyncio.create_task(scheduler.run())
        print(f"myriad scheduler: running as {identity}" + (" (leader election on)" if election else ""), flush=True)
        stop = asyncio.create_task(stopping.wait())
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        failed = work.done() and not work.cancelled() and work.exception() is not None
        if failed:
            print(f"myriad scheduler: {work.exception()!r}", file=sys.stderr, flush=True)
        for task in (work, stop):
            task.cancel()
        await asyncio.gather(work, stop, return_exceptions=True)
        await scheduler.recorder.stop()
        await scheduler.stop()
    freezer.cancel()
    await asyncio.gather(freezer, return_exceptions=True)
    return 1 if failed else 0
