"""Every stored built-in kind, walked through real clients: ``kubectl apply``, ``get``, ``get -o
wide``, ``describe`` and ``delete``; and the official Python client's typed ``read_*`` and
``list_*`` methods, whose models refuse a response that lacks a required field.

The manifests are in tests/apiserver/every_kind.py, one for each stored resource of BUILTIN; a
newly served kind without one fails :func:`test_the_manifests_cover_every_stored_builtin_resource`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from kubernetes import client, config

from myriad.api.builtin import BUILTIN
from myriad.api.registry import ResourceType
from tests.apiserver.conftest import RunningServer
from tests.apiserver.every_kind import MANIFESTS, NAMESPACE, Manifest

#: The resources answered without storage (no object to read back or delete), not walked here.
NOT_STORED = {"bindings", "componentstatuses", "selfsubjectreviews", "tokenreviews", "localsubjectaccessreviews",
              "selfsubjectaccessreviews", "selfsubjectrulesreviews", "subjectaccessreviews"}
_BY_KIND = {(r.group, r.version, r.kind): r for r in BUILTIN}
#: Plurals served by more than one group or version (core and events.k8s.io Events, autoscaling/v1
#: and v2 HPAs): kubectl is given ``plural.version.group`` for those.
_SHARED = {plural for plural, count in Counter(r.plural for r in BUILTIN).items() if count > 1}
_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def _resource(manifest: Manifest) -> ResourceType:
    group, _, version = manifest["apiVersion"].rpartition("/")
    return _BY_KIND[(group, version, manifest["kind"])]


def _name(manifest: Manifest) -> str:
    return str(manifest["metadata"]["name"])


def _qualified(resource: ResourceType) -> str:
    """The resource as kubectl is given it: ``plural.group``, ``plural.version.group`` for a shared
    plural (``events.v1.`` is the core group's)."""
    if resource.plural in _SHARED:
        return f"{resource.plural}.{resource.version}.{resource.group}"
    return ".".join(filter(None, (resource.plural, resource.group)))


def _id(manifest: Manifest) -> str:
    return _qualified(_resource(manifest)).rstrip(".")


def _kubectl_target(manifest: Manifest) -> list[str]:
    """The resource and name (and namespace) as kubectl is given them."""
    resource = _resource(manifest)
    return [_qualified(resource), _name(manifest), *(["-n", NAMESPACE] if resource.namespaced else [])]


def _path(manifest: Manifest, *, collection: bool = False) -> str:
    resource = _resource(manifest)
    root = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    namespace = f"/namespaces/{NAMESPACE}" if resource.namespaced else ""
    return f"{root}{namespace}/{resource.plural}" + ("" if collection else f"/{_name(manifest)}")


PARAMS = [pytest.param(manifest, id=_id(manifest)) for manifest in MANIFESTS]


def test_the_manifests_cover_every_stored_builtin_resource() -> None:
    covered = [(r.group, r.version, r.plural) for r in map(_resource, MANIFESTS)]
    assert len(covered) == len(set(covered)), "one manifest per resource"
    stored = {(r.group, r.version, r.plural) for r in BUILTIN if r.stored}
    assert not stored - set(covered), f"stored resources without a manifest: {sorted(stored - set(covered))}"
    assert not set(covered) - stored, f"manifests of resources not stored: {sorted(set(covered) - stored)}"
    assert {r.plural for r in BUILTIN if not r.stored} == NOT_STORED
    namespaced = [m for m in MANIFESTS if _resource(m).namespaced]
    assert all(m["metadata"].get("namespace") == NAMESPACE for m in namespaced)
    assert not any("namespace" in m["metadata"] for m in MANIFESTS if m not in namespaced)


@pytest.fixture(scope="module")
def applied(apiserver: RunningServer) -> str:
    """Every manifest, made by one ``kubectl apply`` of a multi-document YAML; its output. A
    manifest the server refuses fails only its own kind's tests (they look for its line)."""
    apiserver.kubectl("create", "namespace", NAMESPACE)
    documents = "---\n".join(json.dumps(manifest) + "\n" for manifest in MANIFESTS)
    result = apiserver.kubectl("apply", "-f", "-", input=documents, check=False)
    return result.stdout + result.stderr


def _created_line(manifest: Manifest) -> str:
    resource = _resource(manifest)
    qualified = ".".join(filter(None, (resource.kind.lower(), resource.group)))
    return f"{qualified}/{_name(manifest)} created"


def _ensure(apiserver: RunningServer, manifest: Manifest) -> None:
    """The object exists: made by the apply, or made again if the kubectl walk deleted it."""
    code, _ = apiserver.send("GET", _path(manifest), None)
    if code == 404:
        code, body = apiserver.send("POST", _path(manifest, collection=True), manifest)
        assert code == 201, body
    else:
        assert code == 200


def _table_headers(apiserver: RunningServer, manifest: Manifest) -> tuple[list[str], list[str]]:
    """The server's Table columns for the object, as kubectl prints their names: the default
    ones, then all (``-o wide``)."""
    code, body = apiserver.get(_path(manifest), accept=_TABLE)
    assert code == 200, body
    columns = json.loads(body)["columnDefinitions"]
    return ([c["name"].upper() for c in columns if c["priority"] == 0], [c["name"].upper() for c in columns])


@pytest.mark.parametrize("manifest", PARAMS)
def test_kubectl_applies_gets_describes_and_deletes_every_kind(apiserver: RunningServer, applied: str,
                                                               manifest: Manifest) -> None:
    resource, name = _resource(manifest), _name(manifest)
    assert _created_line(manifest) in applied.splitlines(), applied
    target = _kubectl_target(manifest)
    # the object reads back at the resource's own group and version (an autoscaling/v1 HPA too,
    # whichever version kubectl picks for the table)
    code, stored = apiserver.send("GET", _path(manifest), None)
    assert code == 200, stored
    assert (stored["apiVersion"], stored["kind"], stored["metadata"]["name"]) == (
        manifest["apiVersion"], manifest["kind"], name)

    # upstream's printers start every table with the Name, but Events with Last Seen (their Name
    # is a wide column)
    first = "LAST SEEN" if resource.plural == "events" else "NAME"
    columns, wide_columns = _table_headers(apiserver, manifest)
    # the three reads at once: they are independent, and a kubectl process is most of a step's time
    with ThreadPoolExecutor(3) as pool:
        got, wide, described = pool.map(lambda args: apiserver.kubectl(*args).stdout,
                                        [("get", *target), ("get", *target, "-o", "wide"), ("describe", *target)])
    lines = got.splitlines()
    assert len(lines) == 2, lines
    header, row = lines
    assert header.startswith(first + " ") and header.split() == " ".join(columns).split(), header
    if resource.plural == "events":
        regarding = manifest.get("involvedObject") or manifest["regarding"]
        assert row.split()[3] == f"pod/{regarding['name']}", row
    else:
        assert row.split()[0] == name, row

    lines = wide.splitlines()
    assert len(lines) == 2, lines
    header, row = lines
    assert header.startswith(first + " ") and header.split() == " ".join(wide_columns).split(), header
    assert name in row.split(), row

    assert re.search(rf"^Name:\s+{re.escape(name)}$", described, re.MULTILINE), described

    if resource.kind == "Namespace":
        # a namespace is removed by the namespace controller (kube-controller-manager's, not the
        # API server's), which empties it and clears its finalizers through /finalize: as it does
        deleted = apiserver.kubectl("delete", *target, "--wait=false").stdout
        code, namespace = apiserver.send("GET", _path(manifest), None)
        assert code == 200 and namespace["status"]["phase"] == "Terminating", namespace
        namespace["spec"]["finalizers"] = []
        code, namespace = apiserver.send("PUT", _path(manifest) + "/finalize", namespace)
        assert code == 200, namespace
    else:
        deleted = apiserver.kubectl("delete", *target).stdout
    assert f'"{name}" deleted' in deleted, deleted
    gone = apiserver.kubectl("get", *target, check=False)
    assert gone.returncode == 1 and "(NotFound)" in gone.stderr and f'"{name}" not found' in gone.stderr, gone


@pytest.fixture(scope="module")
def api(apiserver: RunningServer) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(apiserver.kubeconfig))


