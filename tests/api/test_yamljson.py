"""yaml.v2's strict complaint about keys given twice, as upstream's apply reports it."""

import pytest

from myriad.api import yamljson


@pytest.mark.parametrize(("body", "expected"), [
    (b"a: 1\nb: 2\n", []),
    (b"a: 1\na: 2\n", ['line 2: key "a" already set in map']),
    (b'{"a":1,"b":{"c":1,"c":2},"a":3}', ['line 1: key "c" already set in map', 'line 1: key "a" already set in map']),
    (b"m:\n  1: x\n  1: y\n  '1': z\n", ["line 3: key 1 already set in map"]),  # the string '1' is another key
    (b"base: &b {x: 1, x: 2}\nagain: *b\n", ['line 1: key "x" already set in map']),  # an alias is not reported twice
    (b"{not: [yaml", []),  # does not parse: loads says why
])
def test_every_key_a_mapping_gives_again_is_named_with_its_line(body: bytes, expected: list[str]) -> None:
    assert yamljson.duplicate_keys(body) == expected
