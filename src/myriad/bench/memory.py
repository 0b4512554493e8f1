"""``myriad bench memory``: a million objects in one API server, and what they cost it.

One ``myriad apiserver`` on embedded storage (pinned to ``server_cpu``; the load runs on the other
CPUs) is loaded with the mix of :mod:`.memload` (``scale`` multiplies every count): 200,000 pods
with the kubelet's status, 10,000 Nodes of ~12 KB and their Leases, 20,000 Deployments and
ReplicaSets, 10,000 Services with an EndpointSlice each, 700,000 small ConfigMaps, Secrets and
Events. Then it reports:

* the server's RSS, and what its watch caches hold (objects and encoded bytes per resource, from
  ``/metrics``); the rest is storage's indexes and caches and the interpreter;
* the data dir's file sizes;
* a restart on that data dir: seconds from the process's start to ``/readyz`` answering 200,
  which needs every watch cache filled, and the RSS then;
* then, over the restarted server, the RSS of each component holding its informers over that
  cluster (``components``): a ``myriad nodes`` process adopting the Nodes and their pods, then
  ``myriad scheduler``, then ``myriad controller-manager``, each measured once its RSS has
  settled and it is no longer busy (the load's CPUs, beside the server's); for the scheduler
  and the manager, also their informers' re-lists and watches answered 410 Gone, from /metrics.

Targets (issue 21): RSS ≤ 4 GiB, restart ≤ 60 s, scheduler ≤ 1 GiB, controller manager ≤ 1.5 GiB;
the hollow nodes' bytes per node are reported. Results: a table, and JSON at ``json_path``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import uvloop
from rich.console import Console
from rich.table import Table

from myriad.bench import loadprocess, memload
from myriad.bench.apiload import run_phase
from myriad.bench.apiserver_process import start_apiserver, stop_process
from myriad.bench.configs import check_server_cpu, config_json
from myriad.bench.httpclient import Connection
from myriad.bench.nodesession import cpu_seconds, rss_bytes
from myriad.bench.readreport import server_memory
from myriad.bench.scheduler import free_port, running_scheduler
from myriad.nodes.figures import LINE_PREFIX

_CACHE = re.compile(rb'^apiserver_watch_cache_(objects|object_bytes)\{group="([^"]*)",resource="([^"]+)"\}\s+(\S+)$',
                    re.MULTILINE)
GIB = 1 << 30
TARGET_RSS = 4 * GIB
TARGET_RESTART_S = 60.0
TARGET_SCHEDULER = 1 * GIB
TARGET_MANAGER = 1.5 * GIB
#: A component's RSS has settled once it moved less than this share over SETTLE_SECONDS, while
#: the component used less than SETTLE_CPU of a CPU.
SETTLE_SHARE = 0.01
SETTLE_SECONDS = 5
SETTLE_CPU = 0.5


@dataclass(frozen=True, kw_only=True)
class MemoryBenchConfig:
    scale: float = 1.0
    pods: int = 200_000
    nodes: int = 10_000
    images: int = 50
    deployments: int = 20_000
    services: int = 10_000
    small: int = 700_000
    connections: int = 32
    server_cpu: int | None = 0
    restart_timeout: float = 600.0
    components: bool = True
    component_timeout: float = 900.0
    json_path: Path = Path("bench-memory.json")
    data_dir: Path | None = None

    def validate(self) -> None:
        if self.scale <= 0:
            raise ValueError("--scale must be positive")
        for name in ("pods", "nodes", "images", "deployments", "services", "small"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name} must be zero or more")
        if self.connections < 1 or self.restart_timeout <= 0 or self.component_timeout <= 0:
            raise ValueError("--connections must be at least 1, --restart-timeout and --component-timeout positive")
        if self.pods and not self.deployments:
            raise ValueError("--pods need at least one Deployment to belong to")
        check_server_cpu(self.server_cpu)

    def counts(self) -> dict[str, int]:
        return {name: round(getattr(self, name) * (self.scale if name != "images" else 1))
                for name in ("pods", "nodes", "images", "deployments", "services", "small")}

    def to_json(self) -> dict[str, object]:
        return config_json(self)


def run(config: MemoryBenchConfig, *, console: Console | None = None) -> int:
    console = console or Console()
    load_cpus = loadprocess.take_load_cpus(config.server_cpu)
    with tempfile.TemporaryDirectory(prefix="myriad-bench-memory-", dir=config.data_dir) as scratch:
        data_dir = Path(scratch) / "server"
        server, url = start_apiserver(data_dir=data_dir, cpu=config.server_cpu)
        try:
            load = uvloop.run(_load(config, url, console))
            time.sleep(2.0)  # the caches catch up with the last writes
            loaded = {"server_rss_bytes": server_memory(url), "caches": _caches(url)}
        finally:
            stop_process(server)
        files = {path.name: path.stat().st_size for path in sorted((data_dir / "store").glob("*")) if path.is_file()}
        console.print("restarting on the same data dir")
        started = time.monotonic()
        server, url = start_apiserver(data_dir=data_dir, cpu=config.server_cpu, timeout=config.restart_timeout)
        try:
            listening = time.monotonic() - started
            ready = _until_ready(url, started, config.restart_timeout)
            restart = {"listening_s": listening, "ready_s": ready, "server_rss_bytes": server_memory(url),
                       "caches": _caches(url)}
            components = _components(config, url, Path(scratch), load_cpus, console) if config.components else {}
        finally:
            stop_process(server)
    results = {"load": load, "loaded": loaded, "files": files, "restart": restart, "components": components}
    print_report(config, results, console)
    document = {"config": config.to_json(), "results": results, "targets": targets(results)}
    config.json_path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    console.print(f"results written to {config.json_path}")
    return 0


async def _load(config: MemoryBenchConfig, url: str, console: Console) -> dict[str, Any]:
    split = urlsplit(url)
    connections = [await Connection.open(split.hostname or "127.0.0.1", split.port or 80)
                   for _ in range(config.connections)]
    try:
        for body in memload.namespaces():
            status, reply = await connections[0].request(b"POST", b"/api/v1/namespaces", body)
            if status != 201:
                raise RuntimeError(f"creating a namespace: {status} {reply[:200]!r}")
        counts = config.counts()
        figures: dict[str, Any] = {}
        began = time.monotonic()
        for kind in memload.mix(pods=counts["pods"], nodes=counts["nodes"], images=counts["images"],
                                deployments=counts["deployments"], services=counts["services"], small=counts["small"]):
            created = await run_phase(connections, total=kind.count, build=kind.create, expect=201, keep=kind.keep)
            _check(kind.name, created)
            entry = {"count": kind.count, "creates_per_s": created.per_second}
            if kind.status is not None:
                patched = await run_phase(connections, total=kind.count, build=kind.status, expect=200)
                _check(f"{kind.name} status", patched)
                entry["status_patches_per_s"] = patched.per_second
            figures[kind.name] = entry
            console.print(f"  {kind.name}: {kind.count:,} at {created.per_second:,.0f}/s"
                          + (f", status at {entry['status_patches_per_s']:,.0f}/s" if kind.status else ""))
        total = sum(entry["count"] for entry in figures.values())
        return {"kinds": figures, "objects": total, "seconds": time.monotonic() - began}
    finally:
        for connection in connections:
            connection.close()


def _components(config: MemoryBenchConfig, url: str, scratch: Path, cpus: frozenset[int] | None,
                console: Console) -> dict[str, Any]:
    """Each component's RSS over the loaded cluster, started in turn and left running."""
    counts = config.counts()
    pin = (lambda: loadprocess.pin(cpus)) if cpus else None
    found: dict[str, Any] = {}
    with _hollow_nodes(url, counts["nodes"], counts["images"], scratch, pin) as nodes:
        console.print(f"components: {counts['nodes']:,} hollow nodes adopting their Nodes and pods")
        nodes.wait(counts["nodes"], counts["pods"], config.component_timeout)
        found["nodes"] = {**_settled(nodes.process.pid, config.component_timeout),
                          "nodes": counts["nodes"], "pods": counts["pods"]}
        console.print("components: the scheduler")
        port = free_port()
        with running_scheduler(url, scratch, None, ("--metrics-port", str(port)),
                               timeout=config.component_timeout) as scheduler:
            found["scheduler"] = {**_settled(scheduler.pid, config.component_timeout), **_lists(port)}
        console.print("components: the controller manager")
        port = free_port()
        with _controller_manager(url, scratch, pin, port) as manager:
            found["controller_manager"] = {**_settled(manager.pid, config.component_timeout), **_lists(port)}
    # What the cluster holds after them: a consistent cluster gives the components nothing to undo.
    found["caches_after"] = _caches(url)
    return found