def _api_class(resource: ResourceType) -> str:
    """The Python client's API class: CoreV1Api, RbacAuthorizationV1Api, FlowcontrolApiserverV1Api…"""
    group = resource.group.removesuffix(".k8s.io") or "core"
    return "".join(part.capitalize() for part in group.split(".")) + resource.version.capitalize() + "Api"


def _snake(kind: str) -> str:
    """The client's method suffix for a kind: daemon_set, csi_driver, ip_address, api_service…"""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", kind).lower()


def _method(api: object, name: str) -> Any:
    assert hasattr(api, name), f"{type(api).__name__} has no {name}"
    return getattr(api, name)


@pytest.mark.parametrize("manifest", PARAMS)
def test_the_python_client_reads_and_lists_every_kind_with_its_typed_methods(
        apiserver: RunningServer, applied: str, api: client.ApiClient, manifest: Manifest) -> None:
    resource, name = _resource(manifest), _name(manifest)
    _ensure(apiserver, manifest)
    assert hasattr(client, _api_class(resource)), _api_class(resource)
    typed = getattr(client, _api_class(resource))(api)
    snake = _snake(resource.kind)
    selector: dict[str, str] = {}
    if (resource.group, resource.plural) == ("events.k8s.io", "events"):
        # a core Event written the legacy way (no eventTime) reads back through events.k8s.io/v1
        # with "eventTime": null, upstream as here, and the client's model, which requires the
        # field, refuses it (kubernetes-client/python#1616): list only the events.k8s.io one
        selector = {"field_selector": f"metadata.name={name}"}
    if resource.namespaced:
        read = _method(typed, f"read_namespaced_{snake}")(name, NAMESPACE)
        lists = [_method(typed, f"list_namespaced_{snake}")(NAMESPACE, **selector),
                 _method(typed, f"list_{snake}_for_all_namespaces")(**selector)]
    else:
        read = _method(typed, f"read_{snake}")(name)
        lists = [_method(typed, f"list_{snake}")()]
    model = f"{resource.version.capitalize()}{resource.kind}"  # V1Pod, CoreV1Event, ResourceV1ResourceClaim
    assert type(read).__name__.endswith(model)
    assert (read.api_version, read.kind, read.metadata.name) == (manifest["apiVersion"], resource.kind, name)
    assert read.metadata.uid and read.metadata.resource_version and read.metadata.creation_timestamp
    for listed in lists:
        assert type(listed).__name__.endswith(f"{model}List")
        assert listed.kind == f"{resource.kind}List" and listed.metadata.resource_version
        assert name in [item.metadata.name for item in listed.items]


