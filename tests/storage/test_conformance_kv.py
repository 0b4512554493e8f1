"""Key-value semantics every backend must share: revisions, CAS, ranges, history, compaction."""

from __future__ import annotations

import pytest

from myriad.storage.errors import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    InvalidRequestError,
    KeyExistsError,
    KeyNotFoundError,
    KeyTooLargeError,
    TooManyOpsError,
    ValueTooLargeError,
)
from myriad.storage.interfaces import (
    MAX_KEY_BYTES,
    MAX_TXN_OPS,
    MAX_VALUE_BYTES,
    Compare,
    CompareOp,
    CompareTarget,
    DeleteRange,
    DeleteResult,
    Put,
    PutResult,
    Range,
    RangeResult,
    prefix_end,
)


async def test_a_fresh_store_is_at_revision_1_and_the_first_write_makes_revision_2(store):
    assert await store.current_revision() == 1
    assert await store.create(b"/k", b"v") == 2
    assert await store.current_revision() == 2


async def test_one_transaction_bumps_the_revision_once_for_all_its_writes(store):
    result = await store.txn((), (Put(b"/a", b"1"), Put(b"/b", b"2"), Put(b"/c", b"3")))
    assert result.succeeded and result.revision == 2
    kvs = (await store.range(b"/", prefix_end(b"/"))).kvs
    assert [(kv.key, kv.mod_revision) for kv in kvs] == [(b"/a", 2), (b"/b", 2), (b"/c", 2)]


async def test_a_transaction_that_writes_nothing_does_not_bump_the_revision(store):
    await store.put(b"/x", b"1")
    before = await store.current_revision()
    result = await store.txn((), (Range(b"/x"), DeleteRange(b"/missing")))
    assert result.revision == before
    assert await store.current_revision() == before


async def test_versions_count_puts_since_creation_and_restart_after_a_delete(store):
    r1 = (await store.put(b"/v", b"1")).revision
    r2 = (await store.put(b"/v", b"2")).revision
    kv = await store.get(b"/v")
    assert (kv.create_revision, kv.mod_revision, kv.version, kv.value) == (r1, r2, 2, b"2")
    await store.delete(b"/v")
    r4 = await store.create(b"/v", b"3")
    kv = await store.get(b"/v")
    assert (kv.create_revision, kv.mod_revision, kv.version) == (r4, r4, 1)


async def test_creating_a_key_that_exists_fails_with_key_exists(store):
    await store.create(b"/dup", b"1")
    with pytest.raises(KeyExistsError):
        await store.create(b"/dup", b"2")
    assert (await store.get(b"/dup")).value == b"1"


async def test_update_succeeds_only_at_the_expected_mod_revision(store):
    rev = await store.create(b"/cas", b"1")
    new = await store.update(b"/cas", b"2", mod_revision=rev)
    assert new == rev + 1
    with pytest.raises(ConflictError) as info:
        await store.update(b"/cas", b"3", mod_revision=rev)
    assert info.value.current.mod_revision == new and info.value.current.value == b"2"
    with pytest.raises(KeyNotFoundError):
        await store.update(b"/nope", b"1", mod_revision=rev)


async def test_delete_checks_the_mod_revision_and_reports_missing_keys(store):
    rev = await store.create(b"/d", b"1")
    with pytest.raises(ConflictError):
        await store.delete(b"/d", mod_revision=rev - 1)
    result = await store.delete(b"/d", mod_revision=rev)
    assert result.deleted == 1 and result.prev_kvs[0].value == b"1" and result.revision == rev + 1
    with pytest.raises(KeyNotFoundError):
        await store.delete(b"/d")
    with pytest.raises(KeyNotFoundError):
        await store.delete(b"/d", mod_revision=rev)


@pytest.fixture
async def abc(store):
    await store.txn((), tuple(Put(k, k.upper()) for k in (b"/a/1", b"/a/2", b"/a/3", b"/b/1", b"/c")))
    return store


