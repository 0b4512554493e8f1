"""Hollow nodes' vocabulary: what a node class declares, and the tunables of a run.

Every tunable is a frozen options dataclass with keyword-only fields; durations are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from myriad.clock import Clock, SystemClock
from myriad.nodes.profiles import Profiles


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeClass:
    """What a node offers, as its kubelet reports it in capacity (allocatable is capacity less
    the system reserve)."""

    instance_type: str = "hollow.standard"
    cpu: str = "4"
    memory: str = "16Gi"
    pods: int = 110
    ephemeral_storage: str = "100Gi"
    #: Held back from allocatable for the system, as kubelets' --system-reserved.
    reserved_cpu: str = "100m"
    reserved_memory: str = "256Mi"


@dataclass(frozen=True, kw_only=True)
class NodesOptions:
    #: Nodes this process runs, named ``{prefix}{index}`` for index in ``first .. first + count - 1``.
    count: int
    prefix: str = "hollow-"
    first: int = 0
    node_class: NodeClass = field(default_factory=NodeClass)
    #: Nodes are spread round-robin over this many zones (``{region}-{a,b,c…}``) of one region.
    zones: int = 3
    region: str = "region-1"
    #: Container images listed in each node's status (real Node objects carry dozens; 0 for none).
    images: int = 0
    #: The kubelet version reported in nodeInfo; empty: the server's own (GET /version).
    kubelet_version: str = ""
    #: KEP-589: each node renews its Lease this often and the Lease lasts this long.
    lease_renew_interval: float = 10.0
    lease_duration: int = 40
    #: Node status is written this often when nothing changed (upstream's nodeStatusReportFrequency).
    status_report_interval: float = 300.0
    #: Each renewal and report comes up to this fraction of its interval late, at random
    #: (upstream's JitterUntil factor), so nodes do not write in step.
    heartbeat_jitter: float = 0.04
    #: "lease" (KEP-589), or "legacy": no Lease, the whole status every ``lease_renew_interval``.
    heartbeat: str = "lease"
    #: Requests in flight at once (registration and heartbeats).
    concurrency: int = 64
    #: "per-node": a ``spec.nodeName`` watch per node, as kubelets; "shared": one per process.
    pod_watch: str = "per-node"
    #: How pods' ConfigMaps and Secrets are read: "namespace" (a watch per namespace and kind),
    #: "watch" (each watched), "get", or "ttl" (see configgate.py).
    config_strategy: str = "namespace"
    config_ttl: float = 60.0
    #: A pod that could not start (a missing ConfigMap, say) is tried again after this long.
    sync_retry: float = 10.0
    #: Pod status writes in flight at once.
    status_writers: int = 32
    #: The process's event writes a second and their burst (one kubelet's defaults: 50, 100).
    event_qps: float = 50.0
    event_burst: int = 100
    profiles: Profiles = field(default_factory=Profiles)
    clock: Clock = field(default_factory=SystemClock)

    def validate(self) -> None:
        """Raises ValueError naming the first bad field."""
        if self.count < 0:
            raise ValueError("count: must be zero or more")
        if self.first < 0:
            raise ValueError("first: must be zero or more")
        if self.first + self.count > 65_536:
            raise ValueError("count: at most 65,536 nodes (each gets a /24 of 10.0.0.0/8 as its pod CIDR)")
        if not 1 <= self.zones <= 26:
            raise ValueError("zones: must be between 1 and 26")
        if self.images < 0:
            raise ValueError("images: must be zero or more")
        if self.lease_renew_interval <= 0 or self.lease_duration <= self.lease_renew_interval:
            raise ValueError("lease_renew_interval: must be positive and shorter than lease_duration")
        if self.heartbeat not in ("lease", "legacy"):
            raise ValueError(f'heartbeat: must be "lease" or "legacy", not "{self.heartbeat}"')
        if not 0 <= self.heartbeat_jitter <= 1:
            raise ValueError("heartbeat_jitter: must be between 0 and 1")
        if self.status_report_interval <= 0:
            raise ValueError("status_report_interval: must be positive")
        if self.concurrency < 1:
            raise ValueError("concurrency: must be at least 1")
        if self.pod_watch not in ("per-node", "shared"):
            raise ValueError(f'pod_watch: must be "per-node" or "shared", not "{self.pod_watch}"')
        if self.config_strategy not in ("namespace", "watch", "get", "ttl"):
            raise ValueError('config_strategy: must be "namespace", "watch", "get" or "ttl", '
                             f'not "{self.config_strategy}"')
        if self.config_ttl < 0:
            raise ValueError("config_ttl: must be zero or more")
        if self.sync_retry <= 0:
            raise ValueError("sync_retry: must be positive")
        if self.status_writers < 1:
            raise ValueError("status_writers: must be at least 1")
        if self.event_qps <= 0 or self.event_burst < 1:
            raise ValueError("event_qps: must be positive, and event_burst at least 1")

    def name(self, index: int) -> str:
        return f"{self.prefix}{index}"