def test_server_filled_fields_match_upstreams_controllers_and_defaults(apiserver: RunningServer) -> None:
    """A local APIService is Available at once; a pod certificate request's expiry defaults to a
    day and its stub CSR is required."""
    code, created = apiserver.send("POST", "/apis/apiregistration.k8s.io/v1/apiservices", {
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.local.example.com"},
        "spec": {"group": "local.example.com", "version": "v1", "groupPriorityMinimum": 100,
                 "versionPriority": 10}})
    assert code == 201, created
    assert [(c["type"], c["status"], c["reason"]) for c in created["status"]["conditions"]] == [
        ("Available", "True", "Local")]
    pcr = json.loads(json.dumps(next(m for m in MANIFESTS if m["kind"] == "PodCertificateRequest")))
    pcr["metadata"]["name"] = "defaulted-pcr"
    del pcr["spec"]["maxExpirationSeconds"]
    code, created = apiserver.send("POST", f"/apis/certificates.k8s.io/v1/namespaces/{pcr['metadata']['namespace']}"
                                           "/podcertificaterequests", pcr)
    assert code == 201 and created["spec"]["maxExpirationSeconds"] == 86400, created
    del pcr["spec"]["stubPKCS10Request"]
    pcr["metadata"]["name"] = "stubless-pcr"
    code, status = apiserver.send("POST", f"/apis/certificates.k8s.io/v1/namespaces/{pcr['metadata']['namespace']}"
                                          "/podcertificaterequests", pcr)
    assert code == 422 and [c["field"] for c in status["details"]["causes"]] == ["spec.stubPKCS10Request"]
