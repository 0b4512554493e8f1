"""``myriad bench scheduler``'s workloads: upstream scheduler_perf's test cases, their node and pod
templates, and the checks made of every placement once a workload has run.

Templates are upstream's (``test/integration/scheduler_perf/templates``): nodes as
``makeBaseNode`` makes them (cpu 4, memory 32Gi, pods 110, Ready) with ``kubernetes.io/hostname``
set to the node's name and, where the workload labels nodes, ``topology.kubernetes.io/zone``
assigned round-robin from its values (NodeAffinity: ``zone1`` on every node; TopologySpreading:
``moon-1``..``moon-3``, as upstream). Pods have fixed names (``pod-<i>``) rather than
``generateName``. One deviation: myriad's Priority admission refuses a pod that sets
``spec.priority`` itself, so the high-priority pods name a PriorityClass of value 10
(``bench-high-priority``) instead, which admission turns into ``priority: 10``.

The checks (:func:`verify`) read the final state, listed after the measured pods are bound:
no node holds more than its allocatable (cpu, memory, pods); every bound pod's required node
affinity and nodeSelector match its node and its node's NoSchedule/NoExecute taints are
tolerated; no two pods break a required pod anti-affinity term, and required pod affinity has a
matching pod in the domain; each DoNotSchedule topology spread constraint is within its maxSkew
over the domains its pods may use; every pod deleted while the scheduler ran (a preemption
victim) was on a node that now holds, or is nominated for, a pod of higher priority, and no pod
of the highest priority was deleted (whether the preemptors got bound is the workload's "all
bound"). Namespace selectors in affinity terms other than ``{}`` (all) are not
evaluated (the term's namespace list is used).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from myriad.api.podrequests import pod_requests, resource_list
from myriad.api.tolerations import tolerates

ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"
HIGH_PRIORITY_CLASS = "bench-high-priority"
PAUSE = "registry.k8s.io/pause:3.10"
Template = Callable[[], dict[str, Any]]


def node(name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """upstream's base node (``makeBaseNode`` / ``node-default.yaml``), named and labelled."""
    resources = {"pods": "110", "cpu": "4", "memory": "32Gi"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {HOSTNAME: name, **labels}},
            "spec": {}, "status": {"capacity": resources, "allocatable": resources, "phase": "Running",
                                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}


