"""PodTopologySpread (upstream podtopologyspread/{common,filtering,scoring}.go): Filter on the
scenarios of upstream's filtering_test.go (expected verdicts from the skew formula, stated per
case), Score/NormalizeScore on upstream's scoring_test.go tables (their expected scores), system
and List defaults, and a randomised comparison with a slow per-node reading of upstream."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from myriad.api.nodeaffinity import required_affinity_matches
from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.podtopologyspread import PodTopologySpread
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import Code, CycleState, Handle, PodInfo, Taint, Toleration

MISSING = "node(s) didn't match pod topology spread constraints (missing required label)"
SKEW = "node(s) didn't match pod topology spread constraints"
HOST = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
FOO = {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}
BAR = {"matchExpressions": [{"key": "bar", "operator": "Exists"}]}
_uid = itertools.count()


def _pod(labels: dict | None = None, constraints: list | None = None, ns: str = "default", deleting: bool = False,
         **spec) -> PodInfo:
    n = next(_uid)
    meta = {"namespace": ns, "name": f"p{n}", "uid": f"u{n}", "labels": labels or {}}
    if deleting:
        meta["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return pod_info({"metadata": meta, "spec": {"topologySpreadConstraints": constraints or [], **spec}})


def _c(skew: int, key: str, action: str = "DoNotSchedule", selector: dict | None = FOO, **extra) -> dict:
    return {"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": action, "labelSelector": selector, **extra}


def _node(name: str, zone: str | None = None, taints: list | None = None, **labels) -> dict:
    labels = {HOST: name, **labels}
    if zone is not None:
        labels["zone"] = zone
    return {"metadata": {"name": name, "labels": labels}, "spec": {"taints": taints or []}}


def _table(nodes: list[dict], pods: list[tuple[str, PodInfo]]) -> NodeTable:
    table = NodeTable()
    for node in nodes:
        table.set_node(node)
    for name, pod in pods:
        assert table.add_pod(pod, name)
    return table


def _spread(pods_per_node: dict[str, int], labels: dict | None = None, **kw) -> list[tuple[str, PodInfo]]:
    labels = {"foo": ""} if labels is None else labels
    return [(n, _pod(labels, **kw)) for n, k in pods_per_node.items() for _ in range(k)]


def _filter(pod: PodInfo, table: NodeTable, plugin: PodTopologySpread | None = None) -> list[str | None]:
    plugin = plugin or PodTopologySpread()
    state, rows = CycleState(), table.live_rows()
    if plugin.pre_filter(state, pod, table).skip:
        return [None] * len(rows)
    verdict = plugin.filter(state, pod, table, rows)
    return [next((r.text for i, r in enumerate(verdict.reasons) if bits & (1 << i)), None)
            for bits in verdict.failed.tolist()]


def _scores(pod: PodInfo, table: NodeTable, names: list[str], plugin: PodTopologySpread | None = None):
    plugin = plugin or PodTopologySpread()
    state, rows = CycleState(), np.array([table.index[n] for n in names])
    if not plugin.pre_score(state, pod, table, rows):
        return None
    return plugin.normalize(state, pod, plugin.score(state, pod, table, rows)).tolist()


ABXY = [_node("a", "zone1"), _node("b", "zone1"), _node("x", "zone2"), _node("y", "zone2")]
NO_B_ZONE = [_node("a", "zone1"), _node("b"), _node("x", "zone2"), _node("y", "zone2")]
TAINTED_Y = [*ABXY[:3], _node("y", "zone2", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])]
ONLY_A_Y = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
    {"matchExpressions": [{"key": HOST, "operator": "In", "values": ["a", "y"]}]}]}}}}

# (name, nodes, existing pods, incoming pod, verdicts for a, b, x, y)
FILTER_CASES = [
    ("no existing pods", ABXY, [], _pod({"foo": ""}, [_c(1, "zone")]), [None] * 4),
    ("no existing pods, incoming pod doesn't match itself", ABXY, [], _pod({}, [_c(1, "zone")]), [None] * 4),
    # pods of another namespace count nowhere: hostname skew 0 + 1 - 0 everywhere
    ("existing pods in a different namespace do not count", ABXY, _spread({"a": 1, "b": 2}, ns="ns2"),
     _pod({"foo": ""}, [_c(1, HOST)]), [None] * 4),
    # zone counts 3/3: skew 3 + 1 - 3 = 1 <= 1
    ("pods spread across zones as 3/3, all nodes fit", ABXY, _spread({"a": 1, "b": 2, "x": 1, "y": 2}),
     _pod({"foo": ""}, [_c(1, "zone")]), [None] * 4),
    # node-b lacks zone: not eligible, zone1 = 1, zone2 = 2, min 1: a 1, x and y 2 > 1
    ("pods spread across zones as 1/2 due to absence of label 'zone' on node-b", NO_B_ZONE,
     _spread({"a": 1, "b": 1, "x": 1, "y": 1}), _pod({"foo": ""}, [_c(1, "zone")]), [None, MISSING, SKEW, SKEW]),
    # hostname counts 2/1/0/3, min 0: only x has 0 + 1 <= 1
    ("pods spread across nodes as 2/1/0/3, only node-x fits", ABXY, _spread({"a": 2, "b": 1, "y": 3}),
     _pod({"foo": ""}, [_c(1, HOST)]), [SKEW, SKEW, None, SKEW]),
    ("pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit", ABXY,
     _spread({"a": 2, "b": 1, "y": 3}),
     _pod({"foo": ""}, [_c(2, HOST)]), [SKEW, None, None, SKEW]),
    # selfMatch 0: a 2 - 0 = 2 > 1, b 1, x 0, y 3
    ("pods spread across nodes as 2/1/0/3, but pod doesn't match itself", ABXY, _spread({"a": 2, "b": 1, "y": 3}),
     _pod({"bar": ""}, [_c(1, HOST)]), [SKEW, None, None, SKEW]),
    # nodeAffinity admits a and y only (Honor): domains a 2, y 3, min 2 -> a 1, y 2; b and x are
    # outside the domains (count 0): -1
    ("incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits", ABXY,
     _spread({"a": 2, "b": 1, "y": 3}), _pod({"foo": ""}, [_c(1, HOST)], **ONLY_A_Y), [None, None, None, SKEW]),
    # nodeAffinityPolicy Ignore: every node eligible again, min 0
    ("nodeAffinityPolicy Ignore counts nodes the pod can't use", ABXY, _spread({"a": 2, "b": 1, "y": 3}),
     _pod({"foo": ""}, [_c(1, HOST, nodeAffinityPolicy="Ignore")], **ONLY_A_Y), [SKEW, SKEW, None, SKEW]),
    # terminating pods are skipped (#87621): a counts 1, b 1, x 1, y 0 ... y's only pod terminates
    ("terminating pods don't count", ABXY, [*_spread({"a": 1, "b": 1, "x": 1}), *_spread({"y": 1}, deleting=True)],
     _pod({"foo": ""}, [_c(1, HOST)]), [SKEW, SKEW, SKEW, None]),
    # minDomains 3 > 2 domains: min treated as 0; zone1 2, zone2 1
    ("minDomains above the number of domains", ABXY, _spread({"a": 2, "x": 1}),
     _pod({"foo": ""}, [_c(1, "zone", minDomains=3)]), [SKEW, SKEW, SKEW, SKEW]),
    ("minDomains met", ABXY, _spread({"a": 2, "x": 1}),
     _pod({"foo": ""}, [_c(1, "zone", minDomains=2)]), [SKEW, SKEW, None, None]),
    # nodeTaintsPolicy Ignore (default): y (tainted, 0 pods) still sets min 0
    ("nodeTaintsPolicy Ignore", TAINTED_Y, _spread({"a": 1, "b": 1, "x": 1}),
     _pod({"foo": ""}, [_c(1, HOST)]), [SKEW, SKEW, SKEW, None]),
    # Honor: y is excluded, min 1: 1 + 1 - 1 = 1 everywhere; y itself 0 + 1 - 1
    ("nodeTaintsPolicy Honor", TAINTED_Y, _spread({"a": 1, "b": 1, "x": 1}),
     _pod({"foo": ""}, [_c(1, HOST, nodeTaintsPolicy="Honor")]), [None] * 4),
    ("nodeTaintsPolicy Honor with a toleration", TAINTED_Y, _spread({"a": 1, "b": 1, "x": 1}),
     _pod({"foo": ""}, [_c(1, HOST, nodeTaintsPolicy="Honor")], tolerations=[{"key": "k", "operator": "Exists"}]),
     [SKEW, SKEW, SKEW, None]),
    # constraints in order; b lacks zone, so it is eligible for neither constraint: hostname
    # counts a 3, x 1, y 1 (min 1) -> a 3 > 1; b 0 + 1 - 1 passes hostname, then misses zone;
    # zone counts zone1 3, zone2 2 (min 2) -> x and y 2 + 1 - 2 = 1
    ("two constraints, checked in order", NO_B_ZONE, _spread({"a": 3, "x": 1, "y": 1}),
     _pod({"foo": ""}, [_c(1, HOST), _c(1, "zone")]), [SKEW, MISSING, None, None]),
    # b's zone constraint comes first now: its reason is the missing label
    ("missing label reported by the first constraint", NO_B_ZONE, _spread({"a": 3, "b": 4}),
     _pod({"foo": ""}, [_c(1, "zone"), _c(1, HOST)]), [SKEW, MISSING, None, None]),
    # labelSelector {} selects everything: upstream counts nothing (Empty selector) but the pod
    # matches itself: 0 + 1 - 0 <= 1 everywhere, however crowded
    ("empty labelSelector counts no pods", ABXY, _spread({"a": 5}), _pod({"foo": ""}, [_c(1, HOST, selector={})]),
     [None] * 4),
    # matchLabelKeys ANDs the pod's own rev into the selector: rev=2 pods don't count
    ("matchLabelKeys", ABXY,
     [*_spread({"a": 3}, labels={"foo": "", "rev": "2"}), *_spread({"b": 1}, labels={"foo": "", "rev": "1"})],
     _pod({"foo": "", "rev": "1"}, [_c(1, HOST, matchLabelKeys=["rev"])]), [None, SKEW, None, None]),
    # ScheduleAnyway constraints never filter
    ("ScheduleAnyway doesn't filter", ABXY, _spread({"a": 9}), _pod({"foo": ""}, [_c(1, HOST, "ScheduleAnyway")]),
     [None] * 4),
]


@pytest.mark.parametrize(("nodes", "pods", "pod", "expected"), [c[1:] for c in FILTER_CASES],
                         ids=[c[0] for c in FILTER_CASES])
def test_filter(nodes, pods, pod, expected):
    assert _filter(pod, _table(nodes, pods)) == expected


def test_reason_codes_and_skip():
    plugin = PodTopologySpread()
    table = _table(NO_B_ZONE, [])
    state = CycleState()
    assert plugin.pre_filter(CycleState(), _pod({"foo": ""}), table).skip
    plugin.pre_filter(state, _pod({"foo": ""}, [_c(1, "zone")]), table)
    reasons = plugin.filter(state, _pod({"foo": ""}, [_c(1, "zone")]), table, table.live_rows()).reasons
    assert [(r.text, r.code) for r in reasons] == [(MISSING, Code.UNRESOLVABLE), (SKEW, Code.UNSCHEDULABLE)]


def test_list_defaults_filter_with_handle_selectors():
    handle = Handle(selectors_of=lambda pod: [{"foo": ""}] if pod.labels.get("foo") == "" else [])
    plugin = PodTopologySpread(handle=handle, defaulting_type="List",
                               default_constraints=[{"maxSkew": 1, "topologyKey": HOST,
                                                     "whenUnsatisfiable": "DoNotSchedule"}])
    table = _table(ABXY, _spread({"a": 2, "b": 1, "y": 3}))
    assert _filter(_pod({"foo": ""}), table, plugin) == [SKEW, SKEW, None, SKEW]
    assert _filter(_pod({"bar": ""}), table, plugin) == [None] * 4  # no selectors: no defaults
    # a pod with its own constraints (even only ScheduleAnyway ones) gets no defaults
    assert _filter(_pod({"foo": ""}, [_c(1, "zone", "ScheduleAnyway")]), table, plugin) == [None] * 4


def test_args_validation():
    with pytest.raises(ValueError):
        PodTopologySpread(default_constraints=[{"maxSkew": 1, "topologyKey": "zone",
                                                "whenUnsatisfiable": "DoNotSchedule"}])
    with pytest.raises(ValueError):
        PodTopologySpread(defaulting_type="Other")
    with pytest.raises(ValueError):
        PodTopologySpread(defaulting_type="List", default_constraints=[
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": FOO}])


# -- Score -----------------------------------------------------------------------------------------

HOSTS4 = [_node(n) for n in "abcd"]
ZONED = [_node("a", "zone1"), _node("b", "zone1"), _node("x", "zone2"), _node("y", "zone2")]
SERVICE = Handle(selectors_of=lambda pod: [{"foo": ""}])

# (name: upstream's TestPodTopologySpreadScore case, nodes, pods, incoming, filtered names, want)
SCORE_CASES = [
    ("one constraint on node, all 4 nodes are candidates, maxSkew=2", HOSTS4, _spread({"a": 2, "b": 1, "d": 3}),
     _pod({"foo": ""}, [_c(2, HOST, "ScheduleAnyway")]), list("abcd"), [33, 66, 100, 16]),
    ("one constraint on node, all 4 nodes are candidates, maxSkew=3", HOSTS4, _spread({"a": 4, "b": 3, "c": 2, "d": 1}),
     _pod({"foo": ""}, [_c(3, HOST, "ScheduleAnyway")]), list("abcd"), [44, 66, 77, 100]),
    ("one constraint on node, 3 out of 4 nodes are candidates", [_node(n) for n in "abxy"],
     _spread({"a": 4, "b": 2, "x": 1, "y": 3}), _pod({"foo": ""}, [_c(1, HOST, "ScheduleAnyway")]), list("abx"),
     [33, 83, 100]),
    ("one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
     [_node("a"), {"metadata": {"name": "b", "labels": {"n": "node-b"}}}, _node("x"), _node("y")],
     _spread({"a": 4, "b": 2, "x": 1, "y": 3}), _pod({"foo": ""}, [_c(1, HOST, "ScheduleAnyway")]), list("abx"),
     [16, 0, 100]),
    ("one constraint on zone, 3 out of 4 nodes are candidates", ZONED, _spread({"a": 4, "b": 2, "x": 1, "y": 3}),
     _pod({"foo": ""}, [_c(1, "zone", "ScheduleAnyway")]), list("abx"), [75, 75, 100]),
    ("two Constraints on zone and node, 2 out of 4 nodes are candidates", ZONED,
     _spread({"a": 2, "b": 1, "x": 2, "y": 4}),
     _pod({"foo": ""}, [_c(1, "zone", "ScheduleAnyway"), _c(1, HOST, "ScheduleAnyway")]), ["a", "x"], [100, 63]),
    ("two Constraints on zone and node, with different labelSelectors", ZONED,
     [("a", _pod({"foo": ""})), ("b", _pod({"foo": "", "bar": ""})),
      ("y", _pod({"foo": ""})), ("y", _pod({"bar": ""}))],
     _pod({"foo": "", "bar": ""}, [_c(1, "zone", "ScheduleAnyway"), _c(1, HOST, "ScheduleAnyway", BAR)]),
     list("abxy"), [60, 20, 100, 60]),
    ("two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods", ZONED,
     [("b", _pod({"bar": ""})), ("x", _pod({"foo": ""})), ("y", _pod({"foo": "", "bar": ""}))],
     _pod({"foo": "", "bar": ""}, [_c(1, "zone", "ScheduleAnyway"), _c(1, HOST, "ScheduleAnyway", BAR)]),
     list("abxy"), [100, 60, 40, 0]),
]


@pytest.mark.parametrize(("nodes", "pods", "pod", "names", "expected"), [c[1:] for c in SCORE_CASES],
                         ids=[c[0] for c in SCORE_CASES])
def test_score(nodes, pods, pod, names, expected):
    assert _scores(pod, _table(nodes, pods), names) == expected


def test_system_defaults():
    table = _table(HOSTS4, _spread({"a": 4, "b": 3, "c": 2, "d": 1}))
    # upstream "system defaulting, nodes don't have zone, pods match service": same as one
    # hostname constraint of maxSkew 3 (the zone constraint has no key on any node)
    assert _scores(_pod({"foo": ""}), table, list("abcd"), PodTopologySpread(handle=SERVICE)) == [44, 66, 77, 100]
    # no Service/RC/RS/SS selects the pod: no default constraints
    assert _scores(_pod({"foo": ""}), table, list("abcd")) is None
    # the pod's own constraints, even DoNotSchedule only, replace the defaults
    assert _scores(_pod({"foo": ""}, [_c(1, HOST)]), table, list("abcd"), PodTopologySpread(handle=SERVICE)) is None


def test_system_defaults_register_empty_zone():
    # requireAllTopologies is false for system defaults: b (no zone) is scored and registers the
    # zone domain "", so both weights are log(2 + 2); a: (1*w + 2) + (1*w + 4) = 8.77 -> 9,
    # b: 0*w + 2 = 2 (no zone key, the zone constraint is skipped); normalized 100*(9+2-s)/9
    table = _table([_node("a", **{ZONE: "zone1"}), _node("b")], _spread({"a": 1}))
    assert math.floor(2 * math.log(4) + 6 + 0.5) == 9
    assert _scores(_pod({"foo": ""}), table, ["a", "b"], PodTopologySpread(handle=SERVICE)) == [22, 100]


def test_normalize():
    plugin = PodTopologySpread()
    state = CycleState(data={"PodTopologySpread/ignored": np.array([False, False, True, False])})
    # ignored -> 0; max 8, min 2: 100 * (8 + 2 - s) / 8
    assert plugin.normalize(state, _pod(), np.array([2, 8, 0, 5])).tolist() == [100, 25, 0, 62]
    assert plugin.normalize(state, _pod(), np.array([0, 0, 0, 0])).tolist() == [100, 100, 0, 100]


# -- randomised: against a slow per-node reading of upstream ----------------------------------------

def _count(node: str, c: dict, pod: PodInfo, placed) -> int:
    sel = c["selector"]
    if sel.empty:
        return 0
    return sum(1 for n, p in placed if n == node and p.namespace == pod.namespace and not p.deleting
               and sel.matches(p.labels))


def _ref_constraints(pod: PodInfo, action: str, defaults: list[dict] | None):
    if pod.spread_constraints:
        return [c for c in pod.spread_constraints if c.when_unsatisfiable == action]
    if defaults is None or not pod.labels.get("svc"):
        return []
    from myriad.scheduler.selectors import LabelSelector
    sel = LabelSelector((("svc", pod.labels["svc"]),))
    return [_as(c, sel) for c in defaults if c["whenUnsatisfiable"] == action]


def _as(c: dict, sel):
    from myriad.scheduler.selectors import SpreadConstraint
    return SpreadConstraint(c["maxSkew"], c["topologyKey"], c["whenUnsatisfiable"], sel)


def _eligible(node: dict, c, cs, pod: PodInfo, require_all: bool) -> bool:
    labels = node["metadata"]["labels"]
    if require_all and any(x.topology_key not in labels for x in cs):
        return False
    if c.node_affinity_policy == "Honor" and not required_affinity_matches(pod.spec, name=node["metadata"]["name"],
                                                                           labels=labels):
        return False
    if c.node_taints_policy == "Honor":
        for t in node["spec"]["taints"]:
            taint = Taint(t["key"], t.get("value", ""), t["effect"])
            if taint.effect in ("NoSchedule", "NoExecute") and not any(tol.tolerates(taint) for tol in pod.tolerations):
                return False
    return True


def _ref_filter(pod, nodes, placed, defaults):
    cs = _ref_constraints(pod, "DoNotSchedule", defaults)
    out = []
    for node in nodes:
        labels, reason = node["metadata"]["labels"], None
        for c in cs:
            if c.topology_key not in labels:
                reason = MISSING
                break
            counts: dict[str, int] = {}
            for other in nodes:
                if _eligible(other, c, cs, pod, True):
                    value = other["metadata"]["labels"][c.topology_key]
                    counts[value] = counts.get(value, 0) + _count(other["metadata"]["name"], {"selector": c.selector},
                                                                  pod, placed)
            low = min(counts.values()) if counts else 2**31 - 1
            if len(counts) < c.min_domains:
                low = 0
            if counts.get(labels[c.topology_key], 0) + int(c.selector.matches(pod.labels)) - low > c.max_skew:
                reason = SKEW
                break
        out.append(reason)
    return out


def _ref_scores(pod, nodes, placed, defaults, names):
    cs = _ref_constraints(pod, "ScheduleAnyway", defaults)
    if not cs:
        return None
    require_all = bool(pod.spread_constraints) or defaults is not SYSTEM
    filtered = [n for n in nodes if n["metadata"]["name"] in names]
    ignored = {n["metadata"]["name"] for n in filtered
               if require_all and any(c.topology_key not in n["metadata"]["labels"] for c in cs)}
    raw = {}
    for node in filtered:
        name, labels = node["metadata"]["name"], node["metadata"]["labels"]
        if name in ignored:
            continue
        score = 0.0
        for c in cs:
            if c.topology_key not in labels:
                continue
            if c.topology_key == HOST:
                size, cnt = len(filtered) - len(ignored), _count(name, {"selector": c.selector}, pod, placed)
            else:
                domains = {n["metadata"]["labels"].get(c.topology_key, "") for n in filtered
                           if n["metadata"]["name"] not in ignored}
                size = len(domains)
                cnt = sum(_count(o["metadata"]["name"], {"selector": c.selector}, pod, placed) for o in nodes
                          if _eligible(o, c, cs, pod, require_all)
                          and o["metadata"]["labels"].get(c.topology_key, "") == labels[c.topology_key])
            score += cnt * math.log(size + 2) + (c.max_skew - 1)
        whole = math.floor(score)  # Go's math.Round for score >= 0: half away from zero
        raw[name] = whole + (score - whole >= 0.5)
    valid = list(raw.values())
    low, high = (min(valid), max(max(valid), 0)) if valid else (0, 0)
    out = []
    for node in filtered:
        name = node["metadata"]["name"]
        if name in ignored:
            out.append(0)
        elif high == 0:
            out.append(100)
        else:
            out.append(100 * (high + low - raw[name]) // high)
    return out


SYSTEM = [{"maxSkew": 3, "topologyKey": HOST, "whenUnsatisfiable": "ScheduleAnyway"},
          {"maxSkew": 5, "topologyKey": ZONE, "whenUnsatisfiable": "ScheduleAnyway"}]


def _random_constraint(rng: random.Random) -> dict:
    c = _c(rng.choice([1, 1, 2, 3]), rng.choice([HOST, ZONE, "rack"]), rng.choice(["DoNotSchedule", "ScheduleAnyway"]),
           rng.choice([FOO, BAR, {"matchLabels": {"foo": "1"}}, {}, None]))
    if rng.random() < 0.3:
        c["minDomains"] = rng.randint(1, 4)
    if rng.random() < 0.3:
        c["nodeAffinityPolicy"] = rng.choice(["Honor", "Ignore"])
    if rng.random() < 0.3:
        c["nodeTaintsPolicy"] = rng.choice(["Honor", "Ignore"])
    if rng.random() < 0.2:
        c["matchLabelKeys"] = ["bar"]
    return c


def _random_labels(rng: random.Random) -> dict:
    return {k: rng.choice(["", "", "1"]) for k in ("foo", "bar", "svc") if rng.random() < 0.8}


@pytest.mark.parametrize("seed", range(150))
def test_against_slow_reference(seed):
    rng = random.Random(seed)
    nodes = []
    for i in range(rng.randint(1, 7)):
        labels = {HOST: f"n{i}"} if rng.random() < 0.9 else {}
        if rng.random() < 0.8:
            labels[ZONE] = rng.choice(["z1", "z2", "z3", ""])
        if rng.random() < 0.5:
            labels["rack"] = rng.choice(["r1", "r2"])
        taints = [{"key": "k", "value": "v", "effect": rng.choice(["NoSchedule", "PreferNoSchedule"])}] \
            if rng.random() < 0.3 else []
        nodes.append({"metadata": {"name": f"n{i}", "labels": labels}, "spec": {"taints": taints}})
    placed = [(f"n{rng.randrange(len(nodes))}", _pod(_random_labels(rng), ns=rng.choice(["default", "other"]),
                                                     deleting=rng.random() < 0.1))
              for _ in range(rng.randint(0, 25))]
    table = _table(nodes, placed)
    spec = {}
    if rng.random() < 0.3:
        spec["nodeSelector"] = {"rack": "r1"}
    if rng.random() < 0.3:
        spec["tolerations"] = [{"key": "k", "operator": "Exists"}]
    constraints = [_random_constraint(rng) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
    incoming = _pod(_random_labels(rng), constraints, **spec)
    mode = rng.choice(["system", "list", "none"])
    handle = Handle(selectors_of=lambda p: [{"svc": p.labels["svc"]}] if p.labels.get("svc") else [])
    if mode == "system":
        plugin, defaults = PodTopologySpread(handle=handle), SYSTEM
    elif mode == "list":
        defaults = [{"maxSkew": 1, "topologyKey": rng.choice([HOST, ZONE]), "whenUnsatisfiable": "DoNotSchedule"},
                    {"maxSkew": 2, "topologyKey": "rack", "whenUnsatisfiable": "ScheduleAnyway"}]
        plugin = PodTopologySpread(handle=handle, defaulting_type="List", default_constraints=defaults)
    else:
        plugin, defaults = PodTopologySpread(), None
    assert _filter(incoming, table, plugin) == _ref_filter(incoming, nodes, placed, defaults)
    names = [n["metadata"]["name"] for n in nodes if rng.random() < 0.8] or [nodes[0]["metadata"]["name"]]
    assert _scores(incoming, table, names, plugin) == _ref_scores(incoming, nodes, placed, defaults, names)


def test_toleration_type_is_used():
    # the reference's taint check uses the same Toleration semantics as the plugin
    assert Toleration(key="k", operator="Exists").tolerates(Taint("k", "v", "NoSchedule"))
