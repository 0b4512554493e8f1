"""ReplicationControllers and PodTemplates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

_POD = {"containers": [{"name": "web", "image": "nginx:1.27"}]}


def _rc(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "web", "namespace": "default"},
            "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": dict(_POD)}, **spec}}


def test_a_controller_takes_its_selector_and_labels_from_its_template_and_one_replica() -> None:
    stored, causes = create("", "replicationcontrollers", _rc())
    assert causes == []
    assert stored["spec"]["selector"] == {"app": "web"} and stored["metadata"]["labels"] == {"app": "web"}
    assert stored["spec"]["replicas"] == 1
    assert stored["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert stored["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"


@pytest.mark.parametrize(("spec", "expected"), [
    ({"selector": {"app": "other"}},
     [("spec.template.metadata.labels", 'Invalid value: map[string]string{"app":"web"}: `selector` does not '
                                        "match template `labels`")]),
    ({"replicas": -1}, [("spec.replicas", "Invalid value: -1: must be greater than or equal to 0")]),
    ({"minReadySeconds": -5}, [("spec.minReadySeconds", "Invalid value: -5: must be greater than or equal to 0")]),
    ({"template": {"metadata": {"labels": {"app": "web"}}, "spec": {**_POD, "restartPolicy": "Never"}}},
     [("spec.template.spec.restartPolicy", 'Unsupported value: "Never": supported values: "Always"')]),
    ({"template": {"metadata": {"labels": {"app": "web"}}, "spec": {**_POD, "activeDeadlineSeconds": 5}}},
     [("spec.template.spec.activeDeadlineSeconds",
       "Forbidden: activeDeadlineSeconds in ReplicationController is not Supported")]),
])
def test_controllers_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                           expected: list[tuple[str, str]]) -> None:
    assert create("", "replicationcontrollers", _rc(**spec))[1] == expected


def test_a_controller_without_template_labels_needs_a_selector() -> None:
    body = _rc()
    body["spec"]["template"]["metadata"] = {}
    assert create("", "replicationcontrollers", body)[1] == [("spec.selector", "Required value")]


def test_status_counts_must_add_up() -> None:
    old, _ = create("", "replicationcontrollers", _rc())
    new = {**old, "status": {"replicas": 1, "readyReplicas": 2, "availableReplicas": 1}}
    assert update("", "replicationcontrollers", new, old, subresource="status")[1] == [
        ("status.readyReplicas", "Invalid value: 2: cannot be greater than status.replicas")]


def test_a_pod_template_gets_pod_spec_defaults_and_may_not_hold_ephemeral_containers() -> None:
    template = {"metadata": {"name": "t", "namespace": "default"}, "template": {"spec": dict(_POD)}}
    stored, causes = create("", "podtemplates", template)
    assert causes == [] and stored["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    ephemeral = {**template, "template": {"spec": {**_POD, "ephemeralContainers": [{"name": "e", "image": "b"}]}}}
    assert create("", "podtemplates", ephemeral)[1] == [
        ("template.spec.ephemeralContainers", "Forbidden: ephemeral containers not allowed in pod template")]


def test_kubectl_create_stores_a_controllers_defaults_and_generation(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "ReplicationController",
                                                            **_rc()}))
    stored = json.loads(apiserver.kubectl("get", "rc", "web", "-n", "default", "-o", "json").stdout)
    assert (stored["spec"]["replicas"], stored["spec"]["selector"]) == (1, {"app": "web"})
    assert stored["metadata"]["generation"] == 1 and stored["status"] == {"replicas": 0}
    apiserver.kubectl("scale", "rc", "web", "-n", "default", "--replicas=3")
    stored = json.loads(apiserver.kubectl("get", "rc", "web", "-n", "default", "-o", "json").stdout)
    assert stored["metadata"]["generation"] == 2


def test_a_controller_that_would_run_pods_to_completion_is_refused(apiserver: RunningServer) -> None:
    body = {"apiVersion": "v1", "kind": "ReplicationController", **_rc()}
    body["metadata"]["name"] = "once"
    body["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    code, status = apiserver.send("POST", "/api/v1/namespaces/default/replicationcontrollers", body)
    assert code == 422 and server_causes(status) == [
        ("spec.template.spec.restartPolicy", 'Unsupported value: "OnFailure": supported values: "Always"')]


def test_kubectl_create_stores_a_pod_templates_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input=json.dumps({
        "apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "tmpl", "namespace": "default"},
        "template": {"spec": _POD}}))
    stored = json.loads(apiserver.kubectl("get", "podtemplate", "tmpl", "-n", "default", "-o", "json").stdout)
    assert stored["template"]["spec"]["schedulerName"] == "default-scheduler"
    assert stored["metadata"]["generation"] == 1
