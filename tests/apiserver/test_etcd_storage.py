"""The API server on a real etcd (``--storage etcd``): the same verbs, conflicts and watches."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from myriad.bench.apiserver_process import running_apiserver
from myriad.storage.etcd.launcher import LocalEtcd
from tests.apiserver.conftest import RunningServer

CMS = "/api/v1/namespaces/default/configmaps"


@pytest.fixture(scope="module")
def on_etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    loop = asyncio.new_event_loop()
    etcd = LocalEtcd(data_dir=tmp_path_factory.mktemp("etcd"))
    loop.run_until_complete(etcd.start())
    data_dir = tmp_path_factory.mktemp("apiserver-on-etcd")
    try:
        with running_apiserver(data_dir=data_dir, cpu=None,
                               args=("--storage", "etcd", "--etcd-endpoints", etcd.endpoint)) as url:
            yield RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)
    finally:
        loop.run_until_complete(etcd.stop())
        loop.close()


def test_crud_conflicts_and_lists_work_on_etcd(on_etcd: RunningServer) -> None:
    code, created = on_etcd.send("POST", CMS, {"metadata": {"name": "e1"}, "data": {"a": "1"}})
    assert code == 201
    stale = created["metadata"]["resourceVersion"]
    code, updated = on_etcd.send("PUT", f"{CMS}/e1", {**created, "data": {"a": "2"}})
    assert code == 200 and int(updated["metadata"]["resourceVersion"]) > int(stale)
    code, status = on_etcd.send("PUT", f"{CMS}/e1", {**created, "data": {"a": "3"}})
    assert code == 409 and status["reason"] == "Conflict"
    names = on_etcd.kubectl("get", "configmaps", "-n", "default", "-o", "name").stdout.split()
    assert "configmap/e1" in names
    assert on_etcd.send("DELETE", f"{CMS}/e1", None)[0] == 200
    assert on_etcd.get(f"{CMS}/e1")[0] == 404


def test_a_watch_on_etcd_sees_a_concurrent_create(on_etcd: RunningServer) -> None:
    status, body = on_etcd.get(CMS)
    rv = json.loads(body)["metadata"]["resourceVersion"]
    seen: list[dict[str, Any]] = []

    def watch() -> None:
        with urllib.request.urlopen(f"{on_etcd.url}{CMS}?watch=1&resourceVersion={rv}&timeoutSeconds=5",
                                    timeout=10) as response:
            for line in response:
                seen.append(json.loads(line))
                return

    thread = threading.Thread(target=watch)
    thread.start()
    assert on_etcd.send("POST", CMS, {"metadata": {"name": "watched"}})[0] == 201
    thread.join(10)
    assert seen and seen[0]["type"] == "ADDED" and seen[0]["object"]["metadata"]["name"] == "watched"


def test_the_watch_cache_relists_after_etcd_comes_back(tmp_path) -> None:
    # Its own etcd and server: etcd is stopped and restarted on the same data and ports.
    loop = asyncio.new_event_loop()
    etcd = LocalEtcd(data_dir=tmp_path / "etcd")
    loop.run_until_complete(etcd.start())
    restarted = None
    try:
        with running_apiserver(data_dir=tmp_path / "api", cpu=None,
                               args=("--storage", "etcd", "--etcd-endpoints", etcd.endpoint)) as url:
            server = RunningServer(url=url, kubeconfig=tmp_path / "api" / "kubeconfig", data_dir=tmp_path / "api")
            assert server.send("POST", CMS, {"metadata": {"name": "before"}, "data": {"a": "1"}})[0] == 201
            rv = json.loads(server.get(CMS)[1])["metadata"]["resourceVersion"]
            ended = threading.Event()

            def watch() -> None:
                with urllib.request.urlopen(f"{url}{CMS}?watch=1&resourceVersion={rv}&timeoutSeconds=120",
                                            timeout=130) as response:
                    for _ in response:
                        pass
                ended.set()

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            time.sleep(0.5)
            loop.run_until_complete(etcd.stop())
            # The cache's storage watch fails once etcd has not answered for the retry budget
            # (15 s); the cache stops serving and ends its watchers, who re-watch.
            assert ended.wait(40)
            restarted = LocalEtcd(data_dir=tmp_path / "etcd", client_port=etcd.client_port,
                                  peer_port=etcd.peer_port)
            loop.run_until_complete(restarted.start())
            deadline = time.monotonic() + 30
            while server.send("POST", CMS, {"metadata": {"name": "after"}, "data": {"a": "1"}})[0] != 201:
                assert time.monotonic() < deadline
                time.sleep(0.2)
            names: list[str] = []
            while "after" not in names:  # resourceVersion=0: the cache alone answers, once re-listed
                assert time.monotonic() < deadline
                time.sleep(0.2)
                status, body = server.get(f"{CMS}?resourceVersion=0")
                names = [item["metadata"]["name"] for item in json.loads(body).get("items", [])]
            assert sorted(names) == ["after", "before"]
    finally:
        loop.run_until_complete((restarted or etcd).stop())
        loop.close()
