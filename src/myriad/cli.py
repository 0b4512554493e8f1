"""The ``myriad`` command: parses arguments and hands off to the module that does the work.

    myriad up [--nodes N] [--storage embedded|etcd] [--start-etcd] [--data-dir DIR] [--port N] [--components ...]
    myriad apiserver [--bind ADDR] [--port N] [--data-dir DIR] [--storage embedded|etcd] [--etcd-endpoints ...]
    myriad bench storage [--backend embedded,etcd] [--mode put|range|soak] [...]
    myriad bench apiserver [--url URL] [--server-cpu N] [--concurrency N] [--pods N] [...]
    myriad bench reads [--scenarios a,b,c,d] [...]
    myriad bench client [--scenarios informer,queue,balance,http] [...]
    myriad bench nodes [--scenarios a,b,c,d,e] [--nodes N] [--pods N] [...]
    myriad bench scheduler [--workloads basic-10k,...] [--scale X] [--ablation BOOL] [...]
    myriad bench controllers [--scenarios a,b,c,d] [--replicas N] [...]
    myriad bench memory [--scale X] [--pods N] [--nodes N] [...]
    myriad bench density [--preset ci|1k|10k | --config FILE] [--kubeconfig F] [--compare PREVIOUS_JSON] [...]
    myriad nodes --count N [--processes P] [--pod-watch per-node|shared] [--profiles FILE] [...]
    myriad scheduler [--kubeconfig F | --server URL,...] [--config FILE] [--leader-elect BOOL] [...]
    myriad controller namespace-counts [--kubeconfig FILE | --server URL] [--leader-elect]
    myriad controller-manager [--kubeconfig F | --server URL,...] [--controllers '*,-foo'] [--leader-elect BOOL] [...]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from myriad import __version__
from myriad.api import durations
from myriad.apiserver.cache.types import CacheOptions
from myriad.apiserver.flowcontrol.types import FlowControlOptions
from myriad.apiserver.options import ServerOptions
from myriad.bench import apiserver as apiserver_bench
from myriad.bench import client as client_bench
from myriad.bench import controllers as controllers_bench
from myriad.bench import memory as memory_bench
from myriad.bench import nodes as nodes_bench
from myriad.bench import reads as reads_bench
from myriad.bench import scheduler as scheduler_bench
from myriad.bench import storage
from myriad.bench.apiserver import ApiBenchConfig
from myriad.bench.backends import BACKENDS
from myriad.bench.client import ClientBenchConfig
from myriad.bench.controllers import ControllersBenchConfig
from myriad.bench.density import command as density_command
from myriad.bench.memory import MemoryBenchConfig
from myriad.bench.nodes import NodesBenchConfig
from myriad.bench.reads import ReadsBenchConfig
from myriad.bench.scheduler import ALL_WORKLOADS, SchedulerBenchConfig
from myriad.bench.storage import MODES, BenchConfig
from myriad.controllers import command as manager_command
from myriad.controllers import registry as controller_registry
from myriad.controllers import run as controllers_run
from myriad.controllers.types import ControllerSettings
from myriad.nodes import command as nodes_command
from myriad.nodes.profiles import Profiles
from myriad.nodes.profiles import load as load_profiles
from myriad.nodes.types import NodesOptions
from myriad.scheduler import command as scheduler_command
from myriad.up.types import COMPONENTS, UpOptions

_DEFAULT = " (default: %(default)s)"


def _boolean(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "up":
        from myriad.up.command import run as run_up  # the supervisor's imports, only for it
        return run_up(UpOptions(nodes=args.nodes, storage=args.storage, etcd_endpoints=args.etcd_endpoints,
                                   start_etcd=args.start_etcd, data_dir=args.data_dir, bind=args.bind, port=args.port,
                                   components=args.components, kubeconfig=args.kubeconfig))
    if args.command == "apiserver":
        if args.storage == "etcd" and not args.etcd_endpoints:
            args.command_parser.error("--storage etcd needs --etcd-endpoints")
        from myriad.up.serve import run_apiserver
        return run_apiserver(ServerOptions(bind=args.bind, port=args.port, data_dir=args.data_dir,
                                              storage=args.storage, etcd_endpoints=args.etcd_endpoints,
                                              compaction_retention=args.compaction_retention,
                                              watch_cache=args.watch_cache,
                                              cache=CacheOptions(window_seconds=args.watch_cache_window,
                                                                 watcher_buffer=args.watcher_buffer),
                                              flow=FlowControlOptions(max_readonly=args.max_requests_inflight,
                                                                      max_mutating=args.max_mutating_requests_inflight,
                                                                      max_watches=args.max_watches)))
    if args.command == "controller":
        return controllers_run.main(args)
    if args.command == "controller-manager":
        return manager_command.main(manager_command.ManagerRunOptions(
            servers=tuple(args.server), kubeconfig=args.kubeconfig, controllers=args.controllers,
            workers={r.flag: getattr(args, f"concurrent_{r.flag.replace('-', '_')}_syncs")
                     for r in controller_registry.KNOWN.values()},
            leader_elect=args.leader_elect, identity=args.identity, qps=args.kube_api_qps, burst=args.kube_api_burst,
            metrics_port=args.metrics_port, settings=ControllerSettings(
                node_monitor_period=args.node_monitor_period, node_monitor_grace_period=args.node_monitor_grace_period,
                node_eviction_rate=args.node_eviction_rate,
                secondary_node_eviction_rate=args.secondary_node_eviction_rate,
                unhealthy_zone_threshold=args.unhealthy_zone_threshold,
                large_cluster_size_threshold=args.large_cluster_size_threshold, cluster_cidr=args.cluster_cidr,
                node_cidr_mask_size=args.node_cidr_mask_size,
                terminated_pod_gc_threshold=args.terminated_pod_gc_threshold)))
    if args.command == "scheduler":
        if not 0 <= args.percentage_of_nodes_to_score <= 100:
            args.command_parser.error("percentage-of-nodes-to-score: must be between 0 and 100")
        return scheduler_command.main(scheduler_command.SchedulerRunOptions(
            servers=tuple(args.server), kubeconfig=args.kubeconfig, config=args.config,
            leader_elect=args.leader_elect, identity=args.identity, metrics_port=args.metrics_port,
            percentage_of_nodes_to_score=args.percentage_of_nodes_to_score, partial_scoring=args.partial_scoring,
            batching=args.batching, capacity_index=args.capacity_index, affinity_index=args.affinity_index,
            vectorised=args.vectorised))
    if args.command == "nodes":
        try:
            profiles = load_profiles(args.profiles) if args.profiles else Profiles()
            nodes_options = NodesOptions(count=args.count, prefix=args.prefix, first=args.first, zones=args.zones,
                                         images=args.images, concurrency=args.concurrency, heartbeat=args.heartbeat,
                                         pod_watch=args.pod_watch, config_strategy=args.config_strategy,
                                         config_ttl=args.config_ttl, event_qps=args.event_qps, profiles=profiles)
            nodes_options.validate()
        except ValueError as exc:
            args.command_parser.error(str(exc))
        if args.processes < 1:
            args.command_parser.error("processes: must be at least 1")
        return nodes_command.main(nodes_options, nodes_command.RunOptions(
            servers=tuple(args.server), kubeconfig=args.kubeconfig, processes=args.processes,
            metrics_port=args.metrics_port, worker=args.worker, worker_args=tuple(_worker_args(args))))
    if args.target == "client":
        client_config = _fields_config(ClientBenchConfig, _CLIENT_HELP, args)
        _validate(client_config, args)
        return client_bench.run(client_config)
    if args.target == "nodes":
        nodes_bench_config = _fields_config(NodesBenchConfig, _NODES_HELP, args)
        _validate(nodes_bench_config, args)
        return nodes_bench.run(nodes_bench_config)
    if args.target == "memory":
        memory_bench_config = _fields_config(MemoryBenchConfig, _MEMORY_HELP, args)
        _validate(memory_bench_config, args)
        return memory_bench.run(memory_bench_config)
    if args.target == "controllers":
        controllers_bench_config = _fields_config(ControllersBenchConfig, _CONTROLLERS_HELP, args)
        _validate(controllers_bench_config, args)
        return controllers_bench.run(controllers_bench_config)
    if args.target == "density":
        return density_command.main(args)
    if args.target == "scheduler":
        scheduler_bench_config = _fields_config(SchedulerBenchConfig, _SCHEDULER_HELP, args)
        _validate(scheduler_bench_config, args)
        return scheduler_bench.run(scheduler_bench_config)
    if args.target == "reads":
        reads_config = _reads_config(args)
        _validate(reads_config, args)
        return reads_bench.run(reads_config)
    if args.target == "apiserver":
        api_config = _api_bench_config(args)
        _validate(api_config, args)
        return apiserver_bench.run(api_config)
    config = _bench_config(args)
    _validate(config, args)
    return storage.run(config)


def _validate(config: ApiBenchConfig | BenchConfig | ReadsBenchConfig | ClientBenchConfig | NodesBenchConfig
              | SchedulerBenchConfig | ControllersBenchConfig | MemoryBenchConfig, args: argparse.Namespace) -> None:
    try:
        config.validate()
    except ValueError as exc:
        args.command_parser.error(str(exc))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="myriad", description="A Kubernetes-compatible control plane.")
    parser.add_argument("--version", action="version", version=f"myriad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up_command = commands.add_parser("up", help="run the whole cluster: API server, scheduler, controller manager "
                                                 "and hollow nodes, each a supervised process")
    up_command.add_argument("--nodes", type=int, default=UpOptions.nodes, metavar="N",
                            help=f"hollow nodes to run (0: none){_DEFAULT}")
    up_command.add_argument("--storage", choices=("embedded", "etcd"), default="embedded", help=f"backend{_DEFAULT}")
    up_command.add_argument("--etcd-endpoints", type=_names, default=(), metavar="HOST:PORT,...",
                            help="etcd members, with --storage etcd")
    up_command.add_argument("--start-etcd", action="store_true",
                            help="with --storage etcd: run a local etcd, its data under the data dir")
    up_command.add_argument("--data-dir", type=Path, default=Path(".myriad"),
                            help=f"the store, the kubeconfig written for clients and each component's log{_DEFAULT}")
    up_command.add_argument("--bind", default="127.0.0.1", help=f"address the API server listens on{_DEFAULT}")
    up_command.add_argument("--port", type=int, default=8080,
                            help=f"the API server's port, 0 for any free one{_DEFAULT}")
    up_command.add_argument("--components", type=_names, default=COMPONENTS, metavar="NAME,...",
                            help=f"which to run, of {','.join(COMPONENTS)} (default: all)")
    up_command.add_argument("--kubeconfig", type=Path, default=None,
                            help="a running API server's kubeconfig, when --components leaves out apiserver")

    api = commands.add_parser("apiserver", help="serve the Kubernetes API")
    api.set_defaults(command_parser=api)
    api.add_argument("--bind", default="127.0.0.1", help=f"address to listen on{_DEFAULT}")
    api.add_argument("--port", type=int, default=8080, help=f"port to listen on, 0 for any free one{_DEFAULT}")
    api.add_argument("--data-dir", type=Path, default=Path(".myriad"),
                     help=f"holds the embedded store and the kubeconfig written for clients{_DEFAULT}")
    api.add_argument("--storage", choices=("embedded", "etcd"), default="embedded", help=f"backend{_DEFAULT}")
    api.add_argument("--etcd-endpoints", type=_names, default=(), metavar="HOST:PORT,...",
                     help="etcd members, with --storage etcd")
    api.add_argument("--compaction-retention", type=float, default=ServerOptions.compaction_retention,
                     metavar="SECONDS", help=f"history kept before compaction (either storage){_DEFAULT}")
    api.add_argument("--watch-cache", type=_boolean, default=True, metavar="BOOL",
                     help="serve lists and watches from watch caches; false reads storage (default: true)")
    api.add_argument("--watch-cache-window", type=float, default=CacheOptions.window_seconds, metavar="SECONDS",
                     help=f"how far back watches can resume from the watch cache{_DEFAULT}")
    api.add_argument("--max-requests-inflight", type=int, default=FlowControlOptions.max_readonly, metavar="N",
                     help=f"read-only seats; with the mutating ones, shared out among priority levels{_DEFAULT}")
    api.add_argument("--max-mutating-requests-inflight", type=int, default=FlowControlOptions.max_mutating,
                     metavar="N", help=f"mutating seats (see --max-requests-inflight){_DEFAULT}")
    api.add_argument("--max-watches", type=int, default=FlowControlOptions.max_watches, metavar="N",
                     help=f"watches open at once; more get 429{_DEFAULT}")
    api.add_argument("--watcher-buffer", type=int, default=CacheOptions.watcher_buffer, metavar="EVENTS",
                     help=f"events a watcher may hold unsent before its watch is ended{_DEFAULT}")

    bench = commands.add_parser("bench", help="benchmarks")
    targets = bench.add_subparsers(dest="target", required=True, metavar="TARGET")
    bench_storage = targets.add_parser("storage", help="storage backends side by side under random puts")
    bench_storage.set_defaults(command_parser=bench_storage)
    add = bench_storage.add_argument
    defaults = BenchConfig()
    add("--backend", type=_names, default=",".join(defaults.backends), metavar="NAMES",
        help=f"comma-separated, run in turn, of: {', '.join(BACKENDS)}{_DEFAULT}")
    add("--mode", choices=MODES, default=defaults.mode,
        help=f"put: --puts puts; range: range reads beside puts; soak: puts for --duration{_DEFAULT}")
    add("--clients", type=int, default=defaults.clients, help=f"concurrent clients{_DEFAULT}")
    add("--value-size", type=int, default=defaults.value_size, help=f"bytes per value{_DEFAULT}")
    add("--keys", type=int, default=defaults.keys, help=f"distinct keys to put to{_DEFAULT}")
    add("--puts", type=int, default=defaults.puts, help=f"puts in total, modes put and range{_DEFAULT}")
    add("--rate", type=float, default=defaults.rate,
        help=f"target puts/s over all clients, 0 for as fast as possible{_DEFAULT}")
    add("--range-keys", type=int, default=defaults.range_keys, help=f"keys per read, mode range{_DEFAULT}")
    add("--duration", type=float, default=defaults.duration, help=f"seconds, mode soak{_DEFAULT}")
    add("--sample-interval", type=float, default=defaults.sample_interval,
        help=f"seconds between samples, mode soak{_DEFAULT}")
    add("--retention", type=float, default=defaults.retention, help=f"seconds of history kept{_DEFAULT}")
    add("--etcd-endpoints", type=_names, default="", metavar="HOST:PORT,...",
        help="an existing etcd to use instead of starting one")
    add("--json", type=Path, default=defaults.json_path, help=f"results file{_DEFAULT}")
    add("--data-dir", type=Path, default=None, help="parent of the temp data dirs (default: system temp dir)")

    bench_api = targets.add_parser("apiserver", help="pod create/get/update/patch/list against an API server")
    bench_api.set_defaults(command_parser=bench_api)
    add = bench_api.add_argument
    api_defaults = ApiBenchConfig()
    add("--url", default=None, help="measure this running server instead of starting one")
    add("--server-cpu", type=int, default=api_defaults.server_cpu,
        help=f"CPU the started server is pinned to, -1 for none{_DEFAULT}")
    add("--concurrency", type=int, default=api_defaults.concurrency, help=f"connections{_DEFAULT}")
    add("--pods", type=int, default=api_defaults.pods, help=f"pods created{_DEFAULT}")
    add("--gets", type=int, default=api_defaults.gets, help=f"gets of random pods{_DEFAULT}")
    add("--updates", type=int, default=api_defaults.updates, help=f"PUTs, at most one per pod{_DEFAULT}")
    add("--plain-updates", type=int, default=None,
        help="PUTs of other pods whose managedFields were cleared, beside --updates (default: as many)")
    add("--patches", type=int, default=api_defaults.patches, help=f"merge patches of random pods{_DEFAULT}")
    add("--applies", type=int, default=api_defaults.applies, help=f"server-side applies to random pods{_DEFAULT}")
    add("--lists", type=int, default=api_defaults.lists, help=f"lists of the 1,000-pod namespace{_DEFAULT}")
    add("--list-concurrency", type=int, default=api_defaults.list_concurrency,
        help=f"connections listing{_DEFAULT}")
    add("--namespace", default=api_defaults.namespace, help=f"namespace prefix{_DEFAULT}")
    add("--json", type=Path, default=api_defaults.json_path, help=f"results file{_DEFAULT}")
    add("--data-dir", type=Path, default=None, help="parent of the server's temp data dir (default: system temp)")
    _add_reads_bench(targets)
    _add_fields(targets.add_parser("client", help="informers, priority queue, load balancing, REST client"),
                ClientBenchConfig(), _CLIENT_HELP)
    _add_fields(targets.add_parser("nodes", help="hollow nodes: registration, heartbeats, pod churn, watch modes"),
                NodesBenchConfig(), _NODES_HELP)
    _add_fields(targets.add_parser("controllers", help="the controller manager: fan-out, garbage collection, node "
                                   "failure, failover"), ControllersBenchConfig(), _CONTROLLERS_HELP)
    _add_fields(targets.add_parser("memory", help="a million objects in one API server: RSS, files, restart"),
                MemoryBenchConfig(), _MEMORY_HELP)
    _add_fields(targets.add_parser("scheduler", help="scheduler_perf's workloads: pods bound per second, the "
                                   "scheduler's CPU per pod, placements checked, an ablation"),
                SchedulerBenchConfig(), _SCHEDULER_HELP)
    density_command.add_parser(targets)
    controller = commands.add_parser("controller", help="run a controller")
    controller.set_defaults(command_parser=controller)
    controller.add_argument("name", choices=("namespace-counts",), help="which controller")
    controller.add_argument("--kubeconfig", default=None, help="kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    controller.add_argument("--server", default=None, help="API server URL(s), comma-separated; overrides kubeconfig")
    controller.add_argument("--namespace", default="kube-system", help=f"where its ConfigMap lives{_DEFAULT}")
    controller.add_argument("--leader-elect", type=_boolean, default=False, metavar="BOOL",
                            help="contend for a Lease before acting (default: false)")
    controller.add_argument("--identity", default=None, help="leader election identity (default: host-pid)")
    controller.add_argument("--metrics-port", type=int, default=None, metavar="N",
                            help="serve Prometheus /metrics on 127.0.0.1:N (default: off)")
    _add_controller_manager(commands)
    sched = commands.add_parser("scheduler", help="run the scheduler: binds pending pods to nodes")
    sched.set_defaults(command_parser=sched)
    sched.add_argument("--kubeconfig", default=None, help="kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    sched.add_argument("--server", type=_names, default=(), metavar="URL,...",
                       help="API server URL(s), comma-separated; overrides kubeconfig")
    sched.add_argument("--config", default=None, metavar="FILE",
                       help="a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1, YAML or JSON): profiles, "
                            "plugins, weights, pluginConfig, percentageOfNodesToScore, leaderElection")
    sched.add_argument("--leader-elect", type=_boolean, default=None, metavar="BOOL",
                       help="contend for the Lease (kube-system/kube-scheduler); informers stay synced while "
                            "standing by (default: the config file's leaderElection, else false)")
    sched.add_argument("--identity", default=None, help="leader election identity (default: host-pid)")
    sched.add_argument("--metrics-port", type=int, default=None, metavar="N",
                       help="serve Prometheus /metrics on 127.0.0.1:N (default: off)")
    sched.add_argument("--percentage-of-nodes-to-score", type=int, default=0, metavar="P",
                       help="feasible nodes to find before scoring, in percent; 0 is upstream's adaptive "
                            f"max(5, 50 - nodes/125){_DEFAULT}")
    sched.add_argument("--partial-scoring", type=_boolean, default=True, metavar="BOOL",
                       help="false filters and scores every node (an ablation) (default: true)")
    sched.add_argument("--batching", type=_boolean, default=True, metavar="BOOL",
                       help="false runs a full cycle for every pod, equivalent or not (an ablation) (default: true)")
    sched.add_argument("--capacity-index", type=_boolean, default=True, metavar="BOOL",
                       help="false filters nodes without the free capacity too (an ablation) (default: true)")
    sched.add_argument("--vectorised", type=_boolean, default=True, metavar="BOOL",
                       help="false calls each filter and score plugin once per node, not once over every "
                            "candidate (an ablation) (default: true)")
    sched.add_argument("--affinity-index", type=_boolean, default=True, metavar="BOOL",
                       help="false makes pod affinity and spread look at every placed pod, not only those their "
                            "selectors index to (an ablation) (default: true)")
    nodes = commands.add_parser("nodes", help="run hollow nodes: simulated kubelets against an API server")
    nodes.set_defaults(command_parser=nodes)
    nodes.add_argument("--count", type=int, required=True, metavar="N", help="nodes to run")
    nodes.add_argument("--prefix", default=NodesOptions.prefix, help=f"node names are PREFIX0, PREFIX1, ...{_DEFAULT}")
    nodes.add_argument("--first", type=int, default=0, metavar="I", help=f"index of the first node{_DEFAULT}")
    nodes.add_argument("--kubeconfig", default=None, help="kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    nodes.add_argument("--server", type=_names, default=(), metavar="URL,...",
                       help="API server URL(s), comma-separated; overrides kubeconfig")
    nodes.add_argument("--zones", type=int, default=NodesOptions.zones, metavar="N",
                       help=f"zones the nodes are spread over{_DEFAULT}")
    nodes.add_argument("--images", type=int, default=NodesOptions.images, metavar="K",
                       help="container images listed in each node's status; 50, the kubelet's own cap, makes "
                            f"~11 KB Nodes{_DEFAULT}")
    nodes.add_argument("--concurrency", type=int, default=NodesOptions.concurrency, metavar="N",
                       help=f"requests in flight at once{_DEFAULT}")
    nodes.add_argument("--heartbeat", choices=("lease", "legacy"), default=NodesOptions.heartbeat,
                       help="lease: Leases every 10 s and status every 5 min (KEP-589); legacy: status every 10 s, "
                            "no Lease (default: lease)")
    nodes.add_argument("--pod-watch", choices=("per-node", "shared"), default=NodesOptions.pod_watch,
                       help="per-node: a spec.nodeName watch per node, as kubelets; shared: one watch per process, "
                            "filtered locally, as KWOK (default: per-node)")
    nodes.add_argument("--profiles", default=None, metavar="FILE",
                       help="pod profiles (YAML): startup latency, exits, crash loops, readiness, image pulls")
    nodes.add_argument("--config-strategy", choices=("namespace", "watch", "get", "ttl"),
                       default=NodesOptions.config_strategy,
                       help="how pods' ConfigMaps and Secrets are read: a watch per namespace and kind, a watch "
                            "each, a GET each time, or a GET when the cached copy is older than --config-ttl "
                            "(default: namespace)")
    nodes.add_argument("--config-ttl", type=float, default=NodesOptions.config_ttl, metavar="SECONDS",
                       help=f"the ttl strategy's cache lifetime{_DEFAULT}")
    nodes.add_argument("--event-qps", type=float, default=NodesOptions.event_qps, metavar="N",
                       help=f"event writes a second for the whole process{_DEFAULT}")
    nodes.add_argument("--processes", type=int, default=1, metavar="P",
                       help="split the nodes over P worker processes under one supervisor, each restarted if it "
                            "dies (default: 1, no supervisor)")
    nodes.add_argument("--metrics-port", type=int, default=None, metavar="N",
                       help="serve Prometheus /metrics on 127.0.0.1:N (default: off)")
    nodes.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser


def _worker_args(args: argparse.Namespace) -> list[str]:
    """The ``myriad nodes`` flags a supervisor passes on to each worker (all but the shard)."""
    out = ["--prefix", args.prefix, "--zones", str(args.zones), "--images", str(args.images),
           "--concurrency", str(args.concurrency), "--heartbeat", args.heartbeat, "--pod-watch", args.pod_watch,
           "--config-strategy", args.config_strategy, "--config-ttl", str(args.config_ttl),
           "--event-qps", str(args.event_qps / max(1, args.processes))]
    if args.profiles:
        out += ["--profiles", args.profiles]
    if args.server:
        out += ["--server", ",".join(args.server)]
    elif args.kubeconfig:
        out += ["--kubeconfig", args.kubeconfig]
    return out


_NODES_HELP = {
    "scenarios": "comma-separated subset of a,b,c,d,e", "server_cpu": "CPU the servers are pinned to, -1 for none",
    "nodes_cpu": "CPU the nodes process is pinned to, -1 for none", "nodes": "hollow nodes",
    "images": "images in each node's status (50: the kubelet's cap, ~11 KB Nodes)",
    "warmup": "(b, c, e) seconds after Ready before measuring", "steady": "(b, c) seconds measured",
    "pods": "(d) pods churned", "pod_rate": "(d, e) pods created and bound per second",
    "watch_pods": "(e) pods churned in each watch mode", "json_path": "results file",
    "data_dir": "parent of the servers' temp data dirs (default: system temp)",
}


_MEMORY_HELP = {
    "scale": "multiplies every count (0.01 for a quick look)", "pods": "pods, with the kubelet's status",
    "nodes": "Nodes, and as many Leases", "images": "images in each Node's status (50: ~12 KB Nodes)",
    "deployments": "Deployments, and as many ReplicaSets", "services": "Services, and an EndpointSlice each",
    "small": "ConfigMaps, Secrets and Events, a third each", "connections": "connections the load uses",
    "server_cpu": "CPU the server is pinned to, -1 for none",
    "restart_timeout": "seconds the restarted server may take to be ready",
    "components": "measure hollow nodes, the scheduler and the controller manager over the loaded cluster",
    "component_timeout": "seconds a component may take to settle", "json_path": "results file",
    "data_dir": "parent of the server's temp data dir (default: system temp)",
}


_CONTROLLERS_HELP = {
    "scenarios": "comma-separated subset of a,b,c,d", "server_cpu": "CPU the servers are pinned to, -1 for none",
    "manager_cpu": "CPU the controller managers are pinned to, -1 for none",
    "raw_pods": "(a) pods created directly, the yardstick", "replicas": "(a) replicas of the one big Deployment",
    "deployments": "(a) Deployments of the many", "per_deployment": "(a) replicas of each of the many",
    "gc_deployments": "(b) Deployments in the deleted namespace", "gc_pods": "(b) pods in it, in all",
    "nodes": "(c) Nodes heartbeating", "failing": "(c) Nodes that stop", "zones": "(c) zones they are spread over",
    "grace": "(c) the managers' --node-monitor-grace-period, seconds",
    "eviction_rate": "(c) the managers' --node-eviction-rate", "window": "(c) seconds NoExecute taints are counted",
    "timeout": "seconds any one wait may take", "json_path": "results file",
    "data_dir": "parent of the servers' temp data dirs (default: system temp)",
}


_SCHEDULER_HELP = {
    "workloads": f"comma-separated subset of {','.join(ALL_WORKLOADS)}; the default, all of them, takes about "
                 "6 minutes on 2 cores with the ablation (large alone about 3)",
    "server_cpu": "CPU the servers are pinned to, -1 for none",
    "scheduler_cpu": "CPU the scheduler is pinned to, -1 for none",
    "scale": "multiplies every workload's node and pod counts",
    "ablation": "also run basic-10k with each technique turned off in turn",
    "stall": "seconds without a new bind before a phase is reported as not all bound",
    "json_path": "results file", "data_dir": "parent of the servers' temp data dirs (default: system temp)",
}


_READS_HELP = {
    "scenarios": "comma-separated subset of a,b,c,d", "server_cpu": "CPU the servers are pinned to, -1 for none",
    "configmaps": "(a) ConfigMaps listed", "value_size": "(a) bytes of data per ConfigMap",
    "lists": "(a) lists timed on each path", "nodes": "(b, c) node watchers and leases",
    "pods_per_node": "(b) pods per node", "unfiltered": "(b) unfiltered pod watchers",
    "update_rate": "(b-d) pod updates per second", "lease_rate": "(c) lease PUTs per second",
    "flooders": "(c) connections flooding low-priority lists (0: none)", "duration": "(b, c) seconds of load",
    "restart_watchers": "(d) watchers restarted", "quiet_objects": "(d) ConfigMaps in the quiet namespace",
    "window": "(b-d) the server's watch cache window, seconds", "json_path": "results file",
    "data_dir": "parent of the servers' temp data dirs (default: system temp)",
}


_CLIENT_HELP = {
    "scenarios": "comma-separated subset of informer,queue,balance,http",
    "server_cpu": "CPU the servers are pinned to, -1 for none", "pods": "(informer) pods listed and watched",
    "nodes": "(informer) nodes the pods are spread over", "page_size": "(informer) list page size",
    "compress": "(informer) the cache keeps its pods compressed (zstandard), as the controller manager's",
    "watch_list": "(informer) sync by a watch-list (sendInitialEvents), as the scheduler and manager do",
    "watch_rate": "(informer) pod updates per second", "duration": "(informer) seconds of updates",
    "storm_rate": "(queue) updates per second in the storm", "storm_duration": "(queue) seconds of storm",
    "watchers": "(balance) watches spread",
    "http_requests": "(http) GETs per client and run", "json_path": "results file",
    "data_dir": "parent of the temp data dirs (default: system temp)",
}


def _add_fields(parser: argparse.ArgumentParser, defaults: object, helps: dict[str, str]) -> None:
    """One flag per field of a bench config dataclass."""
    parser.set_defaults(command_parser=parser)
    for name, help_text in helps.items():
        value = getattr(defaults, name)
        flag = "--json" if name == "json_path" else "--" + name.replace("_", "-")
        if name in ("scenarios", "workloads"):
            parser.add_argument(flag, type=_names, default=",".join(value), help=f"{help_text}{_DEFAULT}")
        elif isinstance(value, bool):
            parser.add_argument(flag, type=_boolean, default=value, metavar="BOOL", help=f"{help_text}{_DEFAULT}")
        elif name == "server_cpu":
            parser.add_argument(flag, type=int, default=value, help=f"{help_text}{_DEFAULT}")
        elif name == "data_dir":
            parser.add_argument(flag, type=Path, default=None, help=help_text)
        else:
            parser.add_argument(flag, type=type(value), default=value, help=f"{help_text}{_DEFAULT}")


def _fields_config(cls: type, helps: dict[str, str], args: argparse.Namespace):  # noqa: ANN202
    values = {name: getattr(args, "json" if name == "json_path" else name) for name in helps}
    values["server_cpu"] = None if values["server_cpu"] < 0 else values["server_cpu"]
    return cls(**values)


def _add_reads_bench(targets: argparse._SubParsersAction) -> None:
    """``myriad bench reads``: one flag per :class:`ReadsBenchConfig` field."""
    parser = targets.add_parser("reads", help="watch cache, fan-out, flow control and bookmark scenarios")
    _add_fields(parser, ReadsBenchConfig(), _READS_HELP)


def _reads_config(args: argparse.Namespace) -> ReadsBenchConfig:
    return _fields_config(ReadsBenchConfig, _READS_HELP, args)


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _api_bench_config(args: argparse.Namespace) -> ApiBenchConfig:
    return ApiBenchConfig(
        url=args.url,
        server_cpu=None if args.server_cpu < 0 else args.server_cpu,
        concurrency=args.concurrency,
        pods=args.pods,
        gets=args.gets,
        updates=args.updates,
        plain_updates=args.plain_updates,
        patches=args.patches,
        applies=args.applies,
        lists=args.lists,
        list_concurrency=args.list_concurrency,
        namespace=args.namespace,
        json_path=args.json,
        data_dir=args.data_dir,
    )


def _bench_config(args: argparse.Namespace) -> BenchConfig:
    return BenchConfig(
        backends=args.backend,
        mode=args.mode,
        clients=args.clients,
        value_size=args.value_size,
        keys=args.keys,
        puts=args.puts,
        rate=args.rate,
        range_keys=args.range_keys,
        duration=args.duration,
        sample_interval=args.sample_interval,
        retention=args.retention,
        etcd_endpoints=args.etcd_endpoints,
        json_path=args.json,
        data_dir=args.data_dir,
    )


def _add_controller_manager(commands: argparse._SubParsersAction) -> None:
    manager = commands.add_parser("controller-manager", help="run upstream's core controllers in one process")
    manager.set_defaults(command_parser=manager)
    add = manager.add_argument
    add("--kubeconfig", default=None, help="kubeconfig (default: $KUBECONFIG, ~/.kube/config)")
    add("--server", type=_names, default=(), metavar="URL,...",
        help="API server URL(s), comma-separated; overrides kubeconfig")
    add("--controllers", default="*", metavar="LIST",
        help="controllers to run: '*' every one on by default, 'name' one more, '-name' one fewer; known: "
             f"{', '.join(controller_registry.KNOWN)} (default: *)")
    for known in controller_registry.KNOWN.values():
        add(f"--concurrent-{known.flag}-syncs", type=int, default=known.workers, metavar="N",
            help=f"{known.name}'s workers (default: {known.workers})")
    add("--leader-elect", type=_boolean, default=False, metavar="BOOL",
        help="contend for the Lease kube-system/kube-controller-manager; informers stay synced while standing by "
             "(default: false)")
    add("--identity", default=None, help="leader election identity (default: host-pid)")
    add("--kube-api-qps", type=float, default=0.0, metavar="Q",
        help="requests a second to the API server, 0 for unpaced (upstream: 20) (default: 0)")
    add("--kube-api-burst", type=int, default=0, metavar="B",
        help="requests above --kube-api-qps in a burst (upstream: 30) (default: 0)")
    add("--metrics-port", type=int, default=None, metavar="N",
        help="serve Prometheus /metrics on 127.0.0.1:N (default: off)")
    settings = ControllerSettings()
    add("--node-monitor-period", type=_go_duration, default=settings.node_monitor_period, metavar="DURATION",
        help="how often node health is checked (default: 5s)")
    add("--node-monitor-grace-period", type=_go_duration, default=settings.node_monitor_grace_period,
        metavar="DURATION", help="a node silent this long is marked not ready (default: 40s)")
    add("--node-eviction-rate", type=float, default=settings.node_eviction_rate, metavar="R",
        help=f"nodes a second, per zone, tainted NoExecute (pods evicted){_DEFAULT}")
    add("--secondary-node-eviction-rate", type=float, default=settings.secondary_node_eviction_rate, metavar="R",
        help=f"the rate in an unhealthy zone larger than --large-cluster-size-threshold{_DEFAULT}")
    add("--unhealthy-zone-threshold", type=float, default=settings.unhealthy_zone_threshold, metavar="F",
        help=f"share of not-ready nodes (at least 3) that makes a zone unhealthy{_DEFAULT}")
    add("--large-cluster-size-threshold", type=int, default=settings.large_cluster_size_threshold, metavar="N",
        help=f"an unhealthy zone of at most N nodes stops evicting{_DEFAULT}")
    add("--cluster-cidr", default="", metavar="CIDR",
        help="pod CIDRs handed to nodes by node-ipam-controller, which runs only when this is set (e.g. "
             "10.244.0.0/16)")
    add("--node-cidr-mask-size", type=int, default=settings.node_cidr_mask_size, metavar="N",
        help=f"each node's pod CIDR prefix length{_DEFAULT}")
    add("--terminated-pod-gc-threshold", type=int, default=settings.terminated_pod_gc_threshold, metavar="N",
        help=f"terminated pods kept before the pod garbage collector deletes the oldest; 0 keeps all{_DEFAULT}")


def _go_duration(text: str) -> float:
    try:
        return durations.seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
