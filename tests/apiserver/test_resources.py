"""Per-resource behaviour over HTTP: defaults, validation, allocation, binding, eviction,
graceful deletion and field selectors, as upstream kube-apiserver answers them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.apiserver.conftest import RunningServer

PODS = "/api/v1/namespaces/default/pods"
SERVICES = "/api/v1/namespaces/default/services"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def _pod(name: str, **spec: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def test_a_new_pod_gets_upstreams_defaults(apiserver: RunningServer) -> None:
    status, pod = apiserver.send("POST", PODS, _pod("defaults"))
    assert status == 201
    spec, container = pod["spec"], pod["spec"]["containers"][0]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["schedulerName"]) == \
        ("Always", "ClusterFirst", "default-scheduler")
    assert spec["terminationGracePeriodSeconds"] == 30 and spec["serviceAccountName"] == "default"
    assert spec["enableServiceLinks"] is True and spec["priority"] == 0
    assert {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 300} in spec["tolerations"]
    assert container["imagePullPolicy"] == "Always" and container["terminationMessagePath"] == "/dev/termination-log"
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


@pytest.mark.parametrize(("spec", "message"), [
    ({"containers": []}, "spec.containers: Required value"),
    ({"containers": [{"name": "c"}]}, "spec.containers[0].image: Required value"),
    ({"containers": [{"name": "c", "image": "i"}, {"name": "c", "image": "i"}]},
     'spec.containers[1].name: Duplicate value: "c"'),
    ({"containers": [{"name": "c", "image": "i"}], "restartPolicy": "Sometimes"},
     'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
])
def test_invalid_pods_get_422_with_the_field_path(apiserver: RunningServer, spec: dict[str, object],
                                                  message: str) -> None:
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad"}, "spec": spec}
    status, error = apiserver.send("POST", PODS, body)
    assert status == 422 and error["reason"] == "Invalid"
    assert error["message"] == f'Pod "bad" is invalid: {message}'


def test_pod_updates_may_change_the_image_but_not_the_rest_of_the_spec(apiserver: RunningServer) -> None:
    apiserver.send("POST", PODS, _pod("immutable"))
    status, pod = apiserver.send("PATCH", f"{PODS}/immutable", {"spec": {"containers": [{"name": "c",
                                                                                         "image": "nginx:2"}]}},
                                 content_type="application/strategic-merge-patch+json")
    assert status == 200 and pod["spec"]["containers"][0]["image"] == "nginx:2"
    status, error = apiserver.send("PATCH", f"{PODS}/immutable", {"spec": {"restartPolicy": "Never"}})
    assert status == 422 and error["details"]["causes"][0]["field"] == "spec"
    assert "pod updates may not change fields other than `spec.containers[*].image`" in error["message"]


def test_binding_assigns_a_node_once(apiserver: RunningServer) -> None:
    apiserver.send("POST", PODS, _pod("bound"))
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"},
               "target": {"kind": "Node", "name": "n1"}}
    status, body = apiserver.send("POST", f"{PODS}/bound/binding", binding)
    assert (status, body) == (201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                    "code": 201})
    _, pod = apiserver.get(f"{PODS}/bound")
    pod = json.loads(pod)
    assert pod["spec"]["nodeName"] == "n1"
    assert [c["type"] for c in pod["status"]["conditions"]] == ["PodScheduled"]
    status, error = apiserver.send("POST", f"{PODS}/bound/binding", {**binding, "target": {"name": "n2"}})
    assert status == 409
    assert error["message"] == 'Operation cannot be fulfilled on pods/binding "bound": pod bound is already ' \
                               'assigned to node "n1"'


def test_a_scheduled_pod_deletes_gracefully_and_grace_zero_removes_it(apiserver: RunningServer) -> None:
    apiserver.send("POST", PODS, _pod("graceful", nodeName="n1"))
    status, pod = apiserver.send("DELETE", f"{PODS}/graceful", {})
    assert status == 200 and pod["metadata"]["deletionGracePeriodSeconds"] == 30
    assert apiserver.get(f"{PODS}/graceful")[0] == 200
    status, _ = apiserver.send("DELETE", f"{PODS}/graceful", {"gracePeriodSeconds": 0})
    assert status == 200 and apiserver.get(f"{PODS}/graceful")[0] == 404


def test_eviction_respects_a_disruption_budget(apiserver: RunningServer) -> None:
    apiserver.send("POST", PODS, {**_pod("guarded", nodeName="n1")})
    apiserver.send("PATCH", f"{PODS}/guarded/status", {"status": {"phase": "Running"}})
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pdb"},
           "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}}
    pdbs = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"
    apiserver.send("POST", pdbs, pdb)
    apiserver.send("PATCH", f"{pdbs}/pdb/status", {"status": {"disruptionsAllowed": 0, "desiredHealthy": 1,
                                                              "currentHealthy": 1}})
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "guarded"}}
    status, error = apiserver.send("POST", f"{PODS}/guarded/eviction", eviction)
    assert status == 429 and error["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert error["details"]["causes"] == [{"reason": "DisruptionBudget", "message": "The disruption budget pdb "
                                                                                    "needs 1 healthy pods and has 1 "
                                                                                    "currently"}]
    apiserver.send("PATCH", f"{pdbs}/pdb/status", {"status": {"disruptionsAllowed": 1}})
    status, _ = apiserver.send("POST", f"{PODS}/guarded/eviction", eviction)
    assert status == 201
    _, budget = apiserver.get(f"{pdbs}/pdb")
    assert json.loads(budget)["status"]["disruptionsAllowed"] == 0
    _, pod = apiserver.get(f"{PODS}/guarded")
    assert json.loads(pod)["metadata"]["deletionTimestamp"]


def _service(name: str, **spec: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"port": 80}], **spec}}


def test_services_get_defaults_and_a_cluster_ip(apiserver: RunningServer) -> None:
    status, svc = apiserver.send("POST", SERVICES, _service("plain"))
    assert status == 201
    spec = svc["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["clusterIP"].startswith("10.") and spec["clusterIPs"] == [spec["clusterIP"]]
    status, error = apiserver.send("POST", SERVICES, _service("same-ip", clusterIP=spec["clusterIP"]))
    assert status == 422 and error["message"] == (
        f'Service "same-ip" is invalid: spec.clusterIPs: Invalid value: ["{spec["clusterIP"]}"]: failed to allocate '
        f'IP {spec["clusterIP"]}: provided IP is already allocated')


def test_node_ports_are_unique_under_concurrency_and_released_on_delete(apiserver: RunningServer) -> None:
    def create(i: int) -> tuple[int, dict[str, object]]:
        return apiserver.send("POST", SERVICES, _service(f"np-{i}", type="NodePort"))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(create, range(24)))
    assert all(status == 201 for status, _ in results)
    ports = [svc["spec"]["ports"][0]["nodePort"] for _, svc in results]  # type: ignore[index]
    assert len(set(ports)) == 24 and all(30000 <= p <= 32767 for p in ports)
    status, error = apiserver.send("POST", SERVICES, _service("taken", type="NodePort",
                                                              ports=[{"port": 80, "nodePort": ports[0]}]))
    assert status == 422 and error["details"]["causes"][0]["field"] == "spec.ports[0].nodePort"
    assert apiserver.send("DELETE", f"{SERVICES}/np-0", {})[0] == 200
    status, svc = apiserver.send("POST", SERVICES, _service("reuse", type="NodePort",
                                                            ports=[{"port": 80, "nodePort": ports[0]}]))
    assert status == 201 and svc["spec"]["ports"][0]["nodePort"] == ports[0]


def _deployment(name: str, labels: dict[str, str]) -> dict[str, object]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}}


def test_deployments_get_defaults_and_a_selector_matching_the_template(apiserver: RunningServer) -> None:
    status, deployment = apiserver.send("POST", DEPLOYMENTS, _deployment("web", {"app": "web"}))
    assert status == 201
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert spec["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    status, error = apiserver.send("POST", DEPLOYMENTS, _deployment("odd", {"app": "other"}))
    assert status == 422 and error["message"] == (
        'Deployment.apps "odd" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: '
        "`selector` does not match template `labels`")
    status, error = apiserver.send("PATCH", f"{DEPLOYMENTS}/web", {"spec": {"selector": {"matchLabels": {"x": "y"}},
                                                                           "template": {"metadata": {"labels": {
                                                                               "x": "y"}}}}})
    assert status == 422 and "spec.selector" in [c["field"] for c in error["details"]["causes"]]


@pytest.mark.parametrize(("path", "selector", "message"), [
    (PODS, "spec.nodeName=n1,status.phase=Pending", None),
    (PODS, "spec.bogus=x", "field label not supported: spec.bogus"),
    ("/api/v1/nodes", "spec.unschedulable=false", None),
    (DEPLOYMENTS, "spec.replicas=1",
     '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    ("/apis/batch/v1/namespaces/default/jobs", "status.active=1",
     'field label "status.active" not supported for batchv1.Job'),
])
def test_field_selectors_follow_each_resources_upstream_labels(apiserver: RunningServer, path: str, selector: str,
                                                               message: str | None) -> None:
    status, body = apiserver.get(f"{path}?fieldSelector={selector}")
    if message is None:
        assert status == 200
    else:
        assert status == 400 and json.loads(body)["message"] == message
