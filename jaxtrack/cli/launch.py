"""Run `jaxtrack train` on this machine as N processes of one multi-process JAX run.

The processes find each other through a coordinator on 127.0.0.1 (a free port unless --port is
given) and talk over loopback only; each feeds its share of every global batch, as hosts of a
TPU pod slice or GPU cluster do. Output lines are prefixed with the process id. If a process
dies, the others are stopped and the command fails naming it; run the same command again to
resume from the last checkpoint that all processes wrote. Recipes for TPU pod slices and SLURM:
docs/multihost.md.

Examples:
  jaxtrack launch --processes 2 --cpu-devices 2 -- train \\
      --config experiments/siamcar_r50.py:smoke --workdir runs/two_hosts
"""

from __future__ import annotations

import argparse

HELP = "run `jaxtrack train` as N local processes of one multi-process JAX run (loopback)"
OUTPUTS = {}


def configure(parser):
    parser.add_argument("--processes", type=int, required=True, help="number of processes")
    parser.add_argument("--cpu-devices", type=int, metavar="D",
                        help="run on the CPU as D devices per process (default: JAX's own devices)")
    parser.add_argument("--port", type=int, help="coordinator port on 127.0.0.1 (default: a free port)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- train --config ... --workdir ...")


def run(args):
    from jaxtrack.train.distributed import launch

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    launch(command, args.processes, cpu_devices=args.cpu_devices, port=args.port)
