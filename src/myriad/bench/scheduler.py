"""``myriad bench scheduler``: upstream scheduler_perf's workloads against a real ``myriad
apiserver`` and a real ``myriad scheduler`` on this machine.

Each workload (:mod:`.schedworkloads`) gets a fresh server on embedded storage, pinned to
``server_cpu``. Its nodes are created as objects (no hollow nodes: nothing runs the pods), then
``python -m myriad scheduler --server URL`` starts pinned to ``scheduler_cpu``. The init pods are
created and waited for until all are bound; then the measured pods are created as fast as the
API takes them (``CONCURRENCY`` requests in flight), after the init pods, and waited for.

Throughput is pods bound per second as a watcher of this process sees them (a pod counts once,
when its ``spec.nodeName`` is first seen set), sampled each second as upstream's
``throughputCollector`` does: ticks before the first bind are skipped, so is the first non-zero
sample, and a tick with no new binds is folded into the next sample (recorded once per tick it
spans); the average and the 50th/90th/95th/99th percentiles are taken as its ``collect()``
does (:func:`.schedreport.collect`). The scheduler's own CPU (utime + stime from
``/proc/<pid>/stat``) over the measured phase, divided by the measured pods, is its CPU per pod.

A phase that stops binding (no new bind for ``stall`` seconds once its pods are all created, or
its timeout) is reported as "not all bound" with what it did bind: a workload whose plugins
the scheduler lacks still reports. Then the pods and nodes are listed and every placement is
checked (:func:`.schedworkloads.verify`).

The ablation (``--ablation true``) runs ``basic-10k`` (scaled) once more per entry of
:data:`ABLATIONS`, each adding its scheduler flags, beside the run with every technique on (the
workloads' own ``basic-10k`` run when it is among them, else a run of its own).

Results: a table, and JSON at :attr:`SchedulerBenchConfig.json_path` (:mod:`.schedreport`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import uvloop
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from myriad.bench import loadprocess
from myriad.bench.apiserver_process import start_apiserver, stop_process
from myriad.bench.configs import check_server_cpu, config_json
from myriad.bench.httpclient import Connection, ConnectionClosed
from myriad.bench.nodesession import cpu_seconds
from myriad.bench.schedreport import print_report, throughput, write_json
from myriad.bench.schedworkloads import WORKLOADS, Workload, node, node_labels, verify
from myriad.bench.watchclient import WatchStream
from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import NAMESPACES, NODES, PODS, PRIORITYCLASSES, ClientOptions

#: Every workload, in the order run; all run by default (about 6 minutes on 2 cores, the large
#: one about 3 of them).
ALL_WORKLOADS = tuple(WORKLOADS)
DEFAULT_WORKLOADS = ALL_WORKLOADS
#: Each technique the ablation turns off: (name, the scheduler flags that turn it off).
ABLATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("partial scoring", ("--partial-scoring", "false")),
    ("vectorised filter and score", ("--vectorised", "false")),
    ("batching", ("--batching", "false")),
    ("free-capacity index", ("--capacity-index", "false")),
)
#: Ablations measured on another workload than :data:`ABLATION_WORKLOAD`: (name, flags, workload).
WORKLOAD_ABLATIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("affinity index", ("--affinity-index", "false"), "anti-affinity"),
)
ABLATION_WORKLOAD = "basic-10k"
#: Creates in flight at once (each on a connection of its own).
CONCURRENCY = 64
_READY = b"myriad scheduler: running as"


@dataclass(frozen=True, kw_only=True)
class SchedulerBenchConfig:
    workloads: tuple[str, ...] = DEFAULT_WORKLOADS
    server_cpu: int | None = 0
    scheduler_cpu: int = 1
    scale: float = 1.0
    ablation: bool = True
    stall: float = 30.0
    json_path: Path = Path("bench-scheduler.json")
    data_dir: Path | None = None

    def validate(self) -> None:
        unknown = set(self.workloads) - set(ALL_WORKLOADS)
        if unknown or not self.workloads:
            raise ValueError(f"--workloads takes a comma-separated subset of {','.join(ALL_WORKLOADS)}")
        if not 0 < self.scale <= 10:
            raise ValueError("--scale must be above 0 and at most 10")
        if self.stall <= 0:
            raise ValueError("--stall must be positive")
        check_server_cpu(self.server_cpu)
        if self.scheduler_cpu >= 0:
            check_server_cpu(self.scheduler_cpu)

    def to_json(self) -> dict[str, object]:
        return config_json(self)


def run(config: SchedulerBenchConfig, *, console: Console | None = None) -> int:
    console = console or Console()
    loadprocess.take_load_cpus(config.server_cpu)
    results: dict[str, Any] = {"workloads": {}}
    with tempfile.TemporaryDirectory(prefix="myriad-bench-scheduler-", dir=config.data_dir) as scratch:
        for key in config.workloads:
            workload = WORKLOADS[key].scaled(config.scale)
            results["workloads"][key] = run_workload(config, workload, Path(scratch) / key, console)
        if config.ablation:
            runs = []
            plan = [(name, args, ABLATION_WORKLOAD) for name, args in ABLATIONS] + list(WORKLOAD_ABLATIONS)
            for key in dict.fromkeys(workload for _, _, workload in plan):
                workload = WORKLOADS[key].scaled(config.scale)
                baseline = results["workloads"].get(key)
                if baseline is None:
                    baseline = run_workload(config, workload, Path(scratch) / f"ablation-{key}", console)
                runs.append({"name": "all on", "workload": workload.name, "args": [], **_ablation_figures(baseline)})
                for index, (name, args, _) in enumerate(p for p in plan if p[2] == key):
                    figures = run_workload(config, workload, Path(scratch) / f"ablation-{key}-{index}", console,
                                           args, label=f"without {name}")
                    runs.append({"name": f"without {name}", "workload": workload.name, "args": list(args),
                                 **_ablation_figures(figures)})
            results["ablation"] = {"workload": WORKLOADS[ABLATION_WORKLOAD].scaled(config.scale).name, "runs": runs}
    print_report(config, results, console)
    write_json(config, results)
    return 0


def _ablation_figures(figures: dict[str, Any]) -> dict[str, Any]:
    return {key: figures.get(key) for key in ("throughput", "overall_per_s", "all_bound", "measured_bound",
                                              "scheduler_cpu_us_per_pod", "cycle_us_per_attempt", "batched_share",
                                              "checks")}


def run_workload(config: SchedulerBenchConfig, workload: Workload, scratch: Path, console: Console,
                 scheduler_args: tuple[str, ...] = (), *, label: str = "") -> dict[str, Any]:
    """One workload on a fresh server and scheduler: its figures (see :mod:`.schedreport`)."""
    title = workload.name + (f" ({label})" if label else "")
    console.print(f"[bold]{title}[/]: {workload.nodes:,} nodes, {workload.init_pods:,} init pods, "
                  f"{workload.measured_pods:,} measured pods")
    server, url = start_apiserver(data_dir=scratch, cpu=config.server_cpu)
    try:
        with _progress(console) as progress:
            began = time.monotonic()
            uvloop.run(_setup(url, workload, progress))
            nodes_s = time.monotonic() - began
            port = free_port()
            with running_scheduler(url, scratch, None if config.scheduler_cpu < 0 else config.scheduler_cpu,
                                   (*scheduler_args, "--metrics-port", str(port))) as scheduler:
                figures = uvloop.run(_pods(url, workload, max(config.stall, workload.stall), scheduler, progress,
                                           f"http://127.0.0.1:{port}/metrics"))
                figures["scheduler_exit"] = scheduler.poll()
                if figures["scheduler_exit"] is not None:
                    figures["scheduler_log_tail"] = (scratch / "scheduler.log").read_text()[-2000:]
    finally:
        stop_process(server)
    figures = {"workload": workload.name, "nodes": workload.nodes, "init_pods": workload.init_pods,
               "measured_pods": workload.measured_pods, "scheduler_args": list(scheduler_args),
               "nodes_s": nodes_s, **figures}
    bound = "all bound" if figures["all_bound"] else "[red]not all bound[/]"
    average = figures["throughput"]["average"]
    console.print(f"  {figures['measured_bound']:,}/{workload.measured_pods:,} measured pods bound ({bound}) in "
                  f"{figures['bound_s']:,.1f} s; average "
                  f"{'-' if average is None else f'{average:,.0f}'} pods/s; scheduler "
                  f"{figures['scheduler_cpu_us_per_pod']:,.0f} µs CPU/pod; placements "
                  f"{'ok' if figures['checks']['passed'] else '[red]violated[/]'}")
    return figures


@contextmanager
def _progress(console: Console) -> Iterator[Progress]:
    progress = Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True)
    with progress:
        yield progress


@contextmanager
def running_scheduler(url: str, scratch: Path, cpu: int | None, args: tuple[str, ...] = (),
                      timeout: float = 120.0) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m myriad scheduler --server URL [args]`` pinned to ``cpu``, until the block exits;
    yields once it prints that it runs (its informers synced). Its output: ``scratch/scheduler.log``."""
    log_path = scratch / "scheduler.log"
    pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "myriad", "scheduler", "--server", url, *args],
                                   stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin)
    try:
        deadline = time.monotonic() + timeout
        while _READY not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"myriad scheduler did not start; its log {log_path}:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield process
    finally:
        stop_process(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scheduler_cycles(metrics_url: str) -> dict[str, float]:
    """From the scheduler's /metrics: attempts and their summed seconds, and cycles run in full
    and batched ({} if it cannot be read)."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=5) as answer:  # noqa: S310 (a local URL)
            text = answer.read().decode()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name.startswith("scheduler_scheduling_attempt_duration_seconds_sum"):
            out["attempt_seconds"] = out.get("attempt_seconds", 0.0) + float(value)
        elif name.startswith("scheduler_scheduling_attempt_duration_seconds_count"):
            out["attempts"] = out.get("attempts", 0.0) + float(value)
        elif name.startswith("myriad_scheduler_cycles_total{"):
            out["batched" if 'kind="batched"' in name else "full"] = float(value)
    return out


# -- driving the server --------------------------------------------------------------------------


def _client(url: str) -> Client:
    return Client(ClientOptions(endpoints=(url,), user_agent="myriad-bench-scheduler", max_idle_per_endpoint=16))


async def _setup(url: str, workload: Workload, progress: Progress) -> None:
    """The workload's namespaces and PriorityClasses, and its nodes (created concurrently)."""
    async with _client(url) as client:
        for name in {workload.init_namespace, workload.measured_namespace, *workload.extra_namespaces}:
            with contextlib.suppress(errors.AlreadyExists):
                await client.create(NAMESPACES, {"metadata": {"name": name}})
        for name, value in workload.priority_classes:
            with contextlib.suppress(errors.AlreadyExists):
                await client.create(PRIORITYCLASSES, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                      "metadata": {"name": name}, "value": value})
    task = progress.add_task("nodes", total=workload.nodes)

    def body(i: int) -> bytes:
        name = f"node-{i}"
        return orjson.dumps(node(name, node_labels(workload, i)))

    failures = await create_all(url, b"/api/v1/nodes", body, workload.nodes, lambda: progress.advance(task))
    progress.remove_task(task)
    if failures:
        raise RuntimeError(f"{failures} nodes could not be created")


