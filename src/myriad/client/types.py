"""The client's vocabulary: resources, patch types, watch events, and its tunables.

Every tunable is a frozen options dataclass with keyword-only fields; durations are seconds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

from myriad.clock import Clock, SystemClock


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A REST resource: ``api_version`` as in objects (``v1``, ``apps/v1``), its plural, and
    whether it lives in namespaces."""

    api_version: str
    plural: str
    namespaced: bool = True

    def path(self, *, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        """The URL path, e.g. ``/api/v1/namespaces/ns/pods/p/status``. A namespaced resource
        without ``namespace`` addresses every namespace (lists and watches only)."""
        root = f"/api/{self.api_version}" if "/" not in self.api_version else f"/apis/{self.api_version}"
        parts = [root]
        if self.namespaced and namespace:
            parts.append(f"/namespaces/{namespace}")
        parts.append(f"/{self.plural}")
        if name is not None:
            parts.append(f"/{name}")
            if subresource:
                parts.append(f"/{subresource}")
        return "".join(parts)


PODS = Resource(api_version="v1", plural="pods")
NODES = Resource(api_version="v1", plural="nodes", namespaced=False)
NAMESPACES = Resource(api_version="v1", plural="namespaces", namespaced=False)
CONFIGMAPS = Resource(api_version="v1", plural="configmaps")
SECRETS = Resource(api_version="v1", plural="secrets")
SERVICES = Resource(api_version="v1", plural="services")
LEASES = Resource(api_version="coordination.k8s.io/v1", plural="leases")
EVENTS = Resource(api_version="events.k8s.io/v1", plural="events")
DEPLOYMENTS = Resource(api_version="apps/v1", plural="deployments")
REPLICASETS = Resource(api_version="apps/v1", plural="replicasets")
STATEFULSETS = Resource(api_version="apps/v1", plural="statefulsets")
REPLICATIONCONTROLLERS = Resource(api_version="v1", plural="replicationcontrollers")
PODDISRUPTIONBUDGETS = Resource(api_version="policy/v1", plural="poddisruptionbudgets")
PRIORITYCLASSES = Resource(api_version="scheduling.k8s.io/v1", plural="priorityclasses", namespaced=False)


class PatchType(enum.Enum):
    """The ``Content-Type`` of each patch kind."""

    JSON = "application/json-patch+json"
    MERGE = "application/merge-patch+json"
    STRATEGIC = "application/strategic-merge-patch+json"
    APPLY = "application/apply-patch+yaml"


EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One watch event as on the wire; ``object`` is the decoded object (for a BOOKMARK, only
    its kind, apiVersion and ``metadata.resourceVersion``), or for informers an
    :class:`~myriad.client.objects.Object`."""

    type: EventType
    object: Any

    @property
    def resource_version(self) -> str:
        obj = self.object
        if isinstance(obj, dict):
            return obj.get("metadata", {}).get("resourceVersion", "")
        return obj.resource_version  # an informer's Object


@dataclass(frozen=True, kw_only=True)
class RetryOptions:
    """How failed calls are retried: exponential backoff with full jitter, at most ``attempts``
    tries in all. A ``Retry-After`` from the server replaces the computed delay, capped at
    ``max_delay``."""

    attempts: int = 5
    base_delay: float = 0.05
    max_delay: float = 5.0


@dataclass(frozen=True, kw_only=True)
class BalancerOptions:
    """How requests and watches are spread over several API servers."""

    #: ``least-outstanding`` sends each request to the endpoint with the fewest in flight (ties
    #: round-robin); ``round-robin`` ignores load.
    policy: Literal["least-outstanding", "round-robin"] = "least-outstanding"
    #: A failed endpoint is ejected for this long at first, doubling per failed probe up to
    #: ``max_ejection``.
    ejection: float = 1.0
    max_ejection: float = 30.0
    #: How often ejected endpoints are probed (``GET /readyz``).
    probe_interval: float = 0.5
    #: When an endpoint comes back, and every ``rebalance_interval``: if an endpoint's watches are
    #: off the even share by more than ``rebalance_slack`` (a fraction), the watches above the
    #: even share are ended so their owners re-watch on the least-loaded endpoints.
    rebalance_interval: float = 30.0
    rebalance_slack: float = 0.05


@dataclass(frozen=True, kw_only=True)
class ClientOptions:
    """Where and how the client connects."""

    #: Base URLs of the API servers, e.g. ``http://127.0.0.1:6443``.
    endpoints: tuple[str, ...]
    #: Sent as ``User-Agent``; flow control classifies by it.
    user_agent: str = "myriad-client"
    #: Extra headers for every request, e.g. ``{"X-Myriad-Priority-Level": "workload-low"}``.
    headers: dict[str, str] = field(default_factory=dict)
    #: Idle keep-alive connections kept per endpoint.
    max_idle_per_endpoint: int = 16
    #: Requests in flight at once per endpoint (each on its own connection); more wait their turn.
    #: Watches have connections of their own and do not count.
    max_requests_per_endpoint: int = 256
    #: Seconds to make a connection, and to wait for a whole non-watch answer.
    connect_timeout: float = 5.0
    request_timeout: float = 60.0
    #: Idle connections older than this are closed rather than reused (under the server's 90 s).
    idle_timeout: float = 60.0
    retry: RetryOptions = field(default_factory=RetryOptions)
    #: Requests a second (each attempt; watches not counted) and the burst above that rate, as
    #: client-go's QPS and Burst; 0: unpaced (the server's flow control is the only brake).
    qps: float = 0.0
    burst: int = 0
    balancer: BalancerOptions = field(default_factory=BalancerOptions)
    clock: Clock = field(default_factory=SystemClock)
