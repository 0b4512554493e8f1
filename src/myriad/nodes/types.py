"""Hollow nodes' vocabulary: what a node class declares, and the tunables of a run.

Every tunable is a frozen options dataclass with keyword-only fields; durations are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from myriad.clock import Clock, SystemClock


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
    #: "lease" (KEP-589), or "legacy": no Lease, the whole status every ``lease_renew_interval``.
    heartbeat: str = "lease"
    #: Requests in flight at once (registration and heartbeats).
    concurrency: int = 64
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
        if self.status_report_interval <= 0:
            raise ValueError("status_report_interval: must be positive")
        if self.concurrency < 1:
            raise ValueError("concurrency: must be at least 1")

    def name(self, index: int) -> str:
        return f"{self.prefix}{index}"
