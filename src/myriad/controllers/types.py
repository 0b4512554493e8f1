"""What the controller manager hands each controller it runs.

Every controller is a :class:`myriad.client.controller.Controller` built by a constructor
taking a :class:`ControllerContext` and its :class:`ControllerOptions`; the manager registers
them by name (:mod:`myriad.controllers.registry`).
"""

from __future__ import annotations

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
class ControllerContext:
    """Shared by every controller of one manager: one client, one informer factory (nothing is
    listed or watched twice), one event recorder, one clock."""

    client: Client
    factory: SharedInformerFactory
    recorder: EventRecorder
    clock: Clock = field(default_factory=SystemClock)
    #: What the server serves, from discovery at start (the collector watches all of it).
    resources: list[Discovered] = field(default_factory=list)


Constructor = Callable[[ControllerContext, ControllerOptions], Controller]


def ensure_index(informer: SharedInformer, name: str, function: Callable[[Obj], Iterable[str]]) -> None:
    """Adds index ``name`` to the informer's cache unless a controller sharing it already did
    (indexes are added before the factory starts)."""
    try:
        informer.indexer.add_indexer(name, function)
    except ValueError:
        if not informer.indexer.has_index(name):
            raise
