"""``myriad bench client``: the client runtime at scale, against real ``myriad apiserver`` processes.

Servers run pinned to one CPU; the load, and the informer in a process of its own, on the
others. Scenarios (``--scenarios``):

``informer``  ``pods`` pods (a kubelet-sized spec each) are created, then an informer in its own
              process lists and watches them: time to sync, its memory per cached object, then
              ``watch_rate`` pod updates a second for ``duration`` s and the lag from each
              update's sent-time annotation to the informer's handler.
``queue``     An update storm (``storm_rate``/s over 20,000 keys) beside 50 adds/s into one
              priority queue with too few workers: p99 time queued for adds with priorities on
              and off (:mod:`.clientqueue`).
``balance``   Three API servers on one etcd, ``watchers`` watches started while the third is
              down, then it is restarted: watchers per server before and after rebalancing
              (:mod:`.clientbalance`).
``http``      The REST client against aiohttp's, GETs of one ConfigMap (:mod:`.clienthttp`).

Results: a table, and JSON at :attr:`ClientBenchConfig.json_path` (see :mod:`.clientreport`).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import uvloop
from rich.console import Console

from myriad.bench import clientbalance, clienthttp, clientinformer, clientqueue, loadprocess
from myriad.bench import readscenarios as load
from myriad.bench.apiserver_process import running_apiserver
from myriad.bench.clientreport import print_report, write_json
from myriad.bench.configs import check_server_cpu, config_json
from myriad.bench.httpclient import Connection
from myriad.bench.readreport import server_memory

SCENARIOS = ("informer", "queue", "balance", "http")
NAMESPACE = "bench-client"


@dataclass(frozen=True, kw_only=True)
class ClientBenchConfig:
    scenarios: tuple[str, ...] = SCENARIOS
    server_cpu: int | None = 0
    pods: int = 200_000
    nodes: int = 10_000
    page_size: int = 500
    compress: bool = False
    watch_list: bool = False
    watch_rate: float = 2000.0
    duration: float = 20.0
    storm_rate: float = 5000.0
    storm_duration: float = 10.0
    watchers: int = 3000
    http_requests: int = 20_000
    json_path: Path = Path("bench-client.json")
    data_dir: Path | None = None

    def validate(self) -> None:
        unknown = set(self.scenarios) - set(SCENARIOS)
        if unknown or not self.scenarios:
            raise ValueError(f"--scenarios takes a comma-separated subset of {','.join(SCENARIOS)}")
        for name in ("pods", "nodes", "page_size", "watchers", "http_requests"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        if min(self.watch_rate, self.duration, self.storm_rate, self.storm_duration) <= 0:
            raise ValueError("rates and --duration must be positive")
        check_server_cpu(self.server_cpu)

    def to_json(self) -> dict[str, object]:
        return config_json(self)


def run(config: ClientBenchConfig, *, console: Console | None = None) -> int:
    console = console or Console()
    load_cpus = loadprocess.take_load_cpus(config.server_cpu)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="myriad-bench-client-", dir=config.data_dir) as scratch:
        if "informer" in config.scenarios or "http" in config.scenarios:
            with running_apiserver(data_dir=Path(scratch) / "server", cpu=config.server_cpu) as url:
                if "http" in config.scenarios:
                    console.print(f"  (http) {config.http_requests:,} GETs each, myriad client and aiohttp")
                    results["http"] = uvloop.run(clienthttp.compare(url, requests=config.http_requests,
                                                                    concurrency=32))
                if "informer" in config.scenarios:
                    results["informer"] = uvloop.run(_informer(config, url, load_cpus, console))
        if "queue" in config.scenarios:
            plan = clientqueue.QueuePlan(update_rate=config.storm_rate, duration=config.storm_duration)
            console.print(f"  (queue) {plan.update_rate:g} updates/s and {plan.add_rate:g} adds/s for "
                          f"{plan.duration:g} s, priorities on, then off")
            results["queue"] = {"on": uvloop.run(clientqueue.storm(plan, prioritized=True)),
                                "off": uvloop.run(clientqueue.storm(plan, prioritized=False)),
                                "plan": asdict(plan)}
        if "balance" in config.scenarios:
            console.print(f"  (balance) {config.watchers:,} watchers over 3 servers on etcd, one restarted")
            results["balance"] = uvloop.run(clientbalance.rebalance(Path(scratch) / "balance",
                                                                    watchers=config.watchers,
                                                                    server_cpu=config.server_cpu))
    print_report(config, results, console)
    write_json(config, results)
    return 0


def pod_builder(namespace: str, nodes: int) -> Callable[[int], load.Request]:
    """Pods shaped like a small real workload's: labels, an annotation, one container with
    resources, env, a port, a probe and a volume mount (about 1.5 KiB of JSON once defaulted)."""
    path = f"/api/v1/namespaces/{namespace}/pods".encode()

    def build(index: int) -> load.Request:
        name = f"pod-{index:06d}"
        body = orjson.dumps({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "bench", "tier": "web", "shard": str(index % 16)},
                         "annotations": {"bench/owner": "myriad"}},
            "spec": {"nodeName": f"node-{index % nodes}",
                     "containers": [{"name": "app", "image": "registry.k8s.io/nginx:1.27",
                                     "ports": [{"containerPort": 8080, "name": "http"}],
                                     "env": [{"name": "POD", "value": name}, {"name": "MODE", "value": "bench"}],
                                     "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                                   "limits": {"cpu": "200m", "memory": "128Mi"}},
                                     "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                                     "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]}],
                     "volumes": [{"name": "config", "configMap": {"name": "app-config"}}]}})
        return b"POST", path, body, b"application/json"

    return build


async def _informer(config: ClientBenchConfig, url: str, load_cpus: frozenset[int] | None,
                    console: Console) -> dict[str, object]:
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    connections = [await Connection.open(host, port) for _ in range(64)]
    try:
        status, body = await connections[0].request(b"POST", b"/api/v1/namespaces",
                                                    orjson.dumps({"metadata": {"name": NAMESPACE}}))
        if status != 201:
            raise RuntimeError(f"creating namespace {NAMESPACE}: {status} {body[:200]!r}")
        console.print(f"  (informer) creating {config.pods:,} pods")
        create_rate = await load.create_all(connections, config.pods, pod_builder(NAMESPACE, config.nodes))
        status, sample = await connections[0].request(b"GET", f"/api/v1/namespaces/{NAMESPACE}/pods?limit=100".encode())
        pod_bytes = len(orjson.dumps(orjson.loads(sample)["items"][0]))
        plan = clientinformer.InformerPlan(url=url, namespace=NAMESPACE, expected=config.pods,
                                           page_size=config.page_size, cpus=load_cpus, compress=config.compress,
                                           watch_list=config.watch_list)
        process, queue, stop = loadprocess.spawn(clientinformer.main, plan)
        try:
            synced = await asyncio.to_thread(queue.get, True, 900)
            if "error" in synced:
                raise RuntimeError(f"informer process failed: {synced['error']}")
            console.print(f"  (informer) synced {synced['objects']:,} pods in {synced['sync_s']:.1f} s; "
                          f"{config.watch_rate:g} updates/s for {config.duration:g} s")
            figures = load.OpenLoopFigures()
            await load.open_loop(connections, rate=config.watch_rate, duration=config.duration,
                                 build=load.pod_update_builder(NAMESPACE, config.pods), figures=figures)
            await asyncio.sleep(1.0)
            stop.set()
            final = await asyncio.to_thread(queue.get, True, 120)
        finally:
            stop.set()
            await asyncio.to_thread(process.join, 30)
    finally:
        for connection in connections:
            connection.close()
    cached = synced["rss_synced"] - synced["rss_start"]
    return {**synced, **final, "create_per_s": create_rate, "pod_json_bytes": pod_bytes,
            "bytes_per_object": cached / max(1, synced["objects"]), "updates_sent": figures.issued,
            "update_errors": figures.errors, "update_latency": figures.histogram.percentiles().to_json(),
            "server_rss_bytes": await asyncio.to_thread(server_memory, url)}
