"""The field manager's Update entries: who owns what after each write, as upstream records it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from myriad.api import schemas
from myriad.api.managed import entries, shapes
from myriad.api.managed.errors import InvalidManagedFields
from myriad.api.managed.manager import Write, update

CONFIGMAP = shapes.for_kind("v1", "ConfigMap")
DEPLOYMENT = shapes.for_kind("apps/v1", "Deployment")
T1, T2, T3 = "2026-12-05T10:00:00Z", "2026-12-05T10:00:01Z", "2026-12-05T10:00:02Z"


def zero(api_version: str, kind: str) -> dict[str, Any]:
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {}}
    schemas.prune_unknown(obj, api_version, kind)
    return obj


def configmap(data: dict[str, str], managed: Any = None, **meta: Any) -> dict[str, Any]:
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "c", "namespace": "default", "uid": "u", **meta}, "data": data}
    if managed is not None:
        obj["metadata"]["managedFields"] = managed
    return obj


def write(live: dict | None, new: dict, manager: str, now: str, **kw: Any) -> dict:
    """``new`` as stored: with the managedFields the write gives it."""
    stored = copy.deepcopy(new)
    managed = update(live, new, CONFIGMAP, Write(manager=manager, api_version="v1", **kw), now=now,
                     zero=zero("v1", "ConfigMap"))
    stored["metadata"].pop("managedFields", None)
    if managed is not None:
        stored["metadata"]["managedFields"] = managed
    return stored


def owners(obj: dict) -> dict[str, Any]:
    return {e["manager"] + (f"/{e['subresource']}" if e.get("subresource") else ""): e["fieldsV1"]
            for e in obj["metadata"].get("managedFields") or ()}


def test_a_create_records_its_manager_owning_every_field_it_set() -> None:
    made = write(None, configmap({"a": "1"}, labels={"app": "x"}), "kubectl-create", T1)
    assert made["metadata"]["managedFields"] == [{
        "manager": "kubectl-create", "operation": "Update", "apiVersion": "v1", "time": T1, "fieldsType": "FieldsV1",
        "fieldsV1": {"f:data": {".": {}, "f:a": {}}, "f:metadata": {"f:labels": {".": {}, "f:app": {}}}}}]


def test_an_update_takes_the_fields_it_changed_from_their_owner_and_keeps_the_rest_with_it() -> None:
    made = write(None, configmap({"a": "1", "b": "2"}), "creator", T1)
    changed = write(made, configmap({"a": "9", "b": "2", "c": "3"}, made["metadata"]["managedFields"]), "editor", T2)
    assert owners(changed) == {"creator": {"f:data": {".": {}, "f:b": {}}},
                               "editor": {"f:data": {"f:a": {}, "f:c": {}}}}
    assert [e["time"] for e in changed["metadata"]["managedFields"]] == [T1, T2]


def test_a_managers_second_update_joins_its_entry_and_moves_its_time_only_when_something_changed() -> None:
    made = write(None, configmap({"a": "1"}), "m", T1)
    again = write(made, configmap({"a": "1", "b": "2"}, made["metadata"]["managedFields"]), "m", T2)
    assert owners(again) == {"m": {"f:data": {".": {}, "f:a": {}, "f:b": {}}}}
    assert again["metadata"]["managedFields"][0]["time"] == T2
    same = write(again, configmap({"a": "1", "b": "2"}, again["metadata"]["managedFields"]), "m", T3)
    assert same["metadata"]["managedFields"][0]["time"] == T2


def test_removing_a_field_takes_it_from_everyone() -> None:
    made = write(None, configmap({"a": "1", "b": "2"}), "creator", T1)
    cut = write(made, configmap({"b": "2"}, made["metadata"]["managedFields"]), "cutter", T2)
    assert owners(cut) == {"creator": {"f:data": {".": {}, "f:b": {}}}}


@pytest.mark.parametrize("cleared", [[], [{}]])
def test_clearing_managed_fields_stops_tracking_until_the_object_is_made_again(cleared: list) -> None:
    made = write(None, configmap({"a": "1"}), "creator", T1)
    empty = write(made, configmap({"a": "1"}, cleared), "clearer", T2)
    assert "managedFields" not in empty["metadata"]
    later = write(empty, configmap({"a": "2"}), "editor", T3)
    assert "managedFields" not in later["metadata"]
    assert set(owners(write(None, configmap({"a": "1"}, cleared), "creator", T1))) == {"creator"}


def test_entries_in_a_body_are_honoured_when_they_decode_and_ignored_when_they_do_not() -> None:
    made = write(None, configmap({"a": "1"}), "creator", T1)
    renamed = copy.deepcopy(made["metadata"]["managedFields"])
    renamed[0]["manager"] = "renamed"
    assert set(owners(write(made, configmap({"a": "1"}, renamed), "x", T2))) == {"renamed"}
    broken = copy.deepcopy(renamed)
    broken[0]["fieldsType"] = ""
    assert set(owners(write(made, configmap({"a": "1"}, broken), "x", T2))) == {"creator"}


def test_a_subresource_write_ignores_the_bodys_entries_and_is_recorded_with_its_subresource() -> None:
    made = write(None, configmap({"a": "1"}), "creator", T1)
    new = configmap({"a": "2"}, [])
    status = write(made, new, "kubelet", T2, subresource="status")
    # the value moved over; the creator still owns the map it made
    assert owners(status) == {"creator": {"f:data": {}}, "kubelet/status": {"f:data": {"f:a": {}}}}


def test_reset_fields_are_neither_owned_nor_taken() -> None:
    made = write(None, configmap({"a": "1"}), "creator", T1, reset={"f:data": {}})
    assert "managedFields" not in made["metadata"]  # nothing left to own
    made = write(None, configmap({"a": "1"}, labels={"x": "y"}), "creator", T1, reset={"f:data": {}})
    assert owners(made) == {"creator": {"f:metadata": {"f:labels": {".": {}, "f:x": {}}}}}


def test_the_eleventh_update_manager_folds_the_oldest_into_ancient_changes() -> None:
    obj = write(None, configmap({"k0": "0"}), "m0", "2026-12-05T10:00:00Z")
    for i in range(1, 12):
        new = configmap({**obj["data"], f"k{i}": str(i)}, obj["metadata"]["managedFields"])
        obj = write(obj, new, f"m{i}", f"2026-12-05T10:00:{i:02d}Z")
    managed = obj["metadata"]["managedFields"]
    assert len(managed) == 10
    assert managed[0]["manager"] == "ancient-changes" and managed[0]["time"] == "2026-12-05T10:00:02Z"
    assert managed[0]["fieldsV1"] == {"f:data": {".": {}, "f:k0": {}, "f:k1": {}, "f:k2": {}}}
    assert [e["manager"] for e in managed[1:]] == [f"m{i}" for i in range(3, 12)]


def test_a_deployment_create_owns_nodes_as_upstream_records_them() -> None:
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {
               "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
           "status": {}}
    managed = update(None, dep, DEPLOYMENT, Write(manager="kubectl-create", api_version="apps/v1",
                                                  reset={"f:status": {}}), now=T1, zero=zero("apps/v1", "Deployment"))
    assert managed is not None
    assert managed[0]["fieldsV1"] == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"nginx"}': {".": {}, "f:image": {}, "f:name": {}}}}}}}


def test_invalid_entries_are_refused_with_upstreams_messages() -> None:
    with pytest.raises(InvalidManagedFields, match="operation must be `Apply` or `Update`"):
        entries.decode([{"manager": "m", "operation": "Create", "apiVersion": "v1", "fieldsType": "FieldsV1"}])
    with pytest.raises(InvalidManagedFields, match='invalid fieldsType "FieldsV2" in managed fields entry 0'):
        entries.decode([{"manager": "m", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV2"}])
