"""The pod index (myriad.scheduler.podindex) and label selectors (myriad.scheduler.selectors):
apimachinery's LabelSelectorAsSelector semantics (nil matches nothing, {} everything), queries
that start from the smallest candidate set, maintenance by NodeTable.add_pod/remove_pod and
removed nodes, and a randomised comparison with a scan of every pod."""

from __future__ import annotations

import itertools
import random

import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.podindex import PodIndex
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.selectors import EVERYTHING, NOTHING, parse_selector
from myriad.scheduler.types import PodInfo

_uid = itertools.count()


def _pod(labels: dict | None = None, ns: str = "default", affinity: dict | None = None) -> PodInfo:
    n = next(_uid)
    return pod_info({"metadata": {"namespace": ns, "name": f"p{n}", "uid": f"u{n}", "labels": labels or {}},
                     "spec": {"affinity": affinity} if affinity else {}})


def _expr(key: str, op: str, *values: str) -> dict:
    return {"key": key, "operator": op, "values": list(values)}


SELECTOR_CASES = [
    # (selector object, labels, matches) -- metav1.LabelSelectorAsSelector + labels.Selector.Matches
    (None, {"a": "1"}, False),                                    # nil: labels.Nothing()
    (None, {}, False),
    ({}, {}, True),                                               # {}: labels.Everything()
    ({"matchLabels": {}, "matchExpressions": []}, {"x": "y"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchLabels": {"a": ""}}, {}, False),                       # Equals needs the key present
    ({"matchLabels": {"a": ""}}, {"a": ""}, True),
    ({"matchExpressions": [_expr("a", "In", "1", "2")]}, {"a": "2"}, True),
    ({"matchExpressions": [_expr("a", "In", "1", "2")]}, {}, False),
    ({"matchExpressions": [_expr("a", "NotIn", "1")]}, {}, True),  # NotIn matches a missing key
    ({"matchExpressions": [_expr("a", "NotIn", "1")]}, {"a": "1"}, False),
    ({"matchExpressions": [_expr("a", "Exists")]}, {"a": ""}, True),
    ({"matchExpressions": [_expr("a", "DoesNotExist")]}, {"a": ""}, False),
    ({"matchExpressions": [_expr("a", "DoesNotExist")]}, {"b": "1"}, True),
    ({"matchLabels": {"a": "1"}, "matchExpressions": [_expr("b", "Exists")]}, {"a": "1"}, False),  # ANDed
    # requirements upstream refuses to parse: the selector matches nothing
    ({"matchExpressions": [_expr("a", "In")]}, {"a": "1"}, False),
    ({"matchExpressions": [_expr("a", "Exists", "1")]}, {"a": "1"}, False),
    ({"matchExpressions": [_expr("a", "Gt", "1")]}, {"a": "2"}, False),
]


@pytest.mark.parametrize(("selector", "labels", "expected"), SELECTOR_CASES)
def test_selector(selector, labels, expected):
    assert parse_selector(selector).matches(labels) is expected


def test_selector_empty_and_merge():
    assert parse_selector({}).empty and parse_selector({}) == EVERYTHING
    assert parse_selector(None) == NOTHING and not NOTHING.empty
    # mergeLabelSetWithSelector: {} + matchLabelKeys values is no longer empty; nil stays nil
    merged = EVERYTHING.with_labels({"rev": "1"})
    assert not merged.empty and merged.matches({"rev": "1"}) and not merged.matches({"rev": "2"})
    assert NOTHING.with_labels({"rev": "1"}) is NOTHING


def test_affinity_term_namespaces():
    """Upstream getNamespacesFromPodAffinityTerm: no namespaces and no namespaceSelector means the
    owner's namespace; either given means exactly those."""
    own = _pod({}, "ns1", {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {}, "topologyKey": "zone"},
        {"labelSelector": {}, "topologyKey": "zone", "namespaces": ["ns2"]},
        {"labelSelector": {}, "topologyKey": "zone", "namespaceSelector": {}},
    ]}})
    first, second, third = own.required_affinity
    assert first.namespaces == {"ns1"} and first.namespace_selector == NOTHING
    assert second.namespaces == {"ns2"}
    assert third.namespaces == frozenset() and third.namespace_selector.empty
    assert third.matches("anything", {}, {})


def test_match_label_keys_merged():
    """matchLabelKeys / mismatchLabelKeys: the owner's values ANDed in as In / NotIn (what
    kube-apiserver does at pod creation); not for a nil labelSelector."""
    required = "requiredDuringSchedulingIgnoredDuringExecution"
    own = _pod({"rev": "7", "app": "x"}, affinity={"podAntiAffinity": {required: [
        {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "zone", "matchLabelKeys": ["rev"],
         "mismatchLabelKeys": ["app"]},
        {"labelSelector": None, "topologyKey": "zone", "matchLabelKeys": ["rev"]},
    ]}})
    term, nil = own.required_anti_affinity
    assert not term.selector.matches({"app": "x", "rev": "7"})  # app NotIn (x) contradicts app=x
    assert nil.selector == NOTHING


