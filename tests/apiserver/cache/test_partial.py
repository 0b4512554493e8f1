"""The partial decoding behind cache entries: every selectable field reads the same from it as
from the whole object."""

from __future__ import annotations

import orjson
import pytest

from myriad.api.builtin import BUILTIN
from myriad.api.registry import ResourceRegistry
from myriad.apiserver.cache.partial import PartialDecoder
from myriad.apiserver.strategies.table import StrategyTable
from myriad.clock import FakeClock

POD = {"kind": "Pod", "apiVersion": "v1",
       "metadata": {"name": "web-1", "namespace": "prod", "labels": {"app": "web"}, "annotations": {"a": "b"}},
       "spec": {"nodeName": "node-7", "hostNetwork": True, "containers": [{"name": "c", "image": "i"}],
                "restartPolicy": "Always", "schedulerName": "default-scheduler", "serviceAccountName": "default"},
       "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.9"}], "conditions": [{"type": "Ready"}]}}


def _decoder_and_strategy(group: str, plural: str):  # type: ignore[no-untyped-def]
    resource = ResourceRegistry(BUILTIN).get(group, "v1", plural)
    assert resource is not None
    strategy = StrategyTable(clock=FakeClock())(resource)
    names = sorted(strategy.selectable_fields())
    return PartialDecoder(p for name in names for p in strategy.field_paths(name)), strategy, names


@pytest.mark.parametrize("obj", [
    POD,
    {**POD, "status": {"phase": "Pending", "podIP": "10.0.0.1"}},
    {**POD, "spec": None, "metadata": {"name": "bare"}},
    {**POD, "status": "not an object"},  # not the shape the paths expect: decoded whole
    {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "x", "labels": None}},
])
def test_every_pod_field_reads_the_same_from_the_partial_decoding(obj: dict) -> None:
    decoder, strategy, names = _decoder_and_strategy("", "pods")
    partial = decoder.decode(orjson.dumps(obj))
    assert [strategy.field(partial, n) for n in names] == [strategy.field(obj, n) for n in names]
    assert (partial.get("metadata") or {}).get("labels") == (obj.get("metadata") or {}).get("labels")


def test_only_labels_and_the_fields_paths_are_decoded() -> None:
    decoder, _, _ = _decoder_and_strategy("", "pods")
    partial = decoder.decode(orjson.dumps(POD))
    assert partial == {"metadata": {"name": "web-1", "namespace": "prod", "labels": {"app": "web"}},
                       "spec": {"nodeName": "node-7", "hostNetwork": True, "restartPolicy": "Always",
                                "schedulerName": "default-scheduler", "serviceAccountName": "default"},
                       "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.9"}]}}


def test_a_path_inside_another_is_read_with_it() -> None:
    decoder = PartialDecoder(["spec", "spec.nodeName"])
    assert decoder.decode(b'{"spec":{"nodeName":"n","x":[1]}}') == {"spec": {"nodeName": "n", "x": [1]}}


@pytest.mark.parametrize("group", ["", "events.k8s.io"])
def test_every_event_field_reads_the_same_from_the_partial_decoding(group: str) -> None:
    event = {"kind": "Event", "apiVersion": "v1", "metadata": {"name": "e", "namespace": "ns"}, "reason": "Started",
             "type": "Normal", "source": {"component": "kubelet", "host": "n"}, "reportingComponent": "kubelet",
             "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "ns", "uid": "u", "fieldPath": "spec"}}
    decoder, strategy, names = _decoder_and_strategy(group, "events")
    partial = decoder.decode(orjson.dumps(event))
    assert [strategy.field(partial, n) for n in names] == [strategy.field(event, n) for n in names]
    assert "kubelet" in [strategy.field(partial, n) for n in names]
