"""Bodies orjson refuses and Go repairs, and those both refuse."""

from __future__ import annotations

import orjson
import pytest

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
