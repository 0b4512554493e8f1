"""Decoding against the built-in schemas: fields they do not declare are pruned (what
fieldValidation reports) and values of the wrong type refused as Go refuses them."""

from __future__ import annotations

import copy

import pytest

from myriad.api.schemas import FieldTypeError, prune_unknown

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
       "spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "X", "value": "1"}],
                                "resources": {"requests": {"cpu": "1"}}}],
                "nodeSelector": {"disk": "ssd"}},
       "status": {}}


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


@pytest.mark.parametrize(("touched", "reported"), [
    ({"status": {"phase": "Running"}}, ["status.phasee"]),
    ({"spec": {"nodeSelector": {"disk": "hdd"}}}, []),  # a map's value: nothing below to walk
    ({"spec": {"containers": [{"name": "c"}]}}, ["spec.containers[0].imagee"]),  # a list it reaches: all of it
    ({"spec": {"$setElementOrder/containers": [{"name": "c"}]}}, []),
    ({"metadata": {"labels": {"a": None}}, "status": {"phase": "Running"}}, ["status.phasee"]),
])
def test_a_patch_walks_only_what_it_reached(touched: dict, reported: list[str]) -> None:
    pod = copy.deepcopy(POD)
    pod["spec"]["containers"][0]["imagee"] = "x"  # stand-ins for what a patch added, or not
    pod["status"]["phasee"] = "x"
    assert prune_unknown(pod, "v1", "Pod", touched=touched) == reported


def test_a_patch_still_refuses_a_bad_value_where_it_reached() -> None:
    pod = copy.deepcopy(POD)
    pod["status"]["startTime"] = "yesterday"
    with pytest.raises(FieldTypeError):
        prune_unknown(pod, "v1", "Pod", touched={"status": {"startTime": "yesterday"}})
    assert prune_unknown(copy.deepcopy(pod), "v1", "Pod", touched={"spec": {"nodeName": "n"}}) == []


def test_kinds_without_a_schema_are_left_alone() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"whatever": 1}}
    assert prune_unknown(obj, "example.com/v1", "Widget") == []
    assert obj["spec"] == {"whatever": 1}


@pytest.mark.parametrize(("api_version", "kind", "body", "message"), [
    ("coordination.k8s.io/v1", "Lease", {"spec": {"leaseDurationSeconds": "40"}},
     "json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32"),
    ("coordination.k8s.io/v1", "Lease", {"spec": {"leaseDurationSeconds": 2**31}},
     "json: cannot unmarshal number 2147483648 into Go struct field LeaseSpec.spec.leaseDurationSeconds of type "
     "int32"),
    ("coordination.k8s.io/v1", "Lease", {"spec": {"leaseTransitions": 1.5}},
     "json: cannot unmarshal number 1.5 into Go struct field LeaseSpec.spec.leaseTransitions of type int32"),
    ("coordination.k8s.io/v1", "Lease", {"spec": {"renewTime": "garbage"}},
     'parsing time "garbage" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "garbage" as "2006"'),
    # Lease and Event times are MicroTime: RFC3339Micro takes exactly six fractional digits
    ("coordination.k8s.io/v1", "Lease", {"spec": {"renewTime": "2026-12-01T22:26:58Z"}},
     'parsing time "2026-12-01T22:26:58Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"'),
    ("coordination.k8s.io/v1", "Lease", {"spec": {"acquireTime": "2026-12-01T22:26:58.123456789Z"}},
     'parsing time "2026-12-01T22:26:58.123456789Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "789Z" '
     'as "Z07:00"'),
    ("v1", "Event", {"eventTime": "2026-12-01T22:26:58.1Z"},
     'parsing time "2026-12-01T22:26:58.1Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse ".1Z" as '
     '".000000"'),
    ("v1", "Pod", {"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "lots"}}}]}},
     "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"),
    ("v1", "Pod", {"metadata": {"creationTimestamp": "garbage"}},
     'parsing time "garbage" as "2006-01-02T15:04:05Z07:00": cannot parse "garbage" as "2006"'),
    ("v1", "ConfigMap", {"data": {"a": 1}},
     "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"),
    ("v1", "ConfigMap", {"data": ["a"]},
     "json: cannot unmarshal array into Go struct field ConfigMap.data of type map[string]string"),
    ("v1", "Secret", {"data": {"a": "!!"}}, "illegal base64 data at input byte 0"),
    ("v1", "Pod", {"spec": "x"}, "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec"),
    ("v1", "Pod", {"spec": {"containers": [{"name": 1}]}},
     "json: cannot unmarshal number into Go struct field Container.spec.containers.name of type string"),
    ("v1", "Pod", {"metadata": {"labels": {"a": True}}},
     "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"),
    ("v1", "Pod", {"metadata": {"creationTimestamp": "2026-12-01 10:00:00"}},
     'parsing time "2026-12-01 10:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "2026-12-01 10:00:00" as '
     '"2006"'),
    ("v1", "Service", {"spec": {"ports": [{"port": 80, "targetPort": False}]}},
     "json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type intstr.IntOrString"),
])
def test_values_go_cannot_decode_raise_gos_message(api_version: str, kind: str, body: dict, message: str) -> None:
    with pytest.raises(FieldTypeError) as refused:
        prune_unknown(body, api_version, kind)
    assert str(refused.value) == message


@pytest.mark.parametrize(("api_version", "kind", "body"), [
    ("coordination.k8s.io/v1", "Lease", {"spec": {"leaseDurationSeconds": 40, "leaseTransitions": 0,
                                                  "renewTime": "2026-12-01T22:26:58.123456Z",
                                                  "acquireTime": "2026-12-01T22:26:58.123456+05:30"}}),
    ("v1", "Pod", {"metadata": {"creationTimestamp": None, "labels": None, "deletionTimestamp": "2026-12-01T10:00:00Z"},
                   "spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}],
                                            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}],
                            "activeDeadlineSeconds": None}}),
    ("v1", "Service", {"spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81, "targetPort": 8081}]}}),
    ("v1", "Secret", {"data": {"a": "aGVsbG8="}, "stringData": {"b": "plain"}}),
    ("v1", "Node", {"status": {"capacity": {"cpu": "4"}, "conditions": [{"type": "Ready", "status": "True"}]}}),
])
def test_values_of_the_declared_types_and_nulls_pass(api_version: str, kind: str, body: dict) -> None:
    given = copy.deepcopy(body)
    assert prune_unknown(body, api_version, kind) == []
    _assert_kept(body, given)


