"""``myriad bench density``'s flags and entry point (the ``myriad`` command's part for it). It
imports :mod:`.run`, with matplotlib and Jinja2, only when the command runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from myriad.bench.density import config as density_config

#: As the ``myriad`` command's other flags show their defaults.
_DEFAULT = " (default: %(default)s)"


def add_parser(targets: Any) -> None:
    """``density`` among ``myriad bench``'s subcommands (``targets``: their subparsers)."""
    density = targets.add_parser("density", help="the whole cluster as clusterloader2 measures one: pod startup, "
                                 "API latency per verb, CPU and memory per component; JSON and an HTML report")
    density.set_defaults(command_parser=density)
    density.add_argument("--preset", default="ci", help="ci (100 nodes x 30 pods), 1k, or 10k (10,000 nodes x 20 "
                                                        "pods) (default: ci)")
    density.add_argument("--config", type=Path, default=None, metavar="FILE",
                         help="YAML config (fields in camelCase, optionally 'preset:'); overrides --preset")
    density.add_argument("--kubeconfig", type=Path, default=None,
                         help="measure this running cluster instead of starting one with myriad up")
    density.add_argument("--json", type=Path, default=Path("bench-density.json"), help=f"results file{_DEFAULT}")
    density.add_argument("--html", type=Path, default=Path("bench-density.html"), help=f"the report{_DEFAULT}")
    density.add_argument("--compare", type=Path, default=None, metavar="PREVIOUS_JSON",
                         help="print the differences against an earlier run; exit 1 if something regressed")
    density.add_argument("--threshold", type=float, default=0.10,
                         help=f"how much worse counts as regressed, for --compare{_DEFAULT}")
    density.add_argument("--data-dir", type=Path, default=None,
                         help="where myriad up keeps the cluster (default: a temporary dir, removed after)")


def main(args: argparse.Namespace) -> int:
    """Runs the bench; a bad preset, config or threshold exits 2 naming it, a run that could not
    start or a bad ``--compare`` file exits 1, Ctrl-C exits 130."""
    try:
        config = density_config.load(args.config) if args.config else density_config.preset(args.preset)
    except density_config.ConfigError as exc:
        args.command_parser.error(str(exc))
    if not 0 < args.threshold < 10:
        args.command_parser.error(f"--threshold: a fraction above 0, got {args.threshold}")
    from myriad.bench.density import cluster, run  # matplotlib and Jinja2: only for this command
    try:
        return run.run(run.DensityRun(config=config, kubeconfig=args.kubeconfig, json_path=args.json,
                                      html_path=args.html, compare_path=args.compare, threshold=args.threshold,
                                      data_dir=args.data_dir))
    except (ValueError, cluster.ClusterError) as exc:
        print(f"myriad bench density: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the cluster it started has been stopped on the way out
        print("myriad bench density: interrupted; no report written", file=sys.stderr)
        return 130
