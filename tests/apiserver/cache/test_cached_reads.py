"""Lists and watches served from the watch cache of a real ``myriad apiserver``: which reads the
cache answers (counted by its metrics), consistency, pagination, index-driven selectors,
bookmarks and slow watchers."""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from myriad.bench.apiserver_process import running_apiserver
from tests.apiserver.conftest import RunningServer
from tests.apiserver.test_semantics import watch_lines

NS = "cache-tests"
CMS = f"/api/v1/namespaces/{NS}/configmaps"
PODS = f"/api/v1/namespaces/{NS}/pods"


def configmap(name: str, data: str = "1") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": data}}


def pod(name: str, node: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}


def metric(server: RunningServer, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    status, body = server.get("/metrics", accept="text/plain")
    assert status == 200
    total = 0.0
    for line in body.decode().splitlines():
        match = re.match(rf"{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total


@pytest.fixture(scope="module")
def server(apiserver: RunningServer) -> RunningServer:
    apiserver.send("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
    return apiserver


def test_resource_version_0_lists_are_answered_by_the_cache(server: RunningServer) -> None:
    server.send("POST", CMS, configmap("rv0"))
    # resourceVersion=0 may be served stale (upstream's "any"): a consistent list first waits
    # for the cache to apply the write, so the cache is known to hold it.
    assert "rv0" in [i["metadata"]["name"] for i in json.loads(server.get(CMS)[1])["items"]]
    before = metric(server, "apiserver_cache_list_total", resource="configmaps")
    status, body = server.get(f"{CMS}?resourceVersion=0&limit=1")
    items = json.loads(body)["items"]
    assert status == 200 and "rv0" in [i["metadata"]["name"] for i in items]
    assert len(items) >= 1 and "continue" not in json.loads(body)["metadata"]  # limit ignored, as upstream
    assert metric(server, "apiserver_cache_list_total", resource="configmaps") == before + 1


def test_a_consistent_list_sees_every_acknowledged_write_and_comes_from_the_cache(server: RunningServer) -> None:
    before = metric(server, "apiserver_watch_cache_consistent_read_total", resource="configmaps", success="true")
    for i in range(20):
        code, created = server.send("POST", CMS, configmap(f"ryw-{i}"))
        assert code == 201
        status, body = server.get(CMS)
        listing = json.loads(body)
        assert f"ryw-{i}" in [item["metadata"]["name"] for item in listing["items"]]
        assert int(listing["metadata"]["resourceVersion"]) >= int(created["metadata"]["resourceVersion"])
    after = metric(server, "apiserver_watch_cache_consistent_read_total", resource="configmaps", success="true")
    assert after == before + 20


def test_the_pages_of_a_list_come_from_one_revision_across_cache_and_storage(server: RunningServer) -> None:
    path = "/api/v1/namespaces/pages/configmaps"
    server.send("POST", "/api/v1/namespaces", {"metadata": {"name": "pages"}})
    for i in range(5):
        server.send("POST", path, configmap(f"p{i}"))
    status, body = server.get(f"{path}?limit=2")
    first = json.loads(body)
    assert [i["metadata"]["name"] for i in first["items"]] == ["p0", "p1"]
    assert first["metadata"]["remainingItemCount"] == 3
    token = first["metadata"]["continue"]
    # Unchanged since: the next page still comes from the cache.
    status, body = server.get(f"{path}?limit=2&continue={urllib.parse.quote(token)}")
    second = json.loads(body)
    assert [i["metadata"]["name"] for i in second["items"]] == ["p2", "p3"]
    # Changed since: the last page is read from storage at the first page's revision.
    server.send("POST", path, configmap("p9"))
    server.send("DELETE", f"{path}/p4", {})
    status, body = server.get(f"{path}?limit=2&continue={urllib.parse.quote(second['metadata']['continue'])}")
    third = json.loads(body)
    assert status == 200 and [i["metadata"]["name"] for i in third["items"]] == ["p4"]
    assert third["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]


def test_a_node_selector_reads_only_that_nodes_pods_through_the_index(server: RunningServer) -> None:
    for i in range(6):
        assert server.send("POST", PODS, pod(f"idx-{i}", f"node-{i % 3}"))[0] == 201
    before = metric(server, "apiserver_cache_list_total", resource="pods", index="spec.nodeName")
    status, body = server.get(f"{PODS}?fieldSelector=spec.nodeName%3Dnode-1&resourceVersion=0")
    assert sorted(i["metadata"]["name"] for i in json.loads(body)["items"]) == ["idx-1", "idx-4"]
    assert metric(server, "apiserver_cache_list_total", resource="pods", index="spec.nodeName") == before + 1


def test_a_node_watch_is_sent_only_its_nodes_pods(server: RunningServer) -> None:
    status, body = server.get(PODS)
    rv = json.loads(body)["metadata"]["resourceVersion"]
    server.send("POST", PODS, pod("w-other", "node-x"))
    server.send("POST", PODS, pod("w-mine", "node-w"))
    server.send("DELETE", f"{PODS}/w-mine", {"gracePeriodSeconds": 0})
    events = watch_lines(server, f"{PODS}?watch=1&resourceVersion={rv}&fieldSelector=spec.nodeName%3Dnode-w"
                                 "&timeoutSeconds=2", limit=10)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "w-mine"),
                                                                              ("DELETED", "w-mine")]


def test_a_watch_resumes_from_its_bookmark_with_nothing_to_replay(server: RunningServer) -> None:
    path = "/api/v1/namespaces/quiet/configmaps"
    server.send("POST", "/api/v1/namespaces", {"metadata": {"name": "quiet"}})
    server.send("POST", path, configmap("q"))
    status, body = server.get(path)
    listed = int(json.loads(body)["metadata"]["resourceVersion"])
    # Busy elsewhere: other resources move the revision on while this one stays quiet.
    code, other = server.send("POST", CMS.replace("configmaps", "secrets"),
                              {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "busy"}})
    busy_rv = int(other["metadata"]["resourceVersion"])
    started = time.monotonic()
    events = watch_lines(server, f"{path}?watch=1&resourceVersion={listed}&allowWatchBookmarks=true"
                                 "&timeoutSeconds=4", limit=10)
    # One bookmark, two seconds before the timeout, at a revision the quiet resource never had.
    assert [e["type"] for e in events] == ["BOOKMARK"] and time.monotonic() - started >= 3.5
    bookmark = events[0]["object"]
    assert bookmark["kind"] == "ConfigMap" and bookmark["apiVersion"] == "v1"
    resumed_rv = int(bookmark["metadata"]["resourceVersion"])
    assert resumed_rv >= busy_rv > listed
    server.send("PATCH", f"{path}/q", {"data": {"a": "2"}})
    events = watch_lines(server, f"{path}?watch=1&resourceVersion={resumed_rv}&timeoutSeconds=1", limit=10)
    assert [e["type"] for e in events] == ["MODIFIED"]


@pytest.fixture(scope="module")
def small_buffers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("small-buffers")
    with running_apiserver(data_dir=data_dir, cpu=None, args=("--watcher-buffer", "5")) as url:
        yield RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)


