"""NodeAffinity: PreFilter, Filter, PreScore, Score and NormalizeScore (upstream
``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go``; matching as
component-helpers ``scheduling/corev1/nodeaffinity``), vectorised over the table's label
columns with the semantics of the scalar :func:`myriad.api.nodeaffinity.required_affinity_matches`.

* PreFilter skips a pod with no ``nodeSelector``, no required node affinity and no
  ``added_affinity.required``. When every required term has ``matchFields`` ``metadata.name In``,
  only the named nodes can pass (names intersected within a term, unioned across terms); an
  empty union rejects every node: "pod affinity terms conflict", UnschedulableAndUnresolvable.
* Filter: a node failing ``added_affinity``'s required terms gets "node(s) didn't match
  scheduler-enforced node affinity"; else one failing the pod's selector and required terms
  gets "node(s) didn't match Pod's node affinity/selector"; both UnschedulableAndUnresolvable.
* PreScore skips a pod with no preferred terms when ``added_affinity`` has none either.
* Score: the sum of the weights of the preferred terms (the pod's and the added ones) that
  match; a term of weight 0 or with an empty preference counts for nothing. NormalizeScore is
  DefaultNormalizeScore, not reversed.

A selector is a list of terms, ORed; a term's ``matchExpressions`` (on labels) and
``matchFields`` (``metadata.name`` only) are ANDed, and a term with neither matches nothing.
A requirement upstream would refuse to parse matches nothing (upstream's Filter ignores
the parse error the same way).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.normalize import default_normalize_score
from myriad.scheduler.types import PASS, SKIP, Code, CycleState, PodInfo, PreFilterResult, Reason, Verdict

REASON_ENFORCED = Reason("node(s) didn't match scheduler-enforced node affinity", Code.UNRESOLVABLE)
REASON_POD = Reason("node(s) didn't match Pod's node affinity/selector", Code.UNRESOLVABLE)
REASON_CONFLICT = Reason("pod affinity terms conflict", Code.UNRESOLVABLE)
_REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"
_NAME_FIELD = "metadata.name"


class NodeAffinity:
    name = "NodeAffinity"

    def __init__(self, *, added_affinity: Mapping[str, Any] | None = None) -> None:
        """``added_affinity``: a NodeAffinity object (``required…``, ``preferred…``) that every
        pod must also satisfy / is also scored by (upstream's ``NodeAffinityArgs.addedAffinity``)."""
        added = added_affinity or {}
        required = added.get(_REQUIRED)
        self._added_terms: list[Any] | None = None if required is None else list(
            required.get("nodeSelectorTerms") or [])
        self._added_preferred: list[Any] = list(added.get(_PREFERRED) or [])

    def pre_filter(self, state: CycleState, pod: PodInfo, table: NodeTable) -> PreFilterResult:
        spec = pod.spec
        required = _node_affinity(spec).get(_REQUIRED)
        if required is None and self._added_terms is None and not spec.get("nodeSelector"):
            return SKIP
        names: set[str] = set()
        for term in (required or {}).get("nodeSelectorTerms") or []:
            term_names: set[str] | None = None
            for field in (term or {}).get("matchFields") or []:
                if field.get("key") == _NAME_FIELD and field.get("operator") == "In":
                    wanted = {str(v) for v in field.get("values") or []}
                    term_names = wanted if term_names is None else term_names & wanted
            if term_names is None:  # terms are ORed: this one may admit any node
                return PASS
            names |= term_names
        if not names:
            if (required or {}).get("nodeSelectorTerms"):
                return PreFilterResult(rejection=REASON_CONFLICT)
            return PASS
        rows = sorted(table.index[name] for name in names if name in table.index)
        return PreFilterResult(rows=np.array(rows, dtype=np.intp))

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        rows = np.asarray(rows)
        failed = np.zeros(len(rows), dtype=np.uint32)
        if self._added_terms is not None:
            failed[~terms_mask(self._added_terms, table, rows)] = 1
        failed[(failed == 0) & ~required_mask(pod.spec, table, rows)] = 2
        return Verdict(failed, (REASON_ENFORCED, REASON_POD))

    def pre_score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> bool:
        return bool(_node_affinity(pod.spec).get(_PREFERRED) or self._added_preferred)

    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        scores = np.zeros(len(rows), dtype=np.int64)
        for term in [*self._added_preferred, *(_node_affinity(pod.spec).get(_PREFERRED) or [])]:
            weight = int((term or {}).get("weight") or 0)
            if weight:
                scores += weight * _term_mask((term or {}).get("preference"), table, rows)
        return scores

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        return default_normalize_score(scores, reverse=False)


def required_mask(spec: Mapping[str, Any], table: NodeTable, rows: np.ndarray) -> np.ndarray:
    """Over ``rows``: whether the node satisfies ``spec.nodeSelector`` and the required node
    affinity terms (vectorised :func:`myriad.api.nodeaffinity.required_affinity_matches`)."""
    mask = np.ones(len(rows), dtype=bool)
    for key, value in (spec.get("nodeSelector") or {}).items():
        column = table.label_column(key)
        if column is None:
            return np.zeros(len(rows), dtype=bool)
        mask &= column[rows] == table.label_code(key, value)
    required = _node_affinity(spec).get(_REQUIRED)
    if required:
        mask &= terms_mask(required.get("nodeSelectorTerms") or [], table, rows)
    return mask


def terms_mask(terms: Iterable[Any], table: NodeTable, rows: np.ndarray) -> np.ndarray:
    """Over ``rows``: whether the node matches any of the node selector ``terms``."""
    mask = np.zeros(len(rows), dtype=bool)
    for term in terms:
        mask |= _term_mask(term, table, rows)
    return mask


def _term_mask(term: Mapping[str, Any] | None, table: NodeTable, rows: np.ndarray) -> np.ndarray:
    expressions = (term or {}).get("matchExpressions") or []
    fields = (term or {}).get("matchFields") or []
    mask = np.full(len(rows), bool(expressions or fields))
    for requirement, is_field in [*((r, False) for r in expressions), *((r, True) for r in fields)]:
        if not mask.any():
            break
        mask &= _requirement_mask(requirement, table, rows, is_field=is_field)
    return mask


def _requirement_mask(requirement: Mapping[str, Any], table: NodeTable, rows: np.ndarray, *,
                      is_field: bool) -> np.ndarray:
    """One requirement over ``rows``. A field is ``metadata.name``, coded by row; a label is
    coded by its column. Code -1: the node lacks the key; -2 matches no node."""
    op, key = requirement.get("operator", ""), requirement.get("key", "")
    values = [str(v) for v in requirement.get("values") or []]
    codes: np.ndarray | None
    if is_field:
        codes, lookup = (rows if key == _NAME_FIELD else None), table.index
    else:
        column = table.label_column(key)
        codes, lookup = (None if column is None else column[rows]), table.label_values(key)
    if op in ("In", "NotIn"):
        found = (np.zeros(len(rows), dtype=bool) if codes is None
                 else np.isin(codes, [lookup.get(v, -2) for v in values]))
        return found if op == "In" else ~found
    present = np.zeros(len(rows), dtype=bool) if codes is None else codes >= 0
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return ~present
    if op not in ("Gt", "Lt") or codes is None or len(values) != 1 or (bound := _as_int(values[0])) is None:
        return np.zeros(len(rows), dtype=bool)
    # One comparison per distinct value, then gathered by code (slot ``size`` for absent keys).
    size = max(lookup.values(), default=-1) + 1
    hits = np.zeros(size + 1, dtype=bool)
    for value, code in lookup.items():
        number = _as_int(value)
        hits[code] = number is not None and (number > bound if op == "Gt" else number < bound)
    return hits[np.where(present, codes, size)]


def _as_int(value: str) -> int | None:
    """The value as the scalar matcher parses it: Python ``int``, None if not an integer."""
    try:
        return int(value)
    except ValueError:
        return None


def _node_affinity(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    return (spec.get("affinity") or {}).get("nodeAffinity") or {}
