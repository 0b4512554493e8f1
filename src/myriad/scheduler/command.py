"""``myriad scheduler``: one scheduler process until SIGINT or SIGTERM.

With leader election, the informers sync before contending, so a standby takes over with a warm
cache (a hot standby); only the leader schedules. The Lease is ``kube-system/kube-scheduler``
with upstream's durations (15 s, 10 s, 2 s).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import uvloop
from prometheus_client import REGISTRY, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from myriad import gcfreeze
from myriad.client.events.recorder import EventRecorder, RecorderOptions
from myriad.client.leaderelection import LeaderElectionConfig, LeaderElector
from myriad.client.rest import Client
from myriad.client.types import ClientOptions
from myriad.gcfreeze import freeze_periodically
from myriad.scheduler.config import SchedulerConfig, default_config, load_config
from myriad.scheduler.framework import Framework
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
    leader_elect: bool = False
    identity: str | None = None
    metrics_port: int | None = None
    percentage_of_nodes_to_score: int = 0
    partial_scoring: bool = True
    #: A KubeSchedulerConfiguration file; None: upstream's defaults.
    config: str | None = None


def main(options: SchedulerRunOptions) -> int:
    return uvloop.run(_serve(options))


def make_client(options: SchedulerRunOptions) -> Client:
    if options.servers:
        return Client(ClientOptions(endpoints=options.servers, user_agent=USER_AGENT, max_idle_per_endpoint=128))
    return Client.from_kubeconfig(options.kubeconfig, user_agent=USER_AGENT, max_idle_per_endpoint=128)


def build_frameworks(config: SchedulerConfig, options: SchedulerRunOptions, handle: Handle) -> dict[str, Framework]:
    """One Framework per profile of ``config``, by scheduler name. A non-zero
    ``--percentage-of-nodes-to-score`` overrides the configuration's (every profile's), and
    partial scoring off applies to every profile."""
    frameworks = {}
    for profile in config.profiles:
        percentage = options.percentage_of_nodes_to_score or config.percentage_for(profile)
        built = build_profile(scheduler_name=profile.scheduler_name, points=profile.points, args=profile.plugin_args,
                              percentage_of_nodes_to_score=percentage, partial_scoring=options.partial_scoring,
                              handle=handle)
        frameworks[built.scheduler_name] = Framework(built)
    return frameworks


def make_scheduler(client: Client, options: SchedulerRunOptions) -> Scheduler:
    config = load_config(options.config) if options.config is not None else default_config()
    recorder = EventRecorder(client, RecorderOptions(controller=DEFAULT_SCHEDULER,
                                                     instance=f"{DEFAULT_SCHEDULER}-{os.uname().nodename}"))
    scheduler = Scheduler(client, lambda handle: build_frameworks(config, options, handle), DefaultBinder(client),
                          recorder=recorder)
    scheduler.queue.initial_backoff = float(config.pod_initial_backoff_seconds)
    scheduler.queue.max_backoff = float(config.pod_max_backoff_seconds)
    return scheduler


async def _serve(options: SchedulerRunOptions) -> int:
    identity = options.identity or f"{os.uname().nodename}-{os.getpid()}"
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    freezer = asyncio.create_task(freeze_periodically(interval=gcfreeze.DEFAULT_INTERVAL))
    async with make_client(options) as client:
        scheduler = make_scheduler(client, options)
        if options.metrics_port is not None:
            REGISTRY.register(SchedulerCollector(scheduler))
            start_http_server(options.metrics_port, addr="127.0.0.1")
        scheduler.recorder.start()
        await scheduler.start_informers()
        if options.leader_elect:
            elector = LeaderElector(client, LeaderElectionConfig(name="kube-scheduler", identity=identity),
                                    on_started_leading=scheduler.run)
            work = asyncio.create_task(elector.run())
        else:
            work = asyncio.create_task(scheduler.run())
        print(f"myriad scheduler: running as {identity}"
              + (" (leader election on)" if options.leader_elect else ""), flush=True)
        stop = asyncio.create_task(stopping.wait())
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        for task in (work, stop):
            task.cancel()
        await asyncio.gather(work, stop, return_exceptions=True)
        await scheduler.recorder.stop()
        await scheduler.stop()
    freezer.cancel()
    await asyncio.gather(freezer, return_exceptions=True)
    return 0


class SchedulerCollector:
    """upstream's scheduler_schedule_attempts_total and scheduler_pending_pods."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        attempts = CounterMetricFamily("scheduler_schedule_attempts", "Scheduling attempts by result.",
                                       labels=["result", "profile"])
        for (result, profile), count in sorted(self._scheduler.stats.attempts.items()):
            attempts.add_metric([result, profile], count)
        yield attempts
        pending = GaugeMetricFamily("scheduler_pending_pods", "Pending pods by queue.", labels=["queue"])
        for queue, count in sorted(self._scheduler.queue.counts().items()):
            pending.add_metric([queue], count)
        yield pending
