"""What ``myriad up`` runs: its options, and each component as a command line with a readiness
rule. Frozen dataclasses only; :mod:`.components` builds them, :mod:`.supervisor` runs them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Every component, in start order (stopped in the reverse order).
COMPONENTS = ("apiserver", "scheduler", "controller-manager", "nodes")


@dataclass(frozen=True, kw_only=True)
class UpOptions:
    nodes: int = 100
    storage: str = "embedded"
    etcd_endpoints: tuple[str, ...] = ()
    #: Launch a local etcd (under ``data_dir/etcd``) for ``storage="etcd"``.
    start_etcd: bool = False
    data_dir: Path = Path(".myriad")
    bind: str = "127.0.0.1"
    port: int = 8080
    components: tuple[str, ...] = COMPONENTS
    #: A running API server's kubeconfig, when ``components`` leaves the API server out.
    kubeconfig: Path | None = None
    #: Seconds the API server has to answer ``/readyz``, and the others to report ready.
    ready_timeout: float = 300.0
    #: Seconds a component has to exit after SIGTERM before it is killed.
    stop_grace: float = 10.0
    #: Restart back-off: the first delay, doubled after each restart up to the cap; a component
    #: that ran ``backoff_reset`` seconds starts again from the first delay.
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    backoff_reset: float = 60.0

    def errors(self) -> list[str]:
        """What is wrong with these options, each message naming its flag."""
        out = []
        unknown = [c for c in self.components if c not in COMPONENTS]
        if unknown:
            out.append(f"--components: unknown {', '.join(unknown)} (known: {','.join(COMPONENTS)})")
        if not self.components:
            out.append("--components: name at least one")
        if self.nodes < 0:
            out.append(f"--nodes: must be 0 or more, got {self.nodes}")
        if self.storage not in ("embedded", "etcd"):
            out.append(f"--storage: embedded or etcd, got {self.storage!r}")
        if self.storage == "etcd" and not (self.etcd_endpoints or self.start_etcd):
            out.append("--storage etcd: needs --etcd-endpoints or --start-etcd")
        if self.storage != "etcd" and (self.etcd_endpoints or self.start_etcd):
            out.append("--etcd-endpoints and --start-etcd: only with --storage etcd")
        if not 0 <= self.port <= 65535:
            out.append(f"--port: 0 to 65535, got {self.port}")
        if "apiserver" not in self.components and self.kubeconfig is None:
            out.append("--components without apiserver: needs --kubeconfig of a running one")
        return out


@dataclass(frozen=True, kw_only=True)
class ComponentSpec:
    """One component: ``argv`` after ``python -m myriad``. It is ready once ``ready_line`` appears
    in its output (a substring), or, for the API server, once ``/readyz`` answers."""

    name: str
    argv: tuple[str, ...]
    ready_line: str = ""
    #: The port it serves (the API, or /metrics), for the status table.
    port: int | None = None
