"""kubectl (the pinned PyPI wheel) against a real `myriad apiserver`."""

from __future__ import annotations

import json

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