def _index(pods: list[tuple[PodInfo, int]]) -> PodIndex:
    index = PodIndex()
    for pod, row in pods:
        index.add(pod, row)
    return index


def test_matching_starts_from_the_rarest_pair():
    pods = [(_pod({"tier": "web", "app": f"a{i % 50}"}), i % 7) for i in range(1000)]
    rare = [(_pod({"tier": "web", "app": "rare"}), 3) for _ in range(2)]
    index = _index(pods + rare)
    found = index.matching(parse_selector({"matchLabels": {"tier": "web", "app": "rare"}}))
    assert sorted(p.uid for p, _ in found) == sorted(p.uid for p, _ in rare)
    assert index.last_candidates == 2
    # In over two values: the union of both sets (20 + 2), smaller than tier=web (1002)
    found = index.matching(parse_selector({"matchExpressions": [_expr("app", "In", "a1", "rare")]}))
    assert len(found) == 22 and index.last_candidates == 22
    # a namespace restriction is a candidate set too
    other = [(_pod({"tier": "web"}, "small"), 1) for _ in range(3)]
    for pod, row in other:
        index.add(pod, row)
    assert len(index.matching(parse_selector({"matchLabels": {"tier": "web"}}), ("small",))) == 3
    assert index.last_candidates == 3
    # a pair no pod has: nothing visited
    assert index.matching(parse_selector({"matchLabels": {"tier": "db"}})) == [] and index.last_candidates == 0
    # only negative requirements: every pod is a candidate
    assert len(index.matching(parse_selector({"matchExpressions": [_expr("app", "NotIn", "a1")]}))) == 985
    assert index.last_candidates == len(index)
    assert index.matching(NOTHING) == []


def test_namespace_selector():
    labels = {"ns1": {"team": "a"}, "ns2": {"team": "b"}, "ns3": {"team": "a"}}
    index = _index([(_pod({"app": "x"}, ns), 0) for ns in ("ns1", "ns2", "ns3", "ns4")])
    team_a = parse_selector({"matchLabels": {"team": "a"}})
    found = index.matching(parse_selector({}), ("ns4",), namespace_selector=team_a,
                           namespace_labels=lambda ns: labels.get(ns, {}))
    assert sorted(p.namespace for p, _ in found) == ["ns1", "ns3", "ns4"]
    # {} namespaceSelector: every namespace
    assert len(index.matching(parse_selector({}), (), namespace_selector=EVERYTHING)) == 4
    # no namespaces and a nil selector: none
    assert index.matching(parse_selector({}), ()) == []


