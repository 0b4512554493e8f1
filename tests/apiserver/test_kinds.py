"""Every kind kube-apiserver 1.37 serves at GA, through real clients: discovery, the objects a
cluster starts with, the resources answered without storage, and HPAs in both versions."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from kubernetes import client, config

from myriad.api.builtin import BUILTIN
from myriad.apiserver.bootstrap import FLOW_SCHEMAS
from tests.apiserver.conftest import RunningServer


@pytest.fixture(scope="module")
def api(apiserver: RunningServer) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(apiserver.kubeconfig))


def _json(apiserver: RunningServer, *args: str) -> dict[str, Any]:
    return json.loads(apiserver.kubectl(*args, "-o", "json").stdout)


def test_api_resources_lists_every_ga_kind_with_its_short_names(apiserver: RunningServer) -> None:
    lines = apiserver.kubectl("api-resources", "--no-headers").stdout.splitlines()
    names = {line.split()[0] for line in lines}
    assert {resource.plural for resource in BUILTIN} <= names
    assert any(line.split()[:2] == ["replicationcontrollers", "rc"] for line in lines)
    assert any(line.split()[:2] == ["priorityclasses", "pc"] for line in lines)
    assert any(line.split()[:3] == ["horizontalpodautoscalers", "hpa", "autoscaling/v2"] for line in lines)


def test_a_new_cluster_has_upstreams_system_priority_classes_roles_and_flow_objects(apiserver: RunningServer) -> None:
    classes = {item["metadata"]["name"]: item["value"] for item in _json(apiserver, "get", "priorityclasses")["items"]}
    assert classes == {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}
    roles = {item["metadata"]["name"]: item for item in _json(apiserver, "get", "clusterroles")["items"]}
    assert {"cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user"} <= set(roles)
    assert roles["cluster-admin"]["rules"][0] == {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
    assert roles["view"]["aggregationRule"]["clusterRoleSelectors"] == [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]
    binding = _json(apiserver, "get", "clusterrolebinding", "cluster-admin")
    assert binding["subjects"] == [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"}]
    schemas = {item["metadata"]["name"]: item for item in _json(apiserver, "get", "flowschemas")["items"]}
    assert set(schemas) == set(FLOW_SCHEMAS)
    levels = {item["metadata"]["name"]: item["spec"] for item in
              _json(apiserver, "get", "prioritylevelconfigurations")["items"]}
    assert levels["node-high"]["limited"]["nominalConcurrencyShares"] == 40  # the server's real shares
    assert {s["spec"]["priorityLevelConfiguration"]["name"] for s in schemas.values()} <= set(levels)
    services = _json(apiserver, "get", "apiservice", "v1.apps")
    assert services["spec"]["groupPriorityMinimum"] == 17800
    assert services["status"]["conditions"][0]["reason"] == "Local"


def test_the_kubernetes_service_targets_this_server_with_its_endpoints_and_slice(apiserver: RunningServer) -> None:
    port = int(apiserver.url.rsplit(":", 1)[1])
    endpoints = _json(apiserver, "get", "endpoints", "kubernetes", "-n", "default")
    assert endpoints["subsets"][0]["ports"][0]["port"] == port
    slices = _json(apiserver, "get", "endpointslices", "-n", "default", "-l", "kubernetes.io/service-name=kubernetes")
    assert [s["ports"][0]["port"] for s in slices["items"]] == [port]
    assert slices["items"][0]["endpoints"][0]["addresses"] == ["127.0.0.1"]
    service = _json(apiserver, "get", "service", "kubernetes", "-n", "default")
    assert service["spec"]["ports"][0]["port"] == 443 and service["spec"]["ports"][0]["targetPort"] == port


def test_kubectl_auth_answers_as_an_always_allow_server(apiserver: RunningServer) -> None:
    whoami = apiserver.kubectl("auth", "whoami").stdout
    assert "system:anonymous" in whoami and "system:unauthenticated" in whoami
    assert apiserver.kubectl("auth", "can-i", "create", "pods").stdout.strip() == "yes"
    assert apiserver.kubectl("auth", "can-i", "delete", "nodes", "--as=someone").stdout.strip() == "yes"
    listed = apiserver.kubectl("auth", "can-i", "--list").stdout
    assert "*.*" in listed


def test_access_reviews_are_validated_as_upstream_validates_them(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": {}})
    assert code == 422, status
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.resourceAttributes", "spec.user"]
    code, review = apiserver.send("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "alice", "resourceAttributes": {"verb": "get", "resource": "pods"}}})
    assert code == 201 and review["status"] == {"allowed": True}
    assert apiserver.send("GET", "/apis/authorization.k8s.io/v1/subjectaccessreviews", None)[0] == 405


def test_component_statuses_report_storage_and_the_leader_leases(apiserver: RunningServer,
                                                                  api: client.ApiClient) -> None:
    statuses = {item.metadata.name: item.conditions[0] for item in client.CoreV1Api(api).list_component_status().items}
    assert set(statuses) == {"scheduler", "controller-manager", "etcd-0"}
    assert statuses["etcd-0"].status == "True"
    # no scheduler runs yet, so no one holds its Lease
    assert statuses["scheduler"].status == "False" and "kube-system/kube-scheduler" in statuses["scheduler"].error
    assert apiserver.kubectl("get", "cs", "etcd-0", "-o", "name").stdout.strip() == "componentstatus/etcd-0"


def test_a_binding_posted_to_the_bindings_resource_binds_the_pod(apiserver: RunningServer) -> None:
    apiserver.kubectl("run", "bind-me", "--image=nginx", "-n", "default")
    code, status = apiserver.send("POST", "/api/v1/namespaces/default/bindings", {
        "apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bind-me"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "node-a"}})
    assert code == 201 and status["status"] == "Success", status
    assert _json(apiserver, "get", "pod", "bind-me", "-n", "default")["spec"]["nodeName"] == "node-a"


def test_an_hpa_written_in_one_version_reads_back_in_the_other(apiserver: RunningServer,
                                                               api: client.ApiClient) -> None:
    apiserver.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "both", "namespace": "default"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 2, "maxReplicas": 4,
                 "metrics": [{"type": "Resource", "resource": {"name": "memory", "target": {
                     "type": "AverageValue", "averageValue": "100Mi"}}},
                             {"type": "Resource", "resource": {"name": "cpu", "target": {
                                 "type": "Utilization", "averageUtilization": 70}}}]}}))
    v1 = client.AutoscalingV1Api(api).read_namespaced_horizontal_pod_autoscaler("both", "default")
    assert v1.spec.target_cpu_utilization_percentage == 70 and v1.spec.max_replicas == 4
    assert json.loads(v1.metadata.annotations["autoscaling.alpha.kubernetes.io/metrics"]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}]
    assert v1.status.current_replicas == 0 and v1.status.desired_replicas == 0
    v1.spec.max_replicas = 6
    client.AutoscalingV1Api(api).replace_namespaced_horizontal_pod_autoscaler("both", "default", v1)
    v2 = client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler("both", "default")
    assert v2.spec.max_replicas == 6
    assert [(m.resource.name, m.resource.target.type) for m in v2.spec.metrics] == [
        ("cpu", "Utilization"), ("memory", "AverageValue")]
    assert v2.metadata.annotations is None or not any(k.startswith("autoscaling.alpha")
                                                      for k in v2.metadata.annotations)


def _pod(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


PODS = "/api/v1/namespaces/default/pods"


def test_pods_get_their_priority_from_their_priority_class_at_admission(apiserver: RunningServer) -> None:
    code, plain = apiserver.send("POST", PODS, _pod("plain"))
    assert code == 201 and (plain["spec"]["priority"], plain["spec"]["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    code, critical = apiserver.send("POST", PODS, _pod("critical", priorityClassName="system-cluster-critical"))
    assert code == 201 and critical["spec"]["priority"] == 2000000000
    code, status = apiserver.send("POST", PODS, _pod("unknown", priorityClassName="nope"))
    assert (code, status["reason"]) == (403, "Forbidden")
    assert status["message"] == 'pods "unknown" is forbidden: no PriorityClass with name nope was found'
    code, status = apiserver.send("POST", PODS, _pod("mismatch", priorityClassName="system-node-critical", priority=5))
    assert code == 403 and "the integer value of priority (5) must not be provided in pod spec; priority " \
                           "admission controller computed 2000001000" in status["message"]


def test_a_global_default_priority_class_is_given_to_pods_that_name_none(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "everyone"},
        "value": 1000, "globalDefault": True, "preemptionPolicy": "Never"}))
    try:
        code, pod = apiserver.send("POST", PODS, _pod("defaulted"))
        assert code == 201, pod
        assert (pod["spec"]["priorityClassName"], pod["spec"]["priority"], pod["spec"]["preemptionPolicy"]) == (
            "everyone", 1000, "Never")
    finally:
        apiserver.kubectl("delete", "priorityclass", "everyone")


def test_every_request_to_v1_endpoints_carries_upstreams_deprecation_warning(apiserver: RunningServer) -> None:
    warning = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
    assert warning in apiserver.kubectl("get", "endpoints", "-n", "default").stderr
    assert warning in apiserver.kubectl("get", "endpoints", "kubernetes", "-n", "default").stderr
    watch = apiserver.kubectl("get", "endpoints", "-n", "default", "--watch", "--request-timeout=1s", check=False)
    assert warning in watch.stderr
    assert "Warning" not in apiserver.kubectl("get", "endpointslices", "-n", "default").stderr


def test_a_node_port_service_patched_to_cluster_ip_drops_its_unchanged_node_ports(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "service", "nodeport", "np", "--tcp=80:8080", "-n", "default")
    before = _json(apiserver, "get", "service", "np", "-n", "default")
    assert before["spec"]["ports"][0]["nodePort"] and before["spec"]["externalTrafficPolicy"] == "Cluster"
    apiserver.kubectl("patch", "service", "np", "-n", "default", "--type=merge", "-p", '{"spec":{"type":"ClusterIP"}}')
    after = _json(apiserver, "get", "service", "np", "-n", "default")
    assert after["spec"]["type"] == "ClusterIP" and "nodePort" not in after["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in after["spec"]
    assert after["spec"]["clusterIP"] == before["spec"]["clusterIP"]
    # the port went back to the pool: another service can have it
    port = before["spec"]["ports"][0]["nodePort"]
    code, created = apiserver.send("POST", "/api/v1/namespaces/default/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "np2"},
        "spec": {"type": "NodePort", "ports": [{"port": 81, "nodePort": port}]}})
    assert code == 201, created


PRUNED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: keep, namespace: default, labels: {app: prune}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: drop, namespace: default, labels: {app: prune}}
"""


