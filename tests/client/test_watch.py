"""Watches over the wire: events in order, bookmarks, 410 as a typed error, timeouts, close."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, NAMESPACES, ClientOptions
from tests.client.scripted import ScriptedServer, answer


async def make_namespace(client: Client, name: str) -> str:
    created = await client.create(NAMESPACES, {"metadata": {"name": name}})
    return created["metadata"]["resourceVersion"]


async def test_a_watch_yields_each_change_in_order_then_ends_at_the_server_timeout(client: Client) -> None:
    since = await make_namespace(client, "watched")
    watch = client.watch(CONFIGMAPS, namespace="watched", resource_version=since, timeout_seconds=1,
                         allow_bookmarks=False)
    await client.create(CONFIGMAPS, {"metadata": {"name": "a", "namespace": "watched"}})
    await client.patch(CONFIGMAPS, "a", {"data": {"k": "v"}}, namespace="watched")
    await client.delete(CONFIGMAPS, "a", namespace="watched")
    seen = [(event.type, event.object["metadata"]["name"]) async for event in watch]
    assert seen == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    assert watch.ended_by == "server"


async def test_bookmarks_arrive_before_the_timeout_with_the_latest_revision(client: Client) -> None:
    since = await make_namespace(client, "bookmarked")
    await make_namespace(client, "bookmarked-later")  # bookmarks carry only a newer revision, as upstream's
    events = [event async for event in client.watch(CONFIGMAPS, namespace="bookmarked", resource_version=since,
                                                     timeout_seconds=3, allow_bookmarks=True)]
    assert events and events[-1].type == "BOOKMARK"
    assert int(events[-1].resource_version) >= int(since)
    assert set(events[-1].object["metadata"]) == {"resourceVersion"} or "annotations" in events[-1].object["metadata"]


EXPIRED = (b'{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"7"}}}\n'
           b'{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
           b'"message":"too old resource version: 1 (14)","reason":"Expired","code":410}}\n')


async def test_an_error_event_of_410_raises_gone_after_the_events_before_it() -> None:
    # A fresh server's window reaches back to its first revision, so the ERROR is scripted.
    server = ScriptedServer([answer(200, EXPIRED)])
    async with server, Client(ClientOptions(endpoints=(server.url,))) as client:
        watch = client.watch(CONFIGMAPS, namespace="default", resource_version="1")
        first = await anext(watch)
        with pytest.raises(errors.Gone) as raised:
            await anext(watch)
    assert first.type == "ADDED" and first.resource_version == "7"
    assert raised.value.status == 410 and raised.value.reason == "Expired"
    assert b"watch=true&resourceVersion=1&allowWatchBookmarks=true" in server.requests[0]


async def test_close_ends_the_iteration_from_another_task(client: Client) -> None:
    since = await make_namespace(client, "closed")
    watch = client.watch(CONFIGMAPS, namespace="closed", resource_version=since, timeout_seconds=30)
    seen = []

    async def consume() -> None:
        async for event in watch:
            seen.append(event.type)

    consumer = asyncio.create_task(consume())
    await client.create(CONFIGMAPS, {"metadata": {"name": "a", "namespace": "closed"}})
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.02)
    await watch.close()
    await asyncio.wait_for(consumer, 5)
    assert seen == ["ADDED"] and watch.ended_by == "closed"
    assert sum(len(e.watches) for e in client.balancer.endpoints) == 0  # its slot was given back


async def test_send_initial_events_synthesises_the_current_state_then_a_bookmark(client: Client) -> None:
    await make_namespace(client, "initial")
    for name in ("a", "b"):
        await client.create(CONFIGMAPS, {"metadata": {"name": name, "namespace": "initial"}})
    events = []
    async with client.watch(CONFIGMAPS, namespace="initial", send_initial_events=True, timeout_seconds=5) as watch:
        async for event in watch:
            events.append(event)
            if event.type == "BOOKMARK":
                break
    assert [(e.type, e.object["metadata"].get("name")) for e in events[:2]] == [("ADDED", "a"), ("ADDED", "b")]
    assert events[-1].object["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true"


async def test_a_finished_watchs_connection_is_freed_without_the_cycle_collector(client: Client) -> None:
    """A process that freezes its collector (myriad.gcfreeze) never collects a cycle: a watch's
    connection, once lost, must be freed by reference counting alone."""
    since = await make_namespace(client, "freed")
    gc.disable()
    try:
        watch = client.watch(CONFIGMAPS, namespace="freed", resource_version=since, timeout_seconds=1)
        await client.create(CONFIGMAPS, {"metadata": {"name": "a", "namespace": "freed"}})
        connection = None
        async for _ in watch:
            connection = connection or weakref.ref(watch._connection)  # type: ignore[arg-type]
        assert connection is not None
        del watch
        for _ in range(5):
            await asyncio.sleep(0.05)  # connection_lost runs on the loop
        assert connection() is None
    finally:
        gc.enable()
