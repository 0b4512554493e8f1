"""NodeAffinity (upstream nodeaffinity/node_affinity.go, matching from component-helpers
scheduling/corev1/nodeaffinity): PreFilter skip and metadata.name narrowing, the vectorised
Filter (checked case by case and against the scalar myriad.api.nodeaffinity matcher on random
clusters), PreScore skip, Score as the sum of matching preferred weights, and NormalizeScore."""

from __future__ import annotations

import random

import numpy as np
import pytest

from myriad.api.nodeaffinity import required_affinity_matches
from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.nodeaffinity import NodeAffinity
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import SKIP, Code, CycleState, PreFilterResult, Reason

POD = Reason("node(s) didn't match Pod's node affinity/selector", Code.UNRESOLVABLE)
ENFORCED = Reason("node(s) didn't match scheduler-enforced node affinity", Code.UNRESOLVABLE)
CONFLICT = Reason("pod affinity terms conflict", Code.UNRESOLVABLE)
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"

NODES = {
    "n1": {"zone": "a", "disk": "ssd", "cores": "8"},
    "n2": {"zone": "b", "disk": "hdd", "cores": "2"},
    "n3": {"zone": "a", "cores": "many"},
    "n4": {},
}
ORDER = list(NODES)


def _table(nodes: dict[str, dict[str, str]] = NODES) -> NodeTable:
    table = NodeTable()
    for name, labels in nodes.items():
        table.set_node({"metadata": {"name": name, "labels": labels}})
    return table


def _pod(spec: dict):
    return pod_info({"metadata": {"namespace": "default", "name": "p", "uid": "u"},
                     "spec": {"containers": [{"name": "c"}], **spec}})


def _expr(key: str, operator: str, *values: str) -> dict:
    return {"key": key, "operator": operator, "values": list(values)}


def _required(*terms: dict | None) -> dict:
    return {"affinity": {"nodeAffinity": {REQUIRED: {"nodeSelectorTerms": list(terms)}}}}


def _preferred(*weighted: tuple[int, dict | None]) -> dict:
    return {"affinity": {"nodeAffinity": {PREFERRED: [{"weight": w, "preference": p} for w, p in weighted]}}}


def _rows(table: NodeTable, names: list[str] = ORDER) -> np.ndarray:
    return np.array([table.index[n] for n in names])


def _failing(*names: str, bit: int = 2) -> list[int]:
    return [bit if n in names else 0 for n in ORDER]


def _name_in(*names: str) -> dict:
    return {"matchFields": [_expr("metadata.name", "In", *names)]}


# -- PreFilter --------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    # Skip: no nodeSelector, no required affinity, no added affinity.
    ({}, SKIP),
    ({"affinity": {"nodeAffinity": {PREFERRED: []}}}, SKIP),   # preferred terms alone do not filter
    ({"nodeSelector": {}}, SKIP),                                # an empty selector is none (omitempty)
    ({"nodeSelector": {"zone": "a"}}, PreFilterResult()),
    # Required terms without metadata.name: every node is eligible.
    (_required({"matchExpressions": [_expr("zone", "In", "a")]}), PreFilterResult()),
    # Every term names nodes: the union of the names, as rows (names no node has are dropped).
    (_required(_name_in("n2")), PreFilterResult(rows=["n2"])),
    (_required(_name_in("n2"), _name_in("n1", "n9")), PreFilterResult(rows=["n1", "n2"])),
    # Within a term, metadata.name In sets intersect.
    (_required({"matchFields": [_expr("metadata.name", "In", "n1", "n2"),
                                _expr("metadata.name", "In", "n2", "n3")]}), PreFilterResult(rows=["n2"])),
    # A term without a metadata.name In field admits any node (terms are ORed).
    (_required(_name_in("n1"), {"matchExpressions": [_expr("zone", "In", "b")]}), PreFilterResult()),
    (_required(_name_in("n1"), {"matchFields": [_expr("metadata.name", "NotIn", "n1")]}), PreFilterResult()),
    (_required(_name_in("n1"), {}), PreFilterResult()),
    # Names known to no node: an empty rows set (the framework rejects every node).
    (_required(_name_in("n9")), PreFilterResult(rows=[])),
    # Every term's names intersect to nothing: "pod affinity terms conflict".
    (_required({"matchFields": [_expr("metadata.name", "In", "n1"), _expr("metadata.name", "In", "n2")]}),
     PreFilterResult(rejection=CONFLICT)),
    (_required({"matchFields": [_expr("metadata.name", "In")]}), PreFilterResult(rejection=CONFLICT)),
    # Zero terms: no narrowing (Filter then matches nothing).
    (_required(), PreFilterResult()),
])
def test_pre_filter(spec: dict, expected: PreFilterResult) -> None:
    table = _table()
    result = NodeAffinity().pre_filter(CycleState(), _pod(spec), table)
    assert (result.skip, result.rejection) == (expected.skip, expected.rejection)
    if expected.rows is None:
        assert result.rows is None
    else:
        assert result.rows is not None
        assert sorted(result.rows.tolist()) == sorted(table.index[n] for n in expected.rows)