async def create_all(url: str, path: bytes, body: Callable[[int], bytes], count: int,
                     done: Callable[[], None] | None = None, concurrency: int = CONCURRENCY) -> int:
    """POSTs ``body(i)`` for i < ``count`` with ``concurrency`` in flight, retrying 429s and 5xx
    answers and lost connections; returns how many failed for good (a 409 after a retry counts as
    created)."""
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    indices = iter(range(count))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        connection = await Connection.open(host, port)
        try:
            for i in indices:
                payload = body(i)
                for attempt in range(50):
                    try:
                        status, _ = await connection.request(b"POST", path, payload)
                    except ConnectionClosed:
                        connection = await Connection.open(host, port)
                        status = 0
                    if status < 300 and status != 0 or (status == 409 and attempt):
                        break
                    if status not in (0, 429) and status < 500:
                        failures += 1
                        break
                    await asyncio.sleep(min(1.0, 0.02 * (attempt + 1)))
                else:
                    failures += 1
                if done is not None:
                    done()
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return failures


class PodWatch:
    """Every pod's binding as a watch of all pods sees it: the first time a pod's ``spec.nodeName``
    is set it counts as bound (per namespace), and each pod deleted (or marked for deletion) is
    kept with its node and priority."""

    def __init__(self, url: str, measured_namespace: str) -> None:
        split = urlsplit(url)
        self._host, self._port = split.hostname or "127.0.0.1", split.port or 80
        self._measured = measured_namespace
        self.bound: set[str] = set()
        self.bound_in: dict[str, int] = {}
        self.measured_bound = 0
        self.last_bind = 0.0
        self.victims: dict[str, tuple[str, int]] = {}
        self.version = ""
        self.expired = False
        self._task: asyncio.Task[None] | None = None
        self._stream: WatchStream | None = None

    async def start(self, client: Client) -> None:
        await self._resync(client)
        self._task = asyncio.create_task(self._run(client))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._stream is not None:
            self._stream.close()

    async def _resync(self, client: Client) -> None:
        items, self.version = await client.list_all(PODS, page_size=5000)
        for pod in items:
            self._seen(pod, deleted=False)

    async def _run(self, client: Client) -> None:
        while True:
            self.expired = False
            path = f"/api/v1/pods?watch=1&allowWatchBookmarks=true&resourceVersion={self.version}"
            try:
                self._stream = await WatchStream.open(self._host, self._port, path, self._line)
                if await self._stream.ended != 200:
                    self.expired = True
            except ConnectionError:
                await asyncio.sleep(0.2)
            if self.expired:
                await self._resync(client)

    def _line(self, _stream: WatchStream, line: bytes) -> None:
        event = orjson.loads(line)
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            self.expired = True
            return
        self.version = (obj.get("metadata") or {}).get("resourceVersion") or self.version
        if kind != "BOOKMARK":
            self._seen(obj, deleted=kind == "DELETED")

    def _seen(self, pod: dict[str, Any], *, deleted: bool) -> None:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        namespace = meta.get("namespace", "")
        key = f"{namespace}/{meta.get('name')}"
        where = spec.get("nodeName")
        if where and key not in self.bound:
            self.bound.add(key)
            self.bound_in[namespace] = self.bound_in.get(namespace, 0) + 1
            if namespace == self._measured:
                self.measured_bound += 1
                self.last_bind = time.monotonic()
        if (deleted or meta.get("deletionTimestamp")) and key not in self.victims:
            self.victims[key] = (where or "", int(spec.get("priority") or 0))


