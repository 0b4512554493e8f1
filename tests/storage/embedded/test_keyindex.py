"""KeyIndex behaves as an ordered map (a unit test of pure logic, against a reference model)."""

from __future__ import annotations

import random

import pytest

from myriad.storage.embedded.apply import count_keys, keys_in
from myriad.storage.embedded.keyindex import KeyIndex


def test_random_operations_match_a_sorted_reference_map():
    rng = random.Random(7)
    index = KeyIndex({b"/seed/%d" % i: (1, i, 1, 0) for i in range(50)})
    model = {b"/seed/%d" % i: (1, i, 1, 0) for i in range(50)}
    for step in range(5000):
        key = b"/k/%03d" % rng.randrange(400)
        if rng.random() < 0.3:
            assert index.pop(key) == model.pop(key, None)
        else:
            index[key] = model[key] = (1, step, 1, 0)
        assert len(index) == len(model)
    assert list(index.irange(b"")) == sorted(model)
    for key in (b"/k/100", b"/seed/3", b"/nope"):
        assert index.get(key) == model.get(key)
        assert (key in index) == (key in model)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (b"/a/", b"/a0", [b"/a/1", b"/a/2"]),
        (b"/a/2", None, [b"/a/2"]),
        (b"/a/3", None, []),
        (b"/a/2", b"\x00", [b"/a/2", b"/b"]),
        (b"/c", b"/d", []),
    ],
)
def test_keys_in_and_count_keys_follow_etcd_range_conventions(start, end, expected):
    index = KeyIndex({k: (1, 1, 1, 0) for k in (b"/a/1", b"/a/2", b"/b")})
    assert keys_in(index, start, end) == expected
    assert count_keys(index, start, end) == len(expected)
