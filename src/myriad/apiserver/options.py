"""Flags of ``myriad apiserver`` as one options object."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from myriad import gcfreeze
from myriad.apiserver.cache.types import CacheOptions
from myriad.apiserver.flowcontrol.types import FlowControlOptions
from myriad.apiserver.http import HttpOptions
from myriad.clock import Clock, SystemClock


@dataclass(frozen=True, kw_only=True)
class ServerOptions:
    #: Loopback unless told otherwise.
    bind: str = "127.0.0.1"
    #: 0 picks a free port.
    port: int = 8080
    #: Holds the embedded store (``store/``) and the ``kubeconfig`` written for clients.
    data_dir: Path = Path(".myriad")
    storage: str = "embedded"
    etcd_endpoints: tuple[str, ...] = ()
    #: Seconds of history the store keeps before compacting it away, either backend (upstream
    #: compacts etcd every ``--etcd-compaction-interval``, 5 minutes by default).
    compaction_retention: float = 300.0
    http: HttpOptions = field(default_factory=HttpOptions)
    #: Serve lists and watches from watch caches (upstream's --watch-cache); off, from storage.
    watch_cache: bool = True
    #: The watch caches lists and watches are served from.
    cache: CacheOptions = field(default_factory=CacheOptions)
    #: Concurrency caps and priority levels.
    flow: FlowControlOptions = field(default_factory=FlowControlOptions)
    clock: Clock = field(default_factory=SystemClock)
    #: The process's garbage-collector thresholds (``gc.set_threshold``). Each request allocates
    #: hundreds of short-lived objects that reference counting frees; collecting generation 0
    #: every 700 allocations (CPython's default) cost about a tenth of a pod create's CPU.
    gc_thresholds: tuple[int, int, int] = (20_000, 20, 100)
    #: The longest the process goes between freezes of the collector's view of long-lived
    #: objects (:mod:`myriad.gcfreeze`; a burst of allocation freezes sooner).
    gc_freeze_interval: float = gcfreeze.DEFAULT_INTERVAL

    @property
    def kubeconfig_path(self) -> Path:
        return self.data_dir / "kubeconfig"