class ThroughputCollector:
    """upstream's ``throughputCollector``: a sample each second of the measured namespace's binds."""

    def __init__(self, watch: PodWatch, interval: float = 1.0) -> None:
        self._watch = watch
        self._interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        first, skipped, last_count, last_time = True, 0, self._watch.measured_bound, time.monotonic()
        while True:
            await asyncio.sleep(self._interval)
            count, now = self._watch.measured_bound, time.monotonic()
            new = count - last_count
            if new == 0:
                skipped += 1
                continue
            if first:  # the first non-zero sample is most likely an outlier
                first, skipped, last_count, last_time = False, 0, count, now
                continue
            rate = new / (now - last_time)
            self.samples.extend([rate] * (skipped + 1))
            skipped, last_count, last_time = 0, count, now


async def _pods(url: str, workload: Workload, stall: float, scheduler: subprocess.Popen[bytes],
                progress: Progress, metrics_url: str) -> dict[str, Any]:
    """Init pods, then the measured ones (timed, sampled), then the placement checks."""
    template = workload.init_template()
    async with _client(url) as client:
        watch = PodWatch(url, workload.measured_namespace)
        await watch.start(client)
        try:
            init_began = time.monotonic()
            init_all = await _phase(url, workload.init_namespace, template, workload.init_pods, "init", watch,
                                    lambda: watch.bound_in.get(workload.init_namespace, 0), stall, scheduler, progress)
            init_s = time.monotonic() - init_began
            collector = ThroughputCollector(watch)
            cpu_before = cpu_seconds(scheduler.pid)
            cycles_before = await asyncio.to_thread(scheduler_cycles, metrics_url)
            collector.start()
            began = time.monotonic()
            created: dict[str, Any] = {}
            all_bound = await _phase(url, workload.measured_namespace, workload.measured_template(),
                                     workload.measured_pods, "measured", watch, lambda: watch.measured_bound, stall,
                                     scheduler, progress, created)
            await collector.stop()
            cpu = cpu_seconds(scheduler.pid) - cpu_before if scheduler.poll() is None else 0.0
            cycles = await asyncio.to_thread(scheduler_cycles, metrics_url)
            cycles = {k: v - cycles_before.get(k, 0.0) for k, v in cycles.items()}
            bound_s = (watch.last_bind or time.monotonic()) - began
            nodes, _ = await client.list_all(NODES, page_size=5000)
            pods, _ = await client.list_all(PODS, page_size=5000)
        finally:
            await watch.stop()
    checks = verify(nodes, pods, watch.victims)
    pending = sum(1 for p in pods if not (p.get("spec") or {}).get("nodeName"))
    measured = max(1, workload.measured_pods)
    return {"init_bound": watch.bound_in.get(workload.init_namespace, 0), "init_all_bound": init_all,
            "init_s": init_s, "measured_bound": watch.measured_bound, "all_bound": all_bound,
            "create_s": created.get("seconds", 0.0), "create_failures": created.get("failures", 0),
            "bound_s": bound_s, "overall_per_s": watch.measured_bound / bound_s if bound_s > 0 else None,
            "throughput": throughput(collector.samples), "scheduler_cpu_s": cpu,
            "scheduler_cpu_us_per_pod": cpu / measured * 1e6, "pending_pods": pending,
            "cycle_us_per_attempt": (cycles.get("attempt_seconds", 0.0) / cycles["attempts"] * 1e6
                                     if cycles.get("attempts") else None),
            "batched_share": (cycles.get("batched", 0.0) / (cycles.get("batched", 0.0) + cycles.get("full", 0.0))
                              if cycles.get("batched", 0.0) + cycles.get("full", 0.0) else None),
            "checks": checks.to_json()}


