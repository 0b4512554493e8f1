"""Compact informer objects: JSON bytes plus a typed view, the whole object decoded on demand."""

from __future__ import annotations

import copy
import tracemalloc

import msgspec
import orjson
import pytest

from myriad.client import objects, views
from myriad.client.errors import ViewOnly
from myriad.client.objects import Object, ObjectCodec, decoded_bytes, set_decoded_budget, to_json
from myriad.client.views import NodeView, PodView, SelectorView, View, view_for


def _pod(name: str = "web-0", **status: object) -> dict:
    return {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}", "resourceVersion": "42",
                     "generation": 1, "creationTimestamp": "2026-12-04T00:00:00Z",
                     "labels": {"app": "web", "tier": "front"},
                     "annotations": {"note": "x" * 50},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8f",
                                          "uid": "rs-uid", "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"nodeName": "node-7", "schedulerName": "default-scheduler", "priority": 5,
                 "containers": [{"name": "app", "image": "nginx:1.27", "env": [{"name": "A", "value": "b"}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                               "limits": {"memory": "128Mi"}}}],
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                  "effect": "NoExecute", "tolerationSeconds": 300}]},
        "status": {"phase": "Running", "podIP": "10.0.0.9",
                   "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None}], **status},
    }


@pytest.fixture(autouse=True)
def _fresh_fifo():
    yield
    set_decoded_budget(objects.DEFAULT_DECODED_BUDGET)


CODEC = ObjectCodec(PodView)


def test_a_pod_view_holds_the_fields_components_read_on_every_event():
    obj = CODEC.object(orjson.dumps(_pod()))
    assert (obj.name, obj.namespace, obj.uid, obj.resource_version, obj.key) == \
        ("web-0", "shop", "uid-web-0", "42", "shop/web-0")
    assert obj.labels == {"app": "web", "tier": "front"}
    [owner] = obj.view.metadata.owner_references
    assert (owner.kind, owner.name, owner.uid, owner.controller) == ("ReplicaSet", "web-5d8f", "rs-uid", True)
    assert obj.view.node_name == "node-7"
    assert (obj.view.spec.scheduler_name, obj.view.spec.priority) == ("default-scheduler", 5)
    assert obj.view.spec.containers[0].resources.requests == {"cpu": "100m", "memory": "64Mi"}
    assert obj.view.status.phase == "Running"
    assert obj.view.status.condition("Ready") == "True"
    assert obj.view.status.condition("PodScheduled") == ""
    assert obj.annotations == {"note": "x" * 50}
    obj.get("kind")
    assert obj.annotations == {"note": "x" * 50}
    assert CODEC.object(b'{"metadata":{"name":"bare"}}').annotations == {}


def test_equal_labels_requests_and_owners_are_one_shared_value():
    one, two = (CODEC.object(orjson.dumps(_pod(name))) for name in ("a", "b"))
    assert one.labels is two.labels
    assert one.view.metadata.owner_references is two.view.metadata.owner_references
    assert one.view.spec.containers[0].resources.requests is two.view.spec.containers[0].resources.requests
    assert one.namespace is two.namespace
    assert one.view.node_name is two.view.node_name


def test_unequal_labels_are_not_shared_and_null_ones_are_none():
    pod = _pod("c")
    pod["metadata"]["labels"]["extra"] = "1"
    one, two = CODEC.object(orjson.dumps(_pod("a"))), CODEC.object(orjson.dumps(pod))
    assert one.labels is not two.labels and two.labels == {"app": "web", "tier": "front", "extra": "1"}
    bare = CODEC.object(b'{"metadata":{"name":"n","labels":null,"ownerReferences":null,"annotations":null}}')
    assert (bare.view.metadata.labels, bare.labels, bare.view.metadata.owner_references) == (None, {}, None)
    assert bare.annotations == {}


def test_the_sharing_tables_are_bounded(monkeypatch):
    monkeypatch.setattr(views, "SHARED_LIMIT", 4)
    table = views._Shared(dict[str, str])
    kept = [table(msgspec.Raw(orjson.dumps({"n": str(i)}))) for i in range(10)]
    assert len(table._values) <= 4
    assert kept[9] is table(msgspec.Raw(orjson.dumps({"n": "9"})))
    assert kept == [{"n": str(i)} for i in range(10)]


def test_the_mapping_protocol_reads_the_whole_object():
    pod = _pod()
    obj = CODEC.object(orjson.dumps(pod))
    assert obj["metadata"]["annotations"] == {"note": "x" * 50}
    assert obj.get("status")["podIP"] == "10.0.0.9"
    assert obj.get("missing", 3) == 3
    assert "spec" in obj and "missing" not in obj
    assert list(obj) == list(pod) and len(obj) == len(pod)
    assert dict(obj.items()) == pod and list(obj.keys()) == list(pod.keys())
    assert {**obj} == pod
    assert obj == pod and obj == CODEC.object(orjson.dumps(pod))
    assert obj != CODEC.object(orjson.dumps(_pod("other")))


def test_decode_and_deepcopy_give_a_dict_the_caller_owns():
    obj = CODEC.object(orjson.dumps(_pod()))
    mine = obj.decode()
    mine["spec"]["nodeName"] = "elsewhere"
    theirs = copy.deepcopy(obj)
    assert type(theirs) is dict
    theirs["metadata"]["labels"]["app"] = "changed"
    assert obj["spec"]["nodeName"] == "node-7"
    assert obj["metadata"]["labels"]["app"] == "web"


def test_an_object_encodes_as_the_object_it_holds():
    pod = _pod()
    obj = CODEC.object(orjson.dumps(pod))
    assert orjson.loads(orjson.dumps({"items": [obj]}, default=to_json)) == {"items": [pod]}
    with pytest.raises(TypeError, match="not JSON serializable: set"):
        to_json({1})