def test_a_watcher_that_stops_reading_is_ended_without_holding_up_the_others(small_buffers: RunningServer) -> None:
    server = small_buffers
    path = "/api/v1/namespaces/default/configmaps"
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect((host, int(port)))
    stalled.sendall(f"GET {path}?watch=1&resourceVersion=0 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.3)
    status, body = server.get(path)
    rv = json.loads(body)["metadata"]["resourceVersion"]
    big = "x" * 60_000
    for i in range(200):
        assert server.send("POST", path, configmap(f"big-{i}", big))[0] == 201
        if metric(server, "apiserver_terminated_watchers_total", resource="configmaps") >= 1:
            break
    assert metric(server, "apiserver_terminated_watchers_total", resource="configmaps") == 1
    # Another watcher still gets everything, and the stalled stream ends cleanly, with no ERROR.
    events = watch_lines(server, f"{path}?watch=1&resourceVersion={rv}&timeoutSeconds=2", limit=1000, timeout=30)
    assert len(events) == i + 1 and {e["type"] for e in events} == {"ADDED"}
    stalled.settimeout(30)
    received = b""
    while not received.endswith(b"\r\n0\r\n\r\n"):  # the connection stays open (keep-alive)
        chunk = stalled.recv(1 << 20)
        assert chunk
        received += chunk
    stalled.close()
    assert received.endswith(b"\r\n0\r\n\r\n") and b'"ERROR"' not in received


def test_a_watch_list_read_slowly_over_a_busy_resource_still_reaches_its_bookmark(small_buffers: RunningServer) -> None:
    server = small_buffers
    server.send("POST", "/api/v1/namespaces", {"metadata": {"name": "slow-list"}})
    path = "/api/v1/namespaces/slow-list/configmaps"
    for i in range(60):  # 3.6 MB of initial events: more than the sockets hold
        assert server.send("POST", path, configmap(f"initial-{i}", "x" * 60_000))[0] == 201
    host, port = urllib.parse.urlsplit(server.url).netloc.split(":")
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect((host, int(port)))
    reader.sendall(f"GET {path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                   "&allowWatchBookmarks=true&timeoutSeconds=10 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.5)  # stalled inside its initial events, while 20 changes (the buffer is 5) queue up
    for i in range(20):
        assert server.send("POST", path, configmap(f"late-{i}"))[0] == 201
    reader.settimeout(30)
    received = b""
    while not received.endswith(b"\r\n0\r\n\r\n"):
        chunk = reader.recv(1 << 20)
        assert chunk, "the stream was closed"
        received += chunk
    reader.close()
    initial, marker, live = received.partition(b'"k8s.io/initial-events-end":"true"')
    assert marker and initial.count(b'"name":"initial-') == 60
    assert live.count(b'"name":"late-') == 20 and b'"ERROR"' not in received


@pytest.mark.parametrize("query", [
    "limit=1&continue=WzFd",  # a token that decodes to a JSON list
    "resourceVersion=%C2%B2",  # a digit outside ASCII
    "resourceVersion=99999999999999999999999",  # beyond int64
    "resourceVersionMatch=Exact&resourceVersion=x1",
    "limit=1&continue=" + base64.urlsafe_b64encode(json.dumps(  # a start key longer than any stored
        {"v": "meta.k8s.io/v1", "rv": 5, "start": "a" * 9000}).encode()).decode().rstrip("="),
])
def test_bad_list_parameters_get_400_not_500(server: RunningServer, query: str) -> None:
    status, body = server.get(f"{CMS}?{query}")
    assert status == 400, body
    assert json.loads(body)["reason"] == "BadRequest"


def test_a_watch_with_the_largest_int64_timeout_is_still_served(server: RunningServer) -> None:
    events = watch_lines(server, f"{CMS}?watch=1&resourceVersion=0&timeoutSeconds={2**63 - 1}", limit=1)
    assert events and events[0]["type"] == "ADDED"


def test_a_watch_timeout_past_int64_is_upstreams_400(server: RunningServer) -> None:
    status, body = server.get(f"{CMS}?watch=1&resourceVersion=0&timeoutSeconds={'9' * 400}")
    assert status == 400
    assert json.loads(body)["message"] == f'strconv.ParseInt: parsing "{"9" * 400}": value out of range'


def test_the_metrics_show_each_caches_objects_watchers_events_and_bookmarks(server: RunningServer) -> None:
    server.send("POST", CMS, configmap("metrics-0"))
    rv = json.loads(server.get(CMS)[1])["metadata"]["resourceVersion"]
    dispatched = metric(server, "apiserver_watch_cache_events_dispatched_total", resource="configmaps")
    bookmarks = metric(server, "apiserver_watch_cache_bookmarks_sent_total", resource="configmaps")
    watchers = metric(server, "apiserver_registered_watchers", kind="ConfigMap")
    events: list[dict[str, Any]] = []
    # Times out in 3 s, so a bookmark is due about 2 s before that.
    path = f"{CMS}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=3"
    watch = threading.Thread(target=lambda: events.extend(watch_lines(server, path, limit=100, timeout=15)))
    watch.start()
    deadline = time.monotonic() + 5
    while metric(server, "apiserver_registered_watchers", kind="ConfigMap") < watchers + 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    server.send("POST", CMS, configmap("metrics-1"))
    # A change the watcher does not see (another namespace) leaves it behind the cache: a
    # bookmark then has news for it.
    server.send("POST", "/api/v1/namespaces/default/configmaps", configmap(f"metrics-elsewhere-{time.time_ns()}"))
    watch.join(15)
    assert [e["type"] for e in events][:1] == ["ADDED"] and "BOOKMARK" in [e["type"] for e in events]
    assert metric(server, "apiserver_watch_cache_objects", resource="configmaps") >= 2
    assert metric(server, "apiserver_watch_cache_object_bytes", resource="configmaps") > 100
    assert metric(server, "apiserver_watch_cache_events_dispatched_total", resource="configmaps") >= dispatched + 1
    assert metric(server, "apiserver_watch_cache_bookmarks_sent_total", resource="configmaps") >= bookmarks + 1
    assert metric(server, "apiserver_registered_watchers", kind="ConfigMap") == watchers
