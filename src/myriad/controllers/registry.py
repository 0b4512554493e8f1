"""The controllers ``myriad controller-manager`` knows, by upstream's names, and the
``--controllers`` list that picks them.

``--controllers`` is upstream's: a comma-separated list where ``*`` enables every controller on
by default, ``name`` enables one, ``-name`` disables one (a controller's short alias, such as
``replicaset``, is taken too). Each controller's ``--concurrent-<flag>-syncs`` sets its workers.
"""

from __future__ import annotations

from dataclasses import dataclass

from myriad.controllers.cronjob import CronJobController
from myriad.controllers.daemonset.controller import DaemonSetController
from myriad.controllers.deployment.controller import DeploymentController
from myriad.controllers.disruption import DisruptionController
from myriad.controllers.endpoints import EndpointsController
from myriad.controllers.endpointslice import EndpointSliceController
from myriad.controllers.errors import ConfigError
from myriad.controllers.garbagecollector.collector import GarbageCollector
from myriad.controllers.job.controller import JobController
from myriad.controllers.namespace import NamespaceController
from myriad.controllers.nodeipam import NodeIPAMController
from myriad.controllers.nodelifecycle import NodeLifecycleController
from myriad.controllers.podgc import PodGCController
from myriad.controllers.replicaset import ReplicaSetController
from myriad.controllers.resourcequota import ResourceQuotaController
from myriad.controllers.serviceaccount import ServiceAccountController
from myriad.controllers.statefulset.controller import StatefulSetController
from myriad.controllers.tainteviction import TaintEvictionController
from myriad.controllers.ttlafterfinished import TTLAfterFinishedController
from myriad.controllers.types import Constructor


@dataclass(frozen=True, kw_only=True)
class Registered:
    name: str
    #: Upstream's short name, also taken by ``--controllers``.
    alias: str
    build: Constructor
    #: The ``<flag>`` of ``--concurrent-<flag>-syncs``, and its default: upstream's, except 25
    #: (upstream: 5) for ReplicaSets and Deployments. A worker here is a task that mostly waits
    #: on the API; five bounded the pods in flight, and so the rate, in the fan-out bench
    #: (1,000 Deployments of 50: 1,637 pods/s with 5, 1,999 with 25, side by side).
    flag: str
    workers: int
    on_by_default: bool = True
    #: Reads only metadata (metadata-only informers): built after the others, so that it shares
    #: the full informers they made instead of making its own.
    metadata_only: bool = False


KNOWN: dict[str, Registered] = {r.name: r for r in (
    Registered(name="replicaset-controller", alias="replicaset", build=ReplicaSetController, flag="replicaset",
               workers=25),
    Registered(name="deployment-controller", alias="deployment", build=DeploymentController, flag="deployment",
               workers=25),
    Registered(name="statefulset-controller", alias="statefulset", build=StatefulSetController, flag="statefulset",
               workers=5),
    Registered(name="daemonset-controller", alias="daemonset", build=DaemonSetController, flag="daemonset",
               workers=2),
    Registered(name="job-controller", alias="job", build=JobController, flag="job", workers=5),
    Registered(name="cronjob-controller", alias="cronjob", build=CronJobController, flag="cron-job", workers=5),
    Registered(name="namespace-controller", alias="namespace", build=NamespaceController, flag="namespace",
               workers=10),
    Registered(name="node-lifecycle-controller", alias="nodelifecycle", build=NodeLifecycleController,
               flag="node-lifecycle", workers=2),
    Registered(name="taint-eviction-controller", alias="tainteviction", build=TaintEvictionController,
               flag="taint-eviction", workers=8),
    Registered(name="node-ipam-controller", alias="nodeipam", build=NodeIPAMController, flag="nodeipam", workers=1),
    Registered(name="pod-garbage-collector-controller", alias="podgc", build=PodGCController, flag="podgc",
               workers=1),
    Registered(name="resourcequota-controller", alias="resourcequota", build=ResourceQuotaController,
               flag="resource-quota", workers=5),
    Registered(name="serviceaccount-controller", alias="serviceaccount", build=ServiceAccountController,
               flag="serviceaccount", workers=1),
    Registered(name="endpoints-controller", alias="endpoint", build=EndpointsController, flag="endpoint",
               workers=5),
    Registered(name="endpointslice-controller", alias="endpointslice", build=EndpointSliceController,
               flag="service-endpoint", workers=5),
    Registered(name="disruption-controller", alias="disruption", build=DisruptionController, flag="disruption",
               workers=1),
    Registered(name="ttl-after-finished-controller", alias="ttl-after-finished", build=TTLAfterFinishedController,
               flag="ttl-after-finished", workers=5),
    Registered(name="garbage-collector-controller", alias="garbagecollector", build=GarbageCollector, flag="gc",
               workers=20, metadata_only=True),
)}


def enabled(spec: str) -> tuple[str, ...]:
    """The controllers ``--controllers spec`` enables, in registry order; upstream's
    ``IsControllerEnabled``: the first word naming a controller (``name`` or ``-name``, its
    alias too) decides it, else ``*`` enables it if it is on by default."""
    words = [w.strip() for w in spec.split(",") if w.strip()]
    if not words:
        raise ConfigError("--controllers: at least one controller (or '*') is needed")
    aliases = {r.alias: r.name for r in KNOWN.values()}
    chosen: dict[str, bool] = {}
    star = False
    for word in words:
        if word == "*":
            star = True
            continue
        name = word.removeprefix("-")
        name = aliases.get(name, name)
        if name not in KNOWN:
            raise ConfigError(f'--controllers: "{word.removeprefix("-")}" is not in the list of known controllers: '
                              f"{', '.join(sorted(KNOWN))}")
        chosen.setdefault(name, not word.startswith("-"))
    return tuple(name for name, r in KNOWN.items() if chosen.get(name, star and r.on_by_default))
