"""Label selectors, pod (anti-)affinity terms and topology spread constraints as small frozen
values, parsed once per pod (:func:`myriad.scheduler.podinfo.pod_info`).

:class:`LabelSelector` follows apimachinery's ``LabelSelectorAsSelector``: a nil selector is
:data:`NOTHING` (matches no label set), ``{}`` is :data:`EVERYTHING` (matches every label set;
:attr:`LabelSelector.empty`); ``matchLabels`` and ``matchExpressions`` (``In``, ``NotIn``,
``Exists``, ``DoesNotExist``) are ANDed. A requirement upstream refuses to parse (``In``/``NotIn``
without values, ``Exists``/``DoesNotExist`` with values, any other operator) makes the selector
match nothing: the API server rejects such pods, and upstream's plugins fail on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

IN, NOT_IN, EXISTS, DOES_NOT_EXIST = "In", "NotIn", "Exists", "DoesNotExist"
DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"
HONOR, IGNORE = "Honor", "Ignore"


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == IN:
            return self.key in labels and labels[self.key] in self.values
        if op == NOT_IN:
            return self.key not in labels or labels[self.key] not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        return False

    @property
    def valid(self) -> bool:
        if self.operator in (IN, NOT_IN):
            return bool(self.values)
        return self.operator in (EXISTS, DOES_NOT_EXIST) and not self.values


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """``match_labels`` sorted by key; ``nothing``: the nil selector (or one that failed to parse)."""

    match_labels: tuple[tuple[str, str], ...] = ()
    expressions: tuple[Requirement, ...] = ()
    nothing: bool = False

    @property
    def empty(self) -> bool:
        """Upstream's ``Selector.Empty()``: the selector that matches everything."""
        return not self.nothing and not self.match_labels and not self.expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.nothing:
            return False
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        return all(r.matches(labels) for r in self.expressions)

    def with_labels(self, extra: Mapping[str, str]) -> LabelSelector:
        """``extra`` ANDed in (upstream's mergeLabelSetWithSelector); :data:`NOTHING` stays nothing."""
        if self.nothing or not extra:
            return self
        merged = (*self.match_labels, *((k, v) for k, v in extra.items()))
        return LabelSelector(tuple(sorted(set(merged))), self.expressions)


NOTHING = LabelSelector(nothing=True)
EVERYTHING = LabelSelector()


def parse_selector(obj: Mapping[str, Any] | None) -> LabelSelector:
    """A ``metav1.LabelSelector`` object (None: the nil selector)."""
    if obj is None:
        return NOTHING
    match_labels = tuple(sorted((str(k), str(v)) for k, v in (obj.get("matchLabels") or {}).items()))
    expressions = tuple(Requirement(str(e.get("key") or ""), str(e.get("operator") or ""),
                                    frozenset(str(v) for v in e.get("values") or ()))
                        for e in obj.get("matchExpressions") or ())
    if not all(r.valid for r in expressions):
        return NOTHING
    return LabelSelector(match_labels, expressions)


@dataclass(frozen=True, slots=True)
class AffinityTerm:
    """A PodAffinityTerm of the pod that owns it (upstream's framework.AffinityTerm), with the
    weight of a preferred term (0 for a required one). ``namespaces``: the owner's namespace
    when the term names none and has no ``namespaceSelector``."""

    selector: LabelSelector
    namespaces: frozenset[str]
    namespace_selector: LabelSelector
    topology_key: str
    weight: int = 0

    def matches(self, namespace: str, labels: Mapping[str, str], namespace_labels: Mapping[str, str]) -> bool:
        """Upstream's AffinityTerm.Matches for a pod in ``namespace`` with ``labels``."""
        if namespace in self.namespaces or self.namespace_selector.matches(namespace_labels):
            return self.selector.matches(labels)
        return False


@dataclass(frozen=True, slots=True)
class SpreadConstraint:
    """A TopologySpreadConstraint with upstream's defaults (minDomains 1, nodeAffinityPolicy
    Honor, nodeTaintsPolicy Ignore) and ``matchLabelKeys`` already ANDed into ``selector``."""

    max_skew: int
    topology_key: str
    when_unsatisfiable: str
    selector: LabelSelector
    min_domains: int = 1
    node_affinity_policy: str = HONOR
    node_taints_policy: str = IGNORE


def parse_affinity_term(term: Mapping[str, Any] | None, owner_namespace: str,
                        owner_labels: Mapping[str, str], weight: int = 0) -> AffinityTerm:
    """A PodAffinityTerm. ``matchLabelKeys``/``mismatchLabelKeys`` are merged into a non-nil
    ``labelSelector`` as kube-apiserver does at creation (``key In``/``NotIn`` the owner's value;
    idempotent when the server already did it)."""
    term = term or {}
    raw = term.get("labelSelector")
    selector = parse_selector(raw)
    if raw is not None and not selector.nothing:
        extra = [Requirement(k, IN, frozenset((owner_labels[k],)))
                 for k in term.get("matchLabelKeys") or () if k in owner_labels]
        extra += [Requirement(k, NOT_IN, frozenset((owner_labels[k],)))
                  for k in term.get("mismatchLabelKeys") or () if k in owner_labels]
        if extra:
            selector = LabelSelector(selector.match_labels, (*selector.expressions, *extra))
    names = term.get("namespaces") or ()
    raw_ns = term.get("namespaceSelector")
    namespaces = frozenset(names) if names or raw_ns is not None else frozenset((owner_namespace,))
    return AffinityTerm(selector, namespaces, parse_selector(raw_ns), str(term.get("topologyKey") or ""), weight)


def parse_spread_constraint(obj: Mapping[str, Any], owner_labels: Mapping[str, str]) -> SpreadConstraint:
    """A TopologySpreadConstraint (upstream's filterTopologySpreadConstraints, both actions)."""
    selector = parse_selector(obj.get("labelSelector"))
    keys = {k: owner_labels[k] for k in obj.get("matchLabelKeys") or () if k in owner_labels}
    min_domains = obj.get("minDomains")
    return SpreadConstraint(
        max_skew=int(obj.get("maxSkew") or 0), topology_key=str(obj.get("topologyKey") or ""),
        when_unsatisfiable=str(obj.get("whenUnsatisfiable") or ""), selector=selector.with_labels(keys),
        min_domains=1 if min_domains is None else int(min_domains),
        node_affinity_policy=obj.get("nodeAffinityPolicy") or HONOR,
        node_taints_policy=obj.get("nodeTaintsPolicy") or IGNORE)
