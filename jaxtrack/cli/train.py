"""Train a tracker from an experiment config; resume if WORKDIR already has a checkpoint.

The config is a Python file with get_config(arg) (see experiments/); append :ARG to choose a
size (lite0, small, smoke). --set overrides any field. The run writes WORKDIR/config.json,
WORKDIR/metrics.jsonl, TensorBoard events in WORKDIR/tensorboard and orbax checkpoints in
WORKDIR/checkpoints; killed and restarted with the same command, it continues from its last
checkpoint with the numbers an uninterrupted run would have had.

Examples:
  jaxtrack train --config experiments/dla_siamcar_r50.py:lite0 --workdir runs/dla_car_lite0
  jaxtrack train --config experiments/siamrpnpp_r50.py --workdir runs/rpn \\
      --set data.sources.0.root=/data/GOT-10k
"""

from __future__ import annotations

HELP = "train a tracker from an experiment config (resumes from the workdir's checkpoint)"


def configure(parser):
    parser.add_argument("--config", required=True, help="experiment file, e.g. experiments/siamcar_r50.py:lite0")
    parser.add_argument("--workdir", required=True, help="output folder; an existing run there is resumed")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config field, e.g. --set optim.epochs=5 (repeatable)")
    parser.add_argument("--resume-step", type=int, help="resume from this checkpoint step instead of the latest")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    from jaxtrack.config import load_config
    from jaxtrack.train.trainer import train_and_evaluate

    config = load_config(args.config, args.set)
    result = train_and_evaluate(config, args.workdir, resume_step=args.resume_step, progress=not args.no_progress)
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in result["metrics"].items())
    print(f"train: finished at step {result['step']} ({metrics})")
