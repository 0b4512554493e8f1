"""``myriad up``: every component as its own process, in order, supervised.

The API server starts first (after a local etcd with ``--start-etcd``); once ``/readyz``
answers, the scheduler, the controller manager and the hollow nodes start together, pointed at
the kubeconfig the API server wrote. When all report ready, a status table (component, pid,
port, ready) and ``export KUBECONFIG=…`` are printed. Each component's output reaches the
terminal prefixed with its name and is appended to ``<data-dir>/logs/<name>.log``. A component
that exits is started again with back-off, and the restart is reported. SIGINT or SIGTERM stops
them in the reverse order (the API server last, which makes every acknowledged write durable
before it exits). A second ``myriad up`` on the same data dir serves the same objects, and the
hollow nodes adopt the nodes and pods they left.

Concurrency: one event loop; a task per component (:class:`~myriad.up.supervisor.Child`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import uvloop
from rich.console import Console
from rich.table import Table

from myriad.storage.etcd.launcher import LocalEtcd, free_ports
from myriad.up import components
from myriad.up.serve import LISTENING
from myriad.up.supervisor import Backoff, Child
from myriad.up.types import COMPONENTS, UpOptions

#: What ``myriad up`` says of the running cluster, under the data dir (see :class:`_State`).
STATE_FILE = "up.json"
#: Seconds between ``/readyz`` probes while the API server starts.
PROBE_INTERVAL = 0.1


def run(options: UpOptions) -> int:
    """Runs the cluster until SIGINT/SIGTERM; 2 for bad options, 1 if it could not start."""
    problems = options.errors()
    if problems:
        for problem in problems:
            print(f"myriad up: {problem}", file=sys.stderr)
        return 2
    return uvloop.run(_up(options))


async def _up(options: UpOptions) -> int:
    options.data_dir.mkdir(parents=True, exist_ok=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    etcd = await _start_etcd(options) if options.start_etcd else None
    if etcd is not None:
        options = _with(options, etcd_endpoints=(etcd.endpoint,))
    children: list[Child] = []
    tasks: list[asyncio.Task[None]] = []
    width = max(len(name) for name in COMPONENTS)
    logs = options.data_dir / "logs"
    backoff = Backoff(initial=options.backoff_initial, cap=options.backoff_max, reset=options.backoff_reset)

    state = _State(options.data_dir / STATE_FILE, children)

    def child(spec: components.ComponentSpec, on_line=None) -> Child:  # type: ignore[no-untyped-def]
        made = Child(spec, log_dir=logs, width=width, backoff=backoff, stop_grace=options.stop_grace,
                     on_line=on_line, on_start=state.write)
        children.append(made)
        tasks.append(asyncio.create_task(made.run(), name=f"myriad-up-{spec.name}"))
        return made

    try:
        kubeconfig = options.kubeconfig
        if "apiserver" in options.components:
            urls: asyncio.Queue[str] = asyncio.Queue()
            api = child(components.apiserver(options, options.port),
                        on_line=lambda line: urls.put_nowait(line.split(LISTENING, 1)[1].split()[0])
                        if LISTENING in line else None)
            url = await _first(urls.get(), api, stopping, options.ready_timeout)
            if url is None or not await _until_ready(url, api, stopping, options.ready_timeout):
                return _gave_up(api, stopping)
            api.ready.set()
            if options.port == 0:  # keep the port it took, so that the kubeconfig stays true across restarts
                api.replace_spec(components.apiserver(options, int(url.rsplit(":", 1)[1])))
            kubeconfig = options.data_dir / "kubeconfig"
            state.api_url = url
        assert kubeconfig is not None
        state.kubeconfig = kubeconfig.resolve()
        others = [child(spec) for spec in components.clients(options, kubeconfig.resolve())]
        for other in others:
            if not await _ready(other, stopping, options.ready_timeout):
                if stopping.is_set():
                    return 0
                print(f"myriad up: {other.spec.name} is not ready (it exited, or took over "
                      f"{options.ready_timeout:g} s: see {other.log_path}); it stays supervised", flush=True)
        state.write()
        _print_status(children)
        print(f"export KUBECONFIG={kubeconfig.resolve()}", flush=True)
        await stopping.wait()
        return 0
    finally:
        for running in reversed(children):
            await running.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        if etcd is not None:
            await etcd.stop()


_T = TypeVar("_T")


class _State:
    """``<data-dir>/up.json``, rewritten whenever a component starts: the kubeconfig, and each
    component's pid, port and metrics URL, for tools such as ``myriad bench density`` that
    measure a running cluster."""

    def __init__(self, path: Path, children: list[Child]) -> None:
        self.path = path
        self.children = children
        self.kubeconfig: Path | None = None
        self.api_url = ""

    def write(self) -> None:
        out: dict[str, object] = {"kubeconfig": str(self.kubeconfig or ""), "components": {
            c.spec.name: {"pid": c.pid, "port": c.spec.port, "restarts": c.restarts,
                          "metrics": (f"{self.api_url}/metrics" if c.spec.name == "apiserver" else
                                      f"http://127.0.0.1:{c.spec.port}/metrics" if c.spec.port else "")}
            for c in self.children}}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(out, indent=1))
        temporary.replace(self.path)


async def _first(value: Awaitable[_T], child: Child, stopping: asyncio.Event, timeout: float) -> _T | None:
    """What ``value`` gives, or None if ``child`` failed first, ``stopping`` was set, or time ran out."""
    got = asyncio.ensure_future(value)
    waits = [got, asyncio.ensure_future(child.failed.wait()), asyncio.ensure_future(stopping.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        return got.result() if got.done() else None
    finally:
        for wait in waits:
            wait.cancel()


async def _until_ready(url: str, child: Child, stopping: asyncio.Event, timeout: float) -> bool:
    """Probes ``url/readyz`` until it answers 200."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (child.failed.is_set() or stopping.is_set()) and asyncio.get_running_loop().time() < deadline:
        if await asyncio.to_thread(_answers, url + "/readyz"):
            return True
        await asyncio.sleep(PROBE_INTERVAL)
    return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


