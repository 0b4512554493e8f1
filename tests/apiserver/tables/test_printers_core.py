"""Cells of pods, pod templates, nodes, namespaces, configuration, service accounts, events,
quotas, component statuses and leases, against upstream's printers."""

from __future__ import annotations

import pytest

from tests.apiserver.tables.helpers import ago, cells, meta

_RUNNING = {"running": {"startedAt": ago(60)}}


def _pod(statuses: list[dict[str, object]], *, phase: str = "Running", **status: object) -> dict[str, object]:
    return {"metadata": meta("p"), "spec": {"containers": [{"name": s["name"]} for s in statuses]},
            "status": {"phase": phase, "containerStatuses": statuses, **status}}


@pytest.mark.parametrize(("pod", "expected"), [
    pytest.param(_pod([{"name": "a", "ready": True, "state": _RUNNING}]),
                 ["p", "1/1", "Running", "0", "60m", "<none>", "<none>", "<none>", "<none>"], id="running"),
    pytest.param(_pod([{"name": "a", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
                       {"name": "b", "state": {"terminated": {"exitCode": 2, "reason": "Error"}}}], phase="Failed"),
                 ["p", "0/2", "Error", "0", "60m", "<none>", "<none>", "<none>", "<none>"],
                 id="a-failed-container-is-not-hidden-behind-a-completed-one"),
    pytest.param(_pod([{"name": "a", "state": {"terminated": {"exitCode": 137, "signal": 9}}}]),
                 ["p", "0/1", "Signal:9", "0", "60m", "<none>", "<none>", "<none>", "<none>"], id="killed-by-signal"),
    pytest.param(_pod([{"name": "a", "ready": True, "state": _RUNNING, "restartCount": 3,
                        "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(300)}}}],
                      podIPs=[{"ip": "10.0.0.5"}, {"ip": "fd00::5"}], nominatedNodeName="n2"),
                 ["p", "1/1", "Running", "3 (5m ago)", "60m", "10.0.0.5", "<none>", "n2", "<none>"],
                 id="restarts-say-when"),
    pytest.param({"metadata": meta("p"), "spec": {
        "initContainers": [{"name": "side", "restartPolicy": "Always"}, {"name": "init"}],
        "containers": [{"name": "a"}], "nodeName": "n1",
        "readinessGates": [{"conditionType": "www.example.com/lb"}, {"conditionType": "other"}]},
        "status": {"phase": "Pending", "initContainerStatuses": [
            {"name": "side", "started": True, "ready": True, "state": _RUNNING},
            {"name": "init", "state": {"waiting": {"reason": "PodInitializing"}}}],
            "conditions": [{"type": "www.example.com/lb", "status": "True"}]}},
        ["p", "1/2", "Init:1/2", "0", "60m", "<none>", "n1", "<none>", "1/2"],
        id="a-started-sidecar-counts-as-ready-while-the-next-init-container-waits"),
    pytest.param({"metadata": meta("p", deletionTimestamp=ago(5)), "spec": {"containers": [{"name": "a"}]},
                  "status": {"phase": "Running"}},
                 ["p", "0/1", "Terminating", "0", "60m", "<none>", "<none>", "<none>", "<none>"], id="terminating"),
])
def test_pod_rows_tell_the_containers_story(pod: dict[str, object], expected: list[object]) -> None:
    assert cells("", "pods", pod) == expected


def test_pod_templates_list_containers_and_pod_labels() -> None:
    template = {"metadata": meta("t"), "template": {"metadata": {"labels": {"b": "2", "a": "1"}}, "spec": {
        "containers": [{"name": "web", "image": "nginx"}, {"name": "log", "image": "fluentd"}]}}}
    assert cells("", "podtemplates", template) == ["t", "web,log", "nginx,fluentd", "a=1,b=2"]
    assert cells("", "podtemplates", {"metadata": meta("t")}) == ["t", "", "", "<none>"]


@pytest.mark.parametrize(("node", "expected"), [
    pytest.param({"metadata": meta("n1", labels={"node-role.kubernetes.io/control-plane": "",
                                                 "kubernetes.io/role": "infra", "node-role.kubernetes.io/": "x"}),
                  "spec": {"unschedulable": True},
                  "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Ready", "status": "True"}],
                             "addresses": [{"type": "Hostname", "address": "n1"},
                                           {"type": "InternalIP", "address": "10.0.0.1"}],
                             "nodeInfo": {"kubeletVersion": "v1.37.0", "osImage": "Debian", "kernelVersion": "6.8.0",
                                          "architecture": "arm64", "containerRuntimeVersion": "containerd://2.1"}}},
                 ["n1", "Ready,SchedulingDisabled", "control-plane,infra", "60m", "v1.37.0", "10.0.0.1", "<none>",
                  "Debian", "6.8.0 (arm64)", "containerd://2.1"],
                 id="the-last-ready-condition-counts-and-the-kernel-shows-its-architecture"),
    pytest.param({"metadata": meta("n2"), "status": {"nodeInfo": {"architecture": "amd64"}}},
                 ["n2", "Unknown", "<none>", "60m", "", "<none>", "<none>", "<unknown>", "<unknown> (amd64)",
                  "<unknown>"], id="no-ready-condition"),
])
def test_node_rows(node: dict[str, object], expected: list[object]) -> None:
    assert cells("", "nodes", node) == expected


