"""Export a checkpoint of a training workdir as a jaxtrack model directory.

The model directory holds the inference variables (parameters and batch statistics, no
optimiser state) and the model config; it contains no absolute path, so it can be copied or
shipped (as `jaxtrack/weights/cpu_default` is). `--model DST` then works like `--model WORKDIR`
for `jaxtrack track` and `jaxtrack eval`. --hyper stores the hyperparameter set the model tracks
with when those commands get no --hyper (instead of the benchmark's default set).

example:
  jaxtrack export --workdir runs/cpu_default --out models/cpu_default
  jaxtrack export --workdir runs/car_lite0 --out models/car_lite0 --hyper got10k,lost_score=0.3
"""

from __future__ import annotations

HELP = "export a training workdir's checkpoint as a model directory (for track/eval, shipping)"
OUTPUTS = {"out": "dir"}


def configure(parser):
    parser.add_argument("--workdir", required=True, help="training workdir (holds checkpoints/)")
    parser.add_argument("--out", required=True, help="new directory for the jaxtrack model")
    parser.add_argument("--step", type=int, help="checkpoint step to export (default: the latest)")
    parser.add_argument("--hyper", help="hyperparameter set to store with the model, as track/eval --hyper takes it")


def run(args):
    from jaxtrack import paths
    from jaxtrack.errors import JaxtrackError
    from jaxtrack.models import export_checkpoint
    from jaxtrack.track import set_tracker

    name, step = export_checkpoint(args.workdir, args.out, args.step)
    if args.hyper is not None:
        try:
            set_tracker(args.out, args.hyper)
        except JaxtrackError:
            paths.path(args.out).rmtree()  # no model directory without the setting asked for
            raise
    print(f"{args.out}: model {name} from step {step} of {args.workdir}")
    return 0
