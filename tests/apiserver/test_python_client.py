"""The official `kubernetes` Python client against a real `myriad apiserver`."""

from __future__ import annotations

import threading

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.apiserver.conftest import RunningServer


@pytest.fixture(scope="module")
def core(apiserver: RunningServer) -> client.CoreV1Api:
    api_client = config.new_client_from_config(config_file=str(apiserver.kubeconfig))
    return client.CoreV1Api(api_client)


def _cm(name: str, labels: dict[str, str] | None = None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data={"k": "v"})


def test_the_server_alone_makes_no_service_accounts(core: client.CoreV1Api) -> None:
    # the controller manager's ServiceAccount controller makes them, as upstream's
    assert core.list_namespaced_service_account("default").items == []
    core.create_namespaced_service_account("default", client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="bot")))
    assert [sa.metadata.name for sa in core.list_namespaced_service_account("default").items] == ["bot"]


def test_configmap_crud_round_trips_metadata(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", _cm("crud"))
    assert created.metadata.uid and created.metadata.resource_version
    assert created.metadata.creation_timestamp is not None
    created.data["k"] = "changed"
    updated = core.replace_namespaced_config_map("crud", "default", created)
    assert int(updated.metadata.resource_version) > int(created.metadata.resource_version)
    assert core.read_namespaced_config_map("crud", "default").data == {"k": "changed"}
    core.delete_namespaced_config_map("crud", "default")
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("crud", "default")
    assert missing.value.status == 404


def test_creating_an_existing_object_returns_upstreams_409_body_byte_for_byte(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", _cm("twice"))
    with pytest.raises(ApiException) as conflict:
        core.create_namespaced_config_map("default", _cm("twice"))
    assert conflict.value.status == 409 and conflict.value.reason == "Conflict"
    assert conflict.value.body == (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"twice\\" '
        'already exists","reason":"AlreadyExists","details":{"name":"twice","kind":"configmaps"},"code":409}\n')


def test_stale_resource_version_gets_409_conflict(core: client.CoreV1Api) -> None:
    first = core.create_namespaced_config_map("default", _cm("stale"))
    core.patch_namespaced_config_map("stale", "default", {"data": {"k": "moved"}})
    first.data["k"] = "late"
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("stale", "default", first)
    assert conflict.value.status == 409
    assert "the object has been modified; please apply your changes" in conflict.value.body


def test_label_selectors_and_deletecollection(core: client.CoreV1Api) -> None:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="sel")))
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        core.create_namespaced_config_map("sel", _cm(name, {"tier": tier}))
    web = core.list_namespaced_config_map("sel", label_selector="tier=web")
    assert sorted(cm.metadata.name for cm in web.items) == ["a", "b"]
    not_web = core.list_namespaced_config_map("sel", label_selector="tier notin (web)")
    assert [cm.metadata.name for cm in not_web.items] == ["c"]
    core.delete_collection_namespaced_config_map("sel", label_selector="tier=web")
    assert [cm.metadata.name for cm in core.list_namespaced_config_map("sel").items] == ["c"]


def test_pagination_with_limit_and_continue(core: client.CoreV1Api) -> None:
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="pages")))
    for i in range(7):
        core.create_namespaced_config_map("pages", _cm(f"p{i}"))
    seen, token = [], None
    while True:
        page = core.list_namespaced_config_map("pages", limit=3, _continue=token)
        seen.extend(cm.metadata.name for cm in page.items)
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 7 - len(seen)
    assert seen == [f"p{i}" for i in range(7)]


def test_watch_reports_added_modified_deleted_in_order(core: client.CoreV1Api) -> None:
    start = core.list_namespaced_config_map("default").metadata.resource_version
    events: list[tuple[str, str]] = []
    watcher = watch.Watch()

    def consume() -> None:
        for event in watcher.stream(core.list_namespaced_config_map, "default", resource_version=start,
                                    timeout_seconds=10):
            events.append((event["type"], event["object"].metadata.name))
            if event["type"] == "DELETED":
                watcher.stop()

    thread = threading.Thread(target=consume)
    thread.start()
    core.create_namespaced_config_map("default", _cm("watched"))
    core.patch_namespaced_config_map("watched", "default", {"data": {"k": "2"}})
    core.delete_namespaced_config_map("watched", "default")
    thread.join(timeout=15)
    assert [e for e in events if e[1] == "watched"] == [("ADDED", "watched"), ("MODIFIED", "watched"),
                                                         ("DELETED", "watched")]


def test_creating_in_a_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as missing:
        core.create_namespaced_config_map("nowhere", _cm("x"))
    assert missing.value.status == 404 and 'namespaces \\"nowhere\\" not found' in missing.value.body


def test_pods_services_deployments_and_nodes_round_trip(core: client.CoreV1Api) -> None:
    apps = client.AppsV1Api(core.api_client)
    node = core.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="py-node", labels={"zone": "a"})))
    assert core.read_node("py-node").metadata.labels == {"zone": "a"} and node.metadata.uid
    pod = core.create_namespaced_pod("default", client.V1Pod(
        metadata=client.V1ObjectMeta(name="py-pod"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1.25")])))
    assert pod.spec.restart_policy == "Always" and pod.status.phase == "Pending"
    patched = core.patch_namespaced_pod("py-pod", "default", {"spec": {"containers": [{"name": "c",
                                                                                        "image": "nginx:1.26"}]}})
    assert patched.spec.containers[0].image == "nginx:1.26"
    svc = core.create_namespaced_service("default", client.V1Service(
        metadata=client.V1ObjectMeta(name="py-svc"),
        spec=client.V1ServiceSpec(selector={"app": "py"}, ports=[client.V1ServicePort(port=80)])))
    assert svc.spec.cluster_ip and svc.spec.ports[0].target_port == 80
    deployment = apps.create_namespaced_deployment("default", client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py-deploy"),
        spec=client.V1DeploymentSpec(
            selector=client.V1LabelSelector(match_labels={"app": "py"}),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels={"app": "py"}),
                                              spec=client.V1PodSpec(containers=[client.V1Container(
                                                  name="c", image="nginx")])))))
    assert deployment.spec.replicas == 1
    moved = apps.patch_namespaced_deployment("py-deploy", "default",
                                             [{"op": "replace", "path": "/spec/replicas", "value": 3}])
    assert moved.spec.replicas == 3 and moved.metadata.generation == 2
    scale = apps.read_namespaced_deployment_scale("py-deploy", "default")
    assert scale.spec.replicas == 3
    core.delete_namespaced_service("py-svc", "default")
    apps.delete_namespaced_deployment("py-deploy", "default")
    core.delete_namespaced_pod("py-pod", "default")
    core.delete_node("py-node")
    with pytest.raises(ApiException) as missing:
        core.read_node("py-node")
    assert missing.value.status == 404


def test_a_json_patch_and_a_failed_test_op(core: client.CoreV1Api) -> None:
    core.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="jsonpatch"),
                                                                    data={"a": "1"}))
    patched = core.patch_namespaced_config_map("jsonpatch", "default",
                                               [{"op": "add", "path": "/data/b", "value": "2"}])
    assert patched.data == {"a": "1", "b": "2"}
    with pytest.raises(ApiException) as failed:
        core.patch_namespaced_config_map("jsonpatch", "default", [{"op": "test", "path": "/data/a", "value": "9"}])
    assert failed.value.status == 422