class _Nodes:
    """A ``myriad nodes`` worker and the figures it last printed."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.latest: dict[str, Any] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        prefix = LINE_PREFIX.encode()
        for line in self.process.stdout:
            if line.startswith(prefix):
                self.latest = orjson.loads(line[len(prefix):])

    def wait(self, nodes: int, pods: int, timeout: float) -> None:
        """Until every node is Ready and every pod is held (adopted, or admitted anew)."""
        deadline = time.monotonic() + timeout
        while True:
            ready = int((self.latest.get("nodes") or {}).get("ready", 0))
            counters = self.latest.get("counters") or {}
            held = counters.get("pods_adopted", 0) + counters.get("pods_admitted", 0)
            if ready >= nodes and held >= pods:
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"hollow nodes: {ready}/{nodes} Ready, {held}/{pods} pods held")
            time.sleep(0.5)


@contextmanager
def _hollow_nodes(url: str, count: int, images: int, scratch: Path, pin: Any) -> Iterator[_Nodes]:
    with (scratch / "nodes.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "myriad", "nodes", "--count", str(count), "--server", url,
                                    "--images", str(images), "--worker"], stdout=subprocess.PIPE, stderr=log,
                                   preexec_fn=pin)
    try:
        yield _Nodes(process)
    finally:
        stop_process(process)


@contextmanager
def _controller_manager(url: str, scratch: Path, pin: Any, metrics_port: int) -> Iterator[subprocess.Popen[bytes]]:
    with (scratch / "controller-manager.log").open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "myriad", "controller-manager", "--server", url,
                                    "--metrics-port", str(metrics_port)],
                                   stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin)
    try:
        yield process
    finally:
        stop_process(process)


def _settled(pid: int, timeout: float) -> dict[str, Any]:
    """The process's RSS once it has settled: over the last SETTLE_SECONDS its RSS moved less
    than SETTLE_SHARE and it used less than SETTLE_CPU of a CPU (a component still working
    through its first lists' handlers can hold a plateau of garbage it frees when done); with
    the seconds waited, and ``settled`` false when ``timeout`` ran out first (the last sample)."""
    samples: list[tuple[float, float]] = []
    began = time.monotonic()
    settled = False
    while not settled and time.monotonic() < began + timeout:
        samples.append((rss_bytes(pid), cpu_seconds(pid)))
        recent = samples[-SETTLE_SECONDS - 1:]
        if len(recent) > SETTLE_SECONDS:
            sizes = [rss for rss, _ in recent]
            busy = (recent[-1][1] - recent[0][1]) / SETTLE_SECONDS
            settled = max(sizes) - min(sizes) <= SETTLE_SHARE * max(sizes) and busy < SETTLE_CPU
        if not settled:
            time.sleep(1.0)
    return {"rss_bytes": int(samples[-1][0]), "settled": settled, "settled_after_s": time.monotonic() - began}


def _when(figures: dict[str, Any]) -> str:
    waited = figures.get("settled_after_s", 0.0)
    return f"settled after {waited:.0f} s" if figures.get("settled") else f"NOT settled in {waited:.0f} s"


_LISTS = re.compile(rb'^informer_(relists|watch_gone)_total\{resource="([^"]*)"\} ([0-9.e+]+)$', re.MULTILINE)


def _lists(port: int) -> dict[str, dict[str, int]]:
    """A component's informers' re-lists and watches answered 410 Gone, by resource, from its
    /metrics: a re-list holds a whole list's memory again, after the trim at sync."""
    found: dict[str, dict[str, int]] = {"relists": {}, "watches_gone": {}}
    for series, resource, value in _LISTS.findall(_metrics(f"http://127.0.0.1:{port}")):
        found["relists" if series == b"relists" else "watches_gone"][resource.decode()] = int(float(value))
    return found


def _check(what: str, figures: Any) -> None:
    if figures.errors:
        raise RuntimeError(f"{figures.errors} of {figures.count} {what} failed: {figures.first_error}")


def _metrics(url: str) -> bytes:
    with urllib.request.urlopen(url + "/metrics", timeout=60) as response:
        return response.read()


def _caches(url: str) -> dict[str, dict[str, int]]:
    """Objects and encoded bytes of every non-empty watch cache, by ``resource.group``."""
    found: dict[str, dict[str, int]] = {}
    for series, group, resource, value in _CACHE.findall(_metrics(url)):
        name = f"{resource.decode()}.{group.decode()}" if group else resource.decode()
        found.setdefault(name, {})["objects" if series == b"objects" else "bytes"] = int(float(value))
    return {name: figures for name, figures in sorted(found.items()) if figures.get("objects")}


def _until_ready(url: str, started: float, timeout: float) -> float:
    """Seconds from ``started`` until ``/readyz`` answers 200."""
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=10) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the restarted server was not ready after {timeout} s")
        time.sleep(0.1)


