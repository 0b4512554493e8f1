"""Whether a pod's required node placement admits a node: ``spec.nodeSelector`` and the
required terms of ``spec.affinity.nodeAffinity``, as upstream's component-helpers
``GetRequiredNodeAffinity(pod).Match(node)`` decides (the kubelet's admission and the
scheduler's NodeAffinity filter share it).

The terms are ORed; a term's expressions and fields are ANDed; a term with neither matches no
node. ``matchFields`` knows only ``metadata.name``. ``Gt``/``Lt`` compare the label's value as an
integer, and a value that is not one does not match. A requirement upstream validation would
refuse (``In`` without values, ``Gt`` with two) matches nothing here rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!", "Gt": ">", "Lt": "<"}


def required_affinity_matches(spec: Mapping[str, Any], *, name: str, labels: Mapping[str, str]) -> bool:
    """Whether the node named ``name`` with ``labels`` satisfies the pod ``spec``'s node
    selector and required node affinity."""
    selector = spec.get("nodeSelector") or {}
    if any(labels.get(key) != value for key, value in selector.items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return True
    return any(_term_matches(term, name, labels) for term in required.get("nodeSelectorTerms") or [])


def _term_matches(term: Mapping[str, Any] | None, name: str, labels: Mapping[str, str]) -> bool:
    expressions = (term or {}).get("matchExpressions") or []
    fields = (term or {}).get("matchFields") or []
    if not expressions and not fields:
        return False
    return (all(_requirement_matches(r, labels) for r in expressions)
            and all(_requirement_matches(r, {"metadata.name": name}) for r in fields))


def _requirement_matches(requirement: Mapping[str, Any], values_of: Mapping[str, str]) -> bool:
    op = _OPERATORS.get(requirement.get("operator", ""))
    key, values = requirement.get("key", ""), [str(v) for v in requirement.get("values") or []]
    if op is None:
        return False
    if op == "exists":
        return key in values_of
    if op == "!":
        return key not in values_of
    value = values_of.get(key)
    if op == "in":
        return value is not None and value in values
    if op == "notin":
        return value is None or value not in values
    if value is None or len(values) != 1:
        return False
    try:
        number, bound = int(value), int(values[0])
    except ValueError:
        return False
    return number > bound if op == ">" else number < bound
