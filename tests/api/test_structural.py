"""Custom resource schemas: defaults, pruning and validation (pure logic)."""

from __future__ import annotations

import pytest

from myriad.api.structural import apply_defaults, prune, validate

SCHEMA = {"type": "object", "properties": {
    "spec": {"type": "object", "required": ["size"], "properties": {
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
        "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "port": {"x-kubernetes-int-or-string": True},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}


@pytest.mark.parametrize(("spec", "field", "message"), [
    ({}, "spec.size", "Required value"),
    ({"size": "3"}, "spec.size", 'Invalid value: "string": spec.size in body must be of type integer: "string"'),
    ({"size": 11}, "spec.size", "Invalid value: 11: spec.size in body should be less than or equal to 10"),
    ({"size": 0}, "spec.size", "Invalid value: 0: spec.size in body should be greater than or equal to 1"),
    ({"size": 1, "mode": "c"}, "spec.mode", 'Unsupported value: "c": supported values: "a", "b"'),
    ({"size": 1, "name": "toolong"}, "spec.name", "Too long: may not be more than 5 bytes"),
    ({"size": 1, "name": "AB"}, "spec.name", "Invalid value: \"AB\": spec.name in body should match '^[a-z]+$'"),
    ({"size": 1, "tags": ["a", "b", "c"]}, "spec.tags", "Too many: 3: must have at most 2 items"),
    ({"size": 1, "tags": [1]}, "spec.tags[0]", 'Invalid value: "integer": spec.tags[0] in body must be of type '
                                               'string: "integer"'),
])
def test_invalid_values_are_reported_at_their_path(spec: dict[str, object], field: str, message: str) -> None:
    causes = validate({"spec": spec}, SCHEMA)
    assert [(c.field, c.message) for c in causes] == [(field, message)]


def test_int_or_string_accepts_both() -> None:
    assert validate({"spec": {"size": 1, "port": "http"}}, SCHEMA) == []
    assert validate({"spec": {"size": 1, "port": 80}}, SCHEMA) == []


def test_unknown_fields_are_pruned_except_where_preserved() -> None:
    obj = {"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n"},
           "spec": {"size": 1, "bogus": 1, "free": {"anything": {"goes": True}}}, "extra": 2}
    assert prune(obj, SCHEMA) == ["spec.bogus", "extra"]
    assert obj == {"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "n"},
                   "spec": {"size": 1, "free": {"anything": {"goes": True}}}}


def test_defaults_fill_missing_fields_only() -> None:
    obj = {"spec": {"size": 1}}
    apply_defaults(obj, SCHEMA)
    assert obj["spec"]["mode"] == "a"
    obj = {"spec": {"size": 1, "mode": "b"}}
    apply_defaults(obj, SCHEMA)
    assert obj["spec"]["mode"] == "b"
