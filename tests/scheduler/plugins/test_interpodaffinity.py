"""InterPodAffinity (upstream interpodaffinity/{filtering,scoring}.go): Filter reasons and codes
case by case (the cases of upstream's filtering_test.go, re-stated), Score/NormalizeScore on
upstream's scoring_test.go tables (expected scores from the formulas), PreFilter/PreScore skips,
and a randomised comparison with a slow per-node reading of upstream written below."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.interpodaffinity import InterPodAffinity
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import Code, CycleState, Handle, PodInfo

REQ, PREF = "requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution"
AFF_RULES = "node(s) didn't match pod affinity rules"
ANTI_RULES = "node(s) didn't match pod anti-affinity rules"
EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules"
NAMESPACES = {"subteam1.team1": {"team": "team1"}, "subteam2.team1": {"team": "team1"},
              "subteam1.team2": {"team": "team2"}, "subteam2.team2": {"team": "team2"}}
HANDLE = Handle(namespace_labels=lambda name: NAMESPACES.get(name, {}), namespaces=lambda: NAMESPACES.items())
_uid = itertools.count()


def _pod(labels: dict | None = None, affinity: dict | None = None, ns: str = "") -> PodInfo:
    n = next(_uid)
    spec = {"affinity": affinity} if affinity else {}
    return pod_info({"metadata": {"namespace": ns, "name": f"p{n}", "uid": f"u{n}", "labels": labels or {}},
                     "spec": spec})


def _table(nodes: list[tuple[str, dict]], pods: list[tuple[str, PodInfo]] = ()) -> NodeTable:
    table = NodeTable()
    for name, labels in nodes:
        table.set_node({"metadata": {"name": name, "labels": labels}})
    for node, pod in pods:
        assert table.add_pod(pod, node)
    return table


def _sel(key: str, op: str, *values: str) -> dict:
    return {"matchExpressions": [{"key": key, "operator": op, "values": list(values)}]}


def _term(selector: dict | None, key: str, **extra) -> dict:
    return {"labelSelector": selector, "topologyKey": key, **extra}


def _aff(kind: str = "podAffinity", required=(), preferred=()) -> dict:
    return {kind: {REQ: list(required), PREF: [{"weight": w, "podAffinityTerm": t} for w, t in preferred]}}


def _filter(pod: PodInfo, table: NodeTable, plugin: InterPodAffinity | None = None) -> list[str | None]:
    plugin = plugin or InterPodAffinity(handle=HANDLE)
    state, rows = CycleState(), table.live_rows()
    if plugin.pre_filter(state, pod, table).skip:
        return [None] * len(rows)
    verdict = plugin.filter(state, pod, table, rows)
    out = []
    for bits in verdict.failed.tolist():
        reasons = [r for i, r in enumerate(verdict.reasons) if bits & (1 << i)]
        assert len(reasons) <= 1
        out.append(reasons[0].text if reasons else None)
    return out


def _scores(pod: PodInfo, table: NodeTable, plugin: InterPodAffinity | None = None) -> list[int] | None:
    plugin = plugin or InterPodAffinity(handle=HANDLE)
    state, rows = CycleState(), table.live_rows()
    if not plugin.pre_score(state, pod, table, rows):
        return None
    return plugin.normalize(state, pod, plugin.score(state, pod, table, rows)).tolist()


# -- Filter ----------------------------------------------------------------------------------------

S1, S2 = {"security": "S1"}, {"security": "S2"}
ZONE1 = {"zone": "z1", "region": "r1", "kubernetes.io/hostname": "n1"}
ZONE2 = {"zone": "z2", "region": "r1", "kubernetes.io/hostname": "n2"}
SELF_AFFINE = _aff(required=[_term({"matchLabels": S1}, "zone")])

FILTER_CASES = [
    # upstream: "A pod that has no required pod affinity scheduling rules can schedule onto a node
    # with no existing pods" -> PreFilter skips, every node passes.
    ("no rules, no pods", _pod(S1), [], [None, None, None]),
    # "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator
    # that matches the existing pod": n1 holds an S1 pod; n2 is another zone.
    ("affinity In matches existing pod",
     _pod(S2, _aff(required=[_term(_sel("security", "In", "S1", "value2"), "zone")])),
     [("n1", _pod(S1))], [None, AFF_RULES, AFF_RULES]),
    # "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in operator"
    ("affinity NotIn matches existing pod", _pod(S1, _aff(required=[_term(_sel("security", "NotIn", "S2"), "region")])),
     [("n1", _pod(S1))], [None, None, AFF_RULES]),
    # "Does not satisfy the PodAffinity with labelSelector because of diff Namespace": the matching pod
    # is in another namespace, and the incoming pod does not match its own term: unresolvable.
    ("affinity other namespace", _pod({}, _aff(required=[_term({"matchLabels": S1}, "zone")]), ns="ns1"),
     [("n1", _pod(S1, ns="ns2"))], [AFF_RULES] * 3),
    # "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod"
    ("affinity unmatching selector", _pod({}, _aff(required=[_term({"matchLabels": S2}, "zone")])),
     [("n1", _pod(S1))], [AFF_RULES] * 3),
    # "The affinity rule is to schedule all of the pods of this collection to the same zone. The
    # first pod of the collection should not be blocked from being scheduled onto any node, even
    # there's no existing pod that matches the rule anywhere."
    ("first pod of a self-affine group", _pod(S1, SELF_AFFINE), [("n1", _pod(S2))], [None, None, AFF_RULES]),
    # no pod at all: every node with the key passes
    ("first pod, empty cluster", _pod(S1, SELF_AFFINE), [], [None, None, AFF_RULES]),
    # once one pod of the group exists, only its zone passes
    ("second pod of a self-affine group", _pod(S1, SELF_AFFINE), [("n1", _pod(S1))], [None, AFF_RULES, AFF_RULES]),
    # a matching pod on a node without the key leaves the counts empty: the first-pod rule applies
    ("matching pod off-topology", _pod(S1, SELF_AFFINE), [("n3", _pod(S1))], [None, None, AFF_RULES]),
    # "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod"
    ("affinity ok, anti-affinity not", _pod(S1, {**_aff(required=[_term({"matchLabels": S1}, "region")]),
                                                  **_aff("podAntiAffinity",
                                                         required=[_term({"matchLabels": S1}, "zone")])}),
     [("n1", _pod(S1))], [ANTI_RULES, None, AFF_RULES]),
    # "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry
    # with the existing pod": the existing pod's required anti-affinity matches the incoming pod.
    ("existing pod's anti-affinity", _pod(S1),
     [("n1", _pod(S2, _aff("podAntiAffinity", required=[_term({"matchLabels": S1}, "zone")])))],
     [EXISTING, None, None]),
    # "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity
    # constraints. satisfy PodAntiAffinity symmetry with the existing pod"
    ("existing anti-affinity not matching", _pod(S1),
     [("n1", _pod(S2, _aff("podAntiAffinity", required=[_term({"matchLabels": S2}, "zone")])))], [None] * 3),
    # existing pod's anti-affinity over region blocks both nodes of the region
    ("existing anti-affinity on a wider domain", _pod(S1),
     [("n1", _pod(S2, _aff("podAntiAffinity", required=[_term({"matchLabels": S1}, "region")])))],
     [EXISTING, EXISTING, None]),
    # affinity failure wins over anti-affinity (Filter checks in order)
    ("affinity reason first", _pod({}, {**_aff(required=[_term({"matchLabels": S2}, "zone")]),
                                        **_aff("podAntiAffinity", required=[_term({"matchLabels": S1}, "zone")])}),
     [("n1", _pod(S1)), ("n2", _pod(S2))], [AFF_RULES, None, AFF_RULES]),
    # a nil labelSelector matches no pod (and the pod not itself): unresolvable everywhere
    ("nil labelSelector", _pod(S1, _aff(required=[_term(None, "zone")])), [("n1", _pod(S1))], [AFF_RULES] * 3),
    # an empty namespaceSelector ({}) selects every namespace
    ("namespaceSelector {} selects all",
     _pod({}, _aff(required=[_term({"matchLabels": S1}, "zone", namespaceSelector={})]),
                                             ns="subteam1.team1"),
     [("n1", _pod(S1, ns="elsewhere"))], [None, AFF_RULES, AFF_RULES]),
    # namespaceSelector matching namespace labels (upstream: "affinity with namespaceSelector")
    ("namespaceSelector by labels", _pod({}, _aff("podAntiAffinity", required=[
        _term({"matchLabels": S1}, "zone", namespaceSelector={"matchLabels": {"team": "team2"}})]),
        ns="subteam1.team1"),
     [("n1", _pod(S1, ns="subteam2.team2")), ("n2", _pod(S1, ns="subteam2.team1"))], [ANTI_RULES, None, None]),
    # existing pod's namespaceSelector is matched against the incoming pod's namespace labels
    ("existing namespaceSelector", _pod(S1, ns="subteam1.team1"),
     [("n1", _pod({}, _aff("podAntiAffinity", required=[
         _term({"matchLabels": S1}, "zone", namespaceSelector={"matchLabels": {"team": "team1"}})]), ns="other"))],
     [EXISTING, None, None]),
]


@pytest.mark.parametrize(("pod", "pods", "expected"), [c[1:] for c in FILTER_CASES], ids=[c[0] for c in FILTER_CASES])
def test_filter(pod, pods, expected):
    """Nodes: n1 zone z1, n2 zone z2 (both region r1), n3 with neither key."""
    table = _table([("n1", ZONE1), ("n2", ZONE2), ("n3", {"kubernetes.io/hostname": "n3"})], pods)
    assert _filter(pod, table) == expected


def test_reason_codes():
    plugin = InterPodAffinity(handle=HANDLE)
    table = _table([("n1", ZONE1)])
    state = CycleState()
    plugin.pre_filter(state, _pod(S1, SELF_AFFINE), table)
    reasons = plugin.filter(state, _pod(S1, SELF_AFFINE), table, table.live_rows()).reasons
    assert [r.code for r in reasons] == [Code.UNRESOLVABLE, Code.UNSCHEDULABLE, Code.UNSCHEDULABLE]


def test_pre_filter_skips_only_without_work():
    anti = _aff("podAntiAffinity", required=[_term({"matchLabels": S2}, "zone")])
    table = _table([("n1", ZONE1)], [("n1", _pod(S2, anti))])
    plugin = InterPodAffinity(handle=HANDLE)
    assert plugin.pre_filter(CycleState(), _pod(S1), table).skip  # existing anti-affinity doesn't match
    assert not plugin.pre_filter(CycleState(), _pod(S2), table).skip


def test_removed_node_pods_stop_counting():
    table = _table([("n1", ZONE1), ("n2", ZONE2)],
                   [("n1", _pod(S2, _aff("podAntiAffinity", required=[_term({"matchLabels": S1}, "region")])))])
    assert _filter(_pod(S1), table) == [EXISTING, EXISTING]
    table.remove_node("n1")
    assert _filter(_pod(S1), table) == [None]


# -- Score -----------------------------------------------------------------------------------------

CHINA, INDIA, AZ1, AZ2 = {"region": "China"}, {"region": "India"}, {"az": "az1"}, {"az": "az2"}
CHINA_AZ1 = {"region": "China", "az": "az1"}
STAY_S1_REGION = _aff(preferred=[(5, _term(_sel("security", "In", "S1"), "region"))])
STAY_S2_REGION = _aff(preferred=[(6, _term(_sel("security", "In", "S2"), "region"))])
AFFINITY3 = _aff(preferred=[
    (8, _term({"matchExpressions": [{"key": "security", "operator": "NotIn", "values": ["S1"]},
                                    {"key": "security", "operator": "In", "values": ["S2"]}]}, "region")),
    (2, _term({"matchExpressions": [{"key": "security", "operator": "Exists"},
                                    {"key": "wrongkey", "operator": "DoesNotExist"}]}, "region"))])
HARD = _aff(required=[_term(_sel("security", "In", "S1", "value2"), "region"),
                      _term({"matchExpressions": [{"key": "security", "operator": "Exists"},
                                                  {"key": "wrongkey", "operator": "DoesNotExist"}]}, "region")])
AWAY_S1_AZ = _aff("podAntiAffinity", preferred=[(5, _term(_sel("security", "In", "S1"), "az"))])
AWAY_S2_AZ = _aff("podAntiAffinity", preferred=[(5, _term(_sel("security", "In", "S2"), "az"))])
S1_REGION_AWAY_S2 = {**_aff(preferred=[(8, _term(_sel("security", "In", "S1"), "region"))]),
                     **_aff("podAntiAffinity", preferred=[(5, _term(_sel("security", "In", "S2"), "az"))])}
NS_SEL = {"namespaces": ["subteam2.team2"], "namespaceSelector": _sel("team", "In", "team1")}
AFF_NS = _aff(preferred=[(5, _term(_sel("security", "In", "S1"), "region", **NS_SEL))])
ANTI_NS = _aff("podAntiAffinity", preferred=[(5, _term(_sel("security", "In", "S1"), "region", **NS_SEL))])

# (name, incoming pod, [(node, pod)], nodes, expected normalized scores or None for Skip); the
# names are upstream's TestPreferredAffinity cases.
SCORE_CASES = [
    ("all nodes are same priority as Affinity is nil", _pod(S1), [],
     [CHINA, INDIA, AZ1], None),
    # raw: n1 5 (China), n2 0, n3 0 (no region key)
    ("Affinity: pod that matches topology key & pods in nodes will get high score", _pod(S1, STAY_S1_REGION),
     [(1, _pod(S1)), (2, _pod(S2)), (3, _pod(S1))], [CHINA, INDIA, AZ1], [100, 0, 0]),
    ("All the nodes that have the same topology key & label value ... have the same score", _pod({}, STAY_S1_REGION),
     [(1, _pod(S1))], [CHINA, CHINA_AZ1, INDIA], [100, 100, 0]),
    # raw: China 4 pods * 6 = 24, India 2 * 6 = 12 -> (24-12)/12 = 100 and 0
    ("Affinity: nodes in one region has more matching pods", _pod(S1, STAY_S2_REGION),
     [(1, _pod(S2)), (1, _pod(S2)), (2, _pod(S2)), (3, _pod(S2)), (4, _pod(S2)), (5, _pod(S2))],
     [CHINA, INDIA, CHINA, CHINA, INDIA], [100, 0, 100, 100, 0]),
    # raw: China: S1 pod matches term 2 only -> 2; India: S2 pod matches both -> 10; n3 0 -> 20, 100, 0
    ("Affinity: different Label operators and values", _pod(S1, AFFINITY3),
     [(1, _pod(S1)), (2, _pod(S2)), (3, _pod(S1))], [CHINA, INDIA, AZ1], [20, 100, 0]),
    ("Affinity symmetry: preferred terms of existing pods", _pod(S2),
     [(1, _pod(S1, STAY_S1_REGION)), (2, _pod(S2, STAY_S2_REGION))], [CHINA, INDIA, AZ1], [0, 100, 0]),
    ("Affinity symmetry with namespace selector", _pod(S1, ns="subteam1.team1"),
     [(1, _pod(S1, AFF_NS)), (2, _pod(S2, STAY_S2_REGION))], [CHINA, INDIA, AZ1], [100, 0, 0]),
    # raw: n1 -5, others 0 -> 0, 100, 100
    ("AntiAffinity symmetry with namespace selector", _pod(S1, ns="subteam1.team1"),
     [(1, _pod(S1, ANTI_NS)), (2, _pod(S2, STAY_S2_REGION))], [CHINA, INDIA, AZ1], [0, 100, 100]),
    # hardPodAffinityWeight 1 per required term of existing pods that the incoming pod matches
    ("Affinity symmetry: RequiredDuringScheduling in pod affinity symmetry", _pod(S1),
     [(1, _pod(S1, HARD)), (2, _pod(S2, HARD))], [CHINA, INDIA, AZ1], [100, 100, 0]),
    ("Anti Affinity: pod that does not match existing pods in node will get high score", _pod(S1, AWAY_S1_AZ),
     [(1, _pod(S1)), (2, _pod(S2))], [AZ1, CHINA], [0, 100]),
    ("Anti Affinity: pod that does not match topology key & match the pods in nodes", _pod(S1, AWAY_S1_AZ),
     [(1, _pod(S1)), (2, _pod(S1))], [AZ1, CHINA], [0, 100]),
    ("Anti Affinity: one node has more matching pods", _pod(S1, AWAY_S1_AZ),
     [(1, _pod(S1)), (1, _pod(S1)), (2, _pod(S2))], [AZ1, INDIA], [0, 100]),
    ("Anti Affinity symmetry: the existing pods in node which has anti affinity match", _pod(S2),
     [(1, _pod(S1, AWAY_S2_AZ)), (2, _pod(S2, AWAY_S1_AZ))], [AZ1, AZ2], [0, 100]),
    ("Affinity and Anti Affinity: preferred in both", _pod(S1, S1_REGION_AWAY_S2),
     [(1, _pod(S1)), (2, _pod(S1))], [CHINA, AZ1], [100, 0]),
    ("Affinity and Anti Affinity: the pod to schedule and existing pods have the same labels",
     _pod(S1, S1_REGION_AWAY_S2),
     [(1, _pod(S1)), (1, _pod(S1)), (2, _pod(S1)), (3, _pod(S1)), (3, _pod(S1)), (4, _pod(S1)), (5, _pod(S1))],
     [CHINA_AZ1, INDIA, CHINA, CHINA, INDIA], [100, 0, 100, 100, 0]),
    # raw: n1 8, n2 -5, n3 8 (symmetry), n4 -5 (anti symmetry)
    ("Affinity and Anti Affinity and symmetry", _pod(S1, S1_REGION_AWAY_S2),
     [(1, _pod(S1)), (2, _pod(S2)), (3, _pod({}, S1_REGION_AWAY_S2)), (4, _pod({}, AWAY_S1_AZ))],
     [CHINA, AZ1, INDIA, AZ2], [100, 0, 100, 0]),
    # the incoming pod matches the existing pod's preferred affinity: +8 on both China nodes,
    # max == min -> 0 everywhere
    ("Avoid panic when partial nodes in a topology don't have pods with affinity", _pod(S1),
     [(1, _pod(S1)), (2, _pod({}, S1_REGION_AWAY_S2))], [CHINA, CHINA], [0, 0]),
]


@pytest.mark.parametrize(("pod", "pods", "nodes", "expected"), [c[1:] for c in SCORE_CASES],
                         ids=[c[0][:60] for c in SCORE_CASES])
def test_score(pod, pods, nodes, expected):
    table = _table([(f"node{i + 1}", labels) for i, labels in enumerate(nodes)],
                   [(f"node{n}", p) for n, p in pods])
    assert _scores(pod, table) == expected


def test_ignore_preferred_terms_of_existing_pods():
    # upstream: "Affinity symmetry ... with ignorePreferredTermsOfExistingPods": skipped
    table = _table([("node1", CHINA), ("node2", INDIA)], [("node1", _pod(S1, STAY_S2_REGION))])
    assert _scores(_pod(S2), table) == [100, 0]
    plugin = InterPodAffinity(handle=HANDLE, ignore_preferred_terms_of_existing_pods=True)
    assert _scores(_pod(S2), table, plugin) is None


def test_hard_pod_affinity_weight():
    table = _table([("node1", CHINA), ("node2", INDIA), ("node3", INDIA)],
                   [("node1", _pod(S1, HARD)), ("node2", _pod(S1, STAY_S1_REGION))])
    # weight 1: China 2 (two required terms), India 5 -> 0, 100, 100
    assert _scores(_pod(S1), table) == [0, 100, 100]
    # weight 10: China 20, India 5 -> 100, 0, 0
    assert _scores(_pod(S1), table, InterPodAffinity(handle=HANDLE, hard_pod_affinity_weight=10)) == [100, 0, 0]
    # weight 0: the required terms count for nothing
    assert _scores(_pod(S1), table, InterPodAffinity(handle=HANDLE, hard_pod_affinity_weight=0)) == [0, 100, 100]
    with pytest.raises(ValueError):
        InterPodAffinity(hard_pod_affinity_weight=101)


def test_normalize_truncates_floats():
    plugin = InterPodAffinity()
    state = CycleState(data={"InterPodAffinity/score": {"k": np.zeros(1, np.int64)}})
    # (s - min) / diff * 100 truncated: -3 -> 0, 0 -> 42 (42.857), 4 -> 100
    assert plugin.normalize(state, _pod(), np.array([-3, 0, 4])).tolist() == [0, 42, 100]
    assert plugin.normalize(state, _pod(), np.array([7, 7])).tolist() == [0, 0]


# -- randomised: against a slow per-node reading of upstream ----------------------------------------

def _ref_incoming_match(term, pod: PodInfo) -> bool:
    sel = term.namespace_selector
    if sel.empty:
        ns_ok = True
    else:
        ns_ok = pod.namespace in term.namespaces or (
            not sel.nothing and pod.namespace in NAMESPACES and sel.matches(NAMESPACES[pod.namespace]))
    return ns_ok and term.selector.matches(pod.labels)


def _ref_filter(pod: PodInfo, nodes: list[dict], placed: list[tuple[int, PodInfo]]) -> list[str | None]:
    ns_labels = NAMESPACES.get(pod.namespace, {})
    terms = pod.required_affinity
    match_all = [(m, p) for m, p in placed if terms and all(_ref_incoming_match(t, p) for t in terms)]
    any_counted = any(t.topology_key in nodes[m] for m, _ in match_all for t in terms)
    self_match = bool(terms) and all(_ref_incoming_match(t, pod) for t in terms)
    out: list[str | None] = []
    for labels in nodes:
        reason = None
        if terms:
            if any(t.topology_key not in labels for t in terms):
                reason = AFF_RULES
            else:
                exist = all(any(nodes[m].get(t.topology_key) == labels[t.topology_key] for m, _ in match_all)
                            for t in terms)
                if not exist and (any_counted or not self_match):
                    reason = AFF_RULES
        if reason is None:
            for t in pod.required_anti_affinity:
                if t.topology_key in labels and any(
                        _ref_incoming_match(t, p) and nodes[m].get(t.topology_key) == labels[t.topology_key]
                        for m, p in placed):
                    reason = ANTI_RULES
        if reason is None:
            for m, p in placed:
                for t in p.required_anti_affinity:
                    if t.matches(pod.namespace, pod.labels, ns_labels) and t.topology_key in nodes[m] \
                            and labels.get(t.topology_key) == nodes[m][t.topology_key]:
                        reason = EXISTING
        out.append(reason)
    return out


def _ref_scores(pod: PodInfo, nodes: list[dict], placed: list[tuple[int, PodInfo]], hard: int) -> list[int] | None:
    ns_labels = NAMESPACES.get(pod.namespace, {})
    raw = [0] * len(nodes)
    touched = False
    for m, p in placed:
        contributions = [(t, t.weight) for t in pod.preferred_affinity if _ref_incoming_match(t, p)]
        contributions += [(t, -t.weight) for t in pod.preferred_anti_affinity if _ref_incoming_match(t, p)]
        mine = [(t, hard) for t in p.required_affinity if hard > 0]
        mine += [(t, t.weight) for t in p.preferred_affinity] + [(t, -t.weight) for t in p.preferred_anti_affinity]
        contributions += [(t, w) for t, w in mine if t.matches(pod.namespace, pod.labels, ns_labels)]
        for t, w in contributions:
            if t.topology_key in nodes[m]:
                touched = True
                for n, labels in enumerate(nodes):
                    if labels.get(t.topology_key) == nodes[m][t.topology_key]:
                        raw[n] += w
    if not touched:
        return None
    low, high = min(raw), max(raw)
    return [int(100 * ((s - low) / (high - low))) if high > low else 0 for s in raw]


def _random_selector(rng: random.Random) -> dict | None:
    kind = rng.random()
    if kind < 0.1:
        return None
    if kind < 0.15:
        return {}
    exprs = []
    for _ in range(rng.randint(0, 2)):
        op = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
        key = rng.choice(["app", "tier"])
        values = rng.sample(["a", "b", "c"], rng.randint(1, 2)) if op in ("In", "NotIn") else []
        exprs.append({"key": key, "operator": op, "values": values})
    labels = {"app": rng.choice("abc")} if rng.random() < 0.5 else {}
    return {"matchLabels": labels, "matchExpressions": exprs}


def _random_term(rng: random.Random) -> dict:
    term = {"labelSelector": _random_selector(rng), "topologyKey": rng.choice(["zone", "rack", "host"])}
    r = rng.random()
    if r < 0.2:
        term["namespaces"] = rng.sample(list(NAMESPACES) + ["other"], 2)
    elif r < 0.3:
        term["namespaceSelector"] = {}
    elif r < 0.4:
        term["namespaceSelector"] = {"matchLabels": {"team": rng.choice(["team1", "team2"])}}
    return term


def _random_affinity(rng: random.Random, p: float) -> dict | None:
    if rng.random() > p:
        return None
    out = {}
    for kind in ("podAffinity", "podAntiAffinity"):
        if rng.random() < 0.6:
            out[kind] = {REQ: [_random_term(rng) for _ in range(rng.choice([0, 0, 1, 2]))],
                         PREF: [{"weight": rng.randint(1, 100), "podAffinityTerm": _random_term(rng)}
                                for _ in range(rng.choice([0, 1, 2]))]}
    return out


def _random_labels(rng: random.Random) -> dict:
    return {k: rng.choice("abc") for k in ("app", "tier") if rng.random() < 0.7}


@pytest.mark.parametrize("seed", range(150))
def test_against_slow_reference(seed):
    rng = random.Random(seed)
    nodes = []
    for i in range(rng.randint(1, 7)):
        labels = {"host": f"n{i}"}
        if rng.random() < 0.8:
            labels["zone"] = rng.choice(["z1", "z2", "z3"])
        if rng.random() < 0.6:
            labels["rack"] = rng.choice(["r1", "r2"])
        nodes.append(labels)
    namespaces = [*NAMESPACES, "other"]
    placed = [(rng.randrange(len(nodes)), _pod(_random_labels(rng), _random_affinity(rng, 0.3), rng.choice(namespaces)))
              for _ in range(rng.randint(0, 14))]
    table = _table([(f"n{i}", labels) for i, labels in enumerate(nodes)], [(f"n{m}", p) for m, p in placed])
    incoming = _pod(_random_labels(rng), _random_affinity(rng, 0.9), rng.choice(namespaces))
    assert _filter(incoming, table) == _ref_filter(incoming, nodes, placed)
    hard = rng.choice([0, 1, 5])
    plugin = InterPodAffinity(handle=HANDLE, hard_pod_affinity_weight=hard)
    assert _scores(incoming, table, plugin) == _ref_scores(incoming, nodes, placed, hard)