def test_pre_filter_added_required_affinity_prevents_skip() -> None:
    plugin = NodeAffinity(added_affinity={REQUIRED: {"nodeSelectorTerms": [
        {"matchExpressions": [_expr("zone", "Exists")]}]}})
    assert plugin.pre_filter(CycleState(), _pod({}), _table()) == PreFilterResult()
    only_preferred = NodeAffinity(added_affinity={PREFERRED: [{"weight": 1, "preference": {}}]})
    assert only_preferred.pre_filter(CycleState(), _pod({}), _table()) == SKIP


# -- Filter -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    ({}, _failing()),                                                  # nothing required: every node fits
    ({"nodeSelector": {"zone": "a"}}, _failing("n2", "n4")),           # SelectorFromSet: key with that value
    ({"nodeSelector": {"zone": "a", "disk": "ssd"}}, _failing("n2", "n3", "n4")),  # every pair must hold
    ({"nodeSelector": {"gpu": "yes"}}, _failing(*ORDER)),              # a key no node has
    ({"nodeSelector": {"zone": "c"}}, _failing(*ORDER)),               # a value no node has
    (_required({"matchExpressions": [_expr("zone", "In", "a", "b")]}), _failing("n4")),  # In: present, in set
    (_required({"matchExpressions": [_expr("zone", "NotIn", "a")]}), _failing("n1", "n3")),  # absent passes NotIn
    (_required({"matchExpressions": [_expr("gpu", "NotIn", "x")]}), _failing()),
    # Exists / DoesNotExist look only at the key, including a key no node has.
    (_required({"matchExpressions": [_expr("disk", "Exists")]}), _failing("n3", "n4")),
    (_required({"matchExpressions": [_expr("disk", "DoesNotExist")]}), _failing("n1", "n2")),
    (_required({"matchExpressions": [_expr("gpu", "Exists")]}), _failing(*ORDER)),
    (_required({"matchExpressions": [_expr("gpu", "DoesNotExist")]}), _failing()),
    # Gt/Lt: integer comparison; a non-integer label ("many") or a missing one never matches.
    (_required({"matchExpressions": [_expr("cores", "Gt", "4")]}), _failing("n2", "n3", "n4")),
    (_required({"matchExpressions": [_expr("cores", "Lt", "4")]}), _failing("n1", "n3", "n4")),
    (_required({"matchExpressions": [_expr("cores", "Gt", "8")]}), _failing(*ORDER)),   # strict
    (_required({"matchExpressions": [_expr("cores", "Gt", "-1")]}), _failing("n3", "n4")),
    (_required({"matchExpressions": [_expr("cores", "Gt", "x")]}), _failing(*ORDER)),  # bound not an int
    (_required({"matchExpressions": [_expr("cores", "Gt", "1", "2")]}), _failing(*ORDER)),  # needs one value
    (_required({"matchExpressions": [_expr("zone", "Near", "a")]}), _failing(*ORDER)),  # unknown operator
    (_required({"matchExpressions": [_expr("zone", "In")]}), _failing(*ORDER)),         # In without values
    # Terms are ORed; requirements within a term are ANDed.
    (_required({"matchExpressions": [_expr("zone", "In", "b")]}, {"matchExpressions": [_expr("disk", "In", "ssd")]}),
     _failing("n3", "n4")),
    (_required({"matchExpressions": [_expr("zone", "In", "a"), _expr("disk", "In", "ssd")]}),
     _failing("n2", "n3", "n4")),
    # An empty or null term matches nothing; zero terms match nothing.
    (_required({}), _failing(*ORDER)),
    (_required(None), _failing(*ORDER)),
    (_required(), _failing(*ORDER)),
    (_required({}, {"matchExpressions": [_expr("zone", "In", "b")]}), _failing("n1", "n3", "n4")),
    # matchFields on metadata.name.
    (_required(_name_in("n1", "n3")), _failing("n2", "n4")),
    (_required({"matchFields": [_expr("metadata.name", "NotIn", "n1")]}), _failing("n1")),
    (_required({"matchFields": [_expr("metadata.name", "In", "n1")],
                "matchExpressions": [_expr("zone", "In", "b")]}), _failing(*ORDER)),  # fields AND expressions
    (_required({"matchFields": [_expr("metadata.uid", "In", "n1")]}), _failing(*ORDER)),  # only metadata.name
    # nodeSelector AND required terms.
    ({"nodeSelector": {"zone": "b"}, **_required({"matchExpressions": [_expr("zone", "In", "a")]})},
     _failing(*ORDER)),
    ({"nodeSelector": {"zone": "a"}, **_required({"matchExpressions": [_expr("cores", "Gt", "1")]})},
     _failing("n2", "n3", "n4")),
])
def test_filter(spec: dict, expected: list[int]) -> None:
    table = _table()
    verdict = NodeAffinity().filter(CycleState(), _pod(spec), table, _rows(table))
    assert verdict.failed.dtype == np.uint32
    assert verdict.failed.tolist() == expected
    assert verdict.reasons == (ENFORCED, POD)


