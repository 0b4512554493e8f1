"""The garbage collector's graph as pure logic: links, virtual owners and the work each change
calls for."""

from __future__ import annotations

from myriad.client.objects import Object, ObjectCodec
from myriad.client.views import View
from myriad.controllers.garbagecollector.graph import Graph


def obj(uid: str, *owners: str, deleting: bool = False, finalizers: tuple[str, ...] = (), block: bool = True) -> Object:
    meta: dict = {"uid": uid, "name": f"n-{uid}", "namespace": "ns",
                  "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": f"n-{o}", "uid": o,
                                       "blockOwnerDeletion": block} for o in owners]}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-03T00:00:00Z"
    if finalizers:
        meta["finalizers"] = list(finalizers)
    return ObjectCodec(View).from_dict({"metadata": meta})


def test_an_owner_not_seen_is_virtual_and_checked() -> None:
    graph = Graph()
    assert graph.observe(obj("child", "parent"), "v1", "ConfigMap") == [("delete", "parent")]
    assert graph.nodes["parent"].virtual and graph.nodes["parent"].dependents == {"child"}
    assert graph.observe(obj("parent"), "v1", "ConfigMap") == []
    assert not graph.nodes["parent"].virtual


def test_an_owner_gone_sends_its_dependents_to_be_checked_and_stays_virtual_while_named() -> None:
    graph = Graph()
    graph.observe(obj("parent"), "v1", "ConfigMap")
    graph.observe(obj("child", "parent"), "v1", "ConfigMap")
    assert graph.forget("parent") == [("delete", "child")]
    assert graph.nodes["parent"].virtual
    graph.forget("child")
    assert "parent" not in graph.nodes and "child" not in graph.nodes


def test_foreground_deletion_sends_the_dependents_and_the_owner_and_a_dependent_gone_rechecks_the_owner() -> None:
    graph = Graph()
    graph.observe(obj("parent"), "v1", "ConfigMap")
    graph.observe(obj("child", "parent"), "v1", "ConfigMap")
    work = graph.observe(obj("parent", deleting=True, finalizers=("foregroundDeletion",)), "v1", "ConfigMap")
    assert work == [("delete", "child"), ("delete", "parent")]
    assert [n.uid for n in graph.blocking(graph.nodes["parent"])] == ["child"]
    assert graph.observe(obj("parent", deleting=True, finalizers=("foregroundDeletion",)), "v1", "ConfigMap") == []
    assert graph.forget("child") == [("delete", "parent")]


def test_orphaning_starts_once_and_a_non_blocking_reference_does_not_block() -> None:
    graph = Graph()
    graph.observe(obj("parent"), "v1", "ConfigMap")
    graph.observe(obj("child", "parent", block=False), "v1", "ConfigMap")
    assert graph.blocking(graph.nodes["parent"]) == []
    assert graph.observe(obj("parent", deleting=True, finalizers=("orphan",)), "v1", "ConfigMap") == \
        [("orphan", "parent")]
    assert graph.observe(obj("parent", deleting=True, finalizers=("orphan",)), "v1", "ConfigMap") == []


def test_a_reference_dropped_unlinks_and_an_unnamed_virtual_owner_goes() -> None:
    graph = Graph()
    graph.observe(obj("child", "ghost"), "v1", "ConfigMap")
    graph.observe(obj("child"), "v1", "ConfigMap")
    assert "ghost" not in graph.nodes and graph.nodes["child"].owners == ()
