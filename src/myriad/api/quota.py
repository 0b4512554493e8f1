"""What an object counts against a ResourceQuota (upstream's quota evaluators,
``pkg/quota/v1/evaluator/core``), shared by the API server's quota admission and the
controller manager's quota controller.

Every object counts 1 of ``count/<plural>.<group>`` (``count/<plural>`` in the core group), and
the core kinds their legacy names too (``pods``, ``services``, ``configmaps``, ``secrets``,
``replicationcontrollers``, ``resourcequotas``, ``persistentvolumeclaims``). A pod also counts
its effective requests (``requests.cpu`` and ``cpu``, memory, ephemeral-storage) and limits
(``limits.*``); a Succeeded or Failed pod, or one past its deletion grace, counts nothing. A
Service counts ``services.loadbalancers`` and ``services.nodeports``; a claim
``requests.storage``. A quota's ``scopes`` and ``scopeSelector`` (Terminating, NotTerminating,
BestEffort, NotBestEffort, PriorityClass) pick pods; a scoped quota counts no other kind.

Amounts are exact fractions; :func:`render` writes them as Go's Quantity does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from myriad.api import podrequests, quantity
from myriad.api.meta import parse_time

Obj = Mapping[str, Any]
Usage = dict[str, Fraction]

#: Core resources counted under their own name too.
LEGACY = frozenset({"pods", "services", "configmaps", "secrets", "replicationcontrollers", "resourcequotas",
                    "persistentvolumeclaims"})
#: Resources whose containers must name them once a quota restricts them (upstream's
#: backward-compatibility requirement).
_CONTAINER_REQUIRED = ("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
_BINARY = ("memory", "ephemeral-storage", "storage")
_COMPUTE = ("cpu", "memory", "ephemeral-storage")
_ONE = Fraction(1)


_POD_RESOURCES = frozenset({"pods", "count/pods", *_COMPUTE, *(f"requests.{n}" for n in _COMPUTE),
                            *(f"limits.{n}" for n in _COMPUTE)})


def matching(plural: str, group: str) -> frozenset[str]:
    """Every resource name an object of ``plural`` in ``group`` may count (upstream's
    evaluator ``MatchingResources``): a quota restricting none of them ignores the object."""
    if group == "" and plural == "pods":
        return _POD_RESOURCES
    names = {count_name(plural, group)}
    if group == "" and plural in LEGACY:
        names.add(plural)
    if group == "" and plural == "services":
        names |= {"services.loadbalancers", "services.nodeports"}
    if group == "" and plural == "persistentvolumeclaims":
        names.add("requests.storage")
    return frozenset(names)


def count_name(plural: str, group: str) -> str:
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def usage(plural: str, group: str, obj: Obj, *, now: float) -> Usage:
    """What ``obj`` (of ``plural`` in ``group``) counts."""
    if group == "" and plural == "pods":
        return pod_usage(obj, now=now)
    used: Usage = {count_name(plural, group): _ONE}
    if group == "" and plural in LEGACY:
        used[plural] = _ONE
    spec = obj.get("spec") or {}
    if group == "" and plural == "services":
        kind = spec.get("type") or "ClusterIP"
        if kind == "LoadBalancer":
            used["services.loadbalancers"] = _ONE
        if kind == "NodePort" or (kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True)):
            used["services.nodeports"] = Fraction(len([p for p in spec.get("ports") or () if isinstance(p, dict)]))
    elif group == "" and plural == "persistentvolumeclaims":
        storage = quantity.parse(((spec.get("resources") or {}).get("requests") or {}).get("storage"))
        if storage is not None:
            used["requests.storage"] = storage
    return used


def counted(pod: Obj, *, now: float) -> bool:
    """Upstream's ``QuotaV1Pod``: not terminal, and not past its deletion grace."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    metadata = pod.get("metadata") or {}
    deleted, grace = parse_time(metadata.get("deletionTimestamp")), metadata.get("deletionGracePeriodSeconds")
    return not (deleted is not None and isinstance(grace, int) and now > deleted + grace)


