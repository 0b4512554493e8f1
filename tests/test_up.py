"""``myriad up`` runs every component as its own supervised process: the API server first, the
others once it is ready; a status table and the kubeconfig export; restarts after a crash; an
ordered stop; the same cluster again on the same data dir."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

KUBECTL = str(Path(sys.executable).parent / "kubectl")


class Up:
    """A ``myriad up`` process whose output is read line by line."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.process = subprocess.Popen([sys.executable, "-m", "myriad", "up", "--port", "0", "--data-dir",
                                         str(data_dir), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        self.lines: list[str] = []

    def until(self, predicate, timeout: float = 90.0) -> str:  # type: ignore[no-untyped-def]
        """Reads lines until one satisfies ``predicate``; returns it."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if predicate(self.lines[-1]):
                return self.lines[-1]
        raise AssertionError("not seen; output:\n" + "\n".join(self.lines[-60:]))

    def pids(self) -> dict[str, int]:
        """Each component's pid, from the status table."""
        out = {}
        for line in self.lines:
            cells = [c.strip() for c in line.strip("│┃ ").split("│")]
            if len(cells) == 5 and cells[1].isdigit():
                out[cells[0]] = int(cells[1])
        return out

    def kubectl(self, *args: str) -> str:
        env = {**os.environ, "KUBECONFIG": str(self.data_dir / "kubeconfig")}
        done = subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def stop(self) -> float:
        """SIGTERM; seconds until it exited (0)."""
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0
        return time.monotonic() - began


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _until(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def test_up_runs_every_component_restarts_a_crashed_one_and_stops_them_all(tmp_path: Path) -> None:
    up = Up(tmp_path, "--nodes", "3")
    try:
        up.until(lambda line: line.startswith("export KUBECONFIG="))
        assert up.lines[-1] == f"export KUBECONFIG={(tmp_path / 'kubeconfig').resolve()}"
        pids = up.pids()
        assert sorted(pids) == ["apiserver", "controller-manager", "nodes", "scheduler"]
        state = json.loads((tmp_path / "up.json").read_text())  # for tools that measure a running cluster
        assert {name: c["pid"] for name, c in state["components"].items()} == pids
        assert state["kubeconfig"] == str((tmp_path / "kubeconfig").resolve())
        assert state["components"]["apiserver"]["metrics"].startswith("http://127.0.0.1:")
        assert all(line.split("│")[4].strip() == "yes" for line in up.lines if line.count("│") == 6), up.lines
        assert f"{'scheduler':>18} | myriad scheduler: running as" in "\n".join(up.lines)  # prefixed
        nodes = up.kubectl("get", "nodes", "--no-headers").splitlines()
        assert [(n.split()[0], n.split()[1]) for n in nodes] == [(f"hollow-{i}", "Ready") for i in range(3)]

        up.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3")
        _until(lambda: [p.split()[2] for p in up.kubectl("get", "pods", "--no-headers").splitlines()]
               == ["Running"] * 3)

        os.kill(pids["scheduler"], signal.SIGKILL)
        up.until(lambda line: line.startswith("myriad up: scheduler exited with code -9"))
        up.until(lambda line: "scheduler | myriad scheduler: running as" in line)
        restarted = json.loads((tmp_path / "up.json").read_text())["components"]["scheduler"]
        assert restarted["restarts"] == 1 and restarted["pid"] not in (None, pids["scheduler"])
        up.kubectl("scale", "deployment", "web", "--replicas=4")  # the new scheduler places the fourth
        _until(lambda: [p.split()[2] for p in up.kubectl("get", "pods", "--no-headers").splitlines()]
               == ["Running"] * 4)
    finally:
        seconds = up.stop()
    assert seconds < 15
    assert not any(_alive(pid) for name, pid in pids.items() if name != "scheduler")
    logs = {p.name: p.read_text() for p in (tmp_path / "logs").iterdir()}
    assert sorted(logs) == ["apiserver.log", "controller-manager.log", "nodes.log", "scheduler.log"]
    assert logs["scheduler.log"].count("myriad scheduler: running as") == 2  # both runs, unprefixed
    assert "API server on http://127.0.0.1:" in logs["apiserver.log"]


def test_a_second_up_on_the_same_data_dir_resumes_the_same_cluster(tmp_path: Path) -> None:
    up = Up(tmp_path, "--nodes", "2")
    try:
        up.until(lambda line: line.startswith("export KUBECONFIG="))
        up.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2")
        _until(lambda: [p.split()[2] for p in up.kubectl("get", "pods", "--no-headers").splitlines()]
               == ["Running"] * 2)
        before = json.loads(up.kubectl("get", "pods,nodes", "-o", "json"))
    finally:
        up.stop()
    again = Up(tmp_path, "--nodes", "2")
    try:
        again.until(lambda line: line.startswith("export KUBECONFIG="))
        after = json.loads(again.kubectl("get", "pods,nodes", "-o", "json"))
        assert sorted(o["metadata"]["uid"] for o in after["items"]) == \
            sorted(o["metadata"]["uid"] for o in before["items"])  # the same objects, none made again
        assert all(o["status"]["phase"] == "Running" for o in after["items"] if o["kind"] == "Pod")
    finally:
        again.stop()
    stops = [line for line in (tmp_path / "logs" / "nodes.log").read_text().splitlines() if line.startswith("stopped:")]
    assert [line.split("adopted ")[1].split(";")[0] for line in stops] == ["0", "2"]  # the pods were adopted


@pytest.mark.parametrize(("args", "message"), [
    (["--components", "apiserver,etcd"], "--components: unknown etcd"),
    (["--nodes", "-1"], "--nodes: must be 0 or more, got -1"),
    (["--storage", "etcd"], "--storage etcd: needs --etcd-endpoints or --start-etcd"),
    (["--start-etcd"], "--etcd-endpoints and --start-etcd: only with --storage etcd"),
    (["--components", "scheduler,nodes"], "--components without apiserver: needs --kubeconfig"),
])
def test_bad_flags_name_themselves_and_exit_non_zero(tmp_path: Path, args: list[str], message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "myriad", "up", "--data-dir", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"myriad up: {message}" in done.stderr


def test_up_with_start_etcd_keeps_the_cluster_in_a_local_etcd_it_stops_with_the_rest(tmp_path: Path) -> None:
    up = Up(tmp_path, "--nodes", "1", "--storage", "etcd", "--start-etcd")
    try:
        up.until(lambda line: line.startswith("export KUBECONFIG="))
        etcd = next(line for line in up.lines if line.startswith("myriad up: etcd on http://127.0.0.1:"))
        assert any("(etcd storage)" in line for line in up.lines)
        up.kubectl("create", "configmap", "kept", "--from-literal=a=b")
        assert json.loads(up.kubectl("get", "configmap", "kept", "-o", "json"))["data"] == {"a": "b"}
    finally:
        up.stop()
    port = int(etcd.split("127.0.0.1:")[1].split()[0])
    assert json.loads((tmp_path / "etcd" / "ports.json").read_text())["client"] == port  # kept for the next run
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # etcd stopped too