@pytest.mark.parametrize(("plural", "obj", "expected"), [
    ("namespaces", {"metadata": meta("ns"), "status": {"phase": "Terminating"}}, ["ns", "Terminating", "60m"]),
    ("configmaps", {"metadata": meta("cm"), "data": {"a": "1"}, "binaryData": {"b": "AA=="}}, ["cm", 2, "60m"]),
    ("secrets", {"metadata": meta("s"), "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}},
     ["s", "kubernetes.io/tls", 2, "60m"]),
    ("serviceaccounts", {"metadata": meta("sa"), "secrets": [{"name": "token"}]}, ["sa", "60m"]),
])
def test_simple_core_rows_count_entries_as_integers(plural: str, obj: dict[str, object],
                                                     expected: list[object]) -> None:
    assert cells("", plural, obj) == expected


def test_event_rows_name_the_object_source_and_count() -> None:
    event = {"metadata": meta("e1"),
             "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{a}"},
             "reason": "Pulled", "message": " pulled \n", "type": "Normal", "count": 4,
             "firstTimestamp": ago(7200), "lastTimestamp": ago(30), "source": {"component": "kubelet", "host": "n1"}}
    assert cells("", "events", event) == ["30s", "Normal", "Pulled", "pod/web-1", "spec.containers{a}", "kubelet, n1",
                                          "pulled", "120m", 4, "e1"]
    series = {"metadata": meta("e2"), "involvedObject": {"kind": "Node"}, "eventTime": "2025-06-01T11:50:00.000000Z",
              "series": {"count": 9, "lastObservedTime": "2025-06-01T11:59:00.000000Z"},
              "reportingComponent": "scheduler"}
    assert cells("", "events", series) == ["60s", "", "", "node", "", "scheduler", "", "10m", 9, "e2"]


def test_resource_quota_rows_split_limits_from_requests_and_canonicalize_quantities() -> None:
    quota = {"metadata": meta("q"), "status": {
        "hard": {"pods": "10", "requests.cpu": "1", "limits.memory": "2048Mi", "limits": "3", "cpu": "2"},
        "used": {"pods": "1", "limits.memory": "0.5Gi", "cpu": "1500m"}}}
    assert cells("", "resourcequotas", quota) == [
        "q", "cpu: 1500m/2, limits: 0/3, pods: 1/10, requests.cpu: 0/1", "limits.memory: 512Mi/2Gi", "60m"]
    assert cells("", "resourcequotas", {"metadata": meta("q"), "spec": {"hard": {"pods": "1"}}}) == ["q", "", "", "60m"]


@pytest.mark.parametrize(("conditions", "expected"), [
    ([{"type": "Healthy", "status": "True", "message": "ok"}], ["etcd-0", "Healthy", "ok", ""]),
    ([{"type": "Healthy", "status": "False", "error": "timeout"}], ["etcd-0", "Unhealthy", "", "timeout"]),
    ([], ["etcd-0", "Unknown", "", ""]),
])
def test_component_status_rows_read_the_healthy_condition(conditions: list[object], expected: list[object]) -> None:
    assert cells("", "componentstatuses", {"metadata": {"name": "etcd-0"}, "conditions": conditions}) == expected


def test_lease_rows_show_the_holder() -> None:
    assert cells("coordination.k8s.io", "leases", {"metadata": meta("l"), "spec": {"holderIdentity": "a_1"}}) == [
        "l", "a_1", "60m"]
    assert cells("coordination.k8s.io", "leases", {"metadata": meta("l"), "spec": {}}) == ["l", "", "60m"]