def test_kubectl_apply_prune_works_without_an_allowlist(apiserver: RunningServer) -> None:
    apiserver.kubectl("apply", "--prune", "-l", "app=prune", "-f", "-", input=PRUNED)
    result = apiserver.kubectl("apply", "--prune", "-l", "app=prune", "-f", "-", input=PRUNED.split("---")[0])
    assert "configmap/drop pruned" in result.stdout
    names = apiserver.kubectl("get", "cm", "-l", "app=prune", "-n", "default", "-o", "name").stdout.split()
    assert names == ["configmap/keep"]


def test_kubectl_cluster_info_dump_completes(apiserver: RunningServer) -> None:
    apiserver.kubectl("run", "dumped", "--image=nginx", "-n", "default")
    result = apiserver.kubectl("cluster-info", "dump")
    assert '"kind": "NodeList"' in result.stdout and "==== START logs for container dumped of pod default/dumped" \
        in result.stdout


def test_a_flow_schema_is_dangling_while_its_priority_level_does_not_exist(apiserver: RunningServer) -> None:
    assert {c["reason"] for s in _json(apiserver, "get", "flowschemas")["items"]
            for c in s["status"]["conditions"]} == {"Found"}
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": "orphan"},
        "spec": {"priorityLevelConfiguration": {"name": "later"}, "matchingPrecedence": 5000}}))

    def dangling() -> str:
        schema = _json(apiserver, "get", "flowschema", "orphan")
        return [c["status"] for c in schema.get("status", {}).get("conditions", []) if c["type"] == "Dangling"][0]

    assert dangling() == "True"
    assert apiserver.kubectl("get", "flowschema", "orphan").stdout.split("\n")[1].split()[-1] == "True"
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
        "metadata": {"name": "later"}, "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 5,
                                                                    "limitResponse": {"type": "Reject"}}}}))
    assert dangling() == "False"
    apiserver.kubectl("delete", "prioritylevelconfiguration", "later")
    assert dangling() == "True"


