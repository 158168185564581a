"""Train a tracker from an experiment config; resume if WORKDIR already has a checkpoint.

The config is a Python file with get_config(arg) (see experiments/); append :ARG to choose a
size (lite0, small, smoke). --set overrides any field. The run writes WORKDIR/config.json,
WORKDIR/metrics.jsonl, TensorBoard events in WORKDIR/tensorboard and orbax checkpoints in
WORKDIR/checkpoints; killed and restarted with the same command, it continues from its last
checkpoint with the numbers an uninterrupted run would have had.

Multi-process (one process per host, e.g. on a TPU pod slice or GPU nodes): every process runs
the same command and feeds its share of each global batch. The run's layout comes from
--coordinator/--num-processes/--process-id, else from JAXTRACK_COORDINATOR,
JAXTRACK_NUM_PROCESSES and JAXTRACK_PROCESS_ID (set by `jaxtrack launch`), else JAX detects it
under SLURM's srun or Open MPI's mpirun (or with --distributed, e.g. on a TPU pod slice); see
docs/multihost.md.

Examples:
  jaxtrack train --config experiments/dla_siamcar_r50.py:lite0 --workdir runs/dla_car_lite0
  jaxtrack train --config experiments/siamrpnpp_r50.py --workdir runs/rpn \\
      --set data.sources.0.root=/data/GOT-10k
  jaxtrack train --config experiments/siamcar_r50.py:smoke --workdir runs/mh --cpu-devices 2 \\
      --coordinator 127.0.0.1:12345 --num-processes 2 --process-id 0   # and --process-id 1
"""

from __future__ import annotations

HELP = "train a tracker from an experiment config (resumes from the workdir's checkpoint)"
OUTPUTS = {"workdir": "dir"}


def configure(parser):
    parser.add_argument("--config", required=True, help="experiment file, e.g. experiments/siamcar_r50.py:lite0")
    parser.add_argument("--workdir", required=True, help="output folder; an existing run there is resumed")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field, e.g. --set optim.epochs=5 (repeatable)")
    parser.add_argument("--resume-step", type=int, help="resume from this checkpoint step instead of the latest "
                        "(later checkpoints and their metrics are set aside in WORKDIR/checkpoints-after-STEP)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    group = parser.add_argument_group("multi-process runs")
    group.add_argument("--coordinator", metavar="HOST:PORT", help="address of process 0's coordination service")
    group.add_argument("--num-processes", type=int, metavar="N", help="processes in the run")
    group.add_argument("--process-id", type=int, metavar="I", help="this process's index, 0..N-1")
    group.add_argument("--distributed", action="store_true",
                       help="join a multi-process run whose layout JAX detects (TPU pod slice, SLURM, Open MPI)")
    group.add_argument("--cpu-devices", type=int, metavar="D",
                       help="run on the CPU as D devices per process (gloo collectives between processes)")


def run(args):
    from jaxtrack.train.distributed import initialize

    initialize(args.coordinator, args.num_processes, args.process_id, cpu_devices=args.cpu_devices,
               distributed=args.distributed)  # before anything starts JAX's backend

    from jaxtrack.config import load_config
    from jaxtrack.train.trainer import train

    config = load_config(args.config, args.set)
    result = train(config, args.workdir, resume_step=args.resume_step, progress=not args.no_progress)
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in result["metrics"].items())
    print(f"train: finished at step {result['step']} ({metrics})")