def targets(results: dict[str, Any]) -> dict[str, dict[str, object]]:
    rss = results["loaded"]["server_rss_bytes"]
    ready = results["restart"]["ready_s"]
    found = {"server_rss_gib": {"limit": TARGET_RSS / GIB, "met": rss is not None and rss <= TARGET_RSS},
             "restart_ready_s": {"limit": TARGET_RESTART_S, "met": ready <= TARGET_RESTART_S}}
    components = results.get("components") or {}
    for name, limit in (("scheduler", TARGET_SCHEDULER), ("controller_manager", TARGET_MANAGER)):
        if name in components:
            found[f"{name}_rss_gib"] = {"limit": limit / GIB, "met": components[name]["rss_bytes"] <= limit}
    return found


def print_report(config: MemoryBenchConfig, results: dict[str, Any], console: Console) -> None:
    load, loaded, restart = results["load"], results["loaded"], results["restart"]
    caches = loaded["caches"]
    cached = sum(figures.get("bytes", 0) for figures in caches.values())
    rss = loaded["server_rss_bytes"] or 0
    table = Table(title="myriad bench memory")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("objects loaded", f"{load['objects']:,} in {load['seconds']:.0f} s")
    table.add_row("server RSS", f"{rss / GIB:.2f} GiB ({rss / max(load['objects'], 1):,.0f} B an object)")
    table.add_row("  watch caches' encoded objects", f"{cached / GIB:.2f} GiB")
    table.add_row("  the rest (entries, storage's indexes and caches, interpreter)", f"{(rss - cached) / GIB:.2f} GiB")
    for name, figures in caches.items():
        if figures.get("objects", 0) >= 1000:
            table.add_row(f"    {name}", f"{figures['objects']:,} objects, "
                                         f"{figures.get('bytes', 0) / figures['objects']:,.0f} B each")
    files = results["files"].items()
    table.add_row("data dir", ", ".join(f"{name} {size / (1 << 20):,.0f} MiB" for name, size in files))
    table.add_row("restart", f"listening {restart['listening_s']:.1f} s, ready {restart['ready_s']:.1f} s, "
                             f"RSS {(restart['server_rss_bytes'] or 0) / GIB:.2f} GiB")
    components = results.get("components") or {}
    if "nodes" in components:
        nodes = components["nodes"]
        table.add_row("hollow nodes' process", f"{nodes['rss_bytes'] / GIB:.2f} GiB "
                                              f"({nodes['rss_bytes'] / max(nodes['nodes'], 1) / 1000:,.1f} KB a node, "
                                              f"its {nodes['pods']:,} pods' share included; {_when(nodes)})")
    for name, label in (("scheduler", "scheduler"), ("controller_manager", "controller manager")):
        if name in components:
            figures = components[name]
            relists = ", ".join(f"{r} {n}" for r, n in (figures.get("relists") or {}).items() if n) or "none"
            table.add_row(label, f"{figures['rss_bytes'] / GIB:.2f} GiB ({_when(figures)}; re-lists: {relists})")
    console.print(table)
    for name, target in targets(results).items():
        console.print(f"target {name} ({target['limit']}): {'met' if target['met'] else 'MISSED'}")
