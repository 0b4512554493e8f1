"""Server-side apply as structured-merge-diff does it: merging, ownership, removal and conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from myriad.api.managed import shapes
from myriad.api.managed.apply import apply
from myriad.api.managed.errors import ApplyConflicts
from myriad.api.managed.manager import Write, update

CONFIGMAP = shapes.for_kind("v1", "ConfigMap")
DEPLOYMENT = shapes.for_kind("apps/v1", "Deployment")
T1, T2, T3 = "2026-12-05T10:00:00Z", "2026-12-05T10:00:01Z", "2026-12-05T10:00:02Z"


def cm(data: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", **meta}}
    if data is not None:
        out["data"] = data
    return out


def applied(live: dict | None, config: dict, manager: str, now: str = T1, *, force: bool = False,
            shape: shapes.Shape = CONFIGMAP, api_version: str = "v1") -> dict:
    merged, managed = apply(live, config, shape, Write(manager=manager, api_version=api_version), force=force,
                            now=now)
    merged = {**merged, "metadata": {k: v for k, v in merged["metadata"].items() if k != "managedFields"}}
    if managed:
        merged["metadata"]["managedFields"] = managed
    return merged


def updated(live: dict, new: dict, manager: str, now: str = T2) -> dict:
    new = {**new, "metadata": {**new["metadata"], "managedFields": live["metadata"].get("managedFields")}}
    managed = update(live, new, CONFIGMAP, Write(manager=manager, api_version="v1"), now=now)
    new["metadata"]["managedFields"] = managed
    return new


def owners(obj: dict) -> dict[str, Any]:
    return {f"{e['manager']}:{e['operation']}": e["fieldsV1"] for e in obj["metadata"].get("managedFields") or ()}


def test_an_apply_creates_and_owns_what_it_applied() -> None:
    made = applied(None, cm({"a": "1"}, labels={"app": "x"}), "alice")
    assert made["data"] == {"a": "1"}
    assert made["metadata"]["managedFields"] == [{
        "manager": "alice", "operation": "Apply", "apiVersion": "v1", "time": T1, "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:app": {}}}}}]


def test_applying_the_same_again_changes_nothing_not_even_the_time() -> None:
    made = applied(None, cm({"a": "1"}), "alice")
    again = applied(made, cm({"a": "1"}), "alice", T2)
    assert again == made


def test_two_managers_applying_one_value_share_it() -> None:
    made = applied(None, cm({"a": "1"}), "alice")
    shared = applied(made, cm({"a": "1"}), "bob", T2)
    assert owners(shared) == {"alice:Apply": {"f:data": {"f:a": {}}}, "bob:Apply": {"f:data": {"f:a": {}}}}
    assert [e.get("time") for e in shared["metadata"]["managedFields"]] == [None, T1]  # bob changed nothing


def test_applying_another_value_conflicts_with_its_owner_unless_forced() -> None:
    made = applied(None, cm({"a": "1", "b": "2"}), "alice")
    with pytest.raises(ApplyConflicts) as caught:
        applied(made, cm({"a": "9"}), "bob", T2)
    assert str(caught.value) == 'Apply failed with 1 conflict: conflict with "alice": .data.a'
    forced = applied(made, cm({"a": "9"}), "bob", T2, force=True)
    assert forced["data"] == {"a": "9", "b": "2"}
    assert owners(forced) == {"alice:Apply": {"f:data": {"f:b": {}}}, "bob:Apply": {"f:data": {"f:a": {}}}}


def test_conflicts_with_updaters_name_their_version_and_many_are_listed_by_manager() -> None:
    made = applied(None, cm({"a": "1", "b": "2"}), "alice")
    edited = updated(made, cm({"a": "1", "b": "3", "c": "4"}), "kubectl-edit")
    with pytest.raises(ApplyConflicts) as caught:
        applied(edited, cm({"a": "0", "b": "0", "c": "0"}), "bob", T3)
    assert str(caught.value) == ('Apply failed with 3 conflicts: conflicts with "alice":\n- .data.a\n'
                                 'conflicts with "kubectl-edit" using v1:\n- .data.b\n- .data.c')
    assert {c.field for c in caught.value.conflicts} == {".data.a", ".data.b", ".data.c"}


def test_a_field_the_applier_stops_applying_goes_unless_another_manager_owns_it() -> None:
    made = applied(None, cm({"a": "1", "b": "2", "c": "3"}), "alice")
    shared = applied(made, cm({"b": "2"}), "bob", T2)
    dropped = applied(shared, cm({"c": "3"}), "alice", T3)
    assert dropped["data"] == {"b": "2", "c": "3"}  # a: alice's alone, gone; b: bob's too, kept
    assert owners(dropped) == {"alice:Apply": {"f:data": {"f:c": {}}}, "bob:Apply": {"f:data": {"f:b": {}}}}


def test_an_updaters_change_takes_the_field_and_a_later_drop_leaves_its_value() -> None:
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"replicas": 3, "selector": {"matchLabels": {"a": "b"}}}}
    made = applied(None, dep, "alice", shape=DEPLOYMENT, api_version="apps/v1")
    scaled = {**made, "spec": {**made["spec"], "replicas": 4}}
    managed = update(made, scaled, DEPLOYMENT, Write(manager="hpa", api_version="apps/v1"), now=T2)
    scaled["metadata"] = {**scaled["metadata"], "managedFields": managed}
    without = {**dep, "spec": {"selector": {"matchLabels": {"a": "b"}}}}
    after = applied(scaled, without, "alice", T3, shape=DEPLOYMENT, api_version="apps/v1")
    assert after["spec"]["replicas"] == 4  # the controller's now


def test_containers_merge_by_name_and_an_item_the_applier_drops_goes_whole() -> None:
    def dep(*containers: dict) -> dict:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {"template": {"spec": {"containers": list(containers)}}}}
    made = applied(None, dep({"name": "app", "image": "a:1"}, {"name": "side", "image": "s:1"}), "alice",
                   shape=DEPLOYMENT, api_version="apps/v1")
    extra = applied(made, dep({"name": "debug", "image": "d:1"}), "bob", T2, shape=DEPLOYMENT, api_version="apps/v1")
    names = [c["name"] for c in extra["spec"]["template"]["spec"]["containers"]]
    assert names == ["app", "side", "debug"]
    trimmed = applied(extra, dep({"name": "app", "image": "a:2"}), "alice", T3, shape=DEPLOYMENT,
                      api_version="apps/v1")
    containers = trimmed["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("app", "a:2"), ("debug", "d:1")]


def test_finalizers_are_a_set_each_applier_keeps_its_own() -> None:
    made = applied(None, cm(finalizers=["a/x"]), "alice")
    both = applied(made, cm(finalizers=["b/y"]), "bob", T2)
    assert both["metadata"]["finalizers"] == ["a/x", "b/y"]


def test_an_apply_to_an_untracked_object_conflicts_with_before_first_apply() -> None:
    live = cm({"a": "1"})
    with pytest.raises(ApplyConflicts, match='conflict with "before-first-apply" using v1: .data.a'):
        applied(live, cm({"a": "2"}), "alice")
