"""The loop's cache of current values: answers only for the asked mod revision, stays bounded."""

from __future__ import annotations

from myriad.storage.embedded.readcache import CurrentValues


def test_a_value_is_returned_only_for_its_own_mod_revision() -> None:
    cache = CurrentValues(1 << 20)
    cache.put(b"/a", 5, b"five")
    assert cache.get(b"/a", 5) == b"five"
    assert cache.get(b"/a", 6) is None
    cache.put(b"/a", 6, b"six")
    assert cache.get(b"/a", 6) == b"six" and cache.get(b"/a", 5) is None


def test_an_older_revision_never_replaces_a_newer_one() -> None:
    cache = CurrentValues(1 << 20)
    cache.put(b"/a", 6, b"six")
    cache.put(b"/a", 5, b"five")
    assert cache.get(b"/a", 6) == b"six"


def test_discard_forgets_a_deleted_key() -> None:
    cache = CurrentValues(1 << 20)
    cache.put(b"/a", 1, b"x")
    cache.discard(b"/a")
    assert cache.get(b"/a", 1) is None


def test_the_oldest_entries_are_evicted_past_capacity() -> None:
    cache = CurrentValues(10 * (1000 + 200))
    for i in range(100):
        cache.put(b"/k%03d" % i, i + 1, b"v" * 1000)
    assert cache.get(b"/k000", 1) is None
    assert cache.get(b"/k099", 100) == b"v" * 1000
    kept = sum(cache.get(b"/k%03d" % i, i + 1) is not None for i in range(100))
    assert 5 <= kept <= 10


def test_a_rewritten_key_is_not_evicted_by_its_stale_order_entry() -> None:
    cache = CurrentValues(3 * (2 + 100 + 120))  # room for three entries
    cache.put(b"/a", 1, b"a" * 100)
    cache.put(b"/b", 2, b"b" * 100)
    cache.put(b"/a", 3, b"A" * 100)
    cache.put(b"/c", 4, b"c" * 100)
    cache.put(b"/d", 5, b"d" * 100)
    assert cache.get(b"/a", 3) == b"A" * 100
    assert cache.get(b"/b", 2) is None


def test_rewriting_few_keys_forever_keeps_the_order_queue_bounded() -> None:
    cache = CurrentValues(1 << 20)
    for revision in range(1, 50_001):
        cache.put(b"/k%d" % (revision % 10), revision, b"x")
    assert len(cache._order) < 2000
    assert cache.get(b"/k0", 50_000) == b"x"