def test_filter_added_affinity_comes_first() -> None:
    # Upstream checks the scheduler-enforced affinity before the pod's: a node failing both
    # reports only "didn't match scheduler-enforced node affinity".
    table = _table()
    plugin = NodeAffinity(added_affinity={REQUIRED: {"nodeSelectorTerms": [
        {"matchExpressions": [_expr("zone", "In", "a")]}]}})
    spec = _required({"matchExpressions": [_expr("disk", "Exists")]})
    verdict = plugin.filter(CycleState(), _pod(spec), table, _rows(table))
    assert verdict.failed.tolist() == [0, 1, 2, 1]
    assert [verdict.reasons[b.bit_length() - 1] for b in verdict.failed.tolist() if b] == [ENFORCED, POD, ENFORCED]
    # With no pod constraints the added affinity alone decides.
    assert plugin.filter(CycleState(), _pod({}), table, _rows(table)).failed.tolist() == [0, 1, 0, 1]


def test_filter_rows_subset_and_label_updates() -> None:
    table = _table()
    plugin, pod = NodeAffinity(), _pod({"nodeSelector": {"disk": "ssd"}})
    rows = _rows(table, ["n4", "n1"])
    assert plugin.filter(CycleState(), pod, table, rows).failed.tolist() == [2, 0]
    table.set_node({"metadata": {"name": "n1", "labels": {"disk": "hdd"}}})
    table.set_node({"metadata": {"name": "n4", "labels": {"disk": "ssd"}}})
    assert plugin.filter(CycleState(), pod, table, rows).failed.tolist() == [0, 2]


# -- PreScore, Score, NormalizeScore ----------------------------------------------------------

@pytest.mark.parametrize(("spec", "added", "scores", "normalized"), [
    # Sum of the weights of matching preferred terms; normalized 100*s/max, truncated.
    (_preferred((3, {"matchExpressions": [_expr("zone", "In", "a")]}),
                (5, {"matchExpressions": [_expr("disk", "Exists")]})), None, [8, 5, 3, 0], [100, 62, 37, 0]),
    # A weight-0 term and an empty preference count for nothing.
    (_preferred((0, {"matchExpressions": [_expr("zone", "In", "a")]}), (7, {}), (9, None),
                (2, {"matchExpressions": [_expr("cores", "Lt", "5")]})), None, [0, 2, 0, 0], [0, 100, 0, 0]),
    # matchFields work in preferences too.
    (_preferred((4, _name_in("n3"))), None, [0, 0, 4, 0], [0, 0, 100, 0]),
    # Nothing matches: max 0, scores stay 0.
    (_preferred((10, {"matchExpressions": [_expr("gpu", "Exists")]})), None, [0, 0, 0, 0], [0, 0, 0, 0]),
    # The added preferred terms add to the pod's.
    (_preferred((1, {"matchExpressions": [_expr("zone", "In", "b")]})),
     {PREFERRED: [{"weight": 6, "preference": {"matchExpressions": [_expr("zone", "In", "b", "a")]}}]},
     [6, 7, 6, 0], [85, 100, 85, 0]),
    # The added preferred terms alone still score (PreScore does not skip).
    ({}, {PREFERRED: [{"weight": 6, "preference": {"matchExpressions": [_expr("disk", "In", "hdd")]}}]},
     [0, 6, 0, 0], [0, 100, 0, 0]),
])
def test_score(spec: dict, added: dict | None, scores: list[int], normalized: list[int]) -> None:
    table = _table()
    plugin, state, pod, rows = NodeAffinity(added_affinity=added), CycleState(), _pod(spec), _rows(table)
    assert plugin.pre_score(state, pod, table, rows) is True
    raw = plugin.score(state, pod, table, rows)
    assert raw.dtype == np.int64
    assert raw.tolist() == scores
    assert plugin.normalize(state, pod, raw).tolist() == normalized


