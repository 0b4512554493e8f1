"""kubectl (the pinned PyPI wheel) against a real `myriad apiserver`."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.apiserver.conftest import RunningServer

MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: demo
  labels: {app: web}
data:
  a: "1"
---
apiVersion: v1
kind: Secret
metadata:
  name: s1
  namespace: demo
stringData:
  p: q
"""


def test_create_from_a_multi_document_file_then_get_with_selectors(apiserver: RunningServer) -> None:
    out = apiserver.kubectl("create", "-f", "-", input=MANIFEST).stdout
    assert "namespace/demo created" in out and "configmap/cfg created" in out and "secret/s1 created" in out
    listed = json.loads(apiserver.kubectl("get", "cm", "-A", "-l", "app=web", "-o", "json").stdout)
    assert [item["metadata"]["name"] for item in listed["items"]] == ["cfg"]
    by_field = apiserver.kubectl("get", "cm", "-n", "demo", "--field-selector", "metadata.name=cfg", "-o", "name")
    assert by_field.stdout.strip() == "configmap/cfg"
    none = apiserver.kubectl("get", "cm", "-n", "demo", "-l", "app=other", "-o", "name")
    assert none.stdout.strip() == ""


def test_label_annotate_and_patch_change_the_stored_object(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-n", "default", "-f", "-",
                      input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: edit-me\ndata:\n  a: '1'\n")
    apiserver.kubectl("label", "cm", "edit-me", "tier=x")
    apiserver.kubectl("annotate", "cm", "edit-me", "note=y")
    apiserver.kubectl("patch", "cm", "edit-me", "--type", "merge", "-p", '{"data":{"b":"2"}}')
    apiserver.kubectl("patch", "cm", "edit-me", "--type", "json", "-p", '[{"op":"add","path":"/data/c","value":"3"}]')
    obj = json.loads(apiserver.kubectl("get", "cm", "edit-me", "-o", "json").stdout)
    assert obj["metadata"]["labels"] == {"tier": "x"}
    assert obj["metadata"]["annotations"] == {"note": "y"}
    assert obj["data"] == {"a": "1", "b": "2", "c": "3"}
    failed = apiserver.kubectl("patch", "cm", "edit-me", "--type", "json", "-p",
                               '[{"op":"test","path":"/data/a","value":"9"}]', check=False)
    assert failed.returncode != 0 and "rejected our request" in failed.stderr


def test_strict_validation_rejects_a_misspelt_field(apiserver: RunningServer) -> None:
    result = apiserver.kubectl("create", "-f", "-", check=False,
                               input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndatta:\n  a: b\n")
    assert result.returncode != 0
    assert 'strict decoding error: unknown field "datta"' in result.stderr
    assert apiserver.kubectl("get", "cm", "typo", check=False).returncode != 0


def test_explain_and_api_resources_read_the_served_schemas(apiserver: RunningServer) -> None:
    explained = apiserver.kubectl("explain", "pod.spec.containers").stdout
    assert "FIELD: containers <[]Container>" in explained
    resources = apiserver.kubectl("api-resources").stdout
    assert any(line.split()[:2] == ["deployments", "deploy"] for line in resources.splitlines())
    versions = apiserver.kubectl("api-versions").stdout.split()
    assert "apps/v1" in versions and "v1" in versions


def test_delete_waits_and_returns(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-n", "default", "-f", "-",
                      input="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: doomed\n")
    out = apiserver.kubectl("delete", "cm", "doomed").stdout
    assert 'configmap "doomed" deleted' in out
    assert "NotFound" in apiserver.kubectl("get", "cm", "doomed", check=False).stderr


APP = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: COLOR}
---
apiVersion: v1
kind: Secret
metadata: {name: token, namespace: shop}
stringData: {t: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: front, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec:
      containers: [{name: web, image: "nginx:1.25"}]
---
apiVersion: v1
kind: Service
metadata: {name: front, namespace: shop}
spec:
  selector: {app: front}
  ports: [{port: 80}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: carts.shop.example.com}
spec:
  group: shop.example.com
  scope: Namespaced
  names: {plural: carts, kind: Cart}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns: [{name: Items, type: integer, jsonPath: .spec.items}]
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {items: {type: integer}}}
---
apiVersion: shop.example.com/v1
kind: Cart
metadata: {name: c1, namespace: shop}
spec: {items: COUNT}
"""


def test_apply_twice_creates_then_changes_everything_including_a_custom_resource(apiserver: RunningServer) -> None:
    first = apiserver.kubectl("apply", "-f", "-", input=APP.replace("COLOR", "red").replace("COUNT", "1"),
                              check=False)
    # As on any cluster, a custom resource in the same file as its CRD is mapped before the CRD
    # exists; everything else is applied and the second apply takes the resource too.
    assert "namespace/shop created" in first.stdout and "deployment.apps/front created" in first.stdout
    assert "customresourcedefinition.apiextensions.k8s.io/carts.shop.example.com created" in first.stdout
    second = apiserver.kubectl("apply", "-f", "-", input=APP.replace("COLOR", "blue").replace("COUNT", "3"))
    assert "configmap/settings configured" in second.stdout and "deployment.apps/front unchanged" in second.stdout
    assert apiserver.kubectl("get", "cm", "settings", "-n", "shop", "-o", "jsonpath={.data.mode}").stdout == "blue"
    carts = apiserver.kubectl("get", "carts", "-n", "shop").stdout.splitlines()
    assert carts[0].split() == ["NAME", "ITEMS"] and carts[1].split() == ["c1", "3"]
    wide = apiserver.kubectl("get", "deploy", "-n", "shop", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:5] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert wide[1].split()[-3:] == ["web", "nginx:1.25", "app=front"]
    assert "kind: Deployment" in apiserver.kubectl("get", "deploy", "front", "-n", "shop", "-o", "yaml").stdout


def test_scale_describe_and_edit(apiserver: RunningServer, tmp_path: Path) -> None:
    apiserver.kubectl("apply", "-f", "-", input=APP.replace("COLOR", "red").replace("COUNT", "1"), check=False)
    assert "scaled" in apiserver.kubectl("scale", "deploy/front", "-n", "shop", "--replicas=5").stdout
    assert apiserver.kubectl("get", "deploy", "front", "-n", "shop", "-o", "jsonpath={.spec.replicas}").stdout == "5"
    described = apiserver.kubectl("describe", "deploy", "front", "-n", "shop").stdout
    assert "Name:" in described and "front" in described and "nginx:1.25" in described
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/mode: .*/mode: edited/' \"$1\"\n")
    editor.chmod(0o755)
    out = apiserver.kubectl("edit", "cm", "settings", "-n", "shop", env={"KUBE_EDITOR": str(editor)}).stdout
    assert "configmap/settings edited" in out
    assert apiserver.kubectl("get", "cm", "settings", "-n", "shop", "-o", "jsonpath={.data.mode}").stdout == "edited"


def test_get_watch_shows_a_concurrent_change(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-n", "default", "-f", "-", input="apiVersion: v1\nkind: ConfigMap\n"
                      "metadata: {name: watched}\n")
    command, env = apiserver.kubectl_command("get", "cm", "-n", "default", "-w", "--request-timeout=20s")
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as watcher:
        try:
            assert watcher.stdout is not None
            header = watcher.stdout.readline()
            assert header.split()[:3] == ["NAME", "DATA", "AGE"]
            apiserver.kubectl("label", "cm", "watched", "-n", "default", "seen=yes")
            apiserver.kubectl("create", "-n", "default", "-f", "-", input="apiVersion: v1\nkind: ConfigMap\n"
                              "metadata: {name: arrived}\n")
            lines = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(line.startswith("arrived") for line in lines):
                lines.append(watcher.stdout.readline())
            assert any(line.startswith("arrived") for line in lines)
        finally:
            watcher.kill()


def test_wait_for_a_condition_and_for_delete(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-n", "default", "-f", "-", input="apiVersion: v1\nkind: Pod\n"
                      "metadata: {name: waiter}\nspec: {containers: [{name: c, image: busybox}], nodeName: n1}\n")
    command, env = apiserver.kubectl_command("wait", "--for=condition=Ready", "pod/waiter", "-n", "default",
                                             "--timeout=20s")
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as waiting:
        time.sleep(1)
        status = {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
        code, _ = apiserver.send("PATCH", "/api/v1/namespaces/default/pods/waiter/status", status)
        assert code == 200
        out, err = waiting.communicate(timeout=25)
        assert waiting.returncode == 0 and "condition met" in out, err
    apiserver.kubectl("delete", "pod", "waiter", "-n", "default", "--wait=false")
    command, env = apiserver.kubectl_command("wait", "--for=delete", "pod/waiter", "-n", "default", "--timeout=20s")
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as waiting:
        time.sleep(1)
        apiserver.kubectl("delete", "pod", "waiter", "-n", "default", "--grace-period=0", "--force")
        waiting.communicate(timeout=25)
        assert waiting.returncode == 0


def test_deleting_a_namespace_marks_it_terminating(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "-f", "-", input="apiVersion: v1\nkind: Namespace\nmetadata: {name: scratch}\n")
    out = apiserver.kubectl("delete", "namespace", "scratch", "--wait=false").stdout
    assert 'namespace "scratch" deleted' in out
    phase = apiserver.kubectl("get", "namespace", "scratch", "-o", "jsonpath={.status.phase}").stdout
    assert phase == "Terminating"
    refused = apiserver.kubectl("create", "-n", "scratch", "-f", "-", check=False,
                                input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\n")
    assert refused.returncode != 0 and "is being terminated" in refused.stderr


def test_generators_that_send_protobuf_create_what_they_say(apiserver: RunningServer) -> None:
    ns = ("-n", "gen")
    apiserver.kubectl("create", "namespace", "gen")
    apiserver.kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "--from-literal=blank=", *ns)
    apiserver.kubectl("create", "secret", "generic", "creds", "--from-literal=token=s3cret", *ns)
    apiserver.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "--port=80", *ns)
    apiserver.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080", *ns)
    apiserver.kubectl("create", "job", "once", "--image=busybox", *ns, "--", "echo", "hi")
    apiserver.kubectl("create", "serviceaccount", "robot", *ns)
    apiserver.kubectl("create", "role", "reader", "--verb=get,list", "--resource=pods", *ns)
    apiserver.kubectl("create", "rolebinding", "robot-reads", "--role=reader", "--serviceaccount=gen:robot", *ns)

    def get(kind: str, name: str) -> dict:
        return json.loads(apiserver.kubectl("get", kind, name, *ns, "-o", "json").stdout)

    assert get("namespace", "gen")["status"]["phase"] == "Active"
    assert get("configmap", "settings")["data"] == {"mode": "fast", "blank": ""}
    assert get("secret", "creds")["data"] == {"token": "czNjcmV0"}
    deployment = get("deployment", "web")
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["ports"][0]["containerPort"]) == ("nginx:1.27", 80)
    port = get("service", "web")["spec"]["ports"][0]
    assert (port["port"], port["targetPort"], port["protocol"]) == (80, 8080, "TCP")
    job = get("job", "once")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert get("role", "reader")["rules"] == [{"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"]}]
    assert get("rolebinding", "robot-reads")["subjects"] == [{"kind": "ServiceAccount", "name": "robot",
                                                             "namespace": "gen"}]
