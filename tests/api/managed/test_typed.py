"""Field sets of objects along their types: what an apply owns, and what an update changed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from myriad.api.managed import fieldset as fs
from myriad.api.managed import shapes, typed

DEPLOYMENT = shapes.for_kind("apps/v1", "Deployment")
SERVICE = shapes.for_kind("v1", "Service")
CONFIGMAP = shapes.for_kind("v1", "ConfigMap")
CRD_SCHEMA = {"type": "object", "properties": {
    "spec": {"type": "object", "properties": {
        "replicas": {"type": "integer"},
        "routes": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["host", "port"],
                   "items": {"type": "object", "properties": {
                       "host": {"type": "string"}, "port": {"type": "integer", "default": 443},
                       "weight": {"type": "integer"}}}},
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "args": {"type": "array", "items": {"type": "string"}},
        "limits": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}
CUSTOM = shapes.for_custom(CRD_SCHEMA)


def deployment(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "uid": "u", "resourceVersion": "3",
                         "labels": {"app": "web"}},
            "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]}},
                **spec}}


@pytest.mark.parametrize(("obj", "shape", "expected"), [
    (deployment(replicas=3), DEPLOYMENT, {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"app"}': {
                ".": {}, "f:image": {}, "f:name": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}}}}}}),
    ({"metadata": {"name": "c", "finalizers": ["a/b", "c/d"], "annotations": {}}, "data": {"k": "v"}}, CONFIGMAP,
     {"f:metadata": {"f:finalizers": {'v:"a/b"': {}, 'v:"c/d"': {}}, "f:annotations": {}}, "f:data": {"f:k": {}}}),
    ({"spec": {"ports": [{"port": 80, "protocol": "UDP"}, {"port": 80}]}}, SERVICE, {"f:spec": {"f:ports": {
        'k:{"port":80,"protocol":"UDP"}': {".": {}, "f:port": {}, "f:protocol": {}},
        'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}}}),
    ({"spec": {"routes": [{"host": "a", "weight": 1}], "tags": ["x"], "args": ["-v"], "limits": {"cpu": "1"},
               "extra": {"deep": {"er": [1]}}}}, CUSTOM,
     {"f:spec": {"f:routes": {'k:{"host":"a","port":443}': {".": {}, "f:host": {}, "f:weight": {}}},
                 "f:tags": {'v:"x"': {}}, "f:args": {}, "f:limits": {}, "f:extra": {"f:deep": {"f:er": {}}}}}),
    ({"spec": {"a": {"b": [1, {"c": 2}]}, "d": None}}, shapes.for_custom(None),
     {"f:spec": {"f:a": {"f:b": {}}, "f:d": {}}}),  # no schema: maps granular, lists atomic
    ({"spec": {"routes": [{"host": "a"}, {"host": "a", "port": 443}]}}, CUSTOM,
     {"f:spec": {"f:routes": {}}}),  # items it cannot tell apart: the list is owned whole
])
def test_an_apply_owns_what_its_object_holds(obj: dict, shape: shapes.Shape, expected: dict) -> None:
    assert typed.object_set(obj, shape) == expected


def _changed(live: dict, new: dict, shape: shapes.Shape = DEPLOYMENT) -> tuple[dict, dict]:
    return typed.compare(live, new, shape, typed.UNOWNED)


def test_an_update_takes_the_fields_it_changed_and_only_those() -> None:
    live = deployment(replicas=3)
    new = copy.deepcopy(live)
    new["spec"]["replicas"] = 5
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    new["metadata"]["labels"]["tier"] = "web"
    del new["metadata"]["labels"]["app"]
    changed, removed = _changed(live, new)
    assert changed == {"f:metadata": {"f:labels": {"f:tier": {}}}, "f:spec": {
        "f:replicas": {}, "f:template": {"f:spec": {"f:containers": {'k:{"name":"app"}': {"f:image": {}}}}}}}
    assert removed == {"f:metadata": {"f:labels": {"f:app": {}}}}
    assert [fs.describe(p) for p in fs.paths(changed)] == [
        ".metadata.labels.tier", ".spec.replicas", '.spec.template.spec.containers[name="app"].image']


def test_what_an_update_adds_is_owned_node_by_node_as_upstream_records_a_create() -> None:
    zero = {"metadata": {"creationTimestamp": None},
            "spec": {"selector": None, "template": {"metadata": {"creationTimestamp": None},
                                                    "spec": {"containers": None}}, "strategy": {}}}
    new = deployment()
    new["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    changed, _ = _changed(zero, new)
    assert fs.canonical(changed) == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"app"}': {
                ".": {}, "f:image": {}, "f:name": {},
                "f:ports": {".": {}, 'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                "f:resources": {}}}}}}}


@pytest.mark.parametrize(("live", "new", "changed", "removed"), [
    ({"data": {"a": "1"}}, {"data": {"a": "1"}}, {}, {}),
    ({"data": {"a": "1"}}, {"data": {"a": "2"}}, {"f:data": {"f:a": {}}}, {}),
    ({"data": {"a": "1"}}, {}, {}, {"f:data": {".": {}, "f:a": {}}}),
    ({}, {"data": {}}, {"f:data": {}}, {}),
    ({"data": None}, {"data": {}}, {"f:data": {}}, {}),  # both empty, not equal: leaves
    ({"data": None}, {"data": {"a": "1"}}, {"f:data": {"f:a": {}}}, {}),  # null is there: its items are added
    ({"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": ["b", "a"]}},
     {"f:metadata": {"f:finalizers": {'v:"b"': {}}}}, {}),
])
def test_compare_table(live: dict, new: dict, changed: dict, removed: dict) -> None:
    assert typed.compare(live, new, CONFIGMAP) == (changed, removed)


def test_changes_inside_an_atomic_value_change_the_whole_value() -> None:
    live = deployment()
    new = copy.deepcopy(live)
    new["spec"]["selector"]["matchLabels"]["tier"] = "x"
    assert _changed(live, new) == ({"f:spec": {"f:selector": {}}}, {})


def test_the_sets_built_are_in_canonical_order_already() -> None:
    import json
    new = deployment(replicas=3)
    new["spec"]["template"]["spec"]["containers"].insert(0, {"name": "zz", "image": "x", "env": [{"name": "B"}]})
    owned = typed.object_set(new, DEPLOYMENT)
    changed, _ = typed.compare({}, new, DEPLOYMENT)
    for built in (owned, changed):
        assert json.dumps(built) == json.dumps(fs.canonical(built))


def _without(fields: dict, dropped: dict) -> dict:
    """The oracle: ``fields`` less each path of ``dropped`` with all under it; a ``"."`` in a
    node of ``dropped`` drops only that node's membership."""
    out = {}
    for key, sub in fields.items():
        skip = dropped.get(key)
        if skip is None:
            out[key] = sub
        elif skip and sub:
            rest = _without(sub, skip)
            if rest:
                out[key] = rest
        elif skip and "." not in skip:
            out[key] = sub  # a leaf where only its children are dropped
    return out


