"""Placed pods indexed by namespace, by label (key, value) and by label key, so that "the pods
matching this selector in these namespaces" costs about as much as the pods that match, not a
scan of every pod (InterPodAffinity and PodTopologySpread ask it every cycle).

:meth:`PodIndex.matching` starts from the smallest candidate set the query offers (a
``matchLabels`` pair, the values of an ``In`` requirement, the pods having an ``Exists`` key, or
the pods of the allowed namespaces) and checks each candidate in full; only a query with no
positive requirement and no namespace restriction (e.g. the empty selector) visits every pod.
The index also keeps each pod's node row and the pods with any (anti-)affinity term and with
required anti-affinity (upstream's PodsWithAffinity and PodsWithRequiredAntiAffinity).

Maintained by :meth:`NodeTable.add_pod` and :meth:`NodeTable.remove_pod`. A removed node drops
its pods without telling the index, so an entry is only trusted while the table's row still
holds the same NodeInfo; stale entries are dropped when a query meets them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from myriad.scheduler.selectors import IN, NOTHING, LabelSelector
from myriad.scheduler.types import PodInfo

if TYPE_CHECKING:
    from myriad.scheduler.nodetable import NodeTable

_NO_LABELS: Callable[[str], Mapping[str, str]] = lambda _ns: {}  # noqa: E731


class PodIndex:
    def __init__(self, table: NodeTable | None = None, *, indexed: bool = True) -> None:
        """``table``: the NodeTable whose rows the pods sit on (None: every entry is trusted).
        ``indexed`` False makes every query visit every pod, with no counts kept between
        queries (the ablation of the index)."""
        self._table = table
        self.indexed = indexed
        self._pods: dict[str, PodInfo] = {}
        #: uid -> (row, the NodeInfo it was added to)
        self._where: dict[str, tuple[int, Any]] = {}
        self._by_namespace: dict[str, set[str]] = {}
        self._by_label: dict[tuple[str, str], set[str]] = {}
        self._by_key: dict[str, set[str]] = {}
        self._with_affinity: set[str] = set()
        self._with_required_anti: set[str] = set()
        #: Each distinct required anti-affinity term of placed pods -> pods holding it per row,
        #: so a cycle tests a term once, however many pods share it (a Deployment's replicas do).
        self._anti_terms: dict[Any, np.ndarray] = {}
        #: Pods with terms that count in InterPodAffinity's scoring of other pods (required
        #: affinity, preferred affinity or anti-affinity).
        self._with_scoring_terms: set[str] = set()
        #: (selector, namespaces) -> matching placed pods per row, kept up to date as pods come
        #: and go once asked for (see :meth:`row_counts`).
        self._counts: dict[tuple[Any, Any, bool], np.ndarray] = {}
        #: Candidates the last :meth:`matching` checked (what a query cost; for tests).
        self.last_candidates = 0

    # -- maintenance ---------------------------------------------------------------------------

    def add(self, pod: PodInfo, row: int, node: Any = None) -> None:
        """Indexes ``pod`` on node ``row`` (``node``: that row's NodeInfo, checked on reads)."""
        if pod.uid in self._pods:
            self.remove(self._pods[pod.uid])
        uid = pod.uid
        self._pods[uid] = pod
        self._where[uid] = (row, node)
        self._by_namespace.setdefault(pod.namespace, set()).add(uid)
        for key, value in pod.labels.items():
            self._by_label.setdefault((key, value), set()).add(uid)
            self._by_key.setdefault(key, set()).add(uid)
        if pod.has_pod_affinity:
            self._with_affinity.add(uid)
        if pod.required_anti_affinity:
            self._with_required_anti.add(uid)
            for term in pod.required_anti_affinity:
                self._bump(self._anti_terms, term, row, 1)
        if pod.required_affinity or pod.preferred_affinity or pod.preferred_anti_affinity:
            self._with_scoring_terms.add(uid)
        for key in list(self._counts):
            if _counts_pod(key, pod):
                self._bump(self._counts, key, row, 1)

    def replace(self, pod: PodInfo) -> None:
        """Swaps the held copy of ``pod`` for this one, which must index alike (the same labels,
        namespace and affinity: :meth:`NodeTable.confirm_pod` checks)."""
        if pod.uid in self._pods:
            self._pods[pod.uid] = pod

    def remove(self, pod: PodInfo, row: int | None = None) -> None:
        """Forgets the pod with ``pod.uid`` (as it was indexed); with ``row``, only if it sits there."""
        held = self._pods.get(pod.uid)
        if held is None or (row is not None and self._where[pod.uid][0] != row):
            return
        del self._pods[pod.uid]
        uid = held.uid
        self._where_removed = self._where.pop(uid)[0]
        _discard(self._by_namespace, held.namespace, uid)
        for key, value in held.labels.items():
            _discard(self._by_label, (key, value), uid)
            _discard(self._by_key, key, uid)
        self._with_affinity.discard(uid)
        self._with_required_anti.discard(uid)
        self._with_scoring_terms.discard(uid)
        where = self._where_removed
        for term in held.required_anti_affinity:
            self._bump(self._anti_terms, term, where, -1)
        for key in list(self._counts):
            if _counts_pod(key, held):
                self._bump(self._counts, key, where, -1)

    # -- reads ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._pods)

    def __contains__(self, uid: object) -> bool:
        return uid in self._pods and self._alive(uid)  # type: ignore[arg-type]

    def row(self, uid: str) -> int:
        return self._where[uid][0]

    def with_affinity(self) -> list[tuple[PodInfo, int]]:
        """Pods with any pod (anti-)affinity term, with their rows."""
        return self._resolve(self._with_affinity)

    def with_required_anti_affinity(self) -> list[tuple[PodInfo, int]]:
        return self._resolve(self._with_required_anti)

    def required_anti_affinity_terms(self) -> list[tuple[Any, np.ndarray]]:
        """Each distinct required anti-affinity term of placed pods, with how many pods hold
        it on each row."""
        if not self.indexed:  # the ablation: every pod's every term, every time
            per_term: dict[Any, np.ndarray] = {}
            for pod, row in self.with_required_anti_affinity():
                for term in pod.required_anti_affinity:
                    counts = per_term.setdefault(term, np.zeros(self._rows(), dtype=np.int64))
                    counts[row] += 1
            return list(per_term.items())
        return list(self._anti_terms.items())

    def with_scoring_terms(self) -> list[tuple[PodInfo, int]]:
        """Pods whose terms count when another pod is scored (required affinity, preferred
        affinity or anti-affinity); pods with only required anti-affinity are not among them."""
        return self._resolve(self._with_scoring_terms)

    def row_counts(self, selector: LabelSelector, namespaces: frozenset[str] | None, *,
                   live: bool = False) -> np.ndarray:
        """Placed pods matching ``selector`` in ``namespaces`` (None: any), per row; with
        ``live``, pods being deleted do not count. The first ask costs one :meth:`matching`; the
        array is then kept up to date as pods come and go, so later asks cost nothing (a few
        dozen distinct selectors are kept). A pod that starts terminating is indexed again (the
        node table's confirmation refuses the swap), so ``live`` counts follow it."""
        key = (selector, namespaces, live)
        if not self.indexed:  # the ablation: every pod tested, every time
            counts = np.zeros(self._rows(), dtype=np.int64)
            for pod, row in self.matching(selector, namespaces):
                if not (live and pod.deleting):
                    counts[row] += 1
            return counts
        counts = self._counts.get(key)
        if counts is None:
            if len(self._counts) >= _MAX_COUNTED:
                self._counts.clear()
            counts = self._counts[key] = np.zeros(self._rows(), dtype=np.int64)
            for pod, row in self.matching(selector, namespaces):
                if not (live and pod.deleting):
                    self._bump(self._counts, key, row, 1)
            counts = self._counts[key]
        return counts

    def _rows(self) -> int:
        return len(self._table.present) if self._table is not None else 0

    def _bump(self, arrays: dict[Any, np.ndarray], key: Any, row: int, amount: int) -> None:
        counts = arrays.get(key)
        if counts is None:
            counts = arrays[key] = np.zeros(max(self._rows(), row + 1), dtype=np.int64)
        elif row >= len(counts):
            grown = np.zeros(max(self._rows(), row + 1), dtype=np.int64)
            grown[:len(counts)] = counts
            counts = arrays[key] = grown
        counts[row] += amount
        if amount < 0 and arrays is self._anti_terms and not counts.any():
            del arrays[key]

    def matching(self, selector: LabelSelector, namespaces: Collection[str] | None = None, *,
                 namespace_selector: LabelSelector = NOTHING,
                 namespace_labels: Callable[[str], Mapping[str, str]] = _NO_LABELS) -> list[tuple[PodInfo, int]]:
        """Pods whose labels match ``selector`` and whose namespace is in ``namespaces`` (None:
        any) or has labels (``namespace_labels``) matching ``namespace_selector``, with rows."""
        if selector.nothing:
            return []
        allowed: set[str] | None = None  # None: any namespace
        if namespaces is not None and not namespace_selector.empty:
            allowed = set(namespaces)
            if not namespace_selector.nothing:
                allowed.update(ns for ns in self._by_namespace if namespace_selector.matches(namespace_labels(ns)))
        options: list[tuple[int, list[set[str]]]] = []
        if allowed is not None:
            sets = [self._by_namespace[ns] for ns in allowed if ns in self._by_namespace]
            options.append((sum(map(len, sets)), sets))
        for pair in selector.match_labels:
            found = self._by_label.get(pair)
            options.append((len(found) if found else 0, [found] if found else []))
        for requirement in selector.expressions:
            if requirement.operator == IN:
                sets = [s for v in requirement.values if (s := self._by_label.get((requirement.key, v)))]
            elif requirement.operator == "Exists":
                found = self._by_key.get(requirement.key)
                sets = [found] if found else []
            else:
                continue
            options.append((sum(map(len, sets)), sets))
        candidates: Iterable[str]
        if options and self.indexed:
            size, sets = min(options, key=lambda option: option[0])
            candidates = list(chain.from_iterable(sets)) if size else []
        else:
            candidates = list(self._pods)
        self.last_candidates = len(candidates)
        out = []
        pods = self._pods
        for uid in candidates:
            pod = pods.get(uid)
            if pod is None or (allowed is not None and pod.namespace not in allowed):
                continue
            if selector.matches(pod.labels) and self._alive(uid):
                out.append((pod, self._where[uid][0]))
        return out

    # -- internals -----------------------------------------------------------------------------

    def _resolve(self, uids: set[str]) -> list[tuple[PodInfo, int]]:
        return [(self._pods[uid], self._where[uid][0]) for uid in list(uids) if self._alive(uid)]

    def _alive(self, uid: str) -> bool:
        """Whether the pod still sits on its row; drops it if its node went away."""
        if self._table is None:
            return True
        row, node = self._where[uid]
        infos = self._table.infos
        if row < len(infos) and infos[row] is node:
            return True
        self.remove(self._pods[uid])
        return False

    def pods(self) -> Iterator[tuple[PodInfo, int]]:
        """Every live pod with its row (a full scan: for tests and diagnostics)."""
        yield from self._resolve(set(self._pods))


def _counts_pod(key: tuple[Any, Any, bool], pod: PodInfo) -> bool:
    """Whether ``pod`` counts in the kept counts under ``key`` (selector, namespaces, live)."""
    selector, namespaces, live = key
    return ((namespaces is None or pod.namespace in namespaces) and not (live and pod.deleting)
            and selector.matches(pod.labels))


#: Selectors whose per-row counts are kept at most (all are dropped when more are asked for).
_MAX_COUNTED = 64


def _discard(index: dict[Any, set[str]], key: Any, uid: str) -> None:
    held = index.get(key)
    if held is not None:
        held.discard(uid)
        if not held:
            del index[key]