def pod_usage(pod: Obj, *, now: float) -> Usage:
    if not counted(pod, now=now):
        return {}
    spec = pod.get("spec") or {}
    used: Usage = {"pods": _ONE, "count/pods": _ONE}
    requests = podrequests.pod_requests(spec)
    for name, amount in (("cpu", Fraction(requests.cpu_milli, 1000)), ("memory", Fraction(requests.memory)),
                         ("ephemeral-storage", Fraction(requests.ephemeral_storage))):
        if amount:
            used[f"requests.{name}"] = used[name] = amount
    for name, amount in _limits(spec).items():
        if amount:
            used[f"limits.{name}"] = amount
    return used


def _limits(spec: Obj) -> dict[str, Fraction]:
    """Upstream's PodLimits: the containers' sum, at least each init container's, plus overhead."""
    def of(container: Obj) -> dict[str, Fraction]:
        limits = (container.get("resources") or {}).get("limits") or {}
        return {n: quantity.parse(limits.get(n)) or Fraction(0) for n in _COMPUTE}
    total = dict.fromkeys(_COMPUTE, Fraction(0))
    for container in spec.get("containers") or ():
        total = {n: total[n] + v for n, v in of(container).items()}
    for container in spec.get("initContainers") or ():
        total = {n: max(total[n], v) for n, v in of(container).items()}
    overhead = spec.get("overhead") or {}
    return {n: total[n] + (quantity.parse(overhead.get(n)) or 0) for n in _COMPUTE}


def best_effort(pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    for container in [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]:
        resources = container.get("resources") or {}
        if any(n in (resources.get(k) or {}) for k in ("requests", "limits") for n in _COMPUTE):
            return False
    return True


def _scope_matches(scope: str, pod: Obj, expression: Obj | None = None) -> bool:
    spec = pod.get("spec") or {}
    if scope == "Terminating":
        return spec.get("activeDeadlineSeconds") is not None
    if scope == "NotTerminating":
        return spec.get("activeDeadlineSeconds") is None
    if scope == "BestEffort":
        return best_effort(pod)
    if scope == "NotBestEffort":
        return not best_effort(pod)
    if scope == "PriorityClass":
        name = spec.get("priorityClassName") or ""
        operator = (expression or {}).get("operator") or "Exists"
        values = (expression or {}).get("values") or ()
        return {"In": name in values, "NotIn": name not in values, "Exists": bool(name),
                "DoesNotExist": not name}.get(operator, False)
    return False


def selects(quota: Obj, plural: str, group: str, obj: Obj) -> bool:
    """Whether the quota's scopes (all of them) admit ``obj``; an unscoped quota admits all."""
    spec = quota.get("spec") or {}
    scopes = [(s, None) for s in spec.get("scopes") or ()]
    scopes += [(e.get("scopeName"), e) for e in (spec.get("scopeSelector") or {}).get("matchExpressions") or ()
               if isinstance(e, dict)]
    if not scopes:
        return True
    if group != "" or plural != "pods":
        return False
    return all(_scope_matches(str(scope), obj, expression) for scope, expression in scopes)


def parse_list(values: Mapping[str, Any] | None) -> Usage:
    return {name: quantity.parse(value) or Fraction(0) for name, value in (values or {}).items()}


def render(amount: Fraction, name: str) -> str:
    return quantity.format_amount(amount, binary=any(name.endswith(b) for b in _BINARY))


def render_list(values: Mapping[str, Fraction]) -> dict[str, str]:
    return {name: render(amount, name) for name, amount in sorted(values.items())}


def pretty(values: Mapping[str, Fraction]) -> str:
    """Upstream's prettyPrint: ``name=amount`` sorted by name, comma-joined."""
    return ",".join(f"{name}={render(amount, name)}" for name, amount in sorted(values.items()))


def missing_container_resources(pod: Obj, restricted: Iterable[str]) -> str | None:
    """Upstream's pod ``Constraints``: with cpu or memory restricted, every container must
    name it; the ``must specify …`` message, or None."""
    required = {r for r in restricted if r in _CONTAINER_REQUIRED}
    if not required:
        return None
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for container in [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]:
        resources = container.get("resources") or {}
        provided = {f"requests.{n}" for n in resources.get("requests") or {}} | \
            set(resources.get("requests") or {}) | {f"limits.{n}" for n in resources.get("limits") or {}}
        for name in required - provided:
            missing.setdefault(name, set()).add(str(container.get("name")))
    if not missing:
        return None
    return "must specify " + "; ".join(f"{name} for: {','.join(sorted(names))}"
                                       for name, names in sorted(missing.items()))
