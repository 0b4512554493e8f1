"""ValueCache is a byte-bounded FIFO of row values (a unit test of pure logic)."""

from __future__ import annotations

from myriad.storage.embedded.records import make_id
from myriad.storage.embedded.valuecache import ValueCache

ENTRY_OVERHEAD = 64


def test_the_oldest_values_are_evicted_once_capacity_is_exceeded():
    cache = ValueCache(3 * (100 + ENTRY_OVERHEAD))
    ids = [make_id(revision, 0) for revision in range(1, 6)]
    for row_id in ids:
        cache.add(row_id, b"v" * 100)
    assert [cache.get(i) is not None for i in ids] == [False, False, True, True, True]


def test_rows_of_one_revision_are_kept_apart_by_their_sub_index():
    cache = ValueCache(1 << 20)
    cache.add(make_id(7, 0), b"first")
    cache.add(make_id(7, 1), b"second")
    assert cache.get(make_id(7, 0)) == b"first"
    assert cache.get(make_id(7, 1)) == b"second"


def test_adding_an_id_twice_keeps_the_first_value_and_counts_it_once():
    cache = ValueCache(2 * (100 + ENTRY_OVERHEAD))
    cache.add(make_id(1, 0), b"a" * 100)
    cache.add(make_id(1, 0), b"b" * 100)
    cache.add(make_id(2, 0), b"c" * 100)
    assert cache.get(make_id(1, 0)) == b"a" * 100
    assert cache.get(make_id(2, 0)) == b"c" * 100


def test_a_value_larger_than_the_capacity_is_not_kept():
    cache = ValueCache(1000)
    cache.add(make_id(1, 0), b"x" * 5000)
    assert cache.get(make_id(1, 0)) is None