def test_kubectl_certificate_approve_and_deny_go_through_the_approval_subresource(apiserver: RunningServer) -> None:
    from tests.apiserver.every_kind import CSR_PEM

    for name in ("approve-me", "deny-me"):
        apiserver.kubectl("create", "-f", "-", input=json.dumps({
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": name},
            "spec": {"request": base64.b64encode(CSR_PEM.encode()).decode(), "signerName": "example.com/signer",
                     "usages": ["client auth"]}}))
    assert "approved" in apiserver.kubectl("certificate", "approve", "approve-me").stdout
    assert "denied" in apiserver.kubectl("certificate", "deny", "deny-me").stdout
    conditions = {name: [(c["type"], c["status"]) for c in _json(apiserver, "get", "csr", name)["status"]["conditions"]]
                  for name in ("approve-me", "deny-me")}
    assert conditions == {"approve-me": [("Approved", "True")], "deny-me": [("Denied", "True")]}
    rows = apiserver.kubectl("get", "csr", "approve-me", "deny-me").stdout.splitlines()
    assert "Approved" in rows[1] and "Denied" in rows[2]


def test_kubectl_debug_adds_an_ephemeral_container_through_its_subresource(apiserver: RunningServer) -> None:
    apiserver.kubectl("run", "debugged", "--image=nginx", "-n", "default")
    apiserver.kubectl("debug", "pod/debugged", "--image=busybox", "-c", "dbg", "-n", "default")
    pod = _json(apiserver, "get", "pod", "debugged", "-n", "default")
    assert [(c["name"], c["image"]) for c in pod["spec"]["ephemeralContainers"]] == [("dbg", "busybox")]
    assert pod["spec"]["containers"][0]["image"] == "nginx"
    code, status = apiserver.send("PATCH", "/api/v1/namespaces/default/pods/debugged/ephemeralcontainers",
                                  {"spec": {"ephemeralContainers": [{"name": "dbg", "image": "alpine"}]}},
                                  content_type="application/strategic-merge-patch+json")
    assert code == 422 and status["details"]["causes"][0]["message"] == (
        'Forbidden: existing ephemeral containers "dbg" may not be changed')