@pytest.mark.parametrize(
    ("start", "end", "limit", "keys", "more", "count"),
    [
        (b"/a/2", None, 0, [b"/a/2"], False, 1),
        (b"/a/9", None, 0, [], False, 0),
        (b"/a/", prefix_end(b"/a/"), 0, [b"/a/1", b"/a/2", b"/a/3"], False, 3),
        (b"/a/", prefix_end(b"/a/"), 2, [b"/a/1", b"/a/2"], True, 3),
        (b"/a/", prefix_end(b"/a/"), 3, [b"/a/1", b"/a/2", b"/a/3"], False, 3),
        (b"/a/2", b"/b/2", 0, [b"/a/2", b"/a/3", b"/b/1"], False, 3),
        (b"/b", b"\x00", 0, [b"/b/1", b"/c"], False, 2),
        (b"/z", b"\x00", 0, [], False, 0),
    ],
)
async def test_range_reads_single_keys_prefixes_and_intervals_with_limit_more_and_count(
    abc, start, end, limit, keys, more, count
):
    result = await abc.range(start, end, limit=limit)
    assert [kv.key for kv in result.kvs] == keys
    assert [kv.value for kv in result.kvs] == [k.upper() for k in keys]
    assert (result.more, result.count) == (more, count)
    assert result.revision == await abc.current_revision()


async def test_range_keys_only_omits_values_and_count_only_omits_keys(abc):
    keys_only = await abc.range(b"/a/", prefix_end(b"/a/"), keys_only=True)
    assert [(kv.key, kv.value) for kv in keys_only.kvs] == [(b"/a/1", b""), (b"/a/2", b""), (b"/a/3", b"")]
    assert keys_only.kvs[0].mod_revision == 2
    count_only = await abc.range(b"/", prefix_end(b"/"), count_only=True)
    assert (count_only.kvs, count_only.count) == ((), 5)


@pytest.mark.parametrize(
    ("target", "op", "operand", "expected"),
    [
        (CompareTarget.VERSION, CompareOp.EQUAL, 2, True),
        (CompareTarget.VERSION, CompareOp.NOT_EQUAL, 2, False),
        (CompareTarget.VERSION, CompareOp.LESS, 3, True),
        (CompareTarget.VERSION, CompareOp.GREATER, 2, False),
        (CompareTarget.CREATE, CompareOp.EQUAL, 2, True),
        (CompareTarget.CREATE, CompareOp.GREATER, 1, True),
        (CompareTarget.MOD, CompareOp.EQUAL, 3, True),
        (CompareTarget.MOD, CompareOp.LESS, 3, False),
        (CompareTarget.MOD, CompareOp.NOT_EQUAL, 2, True),
        (CompareTarget.VALUE, CompareOp.EQUAL, b"second", True),
        (CompareTarget.VALUE, CompareOp.LESS, b"third", True),
        (CompareTarget.VALUE, CompareOp.GREATER, b"third", False),
        (CompareTarget.VALUE, CompareOp.NOT_EQUAL, b"first", True),
    ],
)
async def test_compares_test_version_create_mod_and_value(store, target, op, operand, expected):
    await store.put(b"/cmp", b"first")  # revision 2
    await store.put(b"/cmp", b"second")  # revision 3, version 2
    result = await store.txn((Compare(b"/cmp", target, op, operand),), (Put(b"/yes", b"1"),), (Put(b"/no", b"1"),))
    assert result.succeeded is expected
    assert (await store.get(b"/yes" if expected else b"/no")) is not None


@pytest.mark.parametrize(
    ("compare", "expected"),
    [
        (Compare.version(b"/absent", "=", 0), True),
        (Compare.create(b"/absent", "=", 0), True),
        (Compare.mod(b"/absent", ">", 0), False),
        (Compare.value(b"/absent", "=", b""), False),
        (Compare.value(b"/absent", "!=", b"x"), False),
    ],
)
async def test_a_missing_key_compares_as_zero_and_never_matches_a_value(store, compare, expected):
    assert (await store.txn((compare,), ())).succeeded is expected


async def test_a_transaction_runs_the_failure_branch_and_its_reads_see_earlier_writes(store):
    await store.put(b"/t", b"old")
    result = await store.txn(
        (Compare.value(b"/t", "=", b"other"),),
        (Put(b"/t", b"never"),),
        (Put(b"/t", b"new", prev_kv=True), Range(b"/t"), DeleteRange(b"/u", prev_kv=True)),
    )
    assert not result.succeeded
    put, read, deleted = result.results
    assert isinstance(put, PutResult) and put.prev_kv.value == b"old"
    assert isinstance(read, RangeResult) and read.kvs[0].value == b"new"
    assert isinstance(deleted, DeleteResult) and deleted.deleted == 0
    assert (await store.get(b"/t")).value == b"new"


