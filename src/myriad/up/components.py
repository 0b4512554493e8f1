"""The command line of each component ``myriad up`` runs, and what says it is ready."""

from __future__ import annotations

from pathlib import Path

from myriad.storage.etcd.launcher import free_ports
from myriad.up.types import ComponentSpec, UpOptions

#: What a component prints once it is serving: the scheduler after its informers synced, the
#: controller manager once its controllers run, hollow nodes once every node is registered and
#: Ready (their line when not on a terminal; see :mod:`myriad.nodes.progress`).
READY_LINES = {"scheduler": "myriad scheduler: running as",
               "controller-manager": "myriad controller-manager: running",
               "nodes": "nodes registered and Ready"}
#: Hollow node names: ``hollow-0``, ``hollow-1``, ... (a second ``myriad up`` adopts them).
NODE_PREFIX = "hollow-"


def apiserver(options: UpOptions, port: int) -> ComponentSpec:
    """``myriad apiserver`` on ``port`` (0 for any: the port it takes is then kept for restarts,
    so the kubeconfig stays true)."""
    argv = ["apiserver", "--bind", options.bind, "--port", str(port), "--data-dir", str(options.data_dir),
            "--storage", options.storage]
    if options.etcd_endpoints:
        argv += ["--etcd-endpoints", ",".join(options.etcd_endpoints)]
    return ComponentSpec(name="apiserver", argv=tuple(argv), port=port or None)


def clients(options: UpOptions, kubeconfig: Path) -> list[ComponentSpec]:
    """The other components named in ``options``, in start order, each with a free port for
    its ``/metrics``."""
    names = [n for n in ("scheduler", "controller-manager", "nodes")
             if n in options.components and not (n == "nodes" and options.nodes == 0)]
    ports = iter(free_ports(len(names)))
    specs = []
    for name in names:
        port = next(ports)
        argv = [name, "--kubeconfig", str(kubeconfig), "--metrics-port", str(port)]
        if name == "nodes":
            argv += ["--count", str(options.nodes), "--prefix", NODE_PREFIX]
        specs.append(ComponentSpec(name=name, argv=tuple(argv), ready_line=READY_LINES[name], port=port))
    return specs
