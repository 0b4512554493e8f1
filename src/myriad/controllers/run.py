"""``myriad controller NAME``: runs one controller as its own process until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

import uvloop
from prometheus_client import start_http_server

from myriad.client.controller import ControllerOptions
from myriad.client.leaderelection import LeaderElectionConfig
from myriad.client.rest import Client
from myriad.client.types import ClientOptions
from myriad.controllers.namespacecounts import NamespaceCounts


def main(args: argparse.Namespace) -> int:
    return uvloop.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    if args.server:
        client = Client(ClientOptions(endpoints=tuple(u.strip() for u in args.server.split(",") if u.strip()),
                                      user_agent="myriad-controller"))
    else:
        client = Client.from_kubeconfig(args.kubeconfig, user_agent="myriad-controller")
    identity = args.identity or f"{os.uname().nodename}-{os.getpid()}"
    if args.metrics_port is not None:
        start_http_server(args.metrics_port, addr="127.0.0.1")  # workqueue and reconcile metrics
    election = (LeaderElectionConfig(name=args.name, namespace=args.namespace, identity=identity)
                if args.leader_elect else None)
    async with client:
        controller = NamespaceCounts(client, ControllerOptions(name=args.name, leader_election=election),
                                     namespace=args.namespace)
        task = asyncio.create_task(controller.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        print(f"myriad controller {args.name}: running as {identity}"
              + (" (leader election on)" if election else ""), flush=True)
        try:
            await task
        except asyncio.CancelledError:
            pass
    return 0