def test_whole_objects_stay_decoded_only_up_to_the_budget():
    raws = [orjson.dumps(_pod(f"p{i}")) for i in range(10)]
    set_decoded_budget(3 * len(raws[0]))
    held = [CODEC.object(raw) for raw in raws]
    for obj in held:
        obj.get("spec")
    assert decoded_bytes() == 3 * len(raws[0])
    assert [obj._decoded is not None for obj in held] == [False] * 7 + [True] * 3
    assert held[0]["metadata"]["name"] == "p0"  # decoded again on demand
    set_decoded_budget(0)
    assert decoded_bytes() == 0
    assert held[1].get("kind") == "Pod"
    assert decoded_bytes() == 0


def test_a_list_page_becomes_objects_with_its_version_and_continue():
    body = orjson.dumps({"kind": "PodList", "apiVersion": "v1",
                         "metadata": {"resourceVersion": "77", "continue": "token"},
                         "items": [_pod("a"), _pod("b")]})
    page = CODEC.page(body)
    assert [o.name for o in page.items] == ["a", "b"]
    assert (page.resource_version, page.continue_) == ("77", "token")
    assert page.items[1] == _pod("b")
    empty = CODEC.page(b'{"kind":"PodList","metadata":{"resourceVersion":"5"},"items":null}')
    assert (empty.items, empty.resource_version, empty.continue_) == ([], "5", None)


@pytest.mark.parametrize(("line", "kind", "is_object"), [
    (b'{"type":"ADDED","object":%s}', "ADDED", True),
    (b'{"type":"MODIFIED","object":%s}', "MODIFIED", True),
    (b'{"type":"DELETED","object":%s}', "DELETED", True),
    (b'{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"9"}}}', "BOOKMARK", False),
    (b'{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}', "ERROR", False),
])
def test_watch_lines_carry_objects_and_bookmarks_and_errors_carry_dicts(line, kind, is_object):
    event = CODEC.event(line % orjson.dumps(_pod()) if b"%s" in line else line)
    assert event.type == kind
    assert isinstance(event.object, Object) is is_object
    if kind == "BOOKMARK":
        assert event.resource_version == "9"
    if is_object:
        assert event.resource_version == "42"


@pytest.mark.parametrize("body", [
    b"not json",
    b'{"metadata":{"name":"x","labels":{"a":5}}}',
    b'{"metadata":{"name":7}}',
    b'{"spec":{"containers":"many"}}',
])
def test_json_that_does_not_fit_the_view_raises_a_decode_error(body):
    with pytest.raises(msgspec.DecodeError):
        CODEC.object(body)


def test_each_resource_gets_its_view():
    assert view_for("v1", "pods") is PodView
    assert view_for("v1", "nodes") is NodeView
    assert view_for("apps/v1", "replicasets") is SelectorView
    assert view_for("v1", "configmaps") is View
    node = ObjectCodec(NodeView).object(orjson.dumps({
        "metadata": {"name": "n1", "labels": {"zone": "a"}},
        "spec": {"unschedulable": True, "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
        "status": {"allocatable": {"cpu": "8", "pods": "110"}, "images": [{"names": ["x"]}],
                   "conditions": [{"type": "Ready", "status": "False"}]}}))
    assert (node.key, node.view.spec.unschedulable, node.view.spec.taints[0].effect) == ("n1", True, "NoSchedule")
    assert node.view.status.allocatable == {"cpu": "8", "pods": "110"}
    assert node.view.status.condition("Ready") == "False"
    assert node.view.node_name == ""


def test_a_cached_pod_costs_its_json_plus_a_small_view():
    raws = [orjson.dumps(_pod(f"web-{i:05d}")) for i in range(2000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [CODEC.object(bytes(bytearray(raw))) for raw in raws]
        per_object = (tracemalloc.get_traced_memory()[0] - before) / len(held)
    finally:
        tracemalloc.stop()
    json_size = len(raws[0])
    assert json_size < per_object < json_size + 850, (json_size, per_object)


@pytest.mark.parametrize("line", [
    b'{"type":"MODIFIED","object":%s}',
    b'{"object":%s,"type":"MODIFIED"}',
    b'{"type":"MODIFIED","object":%s,"extra":{"a":1}}',
    b'{"type": "MODIFIED", "object": %s}',
])
def test_a_watch_line_decodes_the_same_whatever_its_layout(line):
    pod = _pod()
    event = CODEC.event(line % orjson.dumps(pod))
    assert event.type == "MODIFIED" and event.object == pod and orjson.loads(event.object.raw) == pod


def test_a_view_only_object_keeps_its_view_and_refuses_whole_reads():
    obj = CODEC.object(orjson.dumps(_pod()))
    slim = obj.view_only()
    assert slim.raw == b"" and slim.key == obj.key and slim.labels == obj.labels
    assert slim.view.spec is obj.view.spec and slim.view.status is obj.view.status
    assert slim.annotations == {} and obj.annotations == {"note": "x" * 50}
    with pytest.raises(ViewOnly, match="shop/web-0 is kept as its view alone"):
        slim.get("spec")
    with pytest.raises(ViewOnly):
        slim.decode()


def test_objects_held_as_views_alone_compare_by_their_views():
    one, other = CODEC.object(orjson.dumps(_pod("a"))), CODEC.object(orjson.dumps(_pod("b")))
    assert one.view_only() == CODEC.object(orjson.dumps(_pod("a"))).view_only()
    assert one.view_only() != other.view_only()
    assert one != one.view_only()