async def _ready(child: Child, stopping: asyncio.Event, timeout: float) -> bool:
    await _first(child.ready.wait(), child, stopping, timeout)
    return child.ready.is_set()


def _gave_up(api: Child, stopping: asyncio.Event) -> int:
    if stopping.is_set():
        return 0
    print(f"myriad up: the API server did not become ready (see {api.log_path})", file=sys.stderr, flush=True)
    return 1


def _print_status(children: list[Child]) -> None:
    """The status table (the port is the API's, or the component's /metrics), and where the logs are."""
    table = Table(title="myriad up")
    for column in ("component", "pid", "port", "ready", "restarts"):
        table.add_column(column)
    for running in children:
        table.add_row(running.spec.name, str(running.pid or "-"), str(running.spec.port or "-"),
                      "yes" if running.ready.is_set() else "no", str(running.restarts))
    Console().print(table)
    if children:
        print(f"logs: {children[0].log_path.parent.resolve()}/<component>.log", flush=True)


async def _start_etcd(options: UpOptions) -> LocalEtcd:
    """A local etcd under ``data_dir/etcd``, on the ports it had the last time (kept in
    ``ports.json``) so that its member's stored peer URL stays true."""
    data_dir = options.data_dir / "etcd"
    data_dir.mkdir(parents=True, exist_ok=True)
    saved = data_dir / "ports.json"
    if saved.exists():
        ports = json.loads(saved.read_text())
    else:
        client, peer = free_ports(2)
        ports = {"client": client, "peer": peer}
    saved.write_text(json.dumps(ports))
    etcd = LocalEtcd(data_dir=data_dir / "member-data", client_port=ports["client"], peer_port=ports["peer"])
    await etcd.start()
    print(f"myriad up: etcd on {etcd.client_url} (data in {data_dir})", flush=True)
    return etcd


def _with(options: UpOptions, **changes: object) -> UpOptions:
    return dataclasses.replace(options, **changes)  # type: ignore[arg-type]

