"""Bodies orjson refuses and Go repairs or reads, and those both refuse."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import orjson
import pytest

from myriad.api import gojson
from myriad.api.gojson import loads


@pytest.mark.parametrize(("body", "decoded"), [
    (b'{"a":"ok"}', {"a": "ok"}),
    (b'{"a":"\xff"}', {"a": "\ufffd"}),
    (b'{"a\xc3":1}', {"a\ufffd": 1}),  # keys are strings too
    (rb'{"a":"\ud800\ud801\udc00"}', {"a": "\ufffd\U00010400"}),  # a high half before a pair
    (rb'{"a":"\\\ud800"}', {"a": "\\\ufffd"}),  # an escaped backslash, then a lone half
])
def test_go_repairs_become_u_fffd(body: bytes, decoded: object) -> None:
    assert loads(body) == decoded


@pytest.mark.parametrize("body", [b'{"a":1,}', b'{"a":1}\xff', b'{"a":"\\ud800', b"\xff"])
def test_what_go_refuses_is_still_refused_with_orjsons_first_error(body: bytes) -> None:
    with pytest.raises(orjson.JSONDecodeError) as refused:
        loads(body)
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as first:
        assert str(refused.value) == str(first)


@pytest.fixture
def deep_recursion() -> Iterator[None]:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(gojson.RECURSION_LIMIT)  # as the API server sets it
    yield
    sys.setrecursionlimit(limit)


@pytest.mark.usefixtures("deep_recursion")
def test_values_nest_as_deep_as_go_reads_them_and_brackets_in_strings_do_not_count() -> None:
    deepest = b"[" * 10_000 + b"]" * 10_000
    value = gojson.loads(deepest)
    assert gojson.dumps(value) == deepest  # orjson writes 254 levels; the fallback writes the rest
    quoted = b'{"s":"%s","v":%s}' % (b"[" * 20_000, b"[" * 9_999 + b"]" * 9_999)
    assert gojson.loads(quoted)["s"] == "[" * 20_000
    with pytest.raises(orjson.JSONDecodeError, match=r"invalid character '\{' exceeded max depth"):
        gojson.loads(b"[" * 10_000 + b"{}" + b"]" * 10_000)


def test_dumps_output_takes_no_more_memory_than_its_length() -> None:
    """orjson hands back its whole buffer (16 KiB for a 1.1 KB object in 3.13); what dumps
    returns is kept in caches, so it must be right-sized."""
    import tracemalloc

    value = {"metadata": {"name": "x" * 50}, "data": {"k": "v" * 1024}}
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        kept = [gojson.dumps(value) for _ in range(200)]
        grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert kept[0] == orjson.dumps(value)
    assert grown < 200 * (len(kept[0]) + 256)
    assert len(gojson.right_sized(b"abc")) == 3