@pytest.mark.parametrize(
    "ops",
    [
        (Put(b"/dup", b"1"), Put(b"/dup", b"2")),
        (Put(b"/dup", b"1"), DeleteRange(b"/dup")),
        (DeleteRange(b"/", prefix_end(b"/")), Put(b"/dup", b"1")),
    ],
)
async def test_a_branch_that_writes_one_key_twice_is_refused_and_changes_nothing(store, ops):
    before = await store.current_revision()
    with pytest.raises(InvalidRequestError):
        await store.txn((), ops)
    assert await store.current_revision() == before


async def test_delete_range_removes_every_key_in_the_interval(abc):
    result = await abc.txn((), (DeleteRange(b"/a/", prefix_end(b"/a/"), prev_kv=True),))
    deleted = result.results[0]
    assert deleted.deleted == 3 and sorted(kv.key for kv in deleted.prev_kvs) == [b"/a/1", b"/a/2", b"/a/3"]
    assert [kv.key for kv in (await abc.range(b"/", b"\x00")).kvs] == [b"/b/1", b"/c"]


async def test_reads_at_a_past_revision_see_the_state_of_that_revision(store):
    r1 = (await store.put(b"/h/a", b"a1")).revision
    r2 = (await store.put(b"/h/b", b"b1")).revision
    await store.put(b"/h/a", b"a2")
    await store.delete(b"/h/b")
    await store.put(b"/h/c", b"c1")
    await store.delete(b"/h/c")
    await store.create(b"/h/c", b"c2")

    def view(result):
        return [(kv.key, kv.value, kv.mod_revision) for kv in result.kvs]

    assert view(await store.range(b"/h/", prefix_end(b"/h/"), revision=r1)) == [(b"/h/a", b"a1", r1)]
    at_r2 = await store.range(b"/h/", prefix_end(b"/h/"), revision=r2)
    assert view(at_r2) == [(b"/h/a", b"a1", r1), (b"/h/b", b"b1", r2)]
    assert at_r2.count == 2
    assert view(await store.range(b"/h/b", revision=r2)) == [(b"/h/b", b"b1", r2)]
    assert (await store.range(b"/h/", prefix_end(b"/h/"), revision=r2, limit=1)).more is True
    keys_only = await store.range(b"/h/", prefix_end(b"/h/"), revision=r2, keys_only=True)
    assert [(kv.key, kv.value, kv.mod_revision) for kv in keys_only.kvs] == [(b"/h/a", b"", r1), (b"/h/b", b"", r2)]
    assert (await store.range(b"/h/", prefix_end(b"/h/"), revision=r2, count_only=True)).count == 2
    now = await store.range(b"/h/", prefix_end(b"/h/"))
    assert [kv.value for kv in now.kvs] == [b"a2", b"c2"]


async def test_a_read_beyond_the_current_revision_is_a_future_revision(store):
    await store.put(b"/f", b"1")
    with pytest.raises(FutureRevisionError):
        await store.range(b"/f", revision=await store.current_revision() + 5)


async def test_compaction_keeps_the_compacted_revision_readable_and_refuses_older_reads(store):
    r1 = (await store.put(b"/c/a", b"1")).revision
    r2 = (await store.put(b"/c/a", b"2")).revision
    await store.put(b"/c/b", b"3")
    await store.compact(r2)
    assert await store.compacted_revision() == r2
    assert (await store.range(b"/c/a", revision=r2)).kvs[0].value == b"2"
    with pytest.raises(CompactedError) as info:
        await store.range(b"/c/a", revision=r1)
    assert info.value.compacted_revision == r2
    assert [kv.value for kv in (await store.range(b"/c/", prefix_end(b"/c/"))).kvs] == [b"2", b"3"]


async def test_compacting_to_an_old_or_a_future_revision_is_refused(store):
    await store.put(b"/x", b"1")
    rev = (await store.put(b"/x", b"2")).revision
    await store.compact(rev)
    with pytest.raises(CompactedError):
        await store.compact(rev)
    with pytest.raises(FutureRevisionError):
        await store.compact(rev + 100)


async def test_oversized_keys_values_and_transactions_get_typed_errors(store):
    with pytest.raises(KeyTooLargeError):
        await store.put(b"/" + b"k" * MAX_KEY_BYTES, b"v")
    with pytest.raises(ValueTooLargeError):
        await store.put(b"/big", b"v" * (MAX_VALUE_BYTES + 1))
    with pytest.raises(TooManyOpsError):
        await store.txn((), tuple(Put(b"/many/%d" % i, b"v") for i in range(MAX_TXN_OPS + 1)))
    await store.put(b"/big", b"v" * MAX_VALUE_BYTES)
    assert len((await store.get(b"/big")).value) == MAX_VALUE_BYTES
