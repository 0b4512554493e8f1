"""Pruning of fields the built-in schemas do not declare (what fieldValidation reports)."""

from __future__ import annotations

import copy

import pytest

from myriad.api.schemas import prune_unknown

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
       "spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "X", "value": "1"}],
                                "resources": {"requests": {"cpu": "1"}}}],
                "nodeSelector": {"disk": "ssd"}}}


@pytest.mark.parametrize(("path", "extra", "reported"), [
    ((), {"datta": 1}, ["datta"]),
    (("spec",), {"nodeNmae": "x"}, ["spec.nodeNmae"]),
    (("spec", "containers", 0), {"imagePullPolicyy": "Always"}, ["spec.containers[0].imagePullPolicyy"]),
    (("spec", "containers", 0, "env", 0), {"valu": "2"}, ["spec.containers[0].env[0].valu"]),
    (("metadata",), {"nmae": "x"}, ["metadata.nmae"]),
])
def test_undeclared_fields_are_removed_and_reported_by_path(path: tuple, extra: dict, reported: list[str]) -> None:
    pod = copy.deepcopy(POD)
    target = pod
    for part in path:
        target = target[part]
    target.update(extra)
    assert prune_unknown(pod, "v1", "Pod") == reported
    assert pod == POD


def test_free_form_maps_and_quantities_keep_every_key() -> None:
    pod = copy.deepcopy(POD)
    pod["metadata"]["annotations"] = {"anything/goes": "yes"}
    pod["spec"]["containers"][0]["resources"]["limits"] = {"example.com/gpu": "1"}
    expected = copy.deepcopy(pod)
    assert prune_unknown(pod, "v1", "Pod") == []
    assert pod == expected


def test_kinds_without_a_schema_are_left_alone() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"whatever": 1}}
    assert prune_unknown(obj, "example.com/v1", "Widget") == []
    assert obj["spec"] == {"whatever": 1}
