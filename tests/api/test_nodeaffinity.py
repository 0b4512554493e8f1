"""A pod's required node placement against a node: node selector and required node affinity."""

from __future__ import annotations

import pytest

from myriad.api.nodeaffinity import required_affinity_matches

LABELS = {"zone": "a", "disk": "ssd", "cores": "8"}


def _terms(*terms: dict) -> dict:
    return {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}}


def _expr(key: str, operator: str, *values: str) -> dict:
    return {"key": key, "operator": operator, "values": list(values)}


@pytest.mark.parametrize(("spec", "matches"), [
    ({}, True),
    ({"nodeSelector": {"zone": "a"}}, True),
    ({"nodeSelector": {"zone": "a", "disk": "hdd"}}, False),
    (_terms({"matchExpressions": [_expr("zone", "In", "a", "b")]}), True),
    (_terms({"matchExpressions": [_expr("zone", "NotIn", "a")]}), False),
    (_terms({"matchExpressions": [_expr("gpu", "NotIn", "x")]}), True),
    (_terms({"matchExpressions": [_expr("disk", "Exists")]}), True),
    (_terms({"matchExpressions": [_expr("disk", "DoesNotExist")]}), False),
    (_terms({"matchExpressions": [_expr("cores", "Gt", "4")]}), True),
    (_terms({"matchExpressions": [_expr("cores", "Lt", "4")]}), False),
    (_terms({"matchExpressions": [_expr("zone", "Gt", "4")]}), False),  # not an integer
    (_terms({"matchExpressions": [_expr("zone", "In", "b")]}, {"matchExpressions": [_expr("disk", "In", "ssd")]}),
     True),  # terms are ORed
    (_terms({"matchExpressions": [_expr("zone", "In", "a"), _expr("disk", "In", "hdd")]}), False),  # ANDed within
    (_terms({}), False),  # an empty term matches nothing
    (_terms({"matchFields": [_expr("metadata.name", "In", "n1")]}), True),
    (_terms({"matchFields": [_expr("metadata.name", "NotIn", "n1")]}), False),
    (_terms({"matchExpressions": [_expr("zone", "Near", "a")]}), False),
    ({"nodeSelector": {"zone": "b"}, **_terms({"matchExpressions": [_expr("zone", "In", "a")]})}, False),
])
def test_required_node_affinity_matches_as_upstreams_helper(spec: dict, matches: bool) -> None:
    assert required_affinity_matches(spec, name="n1", labels=LABELS) is matches
