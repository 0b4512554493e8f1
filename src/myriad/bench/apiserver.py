"""``myriad bench apiserver``: create, get, update, patch and list of pods against a real API server.

The bench starts ``myriad apiserver`` on embedded storage in a temp dir (or uses ``--url``), pinned
to one CPU by default, and drives it from this process on the other CPUs with the raw protocol
client of :mod:`myriad.bench.httpclient`. Phases run in order, each closed-loop over
``concurrency`` keep-alive connections (see :mod:`myriad.bench.apiload`):

``create``  POST ``pods`` new pods (the first 1,000 into the namespace the list phase reads);
``get``     GET of random pods;
``update``  PUT of each pod in turn, from the body the server last returned (no conflicts);
``update-plain``  the same PUT of pods whose ``managedFields`` were cleared first (``[]``), so
            the server tracks nothing for them: plain updates, run in alternating rounds with
            ``update`` so that the cost of tracking is a ratio measured side by side;
``patch``   merge patch of an annotation on random pods;
``apply``   server-side apply of a label (``fieldManager=bench-apply``) to random pods;
``list``    GET of the whole 1,000-pod namespace, ``list_concurrency`` at a time.

For each phase the table shows throughput, latency percentiles (HDR histograms) and the server's
CPU per request, from its ``process_cpu_seconds_total`` before and after the phase (summed over the
rounds of ``update`` and ``update-plain``; what tracking adds is judged by the median of the
rounds' ratios, which a burst of other load on the machine moves least). Results also go to the
JSON file at :attr:`ApiBenchConfig.json_path`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import uvloop
from rich.console import Console

from myriad.bench.apiload import LIST_SIZE, PhaseFigures, PodSet, Request, random_picker, run_phase
from myriad.bench.apireport import PhaseResult, print_report, write_json
from myriad.bench.apiserver_process import running_apiserver, server_cpu_seconds
from myriad.bench.configs import check_server_cpu, config_json
from myriad.bench.histogram import LatencyHistogram
from myriad.bench.httpclient import Connection


@dataclass(frozen=True, kw_only=True)
class ApiBenchConfig:
    #: An already running server to measure; None starts one.
    url: str | None = None
    #: The CPU a started server is pinned to; None leaves it unpinned.
    server_cpu: int | None = 0
    concurrency: int = 64
    pods: int = 20_000
    gets: int = 50_000
    updates: int = 10_000
    #: Updates of untracked pods (the last ``plain_updates`` pods), beside ``updates``; None: as many.
    plain_updates: int | None = None
    patches: int = 10_000
    applies: int = 10_000
    lists: int = 100
    list_concurrency: int = 4
    #: Namespace prefix, so runs against one server do not collide.
    namespace: str = "bench"
    json_path: Path = Path("bench-apiserver.json")
    #: Parent of the started server's temp data dir; None for the system temp dir.
    data_dir: Path | None = None

    def validate(self) -> None:
        counts = {"concurrency": self.concurrency, "list-concurrency": self.list_concurrency}
        for name, value in counts.items():
            if value < 1:
                raise ValueError(f"--{name} must be at least 1")
        for name, value in {"gets": self.gets, "updates": self.updates, "plain-updates": self.plain,
                            "patches": self.patches, "applies": self.applies, "lists": self.lists}.items():
            if value < 0:
                raise ValueError(f"--{name} must not be negative")
        if self.pods < LIST_SIZE:
            raise ValueError(f"--pods must be at least {LIST_SIZE} (the list phase reads a namespace of {LIST_SIZE})")
        if self.updates > self.pods:
            raise ValueError("--updates must not exceed --pods (each pod is updated at most once)")
        if self.updates + self.plain > self.pods:
            raise ValueError("--updates plus --plain-updates must not exceed --pods (plain updates go to other pods)")
        if self.url is None:
            check_server_cpu(self.server_cpu)

    @property
    def plain(self) -> int:
        return self.updates if self.plain_updates is None else self.plain_updates

    def to_json(self) -> dict[str, object]:
        return config_json(self)


def run(config: ApiBenchConfig, *, console: Console | None = None) -> int:
    """Runs every phase and reports; the exit status is 1 if any request failed."""
    console = console or Console()
    with _server(config) as url:
        if config.url is None and config.server_cpu is not None:
            others = os.sched_getaffinity(0) - {config.server_cpu}
            if others:
                os.sched_setaffinity(0, others)
        console.print(f"measuring {url}")
        results = uvloop.run(_measure(config, url, console))
    print_report(config, results, console)
    write_json(config, results)
    return 1 if any(result.figures.errors for result in results) else 0


#: Rounds ``update`` and ``update-plain`` alternate in.
UPDATE_ROUNDS = 8


@dataclass(kw_only=True)
class _Tally:
    """One phase run in rounds, summed."""
    op: str
    total: int
    start: int
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    count: int = 0
    errors: int = 0
    elapsed: float = 0.0
    first_error: str | None = None
    cpu_s: float | None = 0.0
    rounds_us: list[float | None] = field(default_factory=list)

    def add(self, figures: PhaseFigures, cpu_s: float | None) -> None:
        self.rounds_us.append(cpu_s / figures.count * 1e6 if cpu_s is not None and figures.count else None)
        self.count += figures.count
        self.errors += figures.errors
        self.elapsed += figures.elapsed
        self.first_error = self.first_error or figures.first_error
        self.cpu_s = None if cpu_s is None or self.cpu_s is None else self.cpu_s + cpu_s

    def result(self, concurrency: int) -> PhaseResult:
        figures = PhaseFigures(self.count, self.errors, self.elapsed, self.histogram.percentiles(), self.first_error)
        return PhaseResult(op=self.op, concurrency=concurrency, figures=figures, server_cpu_s=self.cpu_s,
                           rounds_us=tuple(self.rounds_us))


async def _updates(config: ApiBenchConfig, url: str, pods: PodSet, connections: list[Connection],
                   console: Console) -> list[PhaseResult]:
    """``update`` of the first pods and ``update-plain`` of the last (cleared first, unmeasured),
    alternating in :data:`UPDATE_ROUNDS` rounds so that both see the same machine."""
    def keep(index: int, body: bytes) -> None:
        pods.latest[index] = body

    plain_start = config.pods - config.plain
    if config.plain:
        console.print(f"  clearing managedFields of {config.plain:,} pods")
        cleared = await run_phase(connections, total=config.plain, build=pods.untrack, expect=200,
                                  pick=lambda n: plain_start + n, keep=keep)
        if cleared.errors:
            raise RuntimeError(f"clearing managedFields failed: {cleared.first_error}")
        if b'"managedFields"' in pods.latest[plain_start]:  # type: ignore[operator]
            raise RuntimeError("the server kept managedFields that a PUT set to []")
    tallies = [_Tally(op=op, total=total, start=start)
               for op, total, start in (("update", config.updates, 0),
                                        ("update-plain", config.plain, plain_start)) if total]
    for tally in tallies:
        console.print(f"  {tally.op}: {tally.total:,} requests over {len(connections)} connections, "
                      f"{UPDATE_ROUNDS} rounds")
    for round_ in range(UPDATE_ROUNDS):
        for tally in tallies:
            first = tally.start + tally.total * round_ // UPDATE_ROUNDS
            last = tally.start + tally.total * (round_ + 1) // UPDATE_ROUNDS
            if first == last:
                continue
            cpu_before = await asyncio.to_thread(server_cpu_seconds, url)
            figures = await run_phase(connections, total=last - first, build=pods.update, expect=200,
                                      pick=lambda n, base=first: base + n, keep=keep, histogram=tally.histogram)
            tally.add(figures, _difference(cpu_before, await asyncio.to_thread(server_cpu_seconds, url)))
    return [tally.result(len(connections)) for tally in tallies]


def _difference(before: float | None, after: float | None) -> float | None:
    return after - before if before is not None and after is not None else None


@contextmanager
def _server(config: ApiBenchConfig) -> Iterator[str]:
    if config.url is not None:
        yield config.url.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="myriad-bench-apiserver-", dir=config.data_dir) as scratch, \
            running_apiserver(data_dir=Path(scratch), cpu=config.server_cpu) as url:
        yield url


async def _measure(config: ApiBenchConfig, url: str, console: Console) -> list[PhaseResult]:
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    pods = PodSet(prefix=config.namespace, count=config.pods)
    connections = [await Connection.open(host, port) for _ in range(config.concurrency)]
    try:
        await _create_namespaces(connections[0], pods)
        listed: list[bytes] = []

        def keep(index: int, body: bytes) -> None:
            pods.latest[index] = body

        def keep_one_list(_index: int, body: bytes) -> None:
            if not listed:
                listed.append(body)

        tracked = config.pods - config.plain  # pods [tracked, pods) are updated untracked
        plans: list[tuple[str, int, Callable[[int], Request], int, Callable[[int], int] | None,
                          Callable[[int, bytes], None] | None, list[Connection]]] = [
            ("create", config.pods, pods.create, 201, None, keep, connections),
            ("get", config.gets, pods.get, 200, random_picker(config.pods), None, connections),
            ("patch", config.patches, pods.patch, 200, random_picker(tracked, seed=2), None, connections),
            ("apply", config.applies, pods.apply, 200, random_picker(tracked, seed=3), None, connections),
            ("list", config.lists, pods.list, 200, None, keep_one_list, connections[:config.list_concurrency]),
        ]
        results = []
        for name, total, build, expect, pick, kept, conns in plans:
            if name == "patch":
                results += await _updates(config, url, pods, connections, console)
            if total == 0:
                continue
            console.print(f"  {name}: {total:,} requests over {len(conns)} connections")
            cpu_before = await asyncio.to_thread(server_cpu_seconds, url)
            figures = await run_phase(conns, total=total, build=build, expect=expect, pick=pick, keep=kept)
            cpu_after = await asyncio.to_thread(server_cpu_seconds, url)
            results.append(PhaseResult(op=name, concurrency=len(conns), figures=figures,
                                       server_cpu_s=_difference(cpu_before, cpu_after)))
        if listed:
            items = len(orjson.loads(listed[0])["items"])
            if items != LIST_SIZE:
                raise RuntimeError(f"the list phase read {items} pods, expected {LIST_SIZE}")
        return results
    finally:
        for connection in connections:
            connection.close()


async def _create_namespaces(connection: Connection, pods: PodSet) -> None:
    for namespace in pods.namespaces:
        body = orjson.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        status, reply = await connection.request(b"POST", b"/api/v1/namespaces", body)
        if status not in (201, 409):
            raise RuntimeError(f"creating namespace {namespace}: {status} {reply[:300]!r}")
