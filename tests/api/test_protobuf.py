"""Kubernetes protobuf bodies decoded into JSON-shaped objects (field numbers from upstream's
generated.proto, as kubectl's typed clients encode them)."""

from __future__ import annotations

import orjson
import pytest

from myriad.api.protobuf import ProtobufError, decode_body
from myriad.api.protobuf.decode import go_duration
from myriad.api.schemas import prune_unknown


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def number(field: int, value: int) -> bytes:
    return varint(field << 3) + varint(value)


def nested(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def text(field: int, value: str) -> bytes:
    return nested(field, value.encode())


def entry(field: int, key: str, value: bytes) -> bytes:
    return nested(field, text(1, key) + value)


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return b"k8s\x00" + nested(1, text(1, api_version) + text(2, kind)) + nested(2, raw)


METADATA = text(1, "cm") + text(2, "") + entry(11, "app", text(2, "web")) + nested(8, b"")


def test_a_configmap_decodes_with_zero_times_left_out_and_the_json_path_drops_the_empty_fields() -> None:
    raw = nested(1, METADATA) + entry(2, "a", text(2, "1")) + entry(2, "empty", b"") + \
        entry(3, "bin", nested(2, b"\x00\xff")) + number(4, 0)
    obj = decode_body(envelope("v1", "ConfigMap", raw))
    assert obj == {
        "kind": "ConfigMap", "apiVersion": "v1",
        "metadata": {"name": "cm", "generateName": "", "labels": {"app": "web"}},
        "data": {"a": "1", "empty": ""}, "binaryData": {"bin": "AP8="}, "immutable": False}
    # immutable is a *bool: false is kept, as Go's JSON encoder writes a pointer to false
    assert prune_unknown(obj, "v1", "ConfigMap") == []
    assert obj == {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "cm", "labels": {"app": "web"}},
                   "data": {"a": "1", "empty": ""}, "binaryData": {"bin": "AP8="}, "immutable": False}


