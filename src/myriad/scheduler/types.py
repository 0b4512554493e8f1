"""The scheduler's vocabulary: the pod as the scheduler sees it, node-table columns, statuses
and the framework's extension points as Protocols (kube-scheduler's framework is the model).

Vectorised extension points. Upstream calls Filter and Score once per node. Here they are
called once per scheduling cycle with ``rows``, an int array of candidate node rows of the
:class:`~myriad.scheduler.nodetable.NodeTable`, and answer with arrays aligned to ``rows``:

* Filter answers a :class:`Verdict`: ``failed`` is a uint32 array, 0 where the node passes,
  else a bitmask over ``reasons`` (NodeResourcesFit can fail a node for cpu *and* memory);
* Score answers an int64 array of raw scores; NormalizeScore maps the array to 0..100.

Concurrency: the scheduling cycle (PreFilter through Reserve) runs without awaiting, on the
event loop that also applies informer events to the table, so plugins read the table as a
consistent snapshot and never copy it. Only Bind awaits.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from myriad.api.podrequests import Requests
from myriad.client.objects import Object
from myriad.scheduler.selectors import AffinityTerm, SpreadConstraint

if TYPE_CHECKING:
    from myriad.scheduler.nodetable import NodeTable

MAX_NODE_SCORE = 100
#: Upstream's defaults for a container that requests no cpu or memory, in scoring only.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


class Code(enum.IntEnum):
    """A rejection's kind, as upstream's status codes: preemption may help an Unschedulable
    node; it cannot help an UnschedulableAndUnresolvable one."""

    UNSCHEDULABLE = 1
    UNRESOLVABLE = 2


@dataclass(frozen=True, slots=True)
class Reason:
    text: str
    code: Code = Code.UNSCHEDULABLE


@dataclass(frozen=True, slots=True)
class Verdict:
    """A Filter's answer over ``rows``: ``failed[i]`` is 0 when ``rows[i]`` passes, else the
    bits of ``reasons`` that reject it."""

    failed: np.ndarray
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class PreFilterResult:
    """``skip``: the plugin's Filter does not run this cycle. ``rows``: only these node rows
    can pass (upstream's PreFilterResult.NodeNames). ``rejection``: every node fails."""

    skip: bool = False
    rows: np.ndarray | None = None
    rejection: Reason | None = None


SKIP = PreFilterResult(skip=True)
PASS = PreFilterResult()


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""

    def tolerates(self, taint: Taint) -> bool:
        """Upstream's Toleration.ToleratesTaint."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        return self.operator in ("", "Equal") and self.value == taint.value


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True, slots=True)
class HostPort:
    ip: str
    protocol: str
    port: int

    def conflicts(self, used: HostPort) -> bool:
        """Upstream's HostPortInfo.CheckConflict for one used port: the same protocol and
        port, on the same IP or with either side on 0.0.0.0."""
        if (self.protocol, self.port) != (used.protocol, used.port):
            return False
        return self.ip == "0.0.0.0" or used.ip in ("0.0.0.0", self.ip)


@dataclass(frozen=True, slots=True, eq=False)
class PodInfo:
    """A pod as the scheduler uses it, derived once from the object (see :func:`pod_info`)."""

    #: The informer's object (typed view plus JSON).
    pod: Object
    key: str
    uid: str
    namespace: str
    name: str
    priority: int
    scheduler_name: str
    node_name: str
    labels: Mapping[str, str]
    requests: Requests
    #: cpu and memory with upstream's scoring defaults for containers that request none.
    nonzero_cpu: int
    nonzero_memory: int
    tolerations: tuple[Toleration, ...]
    host_ports: tuple[HostPort, ...]
    images: tuple[str, ...]
    scheduling_gated: bool = False
    deleting: bool = False
    #: Pod (anti-)affinity terms, parsed (preferred ones carry their weight).
    required_affinity: tuple[AffinityTerm, ...] = ()
    required_anti_affinity: tuple[AffinityTerm, ...] = ()
    preferred_affinity: tuple[AffinityTerm, ...] = ()
    preferred_anti_affinity: tuple[AffinityTerm, ...] = ()
    #: ``spec.topologySpreadConstraints``, both actions, parsed.
    spread_constraints: tuple[SpreadConstraint, ...] = ()

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.pod.get("spec") or {}

    @property
    def has_pod_affinity(self) -> bool:
        """Any pod affinity or anti-affinity term (upstream's PodsWithAffinity)."""
        return bool(self.required_affinity or self.required_anti_affinity or self.preferred_affinity
                    or self.preferred_anti_affinity)


@dataclass(slots=True)
class CycleState:
    """What plugins keep between extension points within one cycle, by plugin name."""

    data: dict[str, Any] = field(default_factory=dict)
    #: Plugins whose PreFilter said skip: their Filter does not run.
    skip_filter: set[str] = field(default_factory=set)
    #: Plugins whose PreScore said skip: their Score and NormalizeScore do not run.
    skip_score: set[str] = field(default_factory=set)


@dataclass(frozen=True, kw_only=True)
class Handle:
    """What plugins may read beyond the node table (upstream's framework Handle), from the
    scheduler's informers. Plugin classes that take one say so with ``uses_handle = True``."""

    #: Every PodDisruptionBudget.
    pdbs: Callable[[], Iterable[Mapping[str, Any]]] = lambda: ()
    #: A namespace's labels ({} if unknown).
    namespace_labels: Callable[[str], Mapping[str, str]] = lambda _name: {}
    #: Every namespace name with its labels.
    namespaces: Callable[[], Iterable[tuple[str, Mapping[str, str]]]] = lambda: ()
    #: Services, ReplicationControllers, ReplicaSets and StatefulSets (PodTopologySpread's defaults).
    selectors_of: Callable[[PodInfo], Iterable[Mapping[str, str]]] = lambda _pod: ()


class Plugin(Protocol):
    name: str


class QueueSortPlugin(Plugin, Protocol):
    def sort_key(self, pod: PodInfo, timestamp: float) -> tuple[Any, ...]:
        """Orders activeQ: smaller first."""


class PreFilterPlugin(Plugin, Protocol):
    def pre_filter(self, state: CycleState, pod: PodInfo, table: NodeTable) -> PreFilterResult: ...


class FilterPlugin(Plugin, Protocol):
    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict: ...


class PreScorePlugin(Plugin, Protocol):
    def pre_score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> bool:
        """False to skip this plugin's Score for the cycle."""


class ScorePlugin(Plugin, Protocol):
    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray: ...

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        """Scores mapped to 0..MAX_NODE_SCORE (plugins already in range return them as is)."""


@dataclass(frozen=True, slots=True)
class PostFilterResult:
    """A PostFilter's answer for a pod no node fits. ``nominated``: the node the pod should
    get once ``victims`` (pods to delete gracefully) are gone; ``message``: what goes after
    the Filter reasons in the FailedScheduling text (e.g. ``preemption: 0/5 nodes are
    available: ...``)."""

    nominated: str = ""
    victims: tuple[PodInfo, ...] = ()
    message: str = ""


class PostFilterPlugin(Plugin, Protocol):
    def post_filter(self, state: CycleState, pod: PodInfo, table: NodeTable,
                    statuses: Mapping[int, tuple[Reason, ...]], *,
                    run_filters: Callable[[np.ndarray], np.ndarray]) -> PostFilterResult:
        """``statuses``: each rejected node row with the reasons of its first failing Filter.
        ``run_filters(rows)``: the rows that pass PreFilter and Filter as the table is now (a
        preemption removes victims from the table, asks, and puts them back)."""


class ReservePlugin(Plugin, Protocol):
    def reserve(self, state: CycleState, pod: PodInfo, node: str) -> Reason | None: ...

    def unreserve(self, state: CycleState, pod: PodInfo, node: str) -> None: ...


class PermitPlugin(Plugin, Protocol):
    def permit(self, state: CycleState, pod: PodInfo, node: str) -> Reason | None:
        """None to let the binding go ahead; a Reason rejects the placement (Unreserve runs
        and the pod goes back to the queue). Waiting, upstream's third answer, is not offered."""


class BindPlugin(Plugin, Protocol):
    async def bind(self, pod: PodInfo, node: str) -> None:
        """Binds ``pod`` to ``node``; raises :class:`~myriad.scheduler.errors.BindError`."""
