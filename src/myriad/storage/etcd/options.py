"""Tunables of the etcd backend."""

from __future__ import annotations

from dataclasses import dataclass, field

from myriad.clock import Clock, SystemClock


@dataclass(frozen=True, kw_only=True)
class EtcdOptions:
    #: ``host:port`` of each etcd member; on connection loss the client moves to the next one.
    endpoints: tuple[str, ...]
    #: Per-request deadline in seconds.
    timeout: float = 10.0
    #: How long to keep trying other endpoints before a request fails with UnavailableError.
    failover_timeout: float = 15.0
    #: Automatic compaction keeps about this many seconds of history; 0 turns it off.
    compaction_retention: float = 300.0
    #: How often the automatic compactor samples the revision and compacts.
    compaction_interval: float = 10.0
    clock: Clock = field(default_factory=SystemClock)
