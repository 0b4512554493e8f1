"""Field sets in their FieldsV1 form: set algebra, upstream's key order, and conflict paths."""

from __future__ import annotations

import json

import pytest

from myriad.api.managed import fieldset as fs

LABELS = {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
REPLICAS = {"f:spec": {"f:replicas": {}}}


@pytest.mark.parametrize(("a", "b", "expected"), [
    (LABELS, REPLICAS, {**LABELS, **REPLICAS}),
    ({"f:metadata": {"f:labels": {"f:app": {}}}}, {"f:metadata": {"f:labels": {}}},
     {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}),  # the node joins its child
    ({}, REPLICAS, REPLICAS),
    (REPLICAS, REPLICAS, REPLICAS),
])
def test_union_holds_every_path_of_either(a: dict, b: dict, expected: dict) -> None:
    assert fs.union(a, b) == expected
    assert fs.union(b, a) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ({**LABELS, **REPLICAS}, REPLICAS, LABELS),
    (LABELS, {"f:metadata": {"f:labels": {}}}, {"f:metadata": {"f:labels": {"f:app": {}}}}),  # the node only
    (LABELS, {"f:metadata": {"f:labels": {"f:app": {}}}}, {"f:metadata": {"f:labels": {}}}),  # the child only
    (LABELS, LABELS, {}),
    (REPLICAS, {}, REPLICAS),
])
def test_difference_drops_the_paths_of_the_second(a: dict, b: dict, expected: dict) -> None:
    assert fs.difference(a, b) == expected


@pytest.mark.parametrize(("a", "b", "expected"), [
    ({**LABELS, **REPLICAS}, REPLICAS, REPLICAS),
    (LABELS, {"f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}}}, {"f:metadata": {"f:labels": {"f:app": {}}}}),
    (LABELS, REPLICAS, {}),
])
def test_intersection_keeps_the_shared_paths(a: dict, b: dict, expected: dict) -> None:
    assert fs.intersection(a, b) == expected


def test_operations_never_change_their_arguments() -> None:
    a, b = json.loads(json.dumps({**LABELS, **REPLICAS})), json.loads(json.dumps(LABELS))
    before = json.dumps([a, b])
    fs.union(a, b), fs.difference(a, b), fs.intersection(a, b)
    assert json.dumps([a, b]) == before


def test_canonical_order_is_upstreams_dot_then_fields_keys_values_indexes() -> None:
    node = {"i:1": {}, 'v:"b"': {}, "v:10": {}, "v:2": {}, "v:true": {}, 'k:{"port":443}': {}, 'k:{"port":80}': {},
            "f:b": {}, "f:a": {"f:z": {}, ".": {}, "f:y": {}}, "i:0": {}}
    assert list(fs.canonical({"f:x": {".": {}, **node}})["f:x"]) == [
        ".", "f:a", "f:b", 'k:{"port":80}', 'k:{"port":443}', "v:2", "v:10", 'v:"b"', "v:true", "i:0", "i:1"]
    assert list(fs.canonical(node)["f:a"]) == [".", "f:y", "f:z"]


@pytest.mark.parametrize(("fields", "expected"), [
    ({"name": "web"}, 'k:{"name":"web"}'),
    ({"protocol": "TCP", "containerPort": 80}, 'k:{"containerPort":80,"protocol":"TCP"}'),
    ({"name": "<a&b>"}, 'k:{"name":"\\u003ca\\u0026b\\u003e"}'),  # Go's HTML-safe escaping
    ({"name": "é"}, 'k:{"name":"é"}'),
])
def test_keyed_elements_are_written_as_go_writes_them(fields: dict, expected: str) -> None:
    assert fs.keyed(fields) == expected


@pytest.mark.parametrize(("path", "expected"), [
    (("f:spec", "f:replicas"), ".spec.replicas"),
    (("f:spec", "f:containers", 'k:{"name":"app"}', "f:image"), '.spec.containers[name="app"].image'),
    (("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}', "f:targetPort"),
     '.spec.ports[port=80,protocol="TCP"].targetPort'),
    (("f:metadata", "f:finalizers", 'v:"a/b"'), '.metadata.finalizers[="a/b"]'),
    (("f:spec", "f:items", "i:3"), ".spec.items[3]"),
])
def test_paths_print_as_upstreams_conflicts_print_them(path: tuple[str, ...], expected: str) -> None:
    assert fs.describe(path) == expected


def test_paths_lists_members_before_their_childrens_members() -> None:
    node = {"f:spec": {"f:template": {"f:x": {}}, "f:replicas": {}}, "f:metadata": {"f:labels": {".": {}, "f:a": {}}}}
    assert list(fs.paths(node)) == [
        ("f:metadata", "f:labels"), ("f:metadata", "f:labels", "f:a"), ("f:spec", "f:replicas"),
        ("f:spec", "f:template", "f:x")]


def test_ordered_union_of_canonical_sets_is_canonical_and_equal_to_the_union() -> None:
    stored = fs.canonical({"f:spec": {"f:b": {}, 'k:{"port":80}': {".": {}, "f:x": {}}}, "f:metadata": {"f:a": {}}})
    change = fs.canonical({"f:spec": {'k:{"port":443}': {"f:y": {}, ".": {}}, "f:a": {}, 'k:{"port":80}': {"f:w": {}}}})
    merged = fs.ordered_union(stored, change)
    assert merged == fs.union(stored, change)
    assert json.dumps(merged) == json.dumps(fs.canonical(merged))  # same keys, same order, every level