def test_a_pod_resizes_cpu_and_memory_through_its_resize_subresource_only(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "resized", "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}]}}))
    patch = '{"spec":{"containers":[{"name":"c","image":"other","resources":{"requests":{"cpu":"200m"}}}]}}'
    apiserver.kubectl("patch", "pod", "resized", "-n", "default", "--subresource=resize", "-p", patch)
    container = _json(apiserver, "get", "pod", "resized", "-n", "default")["spec"]["containers"][0]
    assert container["resources"]["requests"]["cpu"] == "200m" and container["image"] == "nginx"
    grow = '{"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"200m","ephemeral-storage":"1Gi"}}}]}}'
    failed = apiserver.kubectl("patch", "pod", "resized", "-n", "default", "--subresource=resize", "-p", grow,
                               check=False)
    assert failed.returncode != 0 and "only cpu and memory resources are mutable" in failed.stderr


def test_token_and_local_access_reviews_answer_as_an_always_allow_server_without_authenticators(
        apiserver: RunningServer) -> None:
    code, review = apiserver.send("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
        "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "abc"}})
    assert code == 201 and "authenticated" not in review["status"] and review["status"]["error"]
    path = "/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews"
    code, review = apiserver.send("POST", path, {
        "apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
        "spec": {"user": "bob", "resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}}})
    assert code == 201 and review["status"] == {"allowed": True}
    code, status = apiserver.send("POST", path, {
        "apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview",
        "spec": {"user": "bob", "resourceAttributes": {"namespace": "other", "verb": "list", "resource": "pods"}}})
    assert code == 422 and [(c["field"], c["message"]) for c in status["details"]["causes"]] == [
        ("spec.resourceAttributes.namespace", 'Invalid value: "other": must match metadata.namespace')]
