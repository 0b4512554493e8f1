"""Informers against a real API server: sync, handlers, indexes, resuming without re-lists,
re-listing on 410, watch-list, late handlers, resync and the factory."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator

import orjson
import pytest

from myriad.bench.apiserver_process import running_apiserver
from myriad.client.informers.factory import SharedInformerFactory
from myriad.client.informers.informer import Handler, SharedInformer
from myriad.client.informers.metrics import StoreCollector
from myriad.client.informers.reflector import ReflectorOptions
from myriad.client.informers.store import BY_NAMESPACE, BY_NODE_NAME
from myriad.client.objects import Object
from myriad.client.packing import SAMPLES, Packed
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, NAMESPACES, PODS, ClientOptions
from myriad.clock import FakeClock

WINDOW = 2.0  # the server's watch window, short so a paused informer falls out of it


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_apiserver(data_dir=tmp_path_factory.mktemp("informers"), cpu=None,
                           args=("--watch-cache-window", str(WINDOW))) as server_url:
        yield server_url


@pytest.fixture
async def client(url: str) -> AsyncIterator[Client]:
    async with Client(ClientOptions(endpoints=(url,))) as c:
        yield c


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def handler(self) -> Handler:
        return Handler(on_add=lambda o: self.events.append(("add", name(o))),
                       on_update=lambda old, new: self.events.append(
                           ("sync" if version(old) == version(new) else "update", name(new))),
                       on_delete=lambda o: self.events.append(("delete", name(o))))


def name(obj: dict) -> str:
    return obj["metadata"]["name"]


def version(obj: dict) -> str:
    return obj["metadata"]["resourceVersion"]


async def eventually(condition, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def namespace(client: Client, ns: str) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": ns}})


def configmap(n: str, ns: str) -> dict:
    return {"metadata": {"name": n, "namespace": ns}}


async def test_an_informer_syncs_then_reports_every_change_to_its_handlers(client: Client) -> None:
    await namespace(client, "inf-basic")
    for n in ("a", "b"):
        await client.create(CONFIGMAPS, configmap(n, "inf-basic"))
    informer = SharedInformer(client, CONFIGMAPS, options=ReflectorOptions(namespace="inf-basic", page_size=1))
    recorder = Recorder()
    informer.add_handler(recorder.handler())
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_for_sync(), 10)
        await eventually(lambda: len(recorder.events) == 2)
        assert informer.has_synced() and sorted(recorder.events) == [("add", "a"), ("add", "b")]
        await client.patch(CONFIGMAPS, "a", {"data": {"k": "v"}}, namespace="inf-basic")
        await client.delete(CONFIGMAPS, "b", namespace="inf-basic")
        await client.create(CONFIGMAPS, configmap("c", "inf-basic"))
        await eventually(lambda: len(recorder.events) == 5)
        assert recorder.events[2:] == [("update", "a"), ("delete", "b"), ("add", "c")]
        assert sorted(informer.indexer.keys()) == ["inf-basic/a", "inf-basic/c"]
        assert informer.indexer.get("inf-basic/a")["data"] == {"k": "v"}
        assert len(informer.indexer.by_index(BY_NAMESPACE, "inf-basic")) == 2
    finally:
        await informer.stop()


async def test_pods_are_indexed_by_node_name(client: Client) -> None:
    await namespace(client, "inf-nodes")
    for n, node in (("p1", "node-1"), ("p2", "node-2"), ("p3", "node-1")):
        await client.create(PODS, {"metadata": {"name": n, "namespace": "inf-nodes"},
                                   "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]}})
    informer = SharedInformer(client, PODS, options=ReflectorOptions(namespace="inf-nodes"))
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_for_sync(), 10)
        await eventually(lambda: len(informer.indexer) == 3)  # a resourceVersion=0 list may lag a little
        assert sorted(name(p) for p in informer.indexer.by_index(BY_NODE_NAME, "node-1")) == ["p1", "p3"]
        assert [informer.indexer.index_size(BY_NODE_NAME, n) for n in ("node-1", "node-2", "node-3")] == [2, 1, 0]
        await client.delete(PODS, "p1", namespace="inf-nodes", grace_period_seconds=0)
        await eventually(lambda: informer.indexer.index_size(BY_NODE_NAME, "node-1") == 1)
    finally:
        await informer.stop()


async def test_the_cache_holds_compact_objects_and_counts_their_json_for_metrics(client: Client) -> None:
    await namespace(client, "inf-bytes")
    await client.create(PODS, {"metadata": {"name": "p1", "namespace": "inf-bytes", "labels": {"app": "x"}},
                               "spec": {"nodeName": "node-9", "containers": [{"name": "c", "image": "i"}]}})
    factory = SharedInformerFactory(client)
    informer = factory.informer(PODS, namespace="inf-bytes")
    factory.start()
    try:
        assert await factory.wait_for_sync(10)
        await eventually(lambda: len(informer.indexer) == 1)
        pod = informer.indexer.get("inf-bytes/p1")
        assert isinstance(pod, Object) and pod.view.node_name == "node-9" and pod.labels == {"app": "x"}
        assert informer.indexer.raw_bytes == len(pod.raw) > 0
        await client.create(PODS, {"metadata": {"name": "p2", "namespace": "inf-bytes"},
                                   "spec": {"containers": [{"name": "c", "image": "i"}]}})
        await client.delete(PODS, "p1", namespace="inf-bytes", grace_period_seconds=0)
        await eventually(lambda: informer.indexer.keys() == ["inf-bytes/p2"])
        assert informer.indexer.raw_bytes == len(informer.indexer.get("inf-bytes/p2").raw)
        samples = {(m.name, s.labels["resource"]): s.value
                   for m in StoreCollector(factory.informers).collect() for s in m.samples}
        assert samples == {("informer_store_objects", "pods"): 1,
                           ("informer_store_bytes", "pods"): informer.indexer.raw_bytes,
                           ("informer_relists", "pods"): 0, ("informer_watch_gone", "pods"): 0}
    finally:
        await factory.stop()


async def test_a_metadata_only_informer_holds_metadata_and_shares_a_full_informer_made_first(
        client: Client) -> None:
    await namespace(client, "inf-meta")
    await client.create(CONFIGMAPS, {"metadata": {"name": "m1", "namespace": "inf-meta", "labels": {"a": "b"}},
                                     "data": {"big": "x" * 2000}})
    factory = SharedInformerFactory(client)
    full = factory.informer(PODS, namespace="inf-meta")
    assert factory.informer(PODS, namespace="inf-meta", metadata_only=True) is full
    meta = factory.informer(CONFIGMAPS, namespace="inf-meta", metadata_only=True)
    assert factory.informer(CONFIGMAPS, namespace="inf-meta", metadata_only=True) is meta
    factory.start()
    try:
        assert await factory.wait_for_sync(10)
        await eventually(lambda: len(meta.indexer) == 1)
        listed = meta.indexer.get("inf-meta/m1")
        assert listed["kind"] == "PartialObjectMetadata" and "data" not in listed
        assert listed.labels == {"a": "b"} and len(listed.raw) < 1000
        await client.patch(CONFIGMAPS, "m1", {"metadata": {"labels": {"a": "c"}}}, namespace="inf-meta")
        await eventually(lambda: meta.indexer.get("inf-meta/m1").labels == {"a": "c"})
        watched = meta.indexer.get("inf-meta/m1")
        assert watched["kind"] == "PartialObjectMetadata" and "data" not in watched
    finally:
        await factory.stop()


async def test_keep_whole_keeps_the_others_as_views_while_handlers_see_every_object_whole(
        client: Client) -> None:
    await namespace(client, "inf-slim")
    seen: list[str] = []
    informer = SharedInformer(client, PODS, options=ReflectorOptions(namespace="inf-slim"),
                              keep_whole=lambda pod: not pod.view.node_name)
    informer.add_handler(Handler(on_add=lambda pod: seen.append(pod["spec"]["containers"][0]["image"])))
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_for_sync(), 10)
        for n, node in (("bound", "node-1"), ("pending", "")):
            await client.create(PODS, {"metadata": {"name": n, "namespace": "inf-slim"},
                                       "spec": {"nodeName": node, "containers": [{"name": "c", "image": n}]}})
        await eventually(lambda: len(informer.indexer) == 2)
        assert sorted(seen) == ["bound", "pending"]
        bound, pending = informer.indexer.get("inf-slim/bound"), informer.indexer.get("inf-slim/pending")
        assert bound.raw == b"" and bound.view.node_name == "node-1" and bound.name == "bound"
        assert pending["spec"]["containers"][0]["image"] == "pending"
        assert informer.indexer.raw_bytes == len(pending.raw)
    finally:
        await informer.stop()


@pytest.mark.parametrize("watch_list", [False, True])
async def test_a_compressing_cache_holds_packed_objects_that_read_as_the_servers(client: Client,
                                                                                 watch_list: bool) -> None:
    ns = f"inf-packed-{int(watch_list)}"
    await namespace(client, ns)
    for n in range(12):
        await client.create(PODS, {"metadata": {"name": f"p{n}", "namespace": ns, "labels": {"n": str(n)}},
                                   "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]}})
    seen: list[object] = []
    informer = SharedInformer(client, PODS, options=ReflectorOptions(namespace=ns, watch_list=watch_list),
                              compress=True)
    informer.add_handler(Handler(on_add=seen.append, on_update=lambda old, new: seen.append(new)))
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_for_sync(), 10)
        listed = (await client.list(PODS, namespace=ns))["items"]
        held = {obj.name: obj for obj in informer.indexer.list()}
        assert sum(isinstance(obj, Packed) for obj in held.values()) >= 12 - SAMPLES
        bare = {name: {k: v for k, v in obj.decode().items() if k not in ("kind", "apiVersion")}
                for name, obj in held.items()}  # a watch-list's objects name their kind, a list's items do not
        assert bare == {o["metadata"]["name"]: o for o in listed}
        assert informer.indexer.raw_bytes < sum(len(orjson.dumps(o)) for o in listed) / 2
        await client.patch(PODS, "p11", {"metadata": {"labels": {"n": "eleven"}}}, namespace=ns)
        await eventually(lambda: informer.indexer.get(f"{ns}/p11").labels["n"] == "eleven")
        assert isinstance(informer.indexer.get(f"{ns}/p11"), Packed)
        assert type(seen[-1]) is Object and seen[-1]["metadata"]["labels"] == {"n": "eleven"}  # handlers: whole
    finally:
        await informer.stop()


async def test_watches_that_time_out_resume_from_the_last_version_without_a_re_list(client: Client) -> None:
    await namespace(client, "inf-resume")
    informer = SharedInformer(client, CONFIGMAPS,
                              options=ReflectorOptions(namespace="inf-resume", min_watch_timeout=1))
    recorder = Recorder()
    informer.add_handler(recorder.handler())
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_for_sync(), 10)
        for n in range(4):
            await client.create(CONFIGMAPS, configmap(f"cm-{n}", "inf-resume"))
            await asyncio.sleep(1.2)  # each watch times out after 1-2 s
        await eventually(lambda: len(recorder.events) == 4)
        stats = informer.reflector.stats
        assert stats.lists == 1 and stats.watches >= 3 and stats.gone == 0
        assert recorder.events == [("add", f"cm-{n}") for n in range(4)]
    finally:
        await informer.stop()


async def test_a_410_after_falling_out_of_the_window_re_lists_and_reports_the_difference(client: Client) -> None:
    await namespace(client, "inf-gone")
    for n in ("stays", "goes", "changes"):
        await client.create(CONFIGMAPS, configmap(n, "inf-gone"))
    informer = SharedInformer(client, CONFIGMAPS, options=ReflectorOptions(namespace="inf-gone"))
    recorder = Recorder()
    informer.add_handler(recorder.handler())
    informer.start()
    await asyncio.wait_for(informer.wait_for_sync(), 10)
    await eventually(lambda: len(informer.indexer) == 3)
    await informer.stop()  # paused: its resourceVersion goes stale
    await client.delete(CONFIGMAPS, "goes", namespace="inf-gone")
    await client.patch(CONFIGMAPS, "changes", {"data": {"v": "2"}}, namespace="inf-gone")
    await client.create(CONFIGMAPS, configmap("new", "inf-gone"))
    await asyncio.sleep(WINDOW + 1.5)
    await client.create(CONFIGMAPS, configmap("moves-the-window", "default"))
    recorder.events.clear()
    informer.start()
    try:
        await eventually(lambda: informer.reflector.stats.lists == 2)
        stats = informer.reflector.stats
        assert stats.gone == 1
        samples = {(m.name, s.labels["resource"]): s.value
                   for m in StoreCollector(lambda: [informer]).collect() for s in m.samples}
        assert samples[("informer_relists", "configmaps")] == 1 and samples[("informer_watch_gone", "configmaps")] == 1
        assert sorted(recorder.events) == [("add", "new"), ("delete", "goes"), ("update", "changes")]
    finally:
        await informer.stop()


async def test_watch_list_syncs_from_the_initial_events_of_one_watch(client: Client) -> None:
    await namespace(client, "inf-watchlist")
    for n in ("a", "b", "c"):
        await client.create(CONFIGMAPS, configmap(n, "inf-watchlist"))
    informer = SharedInformer(client, CONFIGMAPS, options=ReflectorOptions(namespace="inf-watchlist",
                                                                           watch_list=True))
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_for_sync(), 10)  # a watch-list is consistent: no lag
        assert sorted(informer.indexer.keys()) == ["inf-watchlist/a", "inf-watchlist/b", "inf-watchlist/c"]
        await client.create(CONFIGMAPS, configmap("d", "inf-watchlist"))
        await eventually(lambda: "inf-watchlist/d" in informer.indexer)
        assert informer.reflector.stats.lists == 1
    finally:
        await informer.stop()


def post_configmap(url: str, n: str, ns: str) -> None:
    """Creates a ConfigMap outside the test's event loop (for handlers that block it)."""
    request = urllib.request.Request(f"{url}/api/v1/namespaces/{ns}/configmaps", method="POST",
                                     data=orjson.dumps(configmap(n, ns)), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


@pytest.mark.parametrize(("watch_list", "lists"), [(False, 2), (True, 1)])
async def test_a_sync_slower_than_the_window_re_lists_after_a_list_but_not_after_a_watch_list(
        url: str, client: Client, watch_list: bool, lists: int) -> None:
    ns = f"inf-slow-sync-{int(watch_list)}"
    await namespace(client, ns)
    await client.create(CONFIGMAPS, configmap("listed", ns))
    await client.list(CONFIGMAPS, namespace=ns)  # consistent: the cache has it, so the rv=0 list has it too
    informer = SharedInformer(client, CONFIGMAPS, options=ReflectorOptions(namespace=ns, watch_list=watch_list))
    recorder = Recorder()

    def slow_add(obj: dict) -> None:
        recorder.events.append(("add", name(obj)))
        if name(obj) == "listed":  # the initial sync's handler: meanwhile the namespace and the server move on
            threading.Thread(target=post_configmap, args=(url, "meanwhile", ns)).start()
            threading.Thread(target=post_configmap, args=(url, f"elsewhere-{ns}", "default")).start()
            time.sleep(WINDOW + 3)  # the window moves past the list's revision, with a tick to spare

    informer.add_handler(Handler(on_add=slow_add))
    informer.start()
    try:
        await asyncio.wait_for(informer.wait_for_sync(), 10)
        await eventually(lambda: "meanwhile" in [n for _, n in recorder.events])
        stats = informer.reflector.stats
        assert (stats.lists, stats.gone) == (lists, lists - 1)
        assert recorder.events == [("add", "listed"), ("add", "meanwhile")]
    finally:
        await informer.stop()


async def test_a_late_handler_gets_the_cache_as_adds_and_resync_sends_unchanged_updates(url: str) -> None:
    clock = FakeClock()
    async with Client(ClientOptions(endpoints=(url,), clock=clock)) as client:
        await namespace(client, "inf-resync")
        await client.create(CONFIGMAPS, configmap("a", "inf-resync"))
        informer = SharedInformer(client, CONFIGMAPS, options=ReflectorOptions(namespace="inf-resync"),
                                  resync_period=30)
        informer.start()
        try:
            await asyncio.wait_for(informer.wait_for_sync(), 10)
            await eventually(lambda: len(informer.indexer) == 1)
            recorder = Recorder()
            informer.add_handler(recorder.handler())
            assert recorder.events == [("add", "a")]
            await eventually(lambda: clock.sleepers > 0)
            clock.advance(30)
            await eventually(lambda: len(recorder.events) == 2)
            assert recorder.events[1] == ("sync", "a")
        finally:
            await informer.stop()


async def test_the_factory_shares_one_informer_per_resource_and_selection(client: Client) -> None:
    factory = SharedInformerFactory(client)
    first = factory.informer(CONFIGMAPS, namespace="default")
    assert factory.informer(CONFIGMAPS, namespace="default") is first
    other = factory.informer(CONFIGMAPS, namespace="default", label_selector="app=x")
    assert other is not first
    factory.start()
    try:
        assert await factory.wait_for_sync(timeout=10)
        assert first.has_synced() and other.has_synced()
    finally:
        await factory.stop()


@pytest.mark.parametrize(("watch_list", "compress"), [(False, False), (True, False), (False, True), (True, True)])
async def test_an_informer_that_trims_keeps_objects_without_their_managed_fields(client: Client, watch_list: bool,
                                                                               compress: bool) -> None:
    ns = f"inf-trim-{int(watch_list)}{int(compress)}"
    await namespace(client, ns)
    for n in range(3):
        await client.create(PODS, {"metadata": {"name": f"p{n}", "namespace": ns},
                                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    factory = SharedInformerFactory(client, watch_list=watch_list, compress=compress, trim_managed_fields=True)
    informer = factory.informer(PODS, namespace=ns)
    factory.start()
    try:
        assert await factory.wait_for_sync(10)
        listed = {o["metadata"]["name"]: o for o in (await client.list(PODS, namespace=ns))["items"]}
        assert all(o["metadata"]["managedFields"] for o in listed.values())  # the server keeps them
        held = {obj.name: {k: v for k, v in obj.decode().items() if k not in ("kind", "apiVersion")}
                for obj in informer.indexer.list()}
        for o in listed.values():
            del o["metadata"]["managedFields"]
        assert held == listed
        await client.patch(PODS, "p1", {"metadata": {"labels": {"a": "b"}}}, namespace=ns)
        await eventually(lambda: informer.indexer.get(f"{ns}/p1").labels == {"a": "b"})
        assert "managedFields" not in informer.indexer.get(f"{ns}/p1").decode()["metadata"]
    finally:
        await factory.stop()
