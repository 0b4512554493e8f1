"""The Go layout table (``myriad/api/gotypes.json``) is what kubectl 1.37.1's own type
descriptors say, and reads as Go's encoder acts on it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from myriad.api import gotypes
from myriad.api.schemas import definitions

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_table_is_the_one_derived_from_the_installed_kubectl() -> None:
    spec = importlib.util.spec_from_file_location("derive_gotypes", ROOT / "tools" / "derive_gotypes.py")
    assert spec is not None and spec.loader is not None
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    kubectl = Path(sys.executable).parent / "kubectl"
    known = {name for name, schema in definitions().items() if "properties" in schema}
    rendered = derive.render(derive.derive(kubectl, known))
    assert rendered == (ROOT / "src" / "myriad" / "api" / "gotypes.json").read_bytes()


@pytest.mark.parametrize(("struct", "inline"), [
    ("io.k8s.api.core.v1.Volume", {"io.k8s.api.core.v1.VolumeSource"}),
    ("io.k8s.api.core.v1.Probe", {"io.k8s.api.core.v1.ProbeHandler"}),
    ("io.k8s.api.core.v1.EphemeralContainer", {"io.k8s.api.core.v1.EphemeralContainerCommon"}),
    ("io.k8s.api.core.v1.ConfigMapKeySelector", {"io.k8s.api.core.v1.LocalObjectReference"}),
    ("io.k8s.api.networking.v1.IngressRule", {"io.k8s.api.networking.v1.IngressRuleValue"}),
    ("io.k8s.api.core.v1.Container", set()),
])
def test_inline_members_are_found_in_the_table(struct: str, inline: set[str]) -> None:
    assert gotypes.inlined(struct) == inline


@pytest.mark.parametrize(("struct", "field", "drops_empty", "always_written"), [
    ("io.k8s.api.apps.v1.DeploymentSpec", "minReadySeconds", True, False),   # int32, omitempty
    ("io.k8s.api.apps.v1.DeploymentSpec", "replicas", False, False),         # *int32
    ("io.k8s.api.apps.v1.DeploymentSpec", "template", False, True),          # a struct, by value
    ("io.k8s.api.apps.v1.DaemonSetStatus", "numberReady", False, True),      # int32, no omitempty
    ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "creationTimestamp", False, False),  # omitzero
    ("io.k8s.api.core.v1.Event", "firstTimestamp", False, True),             # a Time by value: null
    ("io.k8s.api.discovery.v1.EndpointSlice", "endpoints", False, True),     # a slice without omitempty
    ("io.k8s.api.core.v1.Volume", "hostPath", False, False),                 # from the inline VolumeSource
])
def test_fields_read_as_gos_encoder_treats_them(struct: str, field: str, drops_empty: bool,
                                                always_written: bool) -> None:
    go = (gotypes.fields(struct) or {})[field]
    assert (go.drops_empty, go.always_written) == (drops_empty, always_written)


def test_a_zero_struct_holds_only_what_go_always_writes() -> None:
    assert gotypes.zero_struct("io.k8s.api.core.v1.NodeStatus") == {
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
        "nodeInfo": {"machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "", "osImage": "",
                     "containerRuntimeVersion": "", "kubeletVersion": "", "kubeProxyVersion": "",
                     "operatingSystem": "", "architecture": ""}}
