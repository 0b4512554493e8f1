"""The ``myriad`` command: parses arguments and hands off to the module that does the work.

    myriad up [--data-dir DIR]
    myriad bench storage [--backend embedded,etcd] [--mode put|range|soak] [...]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from myriad import __version__, up
from myriad.bench import storage
from myriad.bench.backends import BACKENDS
from myriad.bench.storage import MODES, BenchConfig


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "up":
        return up.run(data_dir=args.data_dir)
    config = _bench_config(args)
    try:
        config.validate()
    except ValueError as exc:
        parser.error(str(exc))
    return storage.run(config)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="myriad", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"myriad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up_command = commands.add_parser("up", help="open the embedded store and show its state")
    up_command.add_argument("--data-dir", type=Path, default=Path(".myriad/data"),
                    help="the embedded store's data dir (default: %(default)s)")

    bench = commands.add_parser("bench", help="benchmarks")
    targets = bench.add_subparsers(dest="target", required=True, metavar="TARGET")
    bench_storage = targets.add_parser(
        "storage", help="storage backends side by side under random puts",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    defaults = BenchConfig()
    bench_storage.add_argument("--backend", type=_names, default=",".join(defaults.backends),
                         help=f"comma-separated backends to run in turn, of: {', '.join(BACKENDS)}")
    bench_storage.add_argument("--mode", choices=MODES, default=defaults.mode,
                         help="put: N puts; range: range reads beside puts; soak: puts for --duration")
    bench_storage.add_argument("--clients", type=int, default=defaults.clients, help="concurrent clients")
    bench_storage.add_argument("--value-size", type=int, default=defaults.value_size, help="bytes per value")
    bench_storage.add_argument("--keys", type=int, default=defaults.keys, help="distinct keys to put to")
    bench_storage.add_argument("--puts", type=int, default=defaults.puts, help="puts in total (put, range)")
    bench_storage.add_argument("--rate", type=float, default=defaults.rate,
                         help="target puts/s over all clients; 0 for as fast as possible")
    bench_storage.add_argument("--range-keys", type=int, default=defaults.range_keys,
                         help="keys per range read (range)")
    bench_storage.add_argument("--duration", type=float, default=defaults.duration, help="seconds (soak)")
    bench_storage.add_argument("--sample-interval", type=float, default=defaults.sample_interval,
                         help="seconds between samples (soak)")
    bench_storage.add_argument("--retention", type=float, default=defaults.retention,
                         help="seconds of history kept by compaction")
    bench_storage.add_argument("--etcd-endpoints", type=_names, default="",
                         help="host:port,... of an existing etcd to use instead of starting one")
    bench_storage.add_argument("--json", type=Path, default=defaults.json_path, help="results file")
    bench_storage.add_argument("--data-dir", type=Path, default=None,
                         help="parent of the temp data dirs (default: the system temp dir)")
    return parser


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


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