@pytest.mark.parametrize(("spec", "added"), [
    ({}, None),                                                        # no preferred terms anywhere
    ({"affinity": {"nodeAffinity": {PREFERRED: []}}}, None),
    (_required({"matchExpressions": [_expr("zone", "In", "a")]}), None),  # required terms do not score
    ({}, {REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [_expr("zone", "In", "a")]}]}}),
])
def test_pre_score_skips(spec: dict, added: dict | None) -> None:
    table = _table()
    assert NodeAffinity(added_affinity=added).pre_score(CycleState(), _pod(spec), table, _rows(table)) is False


# -- the vectorised filter against the scalar matcher -------------------------------------------

_KEYS = ["zone", "disk", "cores", "gpu", "rack"]
_VALUES = ["a", "b", "c", "0", "1", "7", "12", "-3", "x1", ""]
_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt", "Bogus"]


def _random_requirement(rng: random.Random, names: list[str], *, field: bool) -> dict:
    op = rng.choice(_OPERATORS)
    if field:
        key = rng.choice(["metadata.name"] * 4 + ["metadata.namespace"])
        pool = [*names, "ghost"]
    else:
        key, pool = rng.choice(_KEYS), _VALUES
    count = rng.choice([0, 1, 1, 1, 2, 3]) if op not in ("Exists", "DoesNotExist") else rng.choice([0, 0, 1])
    return {"key": key, "operator": op, "values": rng.sample(pool, min(count, len(pool)))}


def _random_term(rng: random.Random, names: list[str]) -> dict | None:
    if rng.random() < 0.05:
        return rng.choice([None, {}])
    term: dict = {}
    if rng.random() < 0.85:
        term["matchExpressions"] = [_random_requirement(rng, names, field=False) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        term["matchFields"] = [_random_requirement(rng, names, field=True) for _ in range(rng.randint(1, 2))]
    return term


def _random_spec(rng: random.Random, names: list[str]) -> dict:
    spec: dict = {}
    if rng.random() < 0.4:
        spec["nodeSelector"] = {k: rng.choice(_VALUES) for k in rng.sample(_KEYS, rng.randint(1, 2))}
    shape = rng.random()
    if shape < 0.8:
        spec.update(_required(*(_random_term(rng, names) for _ in range(rng.randint(1, 3)))))
    elif shape < 0.85:
        spec["affinity"] = {"nodeAffinity": {REQUIRED: {}}}
    elif shape < 0.9:
        spec.update(_required())
    return spec


def _random_labels(rng: random.Random) -> dict[str, str]:
    return {k: rng.choice(_VALUES) for k in _KEYS if rng.random() < 0.6}


@pytest.mark.parametrize("seed", range(40))
def test_filter_agrees_with_scalar_matcher(seed: int) -> None:
    rng = random.Random(seed)
    table, labels = NodeTable(), {}
    for i in range(rng.randint(1, 30)):
        labels[f"node-{i}"] = _random_labels(rng)
        table.set_node({"metadata": {"name": f"node-{i}", "labels": labels[f"node-{i}"]}})
    for name in rng.sample(sorted(labels), len(labels) // 4):  # churn: removals, row reuse, relabels
        table.remove_node(name)
        del labels[name]
    for i in range(rng.randint(0, 5)):
        name = rng.choice([f"late-{i}", *labels])
        labels[name] = _random_labels(rng)
        table.set_node({"metadata": {"name": name, "labels": labels[name]}})
    names = sorted(labels)
    rows = np.array([table.index[n] for n in names], dtype=np.intp)
    rng.shuffle(rows)
    plugin = NodeAffinity()
    for _ in range(60):
        spec = _random_spec(rng, names)
        verdict = plugin.filter(CycleState(), _pod(spec), table, rows)
        expected = [0 if required_affinity_matches(spec, name=table.names[r], labels=labels[table.names[r]]) else 2
                    for r in rows.tolist()]
        assert verdict.failed.tolist() == expected, spec
        weighted = [(rng.randint(0, 5), _random_term(rng, names)) for _ in range(rng.randint(1, 3))]
        scores = plugin.score(CycleState(), _pod(_preferred(*weighted)), table, rows)
        expected_scores = [sum(w for w, term in weighted
                               if required_affinity_matches(_required(term), name=table.names[r],
                                                            labels=labels[table.names[r]]))
                           for r in rows.tolist()]
        assert scores.tolist() == expected_scores, weighted
