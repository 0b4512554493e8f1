"""Runs real etcd processes on loopback for tests and benchmarks.

A :class:`LocalEtcd` is one member: it listens on ``127.0.0.1`` only (client and peer ports are
free ports picked at construction unless given), keeps its data in ``data_dir`` and writes its log
to ``data_dir/etcd.log``. Every member runs with fsync on, ``--max-request-bytes=2097152`` (so
values of :data:`~myriad.storage.interfaces.MAX_VALUE_BYTES` fit with room for the request
around them) and a 1 s watch progress-notification interval. :func:`start_cluster` boots several
members as one cluster.

Concurrency: a ``LocalEtcd`` belongs to the event loop that started it; its methods are not meant
to be called concurrently with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

#: Seconds ``start()`` waits for the member to report healthy.
START_TIMEOUT = 30.0
#: Seconds ``stop()`` waits after SIGTERM before it sends SIGKILL.
STOP_TIMEOUT = 10.0
LOG_TAIL_BYTES = 4000


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports that are free on 127.0.0.1 right now."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


class LocalEtcd:
    """One etcd member bound to 127.0.0.1. ``initial_cluster`` (``name=peer_url,...``) makes it
    part of a multi-member cluster; by default it is a cluster of one. ``extra_args`` are
    appended to the command line."""

    def __init__(
        self,
        *,
        data_dir: Path,
        name: str = "m0",
        client_port: int | None = None,
        peer_port: int | None = None,
        initial_cluster: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        binary = shutil.which("etcd")
        if binary is None:
            raise FileNotFoundError("etcd is not on PATH (install the etcd-server package: make etcd)")
        self._binary = binary
        self.data_dir = Path(data_dir)
        self.name = name
        picked = iter(free_ports(2))
        self.client_port = client_port if client_port is not None else next(picked)
        self.peer_port = peer_port if peer_port is not None else next(picked)
        self.initial_cluster = initial_cluster or f"{name}={self.peer_url}"
        self.extra_args = tuple(extra_args)
        self._process: asyncio.subprocess.Process | None = None

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:PORT`` of the client listener, as :class:`EtcdOptions` wants it."""
        return f"127.0.0.1:{self.client_port}"

    @property
    def client_url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "etcd.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def command(self) -> list[str]:
        token = "myriad-" + hashlib.sha256(self.initial_cluster.encode()).hexdigest()[:12]
        return [
            self._binary,
            f"--name={self.name}",
            f"--data-dir={self.data_dir}",
            f"--listen-client-urls={self.client_url}",
            f"--advertise-client-urls={self.client_url}",
            f"--listen-peer-urls={self.peer_url}",
            f"--initial-advertise-peer-urls={self.peer_url}",
            f"--initial-cluster={self.initial_cluster}",
            f"--initial-cluster-token={token}",
            "--initial-cluster-state=new",
            "--max-request-bytes=2097152",
            "--experimental-watch-progress-notify-interval=1s",
            "--logger=zap",
            "--log-outputs=stderr",
            *self.extra_args,
        ]

    async def start(self, *, timeout: float = START_TIMEOUT) -> None:
        """Starts the process and returns once it answers ``/health`` (which needs a leader, so
        the members of a cluster must be started concurrently). On failure the process is killed
        and the error carries the tail of etcd's log."""
        if self.running:
            raise RuntimeError(f"etcd {self.name} is already running")
        for port in (self.client_port, self.peer_port):
            # Otherwise the health check could be answered by whoever holds the port.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as etcd does
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError as error:
                    raise RuntimeError(f"etcd {self.name} cannot use 127.0.0.1:{port}: {error}") from error
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while not await self._healthy():
            if not self.running:
                await self._process.wait()
                raise RuntimeError(
                    f"etcd {self.name} exited with status {self._process.returncode} while starting; "
                    f"log tail:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                self.kill()
                await self._process.wait()
                raise TimeoutError(
                    f"etcd {self.name} not healthy on {self.endpoint} after {timeout:.0f}s; "
                    f"log tail:\n{self.log_tail()}"
                )
            await asyncio.sleep(0.05)

    async def _healthy(self) -> bool:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.client_port), timeout=1.0
            )
        except (OSError, TimeoutError):
            return False
        try:
            writer.write(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            reply = await asyncio.wait_for(reader.read(), timeout=5.0)
        except (OSError, TimeoutError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        return b'"health":"true"' in reply

    def log_tail(self) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(0, 2)
                log.seek(max(0, log.tell() - LOG_TAIL_BYTES))
                return log.read().decode(errors="replace")
        except OSError:
            return "(no log)"

    async def stop(self, *, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM, then waits for the process to exit (SIGKILL after ``timeout``). Idempotent;
        also reaps a member that was ``kill()``-ed."""
        if self._process is None:
            return
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), timeout)
            except TimeoutError:
                self._process.kill()
        await self._process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would; ``stop()`` or ``restart()`` afterwards reaps the process."""
        if self.running:
            assert self._process is not None
            self._process.kill()

    async def restart(self) -> None:
        """Stops the member (if running) and starts it again on the same ports and data."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> LocalEtcd:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def start_cluster(base_dir: Path, members: int = 3) -> list[LocalEtcd]:
    """Starts ``members`` etcd processes as one cluster, member ``mI`` in ``base_dir/mI``, and
    returns once every member is healthy. If any member fails to start, all are stopped."""
    ports = free_ports(2 * members)
    names = [f"m{i}" for i in range(members)]
    initial = ",".join(f"{name}=http://127.0.0.1:{ports[2 * i + 1]}" for i, name in enumerate(names))
    nodes = [
        LocalEtcd(
            data_dir=Path(base_dir) / name,
            name=name,
            client_port=ports[2 * i],
            peer_port=ports[2 * i + 1],
            initial_cluster=initial,
        )
        for i, name in enumerate(names)
    ]
    results = await asyncio.gather(*(node.start() for node in nodes), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        await asyncio.gather(*(node.stop() for node in nodes))
        raise failures[0]
    return nodes