def _pod(cpu: str, memory: str, **extra: Any) -> dict[str, Any]:
    resources = {"cpu": cpu, "memory": memory}
    spec = {"containers": [{"name": "pause", "image": PAUSE, "ports": [{"containerPort": 80}],
                            "resources": {"requests": resources, "limits": resources}}], **extra.pop("spec", {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "", **extra.pop("metadata", {})}, "spec": spec}


def pod_default() -> dict[str, Any]:
    return _pod("100m", "500Mi")


def pod_with_pod_anti_affinity() -> dict[str, Any]:
    term = {"labelSelector": {"matchLabels": {"color": "green"}}, "topologyKey": HOSTNAME,
            "namespaces": ["sched-1", "sched-0"]}
    return _pod("100m", "500Mi", metadata={"labels": {"color": "green"}},
                spec={"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}})


def pod_with_node_affinity() -> dict[str, Any]:
    terms = [{"matchExpressions": [{"key": ZONE, "operator": "In", "values": ["zone1", "zone2"]}]}]
    return _pod("100m", "500Mi", spec={"affinity": {"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}})


def pod_with_topology_spreading() -> dict[str, Any]:
    constraint = {"maxSkew": 5, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule",
                  "labelSelector": {"matchLabels": {"color": "blue"}}}
    return _pod("100m", "500Mi", metadata={"labels": {"color": "blue"}},
                spec={"topologySpreadConstraints": [constraint]})


def pod_low_priority() -> dict[str, Any]:
    return _pod("900m", "500Mi", spec={"terminationGracePeriodSeconds": 0})


def pod_high_priority() -> dict[str, Any]:
    return _pod("3000m", "500Mi", spec={"priorityClassName": HIGH_PRIORITY_CLASS})


@dataclass(frozen=True, kw_only=True)
class Workload:
    key: str
    #: upstream's ``<test case>/<workload>``.
    name: str
    nodes: int
    init_pods: int
    measured_pods: int
    init_template: Template = pod_default
    measured_template: Template = pod_default
    init_namespace: str = "namespace-1"
    measured_namespace: str = "namespace-2"
    #: topology.kubernetes.io/zone values assigned to nodes round-robin (empty: no zone label).
    zones: tuple[str, ...] = ()
    #: Minimum average pods/s (the issue's target) and upstream's own threshold, where set.
    target: float | None = None
    upstream: float | None = None
    #: Seconds within which every pod must be bound (the large workload's target).
    all_bound_within: float | None = None
    priority_classes: tuple[tuple[str, int], ...] = ()
    extra_namespaces: tuple[str, ...] = ()
    #: Seconds without a new bind before the measured phase counts as stalled, if longer than
    #: ``--stall`` (preemption binds nothing while its first round of dry runs goes on: at
    #: upstream's own pace, 18 pods/s, 500 preemptors take ~28 s).
    stall: float = 0.0

    def scaled(self, scale: float) -> Workload:
        """The same workload with node and pod counts times ``scale`` (at least 1 each, 0 stays 0)."""
        def times(n: int) -> int:
            return 0 if n == 0 else max(1, round(n * scale))
        return Workload(**{**self.__dict__, "nodes": times(self.nodes), "init_pods": times(self.init_pods),
                           "measured_pods": times(self.measured_pods)})


WORKLOADS: dict[str, Workload] = {w.key: w for w in (
    Workload(key="basic-10k", name="SchedulingBasic/5000Nodes_10000Pods", nodes=5000, init_pods=1000,
             measured_pods=10_000, target=1000, upstream=680),
    Workload(key="basic-50k", name="SchedulingBasic/5000Nodes_50000Pods", nodes=5000, init_pods=5000,
             measured_pods=50_000, target=1000, upstream=810),
    Workload(key="anti-affinity", name="SchedulingPodAntiAffinity/5000Nodes_2000Pods", nodes=5000, init_pods=1000,
             measured_pods=2000, init_template=pod_with_pod_anti_affinity,
             measured_template=pod_with_pod_anti_affinity, init_namespace="sched-0", measured_namespace="sched-1",
             target=300, upstream=60),
    Workload(key="node-affinity", name="SchedulingNodeAffinity/5000Nodes_10000Pods", nodes=5000, init_pods=5000,
             measured_pods=10_000, init_template=pod_with_node_affinity, measured_template=pod_with_node_affinity,
             zones=("zone1",), target=700, upstream=220),
    Workload(key="spreading", name="TopologySpreading/5000Nodes", nodes=5000, init_pods=5000, measured_pods=2000,
             measured_template=pod_with_topology_spreading, zones=("moon-1", "moon-2", "moon-3")),
    Workload(key="preemption", name="PreemptionBasic/500Nodes", nodes=500, init_pods=2000, measured_pods=500,
             init_template=pod_low_priority, measured_template=pod_high_priority,
             priority_classes=((HIGH_PRIORITY_CLASS, 10),), stall=120.0),
    Workload(key="large", name="SchedulingBasic/10000Nodes_200000Pods", nodes=10_000, init_pods=0,
             measured_pods=200_000, all_bound_within=240),
)}


def node_labels(workload: Workload, index: int) -> dict[str, str]:
    return {ZONE: workload.zones[index % len(workload.zones)]} if workload.zones else {}


# -- placement checks ------------------------------------------------------------------------------


@dataclass
class Checks:
    violations: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    #: The largest skew seen per DoNotSchedule spread constraint, and its maxSkew.
    spread: list[dict[str, object]] = field(default_factory=list)
    victims: int = 0

    def fail(self, kind: str, example: str) -> None:
        self.violations[kind] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {example}")

    def to_json(self) -> dict[str, object]:
        return {"passed": not self.violations, "violations": dict(self.violations), "examples": self.examples,
                "spread": self.spread, "victims": self.victims}


def verify(nodes: list[dict[str, Any]], pods: list[dict[str, Any]],
           victims: Mapping[str, tuple[str, int]]) -> Checks:
    """The checks of the module's docstring over the listed ``nodes`` and ``pods``; ``victims``
    maps ``namespace/name`` of each pod deleted while the workload ran to (its node, its priority)."""
    checks = Checks(victims=len(victims))
    by_name = {n["metadata"]["name"]: n for n in nodes}
    bound = [p for p in pods if (p.get("spec") or {}).get("nodeName")
             and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    _check_resources(checks, by_name, bound)
    for pod in bound:
        host = by_name.get(pod["spec"]["nodeName"])
        if host is None:
            checks.fail("unknown node", _key(pod))
            continue
        labels = host["metadata"].get("labels") or {}
        if not _node_affinity_matches(pod["spec"], labels, host["metadata"]["name"]):
            checks.fail("node affinity", f"{_key(pod)} on {host['metadata']['name']}")
        untolerated = _untolerated(pod["spec"], (host.get("spec") or {}).get("taints") or [])
        if untolerated:
            checks.fail("taints", f"{_key(pod)} on {host['metadata']['name']} ({untolerated})")
    _check_pod_affinity(checks, by_name, bound)
    _check_spread(checks, nodes, bound)
    _check_victims(checks, pods, victims)
    return checks


def _key(pod: Mapping[str, Any]) -> str:
    return f"{pod['metadata'].get('namespace', '')}/{pod['metadata']['name']}"


def _check_resources(checks: Checks, nodes: Mapping[str, dict[str, Any]], bound: list[dict[str, Any]]) -> None:
    used: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for pod in bound:
        requests = pod_requests(pod["spec"])
        totals = used[pod["spec"]["nodeName"]]
        totals[0] += requests.cpu_milli
        totals[1] += requests.memory
        totals[2] += 1
    for name, (cpu, memory, count) in used.items():
        host = nodes.get(name)
        if host is None:
            continue
        status = host.get("status") or {}
        allocatable = status.get("allocatable") or status.get("capacity") or {}
        limit = resource_list(allocatable)
        pods = int(allocatable.get("pods", 110))
        if cpu > limit.cpu_milli or memory > limit.memory or count > pods:
            checks.fail("over allocatable", f"{name}: cpu {cpu}m/{limit.cpu_milli}m, memory {memory}/{limit.memory}, "
                                            f"pods {count}/{pods}")


def _requirement_matches(requirement: Mapping[str, Any], value: str | None) -> bool:
    operator, values = requirement.get("operator"), requirement.get("values") or []
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and values:
        try:
            number, bound = int(value), int(values[0])
        except ValueError:
            return False
        return number > bound if operator == "Gt" else number < bound
    return False


def _node_affinity_matches(spec: Mapping[str, Any], labels: Mapping[str, str], name: str) -> bool:
    selector = spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if not required:
        return True
    for term in required.get("nodeSelectorTerms") or []:
        expressions, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
        if not expressions and not fields:
            continue  # an empty term matches nothing
        if (all(_requirement_matches(e, labels.get(e.get("key", ""))) for e in expressions)
                and all(_requirement_matches(f, name if f.get("key") == "metadata.name" else None) for f in fields)):
            return True
    return False


def _untolerated(spec: Mapping[str, Any], taints: Iterable[Mapping[str, Any]]) -> list[str]:
    tolerations = spec.get("tolerations") or []
    out = []
    for taint in taints:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            out.append(f"{taint.get('key')}={taint.get('value', '')}:{taint.get('effect')}")
    return out


def _selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return False  # a nil selector matches nothing
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_requirement_matches(e, labels.get(e.get("key", ""))) for e in selector.get("matchExpressions") or [])


def _term_namespaces(term: Mapping[str, Any], own: str) -> frozenset[str] | None:
    """The namespaces a pod affinity term covers; None for all of them."""
    if term.get("namespaceSelector") == {}:
        return None
    return frozenset(term.get("namespaces") or ()) or frozenset((own,))


def _check_pod_affinity(checks: Checks, nodes: Mapping[str, dict[str, Any]], bound: list[dict[str, Any]]) -> None:
    """Required pod (anti-)affinity: each term's matching pods counted per topology domain once."""
    counts: dict[bytes, Counter[str]] = {}

    def domain(pod: Mapping[str, Any], key: str) -> str | None:
        host = nodes.get(pod["spec"]["nodeName"])
        return None if host is None else (host["metadata"].get("labels") or {}).get(key)

    def matching(term: Mapping[str, Any], namespaces: frozenset[str] | None) -> Counter[str]:
        signature = orjson.dumps([term.get("labelSelector"), term.get("topologyKey"), sorted(namespaces or ["*"])])
        found = counts.get(signature)
        if found is None:
            found = counts[signature] = Counter()
            for other in bound:
                if ((namespaces is None or other["metadata"].get("namespace") in namespaces)
                        and _selector_matches(term.get("labelSelector"), other["metadata"].get("labels") or {})):
                    value = domain(other, term.get("topologyKey", ""))
                    if value is not None:
                        found[value] += 1
        return found

    for pod in bound:
        affinity = pod["spec"].get("affinity") or {}
        for kind in ("podAntiAffinity", "podAffinity"):
            for term in (affinity.get(kind) or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or []:
                namespaces = _term_namespaces(term, pod["metadata"].get("namespace", ""))
                value = domain(pod, term.get("topologyKey", ""))
                if value is None:
                    if kind == "podAffinity":
                        checks.fail("pod affinity", f"{_key(pod)}: its node has no {term.get('topologyKey')}")
                    continue
                itself = int((namespaces is None or pod["metadata"].get("namespace") in namespaces)
                             and _selector_matches(term.get("labelSelector"), pod["metadata"].get("labels") or {}))
                others = matching(term, namespaces)[value] - itself
                if kind == "podAntiAffinity" and others > 0:
                    checks.fail("pod anti-affinity", f"{_key(pod)} shares {term.get('topologyKey')}={value} with "
                                                     f"{others} matching pod(s)")
                elif kind == "podAffinity" and others == 0 and not itself:
                    checks.fail("pod affinity", f"{_key(pod)}: no matching pod in {term.get('topologyKey')}={value}")


def _check_spread(checks: Checks, nodes: list[dict[str, Any]], bound: list[dict[str, Any]]) -> None:
    """DoNotSchedule constraints: over the domains of the nodes that carry the key (and that the
    pod's node affinity allows), the matching pods' counts differ by at most maxSkew."""
    seen: set[bytes] = set()
    for pod in bound:
        namespace = pod["metadata"].get("namespace", "")
        for constraint in pod["spec"].get("topologySpreadConstraints") or []:
            if constraint.get("whenUnsatisfiable", "DoNotSchedule") != "DoNotSchedule":
                continue
            key = constraint.get("topologyKey", "")
            eligible = {n["metadata"]["name"]: (n["metadata"].get("labels") or {})[key] for n in nodes
                        if key in (n["metadata"].get("labels") or {})
                        and _node_affinity_matches(pod["spec"], n["metadata"].get("labels") or {},
                                                   n["metadata"]["name"])}
            signature = orjson.dumps([namespace, constraint, sorted(set(eligible.values()))])
            if signature in seen:
                continue
            seen.add(signature)
            domains: Counter[str] = Counter({value: 0 for value in eligible.values()})
            for other in bound:
                where = eligible.get(other["spec"]["nodeName"])
                if (where is not None and other["metadata"].get("namespace") == namespace
                        and _selector_matches(constraint.get("labelSelector"), other["metadata"].get("labels") or {})):
                    domains[where] += 1
            skew = max(domains.values()) - min(domains.values()) if domains else 0
            checks.spread.append({"namespace": namespace, "topology_key": key, "max_skew": constraint.get("maxSkew", 1),
                                  "skew": skew, "domains": dict(domains)})
            if skew > int(constraint.get("maxSkew", 1)):
                checks.fail("topology spread", f"{namespace} {key}: skew {skew} > maxSkew {constraint.get('maxSkew')} "
                                               f"({dict(domains)})")


def _check_victims(checks: Checks, pods: list[dict[str, Any]], victims: Mapping[str, tuple[str, int]]) -> None:
    """Each victim's node holds (bound, or nominated to it and pending) a pod of higher priority."""
    if not victims:
        return
    highest_on: dict[str, int] = {}
    for pod in pods:
        priority = int(pod["spec"].get("priority") or 0)
        for name in (pod["spec"].get("nodeName"), (pod.get("status") or {}).get("nominatedNodeName")):
            if name:
                highest_on[name] = max(highest_on.get(name, priority), priority)
    top = max((int(p["spec"].get("priority") or 0) for p in pods), default=0)
    for key, (where, priority) in victims.items():
        if priority >= top:
            checks.fail("preemption", f"{key} (priority {priority}) was deleted, no pod has a higher one")
        elif where and highest_on.get(where, priority) <= priority:
            checks.fail("preemption", f"{key} (priority {priority}) left {where}, which holds (or is nominated for) "
                                      "no higher priority")