async def _phase(url: str, namespace: str, template: dict[str, Any], count: int, label: str, watch: PodWatch,
                 bound: Callable[[], int], stall: float, scheduler: subprocess.Popen[bytes], progress: Progress,
                 created: dict[str, Any] | None = None) -> bool:
    """Creates ``count`` pods from ``template`` in ``namespace`` and waits until ``bound()``
    reaches ``count``; False when binding stalled, timed out or the scheduler exited first."""
    if count == 0:
        return True
    template["metadata"]["name"] = "@NAME@"
    head, tail = orjson.dumps(template).split(b"@NAME@")
    creating = progress.add_task(f"{label} pods created", total=count)
    binding = progress.add_task(f"{label} pods bound", total=count)
    began = time.monotonic()
    finished: list[float] = []

    async def create() -> int:
        failures = await create_all(url, f"/api/v1/namespaces/{namespace}/pods".encode(),
                                    lambda i: b"%spod-%d%s" % (head, i, tail), count,
                                    lambda: progress.advance(creating))
        finished.append(time.monotonic())
        return failures

    creator = asyncio.create_task(create())
    timeout = 120 + count / 100
    last, last_change = -1, time.monotonic()
    try:
        while True:
            now, current = time.monotonic(), bound()
            progress.update(binding, completed=current)
            if current >= count:
                return True
            if current != last or not creator.done():
                last, last_change = current, now
            if now - last_change > stall or now - began > timeout or scheduler.poll() is not None:
                return False
            await asyncio.sleep(0.1)
    finally:
        failures = await creator
        if created is not None:
            created.update(seconds=finished[0] - began, failures=failures)
        progress.remove_task(creating)
        progress.remove_task(binding)
