"""Patch semantics, as tables."""

from __future__ import annotations

import copy

import pytest

from myriad.api.patch import PatchError, PatchTestFailedError, PatchTooLargeError, apply_json_patch, apply_merge_patch
from myriad.api.patch.strategic import apply_strategic_patch

DOC = {"a": {"b": 1, "c": [1, 2]}, "d": "x"}


@pytest.mark.parametrize(("ops", "expected"), [
    ([{"op": "add", "path": "/a/e", "value": 3}], {"a": {"b": 1, "c": [1, 2], "e": 3}, "d": "x"}),
    ([{"op": "add", "path": "/a/c/-", "value": 3}], {"a": {"b": 1, "c": [1, 2, 3]}, "d": "x"}),
    ([{"op": "remove", "path": "/a/b"}], {"a": {"c": [1, 2]}, "d": "x"}),
    ([{"op": "replace", "path": "/d", "value": "y"}], {"a": {"b": 1, "c": [1, 2]}, "d": "y"}),
    ([{"op": "move", "from": "/d", "path": "/a/d"}], {"a": {"b": 1, "c": [1, 2], "d": "x"}}),
    ([{"op": "copy", "from": "/a/b", "path": "/f"}], {"a": {"b": 1, "c": [1, 2]}, "d": "x", "f": 1}),
    ([{"op": "test", "path": "/d", "value": "x"}], DOC),
])
def test_json_patch_operations(ops: list[dict[str, object]], expected: object) -> None:
    assert apply_json_patch(DOC, ops) == expected
    assert DOC == {"a": {"b": 1, "c": [1, 2]}, "d": "x"}


@pytest.mark.parametrize(("ops", "error"), [
    ([{"op": "test", "path": "/d", "value": "y"}], PatchTestFailedError),
    ([{"op": "remove", "path": "/missing"}], PatchError),
    ([{"op": "replace", "path": "/a/zz", "value": 1}], PatchError),
    ([{"op": "add", "path": "/a/c/9", "value": 1}], PatchError),
    ([{"op": "bogus", "path": "/d"}], PatchError),
])
def test_json_patch_failures_raise(ops: list[dict[str, object]], error: type[Exception]) -> None:
    with pytest.raises(error):
        apply_json_patch(DOC, ops)


@pytest.mark.parametrize(("patch", "expected"), [
    ({"a": {"b": None}}, {"a": {"c": [1, 2]}, "d": "x"}),
    ({"a": {"c": [3]}}, {"a": {"b": 1, "c": [3]}, "d": "x"}),
    ({"e": {"f": 1}}, {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}),
])
def test_merge_patch_merges_maps_replaces_lists_and_deletes_nulls(patch: dict[str, object], expected: object) -> None:
    assert apply_merge_patch(DOC, patch) == expected


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "finalizers": ["a", "b"]},
       "spec": {"containers": [{"name": "web", "image": "nginx:1", "ports": [{"containerPort": 80}]},
                               {"name": "side", "image": "busybox"}]}}


@pytest.mark.parametrize(("patch", "check"), [
    ({"spec": {"containers": [{"name": "web", "image": "nginx:2"}]}},
     lambda p: [(c["name"], c["image"]) for c in p["spec"]["containers"]] == [("web", "nginx:2"), ("side", "busybox")]),
    ({"spec": {"containers": [{"name": "side", "$patch": "delete"}]}},
     lambda p: [c["name"] for c in p["spec"]["containers"]] == ["web"]),
    ({"spec": {"containers": [{"name": "new", "image": "x"}]}},
     lambda p: [c["name"] for c in p["spec"]["containers"]] == ["web", "side", "new"]),
    ({"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}},
     lambda p: [c["name"] for c in p["spec"]["containers"]] == ["only"]),
    ({"metadata": {"finalizers": ["c"]}}, lambda p: p["metadata"]["finalizers"] == ["a", "b", "c"]),
    ({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, lambda p: p["metadata"]["finalizers"] == ["b"]),
    ({"spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "web"}]}},
     lambda p: [c["name"] for c in p["spec"]["containers"]] == ["side", "web"]),
])
def test_strategic_merge_patch_uses_the_schemas_merge_keys(patch: dict[str, object], check) -> None:  # noqa: ANN001
    assert check(apply_strategic_patch(POD, patch, "v1", "Pod"))


def test_a_json_patch_of_more_than_ten_thousand_operations_is_refused() -> None:
    operations = [{"op": "test", "path": "/a", "value": 1}] * 10_001
    with pytest.raises(PatchTooLargeError, match="The allowed maximum operations in a JSON patch is 10000, got 10001"):
        apply_json_patch({"a": 1}, operations)
    assert apply_json_patch({"a": 1}, operations[:10_000]) == {"a": 1}


def test_copies_may_add_only_so_many_bytes_so_a_chain_of_them_cannot_double_an_object() -> None:
    doc = {"data": {f"k{i}": "v" * 10 for i in range(1000)}}  # about 19 KB of JSON
    doubling = [{"op": "copy", "from": "/data", "path": f"/data/dup{i}"} for i in range(25)]
    with pytest.raises(PatchError, match="Unable to complete the copy, the accumulated size increase of copy is"):
        apply_json_patch(doc, doubling, copy_limit=1024 * 1024)
    patched = apply_json_patch(doc, doubling[:3], copy_limit=1024 * 1024)
    assert len(patched["data"]) == 1003


def test_a_strategic_patch_is_neither_changed_nor_shared_so_it_can_be_applied_again() -> None:
    patch = {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "new", "image": "x", "args": ["1"]}],
                                                          "nodeSelector": {"z": "1"}, "tolerations": [{"key": "k"}]}}
    given = copy.deepcopy(patch)
    first = apply_strategic_patch(POD, patch, "v1", "Pod")
    first["spec"]["containers"][-1]["args"].append("2")
    first["spec"]["nodeSelector"]["z"] = "2"
    first["spec"]["tolerations"][0]["key"] = "changed"
    first["metadata"]["labels"]["a"] = "changed"
    assert patch == given
    assert apply_strategic_patch(POD, patch, "v1", "Pod")["spec"]["nodeSelector"] == {"z": "1"}


def test_a_strategic_patch_copies_the_document_unless_it_is_handed_over() -> None:
    doc = copy.deepcopy(POD)
    copied = apply_strategic_patch(doc, {"spec": {"nodeName": "n1"}}, "v1", "Pod")
    assert "nodeName" not in doc["spec"] and copied["spec"]["nodeName"] == "n1"
    patched = apply_strategic_patch(doc, {"spec": {"nodeName": "n2"}}, "v1", "Pod", in_place=True)
    assert patched is doc and doc["spec"]["nodeName"] == "n2"


def test_a_merge_patch_shares_no_list_with_the_patch() -> None:
    patch = {"a": {"c": [3, 4]}}
    merged = apply_merge_patch(DOC, patch)
    merged["a"]["c"].append(5)
    assert patch == {"a": {"c": [3, 4]}} and DOC["a"]["c"] == [1, 2]
