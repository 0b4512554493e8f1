"""Lease semantics every backend must share: grant, keepalive, revoke, expiry with DELETE events."""

from __future__ import annotations

import pytest

from myriad.storage.errors import LeaseNotFoundError
from myriad.storage.interfaces import EventType, prefix_end

from .conftest import collect_events

P = b"/l/"


async def test_a_granted_lease_reports_its_ttl_and_attached_keys(store):
    lease = await store.grant(30)
    assert lease.ttl == 30 and lease.id > 0
    await store.put(P + b"a", b"1", lease=lease.id)
    await store.put(P + b"b", b"2", lease=lease.id)
    assert (await store.get(P + b"a")).lease == lease.id
    info = await store.lease_info(lease.id)
    assert info.granted_ttl == 30 and 0 < info.ttl <= 30
    assert sorted(info.keys) == [P + b"a", P + b"b"]
    assert await store.keepalive(lease.id) == 30


async def test_revoking_a_lease_deletes_its_keys_in_one_revision_with_delete_events(store):
    lease = await store.grant(30)
    await store.put(P + b"a", b"1", lease=lease.id)
    await store.put(P + b"b", b"2", lease=lease.id)
    await store.put(P + b"keep", b"3")
    start = await store.current_revision() + 1
    watch = store.watch(P, prefix_end(P), start_revision=start)
    try:
        await store.revoke(lease.id)
        events = await collect_events(watch, 2)
    finally:
        await watch.aclose()
    assert [(e.type, e.kv.key) for e in events] == [(EventType.DELETE, P + b"a"), (EventType.DELETE, P + b"b")]
    assert events[0].revision == events[1].revision == start
    assert [kv.key for kv in (await store.range(P, prefix_end(P))).kvs] == [P + b"keep"]


async def test_moving_a_key_off_its_lease_keeps_it_when_the_lease_goes(store):
    lease = await store.grant(30)
    await store.put(P + b"a", b"1", lease=lease.id)
    await store.put(P + b"a", b"2")
    await store.revoke(lease.id)
    assert (await store.get(P + b"a")).value == b"2"


@pytest.mark.parametrize("call", ["put", "keepalive", "revoke", "lease_info"])
async def test_an_unknown_lease_is_reported_as_lease_not_found(store, call):
    unknown = 0x1234567
    with pytest.raises(LeaseNotFoundError):
        if call == "put":
            await store.put(P + b"x", b"1", lease=unknown)
        else:
            await getattr(store, call)(unknown)
    assert await store.get(P + b"x") is None


async def test_an_expired_lease_deletes_its_keys_with_delete_events(store):
    lease = await store.grant(2)
    rev = (await store.put(P + b"ttl", b"1", lease=lease.id)).revision
    watch = store.watch(P, prefix_end(P), start_revision=rev + 1, prev_kv=True)
    try:
        (event,) = await collect_events(watch, 1, timeout=10)
    finally:
        await watch.aclose()
    assert event.type is EventType.DELETE and event.kv.key == P + b"ttl"
    assert event.prev_kv.value == b"1"
    assert await store.get(P + b"ttl") is None
    with pytest.raises(LeaseNotFoundError):
        await store.keepalive(lease.id)