POD = shapes.for_kind("v1", "Pod")
_POD_RESET = {"f:spec": {}, "f:metadata": {"f:deletionTimestamp": {}, "f:ownerReferences": {}}}


def _pod(**metadata: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "d", "uid": "u", "resourceVersion": "9", **metadata},
            "spec": {"containers": [{"name": "a", "image": "x"}]}, "status": {"phase": "Pending"}}


@pytest.mark.parametrize(("live", "new", "shape", "reset"), [
    ({}, deployment(replicas=3), DEPLOYMENT, None),  # a create: metadata appears whole
    (deployment(replicas=3), {"spec": {}}, DEPLOYMENT, None),  # metadata goes whole
    (deployment(), {**deployment(), "metadata": None}, DEPLOYMENT, None),  # metadata becomes a leaf
    (deployment(), {**deployment(), "metadata": {**deployment()["metadata"], "uid": "v", "labels": {"b": "c"}}},
     DEPLOYMENT, None),
    ({**deployment(), "status": {"replicas": 1}}, {**deployment(replicas=2), "status": {"replicas": 2}},
     DEPLOYMENT, {"f:status": {}}),
    (_pod(), {**_pod(labels={"a": "b"}, deletionTimestamp="2026-01-01T00:00:00Z",
                     ownerReferences=[{"uid": "o"}]), "status": {"phase": "Running"}}, POD, _POD_RESET),
    (_pod(labels={"a": "b"}), {**_pod(), "spec": {"containers": []}}, POD, _POD_RESET),
])
def test_compare_leaves_out_what_is_ignored_as_dropping_it_afterwards_would(live: dict, new: dict, shape: shapes.Shape,
                                                                            reset: dict | None) -> None:
    changed, removed = typed.compare(live, new, shape)
    ignored, paths = typed.ignoring(reset), fs.union(typed.UNOWNED_PATHS, reset or {})
    assert typed.compare(live, new, shape, ignored) == (_without(changed, paths), _without(removed, paths))
    assert typed.object_set(new, shape, ignored) == _without(typed.to_set(new, shape), paths)


def test_a_remembered_subtree_set_is_told_apart_by_its_shape_and_never_changed_by_use() -> None:
    routes = [{"host": "a", "port": 1, "weight": 2}]
    keyed_shape = CUSTOM.field("spec").field("routes")  # type: ignore[union-attr]
    first = typed.compare({"spec": {}}, {"spec": {"routes": routes}}, CUSTOM)[0]
    again = typed.compare({"spec": {}}, {"spec": {"routes": copy.deepcopy(routes)}}, CUSTOM)[0]
    assert first == again == {"f:spec": {"f:routes": {".": {}, 'k:{"host":"a","port":1}': {
        ".": {}, "f:host": {}, "f:port": {}, "f:weight": {}}}}}
    assert keyed_shape.list_type == "map"
    # the same JSON under a shape without a schema is an atomic list: a leaf
    assert typed.compare({"spec": {}}, {"spec": {"routes": routes}}, shapes.for_custom(None))[0] == {
        "f:spec": {"f:routes": {}}}
    snapshot = copy.deepcopy(first)
    fs.union(first, {"f:spec": {"f:other": {}}})
    fs.difference(first, {"f:spec": {"f:routes": {}}})
    assert first == snapshot == typed.compare({"spec": {}}, {"spec": {"routes": routes}}, CUSTOM)[0]
