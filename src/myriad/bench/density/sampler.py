"""Samples the cluster once a second while ``myriad bench density`` runs: each component's CPU
(cores over the last second) and RSS from ``/proc``, the machine's CPU, the API server's bytes
written to disk, the scheduler's pending pods and the controller manager's workqueue depth (from
their ``/metrics``). Components are read from ``myriad up``'s ``up.json`` at each sample, so a
restarted one is followed under its new pid.

Concurrency: :meth:`Sampler.run` is one task; scrapes run in a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Sampler:
    state_path: Path
    began: float
    interval: float = 1.0
    #: name → [[t, cores, rss_bytes], ...]
    components: dict[str, list[list[float]]] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    #: name → CPU seconds spent since sampling began (restarts included)
    cpu_s: dict[str, float] = field(default_factory=dict)
    machine: list[list[float]] = field(default_factory=list)
    scheduler_pending: list[list[float]] = field(default_factory=list)
    workqueue_depth: list[list[float]] = field(default_factory=list)
    #: [[t, requests a second the API server answered since the last reading], ...], every ``qps_every`` samples
    api_qps: list[list[float]] = field(default_factory=list)
    qps_every: int = 5
    written_bytes: float = 0.0
    #: name → (pid, when, its CPU seconds then)
    _last: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    _base_written: float | None = None
    _machine_last: tuple[int, int] | None = None
    _requests_last: tuple[float, float] | None = None
    _samples: int = 0

    async def run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self.interval)

    async def sample(self) -> None:
        now = time.monotonic()
        t = now - self.began
        state = _read_state(self.state_path)
        metrics: dict[str, str] = {}
        for name, component in state.items():
            pid = component.get("pid")
            if not isinstance(pid, int):
                continue
            cpu = _cpu_seconds(pid)
            if cpu is None:
                continue
            self.pids[name] = pid
            last = self._last.get(name)
            if last is not None and last[0] == pid:  # the same process: what it spent since
                spent, cores = cpu - last[2], (cpu - last[2]) / max(1e-6, now - last[1])
            else:  # started (again) since sampling began: all it spent is new; at the first sample, none
                spent, cores = (cpu if self.machine else 0.0), 0.0
            self.cpu_s[name] = self.cpu_s.get(name, 0.0) + spent
            self._last[name] = (pid, now, cpu)
            self.components.setdefault(name, []).append([round(t, 2), round(cores, 3), float(_rss(pid))])
            if component.get("metrics") and (name in ("scheduler", "controller-manager") or (
                    name == "apiserver" and self._samples % self.qps_every == 0)):
                metrics[name] = str(component["metrics"])
            if name == "apiserver":
                written = _written(pid)
                if self._base_written is None:
                    self._base_written = written
                self.written_bytes = max(self.written_bytes, written - self._base_written)
        self._sample_machine(t)
        if metrics:
            texts = await asyncio.to_thread(lambda: {n: _scrape(u) for n, u in metrics.items()})
            if "scheduler" in texts:
                self.scheduler_pending.append([round(t, 2), _sum_of(texts["scheduler"], "scheduler_pending_pods")])
            if "controller-manager" in texts:
                self.workqueue_depth.append([round(t, 2), _sum_of(texts["controller-manager"], "workqueue_depth")])
            if texts.get("apiserver"):
                total = _sum_of(texts["apiserver"], "apiserver_request_total")
                if self._requests_last is not None and now > self._requests_last[0]:
                    rate = max(0.0, total - self._requests_last[1]) / (now - self._requests_last[0])
                    self.api_qps.append([round(t, 2), round(rate, 1)])
                self._requests_last = (now, total)
        self._samples += 1

    def _sample_machine(self, t: float) -> None:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        busy, total = sum(fields) - fields[3] - fields[4], sum(fields)
        if self._machine_last is not None and total > self._machine_last[1]:
            share = (busy - self._machine_last[0]) / (total - self._machine_last[1])
            self.machine.append([round(t, 2), round(share * os.cpu_count(), 3)])  # type: ignore[operator]
        self._machine_last = (busy, total)


def _read_state(path: Path) -> dict[str, dict[str, object]]:
    try:
        return json.loads(path.read_text()).get("components") or {}
    except (OSError, ValueError):
        return {}


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _written(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


def _scrape(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode()
    except (urllib.error.URLError, OSError):
        return ""


def _sum_of(text: str, family: str) -> float:
    """The sum of a gauge family's samples in a Prometheus exposition."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(family) and (line[len(family)] in "{ "):
            total += float(line.rsplit(" ", 1)[1])
    return total
