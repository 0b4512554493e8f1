"""Flow control on a real ``myriad apiserver``: upstream's 429 answer, and node heartbeats that a
flood of low-priority lists does not hold up."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from myriad.bench.apiserver_process import running_apiserver
from tests.apiserver.cache.test_cached_reads import metric
from tests.apiserver.conftest import RunningServer

LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("flow")
    args = ("--max-requests-inflight", "6", "--max-mutating-requests-inflight", "4", "--max-watches", "1")
    with running_apiserver(data_dir=data_dir, cpu=None, args=args) as url:
        yield RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)


def request(server: RunningServer, method: str, path: str, body: object = None, **headers: str) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server.url + path, method=method, data=data,
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_over_the_watch_cap_a_request_gets_upstreams_429(server: RunningServer) -> None:
    open_watch = urllib.request.urlopen(server.url + "/api/v1/configmaps?watch=1&timeoutSeconds=30", timeout=30)
    try:
        with pytest.raises(urllib.error.HTTPError) as rejected:
            urllib.request.urlopen(server.url + "/api/v1/secrets?watch=1&timeoutSeconds=5", timeout=10)
        error = rejected.value
        assert error.code == 429 and error.headers["Retry-After"] == "1"
        assert error.read() == b"Too many requests, please try again later.\n"
        assert error.headers["X-Kubernetes-PF-PriorityLevel-UID"]
    finally:
        open_watch.close()
    deadline = time.monotonic() + 5
    while request(server, "GET", "/api/v1/secrets?watch=1&timeoutSeconds=1")[0] == 429:
        assert time.monotonic() < deadline  # the closed watch gave its place back
        time.sleep(0.1)
    assert metric(server, "apiserver_flowcontrol_rejected_requests_total", priority_level="catch-all",
                  reason="concurrency-limit") >= 1


def test_a_flood_of_low_priority_lists_does_not_hold_up_node_heartbeats(server: RunningServer) -> None:
    for i in range(400):
        request(server, "POST", "/api/v1/namespaces/default/configmaps",
                {"metadata": {"name": f"flood-{i}"}, "data": {"a": "x" * 1000}})
    lease = {"metadata": {"name": "node-1"}, "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40}}
    assert request(server, "POST", LEASES, lease)[0] == 201
    stop = threading.Event()
    flooded = {"lists": 0, "429": 0}

    def flood() -> None:
        while not stop.is_set():
            code, _ = request(server, "GET", "/api/v1/configmaps", **{"X-Myriad-Priority-Level": "workload-low"})
            flooded["lists" if code == 200 else "429"] += 1

    threads = [threading.Thread(target=flood) for _ in range(12)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        codes, latencies = [], []
        for i in range(40):
            started = time.monotonic()
            code, _ = request(server, "PATCH", f"{LEASES}/node-1", {"spec": {"leaseDurationSeconds": 40 + i}},
                              **{"User-Agent": "kubelet/v1.37.0", "Content-Type": "application/merge-patch+json"})
            latencies.append(time.monotonic() - started)
            codes.append(code)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(codes) == {200} and flooded["lists"] > 0
    assert metric(server, "apiserver_flowcontrol_rejected_requests_total", priority_level="node-high") == 0
    assert metric(server, "apiserver_flowcontrol_dispatched_requests_total", priority_level="node-high") == 40
    assert sorted(latencies)[len(latencies) // 2] < 0.5
