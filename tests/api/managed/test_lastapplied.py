"""The client-side to server-side apply migration: conflicts the last-applied annotation covers."""

from __future__ import annotations

import json

import pytest

from myriad.api.managed import lastapplied, shapes
from myriad.api.managed.errors import Conflict

CONFIGMAP = shapes.for_kind("v1", "ConfigMap")


def cm(data: dict[str, str], last: dict | None = None) -> dict:
    annotations = {lastapplied.ANNOTATION: json.dumps(last)} if last is not None else {}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": annotations},
            "data": data}


def conflict(path: str) -> Conflict:
    return Conflict("kubectl-client-side-apply", "Update", "v1", "", ("f:data", f"f:{path}"))


def test_conflicts_on_fields_still_as_last_applied_are_forgiven_others_stand() -> None:
    live = cm({"a": "1", "b": "changed"}, last={"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1", "b": "2"}})
    left = lastapplied.forgiven(live, (conflict("a"), conflict("b")), CONFIGMAP, "v1")
    assert [c.field for c in left] == [".data.b"]


def test_without_a_readable_annotation_of_this_version_nothing_is_forgiven() -> None:
    conflicts = (conflict("a"),)
    assert lastapplied.forgiven(cm({"a": "1"}), conflicts, CONFIGMAP, "v1") == conflicts
    other = cm({"a": "1"}, last={"apiVersion": "v2", "data": {"a": "1"}})
    assert lastapplied.forgiven(other, conflicts, CONFIGMAP, "v1") == conflicts


def test_the_annotation_becomes_what_was_applied_as_go_writes_it() -> None:
    obj = cm({"a": "1"}, last={"data": {"a": "0"}})
    lastapplied.annotated(obj, {"kind": "ConfigMap", "apiVersion": "v1", "data": {"a": "<1>"},
                                "metadata": {"name": "c", "annotations": {lastapplied.ANNOTATION: "x"}}})
    assert obj["metadata"]["annotations"][lastapplied.ANNOTATION] == (
        '{"apiVersion":"v1","data":{"a":"\\u003c1\\u003e"},"kind":"ConfigMap","metadata":{"name":"c"}}\n')
    untouched = cm({"a": "1"})
    lastapplied.annotated(untouched, {"data": {}})
    assert untouched["metadata"]["annotations"] == {}


@pytest.mark.parametrize(("size", "kept"), [(100_000, True), (210_000, False)])
def test_an_annotation_that_would_pass_the_annotations_limit_is_dropped(size: int, kept: bool) -> None:
    """Upstream drops it when the annotations' keys and values would exceed 256 KiB; the other
    annotations stay as they are."""
    obj = cm({"a": "1"}, last={"data": {"a": "0"}})
    obj["metadata"]["annotations"]["note"] = "n" * 60_000
    lastapplied.annotated(obj, {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "x" * size}})
    annotations = obj["metadata"]["annotations"]
    assert (lastapplied.ANNOTATION in annotations) is kept and annotations["note"] == "n" * 60_000
