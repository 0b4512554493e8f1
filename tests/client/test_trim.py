"""Cutting metadata.managedFields out of an object's JSON, in the bytes."""

import msgspec
import orjson
import pytest

from myriad.client.trim import without_managed_fields

_MF = [{"manager": "m", "operation": "Update", "fieldsV1": {"f:data": {'k:{"name":"a"}': {}}}}]


@pytest.mark.parametrize("obj", [
    {"metadata": {"managedFields": _MF, "name": "first"}, "data": {"a": "1"}},
    {"metadata": {"name": "middle", "managedFields": _MF, "uid": "u"}},
    {"metadata": {"name": "last", "managedFields": _MF}},
    {"metadata": {"managedFields": _MF}},
    {"kind": "X", "spec": {"managedFields": [1]}, "metadata": {"name": "n", "managedFields": _MF}},
])
def test_the_entries_go_and_every_other_byte_stays(obj: dict) -> None:
    raw = orjson.dumps(obj)
    trimmed = without_managed_fields(raw)
    expected = {**obj, "metadata": {k: v for k, v in obj["metadata"].items() if k != "managedFields"}}
    assert trimmed == orjson.dumps(expected)


@pytest.mark.parametrize("raw", [
    b'{"metadata":{"name":"none"},"data":{"a":"1"}}',
    b'{"spec":{"managedFields":[{"x":1}]},"metadata":{"name":"elsewhere"}}',  # not the metadata's
    b'{"data":{"note":"\\"managedFields\\":[1]"},"metadata":{}}',  # text, not a key
    b'{"metadata":"odd","x":{"managedFields":[]}}',  # not an object msgspec reads: kept as it came
])
def test_an_object_without_entries_is_returned_as_it_came(raw: bytes) -> None:
    assert without_managed_fields(raw) is raw


def test_any_buffer_is_read_and_bytes_come_back() -> None:
    raw = orjson.dumps({"metadata": {"name": "n", "managedFields": _MF}})
    page = msgspec.json.decode(b'{"items":[' + raw + b"]}", type=dict[str, list[msgspec.Raw]])
    assert without_managed_fields(page["items"][0]) == b'{"metadata":{"name":"n"}}'