def test_affinity_sets_and_table_maintenance():
    table = NodeTable()
    for name in ("n1", "n2"):
        table.set_node({"metadata": {"name": name, "labels": {"zone": name}}})
    anti = _pod({"app": "x"}, affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {}, "topologyKey": "zone"}]}})
    preferred = _pod({"app": "y"}, affinity={"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 1, "podAffinityTerm": {"labelSelector": {}, "topologyKey": "zone"}}]}})
    plain = _pod({"app": "x"})
    table.add_pod(anti, "n1")
    table.add_pod(preferred, "n2")
    table.add_pod(plain, "n2")
    assert {p.uid for p, _ in table.pods.with_affinity()} == {anti.uid, preferred.uid}
    assert [(p.uid, row) for p, row in table.pods.with_required_anti_affinity()] == [(anti.uid, table.index["n1"])]
    selector = parse_selector({"matchLabels": {"app": "x"}})
    assert {p.uid for p, _ in table.pods.matching(selector)} == {anti.uid, plain.uid}
    table.remove_pod(plain, "n2")
    assert [p.uid for p, _ in table.pods.matching(selector)] == [anti.uid]
    # a relabelled version of the same pod replaces the old entry
    table.add_pod(pod_info({**anti.pod, "metadata": {**anti.pod["metadata"], "labels": {"app": "z"}}}), "n1")
    assert table.pods.matching(selector) == [] and len(table.pods) == 2
    # removing a node forgets its pods, even when its row is reused by a new node
    table.remove_node("n1")
    assert table.pods.with_required_anti_affinity() == []
    table.set_node({"metadata": {"name": "n3", "labels": {"zone": "n3"}}})
    assert table.index["n3"] == 0 and table.pods.matching(parse_selector({})) == [
        (preferred, table.index["n2"])]
    # remove_pod for a pod indexed on another row leaves that entry alone
    table.add_pod(plain, "n3")
    table.remove_pod(plain, "n2")
    assert plain.uid in table.pods


@pytest.mark.parametrize("seed", range(40))
def test_matching_against_a_scan(seed):
    rng = random.Random(seed)
    namespaces = ["a", "b", "c"]
    pods = [(_pod({k: rng.choice("xyz") for k in ("k1", "k2", "k3") if rng.random() < 0.6}, rng.choice(namespaces)),
             rng.randrange(5)) for _ in range(rng.randint(0, 60))]
    index = _index(pods)
    removed = set()
    for pod, _ in rng.sample(pods, len(pods) // 4):
        index.remove(pod)
        removed.add(pod.uid)
    for _ in range(20):
        exprs = []
        for _ in range(rng.randint(0, 3)):
            op = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
            exprs.append(_expr(rng.choice(["k1", "k2", "k3"]), op,
                               *(rng.sample("xyz", rng.randint(1, 2)) if op in ("In", "NotIn") else ())))
        raw = rng.choice([None, {}, {"matchLabels": {rng.choice(["k1", "k2"]): rng.choice("xyz")},
                                     "matchExpressions": exprs}, {"matchExpressions": exprs}])
        selector = parse_selector(raw)
        allowed = rng.choice([None, tuple(rng.sample(namespaces, rng.randint(0, 2)))])
        want = sorted((p.uid, row) for p, row in pods if p.uid not in removed and selector.matches(p.labels)
                      and (allowed is None or p.namespace in allowed))
        assert sorted((p.uid, row) for p, row in index.matching(selector, allowed)) == want


def test_kept_counts_equal_a_full_scan_as_pods_come_and_go() -> None:
    """The per-selector counts kept between queries, and the anti-affinity terms grouped by
    term, answer as the ablation's scan of every pod does."""
    rng = random.Random(7)
    table = NodeTable()
    for i in range(30):
        table.set_node({"metadata": {"name": f"n{i}", "labels": {"zone": f"z{i % 3}"}}})
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "a"}}, "topologyKey": "zone"}]}}
    selector = parse_selector({"matchLabels": {"app": "a"}})
    placed: list[tuple[PodInfo, str]] = []
    table.pods.row_counts(selector, None)  # start keeping counts before any pod
    for step in range(300):
        if placed and rng.random() < 0.3:
            pod, node = placed.pop(rng.randrange(len(placed)))
            table.remove_pod(pod, node)
        else:
            pod = _pod({"app": rng.choice("ab")}, ns=rng.choice(("x", "y")),
                       affinity=anti if rng.random() < 0.5 else None)
            node = f"n{rng.randrange(30)}"
            table.add_pod(pod, node)
            placed.append((pod, node))
        if step % 50 == 49:
            table.remove_node(f"n{step % 30}")
            placed = [(p, n) for p, n in placed if n != f"n{step % 30}"]
            table.set_node({"metadata": {"name": f"n{step % 30}", "labels": {"zone": "z0"}}})
        kept = table.pods.row_counts(selector, None).copy()
        terms = {t: c.copy() for t, c in table.pods.required_anti_affinity_terms()}
        table.pods.indexed = False
        scanned = table.pods.row_counts(selector, None)
        scanned_terms = dict(table.pods.required_anti_affinity_terms())
        table.pods.indexed = True
        assert list(kept[:len(scanned)]) == list(scanned[:len(kept)]), step
        assert set(terms) == set(scanned_terms) and all(
            list(terms[t][:30]) == list(scanned_terms[t][:30]) for t in terms), step


def test_live_counts_drop_a_pod_once_it_is_terminating() -> None:
    """PodTopologySpread does not count terminating pods; the kept live counts follow a pod
    that starts terminating, since the table refuses to swap it in place."""
    table = NodeTable()
    table.set_node({"metadata": {"name": "n0"}})
    selector = parse_selector({"matchLabels": {"app": "a"}})
    running = pod_info({"metadata": {"namespace": "x", "name": "p", "uid": "u", "labels": {"app": "a"}}, "spec": {}})
    table.add_pod(running, "n0")
    assert table.pods.row_counts(selector, frozenset({"x"}), live=True)[0] == 1
    leaving = pod_info({"metadata": {"namespace": "x", "name": "p", "uid": "u", "labels": {"app": "a"},
                                     "deletionTimestamp": "2026-12-03T00:00:00Z"}, "spec": {}})
    assert not table.confirm_pod(leaving, "n0")
    table.add_pod(leaving, "n0")
    assert table.pods.row_counts(selector, frozenset({"x"}), live=True)[0] == 0
    assert table.pods.row_counts(selector, frozenset({"x"}))[0] == 1
