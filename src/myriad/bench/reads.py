"""``myriad bench reads``: the read path at scale, against real ``myriad apiserver`` processes.

Servers run pinned to one CPU on embedded storage in a temp dir; the load runs in this process
and, for the 10,000 watchers, a process of its own, on the other CPUs. Scenarios (``--scenarios``):

``a``  Consistent lists from the cache (KEP-2340's benchmark): store ``configmaps`` ConfigMaps of
       ``value_size`` bytes, list them all ``lists`` times from a server with its watch cache, then
       from one started on the same data with ``--watch-cache=false`` (reading storage).
``b``  Watch fan-out: a watch per node on ``pods?fieldSelector=spec.nodeName=node-i`` and
       ``unfiltered`` unfiltered pod watches; ``update_rate`` pod updates a second spread over
       the nodes for ``duration`` s. Delivery latency (sent-time annotation to arrival), server
       CPU per delivered event, server memory.
``c``  Leases under read pressure: (b) again, plus ``lease_rate`` node Lease PUTs a second as a
       kubelet sends them (each conditional on its last resourceVersion), while ``flooders``
       connections list every pod at workload-low (from a process of their own, so reading the
       lists does not stall the process timing the leases).
``d``  Watch restart cost (KEP-956): ``restart_watchers`` watches on a quiet resource (ConfigMaps
       of one namespace) while pods stay busy; they time out after the server's window has
       moved on and resume, once with bookmarks and once without.

Results: a table, and JSON at :attr:`ReadsBenchConfig.json_path` (see :mod:`.readreport`).
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import uvloop
from rich.console import Console

from myriad.bench import loadprocess, readflood, readwatchers
from myriad.bench import readscenarios as load
from myriad.bench.apiserver_process import running_apiserver, server_cpu_seconds
from myriad.bench.configs import check_server_cpu, config_json
from myriad.bench.diskprobe import DiskProbe
from myriad.bench.httpclient import Connection
from myriad.bench.looplag import LoopLag
from myriad.bench.readreport import print_report, rejections, server_memory, write_json

SCENARIOS = ("a", "b", "c", "d")
#: (c) connections the lease renewals are spread over.
LEASE_CONNECTIONS = 96


@dataclass(frozen=True, kw_only=True)
class ReadsBenchConfig:
    scenarios: tuple[str, ...] = SCENARIOS
    server_cpu: int | None = 0
    configmaps: int = 300_000
    value_size: int = 1024
    lists: int = 5
    nodes: int = 10_000
    pods_per_node: int = 2
    unfiltered: int = 5
    update_rate: float = 500.0
    lease_rate: float = 1000.0
    flooders: int = 4
    duration: float = 20.0
    restart_watchers: int = 1000
    quiet_objects: int = 100
    #: The (b)–(d) server's watch window; short, so (d) need not wait upstream's 75 s.
    window: float = 10.0
    json_path: Path = Path("bench-reads.json")
    data_dir: Path | None = None

    def validate(self) -> None:
        unknown = set(self.scenarios) - set(SCENARIOS)
        if unknown or not self.scenarios:
            raise ValueError(f"--scenarios takes a comma-separated subset of {','.join(SCENARIOS)}")
        for name in ("configmaps", "lists", "nodes", "pods_per_node", "restart_watchers", "quiet_objects"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
        if self.flooders < 0:
            raise ValueError("--flooders must be at least 0")
        if self.update_rate <= 0 or self.lease_rate <= 0 or self.duration <= 0 or self.window <= 0:
            raise ValueError("rates, --duration and --window must be positive")
        check_server_cpu(self.server_cpu)

    def to_json(self) -> dict[str, object]:
        return config_json(self)


def run(config: ReadsBenchConfig, *, console: Console | None = None) -> int:
    console = console or Console()
    load_cpus = loadprocess.take_load_cpus(config.server_cpu)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="myriad-bench-reads-", dir=config.data_dir) as scratch:
        if "a" in config.scenarios:
            results["a"] = _consistent_lists(config, Path(scratch) / "a", console)
        if {"b", "c", "d"} & set(config.scenarios):
            with running_apiserver(data_dir=Path(scratch) / "bcd", cpu=config.server_cpu,
                                   args=("--watch-cache-window", str(config.window))) as url:
                results.update(uvloop.run(_fanout_and_restarts(config, url, load_cpus, console)))
    print_report(config, results, console)
    write_json(config, results)
    return 0


def _address(url: str) -> tuple[str, int]:
    split = urlsplit(url)
    return split.hostname or "127.0.0.1", split.port or 80


def _consistent_lists(config: ReadsBenchConfig, data_dir: Path, console: Console) -> dict[str, object]:
    namespace = "reads-a"
    path = f"/api/v1/namespaces/{namespace}/configmaps".encode()

    async def fill_and_list(url: str, fill: bool) -> tuple[float | None, load.ListFigures, int | None]:
        host, port = _address(url)
        connections = [await Connection.open(host, port) for _ in range(32)]
        try:
            rate = None
            if fill:
                await load.create_namespace(connections[0], namespace)
                console.print(f"  (a) creating {config.configmaps:,} ConfigMaps of {config.value_size} B")
                rate = await load.create_all(connections, config.configmaps,
                                             load.configmap_builder(namespace, config.value_size))
            figures = await load.time_lists(connections[0], path, config.lists, expect_items=config.configmaps)
            return rate, figures, await asyncio.to_thread(server_memory, url)
        finally:
            for connection in connections:
                connection.close()

    with running_apiserver(data_dir=data_dir, cpu=config.server_cpu) as url:
        console.print(f"(a) consistent lists, watch cache on: {url}")
        create_rate, cached, cached_rss = uvloop.run(fill_and_list(url, True))
    with running_apiserver(data_dir=data_dir, cpu=config.server_cpu, args=("--watch-cache=false",)) as url:
        console.print(f"(a) consistent lists, watch cache off (storage): {url}")
        _, stored, stored_rss = uvloop.run(fill_and_list(url, False))
    return {"objects": config.configmaps, "create_per_s": create_rate, "list_bytes": cached.bytes,
            "cache": cached.latency.to_json(), "storage": stored.latency.to_json(),
            "storage_over_cache_p50": stored.latency.p50 / cached.latency.p50 if cached.latency.p50 else None,
            "server_rss_bytes": {"cache": cached_rss, "storage": stored_rss}}


async def _fanout_and_restarts(config: ReadsBenchConfig, url: str, load_cpus: frozenset[int] | None,
                               console: Console) -> dict[str, object]:
    host, port = _address(url)
    namespace, quiet = "reads-b", "reads-d"
    pods = config.nodes * config.pods_per_node
    # 32 for pod updates, then LEASE_CONNECTIONS for the "kubelets": each real kubelet has its
    # own connection, so a slow answer must not leave later renewals queued in the load process.
    connections = [await Connection.open(host, port) for _ in range(32 + LEASE_CONNECTIONS)]
    results: dict[str, object] = {}
    try:
        await load.create_namespace(connections[0], namespace)
        console.print(f"  (b) creating {pods:,} pods over {config.nodes:,} nodes and {config.nodes:,} leases")
        await load.create_all(connections, pods, load.pod_builder(namespace, config.nodes))
        await load.create_all(connections, config.nodes, load.lease_builder(config.nodes))
        plan = readwatchers.WatcherPlan(host=host, port=port, namespace=namespace, nodes=config.nodes,
                                        unfiltered=config.unfiltered, revision=0, cpus=load_cpus)
        if {"b", "c"} & set(config.scenarios):
            results.update(await _fanout(config, url, plan, connections, console))
        if "d" in config.scenarios:
            # Fresh connections: some of the first ones sat idle past the server's idle timeout.
            for connection in connections:
                connection.close()
            connections = [await Connection.open(host, port) for _ in range(32)]
            results["d"] = await _restarts(config, url, namespace, quiet, connections, console)
    finally:
        for connection in connections:
            connection.close()
    return results


async def _fanout(config: ReadsBenchConfig, url: str, plan: readwatchers.WatcherPlan,
                  connections: list[Connection], console: Console) -> dict[str, object]:
    pods = config.nodes * config.pods_per_node
    updates = load.pod_update_builder(plan.namespace, pods)
    results: dict[str, object] = {}
    for scenario in ("b", "c"):
        if scenario not in config.scenarios:
            continue
        console.print(f"  ({scenario}) opening {config.nodes + config.unfiltered:,} watches")
        process, queue, stop = readwatchers.start(replace(plan, revision=await _revision(connections[0], plan)))
        ready = await asyncio.to_thread(queue.get, True, 600)
        if ready != "ready":
            raise RuntimeError(f"watcher process failed: {ready}")
        probe = DiskProbe(config.data_dir or Path(tempfile.gettempdir()))
        probe.start()
        lag = LoopLag()
        lag.start()
        try:
            rss_before = await asyncio.to_thread(server_memory, url)
            cpu_before = await asyncio.to_thread(server_cpu_seconds, url)
            writes = load.OpenLoopFigures()
            leases = load.OpenLoopFigures()
            jobs = [load.open_loop(connections[:32], rate=config.update_rate, duration=config.duration, build=updates,
                                   figures=writes)]
            flood = None
            if scenario == "c":
                renewals = load.LeaseRenewals(await load.lease_versions(connections[0]))
                jobs.append(load.open_loop(connections[32:], rate=config.lease_rate, duration=config.duration,
                                           build=renewals.build, figures=leases, user_agent=load.KUBELET,
                                           answered=renewals.answered))
            if scenario == "c" and config.flooders:
                flood = readflood.start(readflood.FloodPlan(
                    host=plan.host, port=plan.port, path=b"/api/v1/pods", connections=config.flooders,
                    headers={"X-Myriad-Priority-Level": "workload-low"}, cpus=plan.cpus))
            console.print(f"  ({scenario}) {config.update_rate:g} pod updates/s for {config.duration:g} s"
                          + (f", {config.lease_rate:g} lease PUTs/s" if scenario == "c" else "")
                          + (" and a low-priority list flood" if flood else ""))
            await asyncio.gather(*jobs)
            flood_statuses = {}
            if flood is not None:
                flood_process, flood_queue, flood_stop = flood
                flood_stop.set()
                flood_statuses = await asyncio.to_thread(flood_queue.get, True, 120)
                await asyncio.to_thread(flood_process.join, 30)
            await asyncio.sleep(1.0)  # let the last deliveries land
            cpu_after = await asyncio.to_thread(server_cpu_seconds, url)
            rss_after = await asyncio.to_thread(server_memory, url)
        finally:
            disk = probe.stop()  # also when the scenario raised: its thread syncs until stopped
            own_lag = await lag.stop()
        stop.set()
        watched = await asyncio.to_thread(queue.get, True, 120)
        await asyncio.to_thread(process.join, 30)
        delivered = watched["events"]
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        results[scenario] = {
            "watchers": watched["watchers"], "failed_watches": watched["failed"],
            "ended_early": watched["ended_early"], "updates": writes.issued, "update_errors": writes.errors,
            "update_latency": writes.histogram.percentiles().to_json(), "events_delivered": delivered,
            "delivery_latency": watched["latency"], "server_cpu_s": cpu,
            "server_cpu_us_per_event": cpu / delivered * 1e6 if cpu and delivered else None,
            "server_rss_bytes": rss_after, "server_rss_before_bytes": rss_before,
            "disk_sync_latency": disk.sync.to_json(), "disk_commit_floor": disk.commit_floor.to_json(),
            "load_loop_lag": own_lag.to_json(),
        }
        if scenario == "c":
            rejected = await asyncio.to_thread(rejections, url)
            results[scenario].update({"lease_puts": leases.issued, "lease_errors": leases.errors,
                                      "lease_latency": leases.histogram.percentiles().to_json(),
                                      "flood_answers": flood_statuses, "rejected_by_level": rejected})
    return results


async def _revision(connection: Connection, plan: readwatchers.WatcherPlan) -> int:
    """The current revision of the pods the watchers watch (a consistent list of one)."""
    status, body = await connection.request(b"GET", f"/api/v1/namespaces/{plan.namespace}/pods?limit=1".encode())
    if status != 200:
        raise RuntimeError(f"listing pods: {status} {body[:300]!r}")
    return int(orjson.loads(body)["metadata"]["resourceVersion"])


async def _restarts(config: ReadsBenchConfig, url: str, busy: str, quiet: str, connections: list[Connection],
                    console: Console) -> dict[str, object]:
    host, port = _address(url)
    await load.create_namespace(connections[0], quiet)
    await load.create_all(connections, config.quiet_objects, load.configmap_builder(quiet, 64))
    pods = config.nodes * config.pods_per_node
    out: dict[str, object] = {"watchers": config.restart_watchers, "quiet_objects": config.quiet_objects,
                              "window_s": config.window}
    timeout = int(config.window) + 5
    for bookmarks in (True, False):
        status, body = await connections[0].request(b"GET", f"/api/v1/namespaces/{quiet}/configmaps".encode())
        revision = int(orjson.loads(body)["metadata"]["resourceVersion"])
        console.print(f"  (d) {config.restart_watchers:,} watches {'with' if bookmarks else 'without'} bookmarks,"
                      f" timing out after {timeout} s while pods stay busy")
        busy_figures = load.OpenLoopFigures()
        busy_load = asyncio.create_task(load.open_loop(connections[:32], rate=config.update_rate,
                                                       duration=timeout + 1,
                                                       build=load.pod_update_builder(busy, pods),
                                                       figures=busy_figures))
        figures = await load.restart_cost(host, port, quiet, watchers=config.restart_watchers, revision=revision,
                                          timeout=timeout, bookmarks=bookmarks, objects=config.quiet_objects)
        await busy_load
        out["with_bookmarks" if bookmarks else "without_bookmarks"] = {
            "expired": figures.expired, "events_to_recover_per_watcher": figures.events_to_recover}
    with_b = out["with_bookmarks"]["events_to_recover_per_watcher"]  # type: ignore[index]
    without_b = out["without_bookmarks"]["events_to_recover_per_watcher"]  # type: ignore[index]
    out["reduction"] = without_b / with_b if with_b else None
    return out