def test_structs_go_embeds_inline_are_merged_into_their_parent() -> None:
    # Volume{name, VolumeSource{hostPath{path}}}: kubectl debug node's host-root volume
    volume = text(1, "host-root") + nested(2, nested(1, text(1, "/")))
    # Probe{ProbeHandler{exec{command}}, periodSeconds}
    probe = nested(1, nested(1, text(1, "true"))) + number(4, 5)
    # EnvVar{name, valueFrom{configMapKeyRef{LocalObjectReference{name}, key}}}
    env = text(1, "X") + nested(3, nested(3, nested(1, text(1, "settings")) + text(2, "k")))
    container = text(1, "c") + text(2, "busybox") + nested(7, env) + nested(10, probe)
    raw = nested(1, text(1, "p")) + nested(2, nested(1, volume) + nested(2, container))
    obj = decode_body(envelope("v1", "Pod", raw))
    spec = obj["spec"]
    assert spec["volumes"] == [{"name": "host-root", "hostPath": {"path": "/"}}]
    assert spec["containers"][0]["livenessProbe"] == {"exec": {"command": ["true"]}, "periodSeconds": 5}
    assert spec["containers"][0]["env"] == [{"name": "X",
                                             "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "k"}}}]
    assert prune_unknown(obj, "v1", "Pod") == []


def test_a_deployment_decodes_ints_quantities_and_int_or_strings() -> None:
    container = text(1, "web") + text(2, "nginx") + \
        nested(6, number(3, 8080)) + nested(8, entry(2, "cpu", nested(2, text(1, "100m"))))
    pod_spec = nested(2, container) + number(4, (-1) & ((1 << 64) - 1))
    strategy = nested(2, nested(1, number(1, 1) + text(3, "25%")) + nested(2, number(1, 0) + number(2, 1)))
    spec = number(1, 0) + nested(3, nested(2, pod_spec)) + nested(4, text(1, "RollingUpdate") + strategy)
    obj = decode_body(envelope("apps/v1", "Deployment", nested(1, text(1, "d")) + nested(2, spec)))
    assert obj["spec"]["replicas"] == 0
    template = obj["spec"]["template"]["spec"]
    assert template["containers"] == [{"name": "web", "image": "nginx", "ports": [{"containerPort": 8080}],
                                       "resources": {"requests": {"cpu": "100m"}}}]
    assert template["terminationGracePeriodSeconds"] == -1
    assert obj["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": "25%", "maxSurge": 1}


def test_times_decode_as_go_prints_them() -> None:
    meta = text(1, "e") + nested(9, number(1, 1_700_000_000) + number(2, 5))
    raw = nested(1, meta) + nested(10, number(1, 1_700_000_000) + number(2, 123_456_789))  # eventTime
    obj = decode_body(envelope("v1", "Event", raw))
    assert obj["metadata"]["deletionTimestamp"] == "2023-11-14T22:13:20Z"
    assert obj["eventTime"] == "2023-11-14T22:13:20.123456Z"


def test_fields_the_table_does_not_know_are_dropped() -> None:
    raw = nested(1, text(1, "cm")) + text(99, "from the future") + number(98, 7)
    assert decode_body(envelope("v1", "ConfigMap", raw)) == {"kind": "ConfigMap", "apiVersion": "v1",
                                                             "metadata": {"name": "cm"}}


@pytest.mark.parametrize(("body", "message"), [
    (b'{"kind":"ConfigMap"}', "does not start with the Kubernetes protobuf prefix"),
    (envelope("v1", "Gizmo", b""), "no protobuf schema for Gizmo in v1"),
    (b"k8s\x00" + nested(2, b""), "names no apiVersion and kind"),
    (envelope("v1", "ConfigMap", nested(1, b"\x0a\x05ab")), "malformed protobuf"),
    (envelope("v1", "ConfigMap", b"\x0b"), "malformed protobuf"),
])
def test_bad_bodies_raise_a_clear_error(body: bytes, message: str) -> None:
    with pytest.raises(ProtobufError, match=message):
        decode_body(body)


@pytest.mark.parametrize(("nanos", "text_"), [
    (0, "0s"), (1, "1ns"), (1_500, "1.5µs"), (150_000_000, "150ms"), (1_000_000_000, "1s"),
    (90_000_000_000, "1m30s"), (3_600_000_000_000, "1h0m0s"), (3_723_500_000_000, "1h2m3.5s"), (-2_000_000_000, "-2s"),
])
def test_durations_print_as_go_does(nanos: int, text_: str) -> None:
    assert go_duration(nanos) == text_


def test_the_committed_table_is_the_one_derived_from_the_installed_kubectl() -> None:
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root / "tools"))
    try:
        spec = importlib.util.spec_from_file_location("derive_protobuf", root / "tools" / "derive_protobuf.py")
        assert spec is not None and spec.loader is not None
        derive = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(derive)
    finally:
        sys.path.remove(str(root / "tools"))
    committed_path = root / "src" / "myriad" / "api" / "protobuf" / "schema.json"
    committed = orjson.loads(committed_path.read_bytes())
    derived = derive.derive(Path(sys.executable).parent / "kubectl", committed)
    assert orjson.dumps(derived) == committed_path.read_bytes()


def test_a_named_slice_decodes_as_the_list_it_is_in_json() -> None:
    # SubjectAccessReview{spec{extra{"scopes": ExtraValue{items: [a, b]}}, user}}
    extra = entry(5, "scopes", nested(2, text(1, "a") + text(1, "b")))
    raw = nested(1, text(1, "r")) + nested(2, extra + text(3, "alice"))
    obj = decode_body(envelope("authorization.k8s.io/v1", "SubjectAccessReview", raw))
    assert obj["spec"] == {"extra": {"scopes": ["a", "b"]}, "user": "alice"}
