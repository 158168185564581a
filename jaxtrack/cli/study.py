"""Compare label assigners across target scales and aspect ratios in one compiled call.

Draws ground-truth boxes as they appear in search crops after pysot's augmentation (from the
synthetic population, or from a benchmark's annotations with --dataset/--root), runs every
setting of the study grid on them (vmap over settings of vmap over boxes, one jit), and writes
WORKDIR/study.md with per-scale and per-aspect tables, curves and a label-map gallery, plus
study.csv/study.json with every setting.

Example:
  jaxtrack study --workdir runs/study --boxes 10000
"""

from __future__ import annotations

import pathlib
import time

HELP = "compare label assigners across target scales and aspect ratios"
OUTPUTS = {"workdir": "dir"}


def configure(parser):
    parser.add_argument("--workdir", default="runs/study", help="output folder (default: %(default)s)")
    parser.add_argument("--boxes", type=int, default=10000, help="number of boxes (default: %(default)s)")
    parser.add_argument("--grid", choices=("default", "small"), default="default",
                        help="assigner settings: default (94) or small (12) (default: %(default)s)")
    parser.add_argument("--dataset", help="take target shapes from this benchmark's annotations "
                        "(a jaxtrack.data reader name, e.g. otb, lasot, got10k) instead of the synthetic population")
    parser.add_argument("--root", help="the dataset's folder, with --dataset")
    parser.add_argument("--scale-change", type=float, default=2.0,
                        help="size change between template and search frame, log-uniform in [1/x, x]; "
                        "1 is pysot's training distribution (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")


def frame_boxes_from_dataset(kind, root, count, rng):
    """(count, 4) valid xyxy annotation boxes sampled from a benchmark's sequences."""
    import numpy as np

    from jaxtrack.data.readers import open_dataset
    from jaxtrack.errors import JaxtrackError

    dataset = open_dataset(kind, root)
    boxes = [seq.boxes[seq.valid] for seq in dataset]
    boxes = [b for b in boxes if len(b)]
    if not boxes:
        raise JaxtrackError(f"--dataset {kind} --root {root}: no valid annotated boxes found")
    pool = np.concatenate(boxes)
    return pool[rng.integers(0, len(pool), count)]


def run(args):
    import numpy as np

    from jaxtrack.assign import label_study
    from jaxtrack.figures import study_report
    from jaxtrack.errors import JaxtrackError

    if args.boxes < 1:
        raise JaxtrackError(f"--boxes must be at least 1, got {args.boxes}")
    if (args.dataset is None) != (args.root is None):
        raise JaxtrackError("--dataset and --root go together")
    if args.scale_change < 1:
        raise JaxtrackError(f"--scale-change must be >= 1, got {args.scale_change}")
    rng = np.random.default_rng(args.seed)
    if args.dataset:
        frame_boxes = frame_boxes_from_dataset(args.dataset, args.root, args.boxes, rng)
        source = f"{args.dataset} annotations"
    else:
        frame_boxes = label_study.synthetic_frame_boxes(args.boxes, rng)
        source = "synthetic shapes, aspect 1/5..5"
    boxes = label_study.search_crop_boxes(frame_boxes, rng, scale_change=args.scale_change)
    grids = label_study.default_grids(args.grid)
    settings = sum(len(f.settings()) for f in grids)
    print(f"study: {len(boxes)} boxes x {settings} settings in one compiled call ...", flush=True)
    start = time.perf_counter()
    results = label_study.run_study(boxes, grids, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(f"study: {len(boxes) * settings:,} assignments in {elapsed:.1f} s (compile included)")
    report = study_report.write_report(pathlib.Path(args.workdir), boxes, results, grids,
                                       elapsed=elapsed, source=source, seed=args.seed)
    print(f"study: report written to {report}")
