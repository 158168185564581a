"""Export a checkpoint of a training workdir as a jaxtrack model directory.

The model directory holds the inference variables (parameters and batch statistics, no
optimiser state) and the model config; it contains no absolute path, so it can be copied or
shipped (as `jaxtrack/weights/cpu_default` is). `--model DST` then works like `--model WORKDIR`
for `jaxtrack track` and `jaxtrack eval`.

example:
  jaxtrack export --workdir runs/cpu_default --out models/cpu_default
"""

from __future__ import annotations

HELP = "export a training workdir's checkpoint as a model directory (for track/eval, shipping)"
OUTPUTS = {"out": "dir"}


def configure(parser):
    parser.add_argument("--workdir", required=True, help="training workdir (holds checkpoints/)")
    parser.add_argument("--out", required=True, help="new directory for the jaxtrack model")
    parser.add_argument("--step", type=int, help="checkpoint step to export (default: the latest)")


def run(args):
    from jaxtrack.models import export_checkpoint

    name, step = export_checkpoint(args.workdir, args.out, args.step)
    print(f"{args.out}: model {name} from step {step} of {args.workdir}")
    return 0