def _assert_kept(result: object, given: object) -> None:
    """Every non-null value given is in the result (which Go's encoding may have added to)."""
    if isinstance(given, dict):
        assert isinstance(result, dict)
        for key, value in given.items():
            if value is not None:
                _assert_kept(result[key], value)
    elif isinstance(given, list):
        assert isinstance(result, list) and len(result) == len(given)
        for got, value in zip(result, given, strict=True):
            _assert_kept(got, value)
    else:
        assert result == given


@pytest.mark.parametrize(("api_version", "kind", "body", "expected"), [
    # omitempty scalars at zero go; pointers to zero stay; structs held by value are written
    ("apps/v1", "Deployment",
     {"spec": {"replicas": 0, "minReadySeconds": 0, "paused": False, "revisionHistoryLimit": 0}},
     {"spec": {"replicas": 0, "revisionHistoryLimit": 0, "template": {"metadata": {}, "spec": {"containers": None}},
               "strategy": {}, "selector": None},
      "metadata": {}, "status": {}}),
    # fields without omitempty are always written, at their zero
    ("apps/v1", "DaemonSet", {"metadata": {"generation": 0}, "status": {}},
     {"metadata": {}, "status": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                                 "numberReady": 0},
      "spec": {"selector": None, "template": {"metadata": {}, "spec": {"containers": None}}, "updateStrategy": {}}}),
    ("discovery.k8s.io/v1", "EndpointSlice", {"addressType": "IPv4"},
     {"addressType": "IPv4", "metadata": {}, "endpoints": None, "ports": None}),
    # a null map value is Go's zero string; null fields are left out, or zero where always written
    ("v1", "ConfigMap", {"metadata": {"labels": {"k": None}, "creationTimestamp": None, "annotations": {}},
                         "data": {"a": None}, "immutable": None},
     {"metadata": {"labels": {"k": ""}}, "data": {"a": ""}}),
    # pointer to "" kept; containers' flags at false go; resources is a struct and is written
    ("v1", "Pod", {"spec": {"hostPID": False, "volumes": [{"name": "v", "hostPath": {"path": "/", "type": ""}}],
                            "containers": [{"name": "c", "stdin": False, "tty": False, "ports": []}]}},
     {"metadata": {}, "status": {},
      "spec": {"volumes": [{"name": "v", "hostPath": {"path": "/", "type": ""}}],
               "containers": [{"name": "c", "resources": {}}]}}),
    # quantities are written back in canonical form, as Go's Quantity writes them
    ("v1", "Pod", {"spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": 0.5, "memory": "1024Mi"},
                                                                       "limits": {"cpu": "1000m", "memory": "1Gi"}}}]}},
     {"metadata": {}, "status": {}, "spec": {"containers": [{"name": "c", "resources": {
         "requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}}]}}),
    # times held by value are written as null, as Go writes a zero metav1.Time
    ("v1", "Event", {"involvedObject": {"name": "p"}, "count": 0},
     {"involvedObject": {"name": "p"}, "metadata": {}, "source": {}, "firstTimestamp": None,
      "lastTimestamp": None, "eventTime": None, "reportingComponent": "", "reportingInstance": ""}),
])
def test_bodies_are_left_as_gos_encoder_writes_them(api_version: str, kind: str, body: dict, expected: dict) -> None:
    assert prune_unknown(body, api_version, kind) == []
    assert body == expected


@pytest.mark.parametrize(("text", "parses"), [
    ("2026-12-03T18:00:00Z", True),
    ("2024-02-29T23:59:59.999999999+05:30", True),
    ("2026-12-03t18:00:00z", True),
    ("2026-02-29T00:00:00Z", False),  # not a leap year
    ("2026-13-01T00:00:00Z", False),
    ("0000-01-01T00:00:00Z", False),  # Go's time has year 0, Python's datetime not; upstream never stores it
    ("2026-12-03T24:00:00Z", False),
    ("2026-12-03T23:60:00Z", False),
    ("2026-12-03T23:59:60Z", False),
    ("2026-12-03T23:59:59+24:00", False),
    ("2026-12-03T23:59:59-23:60", False),
    ("2026-12-03T1\u0668:00:00Z", False),  # an Arabic-Indic digit
    ("2026-12-03 18:00:00Z", False),
    ("2026-12-03T18:00:00", False),
])
def test_rfc3339_times_parse_as_gos_time_parse_would(text: str, parses: bool) -> None:
    node = {"metadata": {"creationTimestamp": text}}
    if parses:
        assert prune_unknown(node, "v1", "ConfigMap") == []
    else:
        with pytest.raises(FieldTypeError):
            prune_unknown(node, "v1", "ConfigMap")
