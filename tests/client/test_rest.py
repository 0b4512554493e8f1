"""The REST client against a real ``myriad apiserver``: every verb, patch type, paging and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, NAMESPACES, PODS, PatchType


def configmap(name: str, namespace: str = "default", **data: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


def pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]}}


async def test_create_get_update_and_delete_round_trip(client: Client) -> None:
    created = await client.create(CONFIGMAPS, configmap("round-trip", a="1"))
    assert created["metadata"]["uid"] and created["data"] == {"a": "1"}
    fetched = await client.get(CONFIGMAPS, "round-trip", namespace="default")
    assert fetched == created
    fetched["data"]["b"] = "2"
    updated = await client.update(CONFIGMAPS, fetched)
    assert updated["data"] == {"a": "1", "b": "2"}
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    deleted = await client.delete(CONFIGMAPS, "round-trip", namespace="default")
    assert deleted["status"] == "Success" and deleted["details"]["name"] == "round-trip"  # upstream's answer
    with pytest.raises(errors.NotFound) as raised:
        await client.get(CONFIGMAPS, "round-trip", namespace="default")
    assert raised.value.status == 404 and raised.value.details["name"] == "round-trip"


@pytest.mark.parametrize(("patch_type", "patch", "expect"), [
    (PatchType.MERGE, {"data": {"a": None, "c": "3"}}, {"b": "2", "c": "3"}),
    (PatchType.JSON, [{"op": "replace", "path": "/data/a", "value": "9"}], {"a": "9", "b": "2"}),
    (PatchType.STRATEGIC, {"data": {"b": "8"}}, {"a": "1", "b": "8"}),
    (PatchType.APPLY, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "patched"},
                       "data": {"d": "4"}}, {"a": "1", "b": "2", "d": "4"}),  # merged in, the rest kept
])
async def test_every_patch_type_reaches_the_server_with_its_content_type(client: Client, patch_type, patch,
                                                                         expect) -> None:
    await client.create(CONFIGMAPS, configmap("patched", a="1", b="2"))
    try:
        result = await client.patch(CONFIGMAPS, "patched", patch, patch_type=patch_type, namespace="default",
                                    field_manager="test")
        assert result["data"] == expect
    finally:
        await client.delete(CONFIGMAPS, "patched", namespace="default")


async def test_status_subresource_updates_only_status(client: Client) -> None:
    created = await client.create(PODS, pod("with-status"))
    created["status"] = {"phase": "Running"}
    created["spec"]["containers"][0]["image"] = "ignored"
    updated = await client.update(PODS, created, subresource="status")
    assert updated["status"]["phase"] == "Running"
    assert updated["spec"]["containers"][0]["image"] == "nginx"
    fetched = await client.get(PODS, "with-status", namespace="default", subresource="status")
    assert fetched["status"]["phase"] == "Running"


@pytest.mark.parametrize(("call", "error"), [
    ("duplicate", errors.AlreadyExists),
    ("stale update", errors.Conflict),
    ("invalid", errors.Invalid),
    ("missing", errors.NotFound),
])
async def test_status_answers_raise_the_error_of_their_reason(client: Client, call: str, error: type) -> None:
    name = f"error-{call.replace(' ', '-')}"
    created = await client.create(CONFIGMAPS, configmap(name))
    with pytest.raises(error) as raised:
        if call == "duplicate":
            await client.create(CONFIGMAPS, configmap(name))
        elif call == "stale update":
            await client.update(CONFIGMAPS, {**created, "data": {"x": "1"}})
            await client.update(CONFIGMAPS, {**created, "data": {"x": "2"}})
        elif call == "invalid":
            await client.create(CONFIGMAPS, configmap("Not_A_Valid_Name"))
        else:
            await client.delete(CONFIGMAPS, "no-such-thing", namespace="default")
    assert raised.value.status == error.status_code
    if call == "invalid":
        assert raised.value.causes and raised.value.causes[0]["field"] == "metadata.name"


async def test_list_all_pages_through_continue_tokens_from_one_snapshot(client: Client) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "paging"}})
    for n in range(25):
        await client.create(CONFIGMAPS, configmap(f"cm-{n:02d}", namespace="paging"))
    pages = [page async for page in client.list_pages(CONFIGMAPS, page_size=10, namespace="paging")]
    assert [len(p["items"]) for p in pages] == [10, 10, 5]
    items, version = await client.list_all(CONFIGMAPS, page_size=10, namespace="paging")
    assert [i["metadata"]["name"] for i in items] == [f"cm-{n:02d}" for n in range(25)]
    assert int(version) > 0
    labelled = await client.list(CONFIGMAPS, namespace="paging", field_selector="metadata.name=cm-07")
    assert [i["metadata"]["name"] for i in labelled["items"]] == ["cm-07"]


async def test_kubeconfig_gives_the_server_and_namespace(server: tuple[str, Path]) -> None:
    async with Client.from_kubeconfig(str(server[1])) as client:
        assert client.options.endpoints == (server[0],) and client.namespace == "default"
        namespaces = await client.list(NAMESPACES)
        assert "default" in {n["metadata"]["name"] for n in namespaces["items"]}
