"""Run trackers over a benchmark, write results in its standard layout, score and compare them.

Each --model is a jaxtrack model directory, a training workdir (latest checkpoint), default (the
shipped CPU-trained tracker) or csrt.
Results go to WORKDIR/DATASET/<tracker>/ (<tracker> = model folder name + "-" + parameter
set): per-sequence x,y,w,h files with per-frame times (OTB, UAV123, LaSOT; TrackingNet also a
<tracker>.zip for the server), GOT-10k's submission folders <seq>/<seq>_001.txt + _time.txt,
VOT reset-protocol records in baseline/<seq>/<seq>_001.txt. A killed run keeps every finished
sequence; the same command then tracks only what is missing. Each tracker folder records the
model (a digest of its weights) and parameters that produced it: results of another model or
parameter set under the same name are refused (--force replaces them). The scores use the benchmark's
official convention (see `jaxtrack score`); the table, summary.md/csv and success/precision
plots over all trackers go to WORKDIR/DATASET/. Test splits (GOT-10k, TrackingNet) are
tracked but not scored.

examples:
  jaxtrack eval --model csrt runs/car_lite0 --dataset otb --root data/OTB100 --json otb.json
  jaxtrack eval --model runs/car_lite0 --dataset got10k --root data/GOT-10k --split test --processes 2
"""

from __future__ import annotations

import json

HELP = "run trackers over a benchmark, score them and compare (tables, plots, JSON)"
OUTPUTS = {"workdir": "dir", "json": "file"}


def configure(parser):
    from jaxtrack.eval.benchmarks import BENCHMARKS

    parser.add_argument("--model", required=True, nargs="+", metavar="MODEL",
                        help="model directory, training workdir, default or csrt (several: a comparison)")
    parser.add_argument("--dataset", required=True, choices=BENCHMARKS.names(), help="benchmark")
    parser.add_argument("--root", required=True, help="dataset root folder (or a URL)")
    parser.add_argument("--sequences", nargs="+", metavar="NAME", help="only these sequences")
    parser.add_argument("--split", help="dataset split (GOT-10k: val or test; TrackingNet: train or test)")
    parser.add_argument("--workdir", default="results", help="output folder or a URL, e.g. gs://bucket/results "
                        "(default: results)")
    parser.add_argument("--json", metavar="OUT", help="write speeds and scores of every tracker to this file")
    parser.add_argument("--hyper", help="hyperparameter set of the Siamese trackers (default: the one stored "
                        "in a model directory, else the benchmark's, e.g. SiamCAR's otb/got10k/uav123/lasot sets; lasot for tnl2k), "
                        "optionally with overrides, e.g. got10k,quality_exponent=0.5")
    parser.add_argument("--processes", type=int, default=1, help="track in this many processes")
    parser.add_argument("--force", action="store_true",
                        help="replace results that another model or parameter set wrote under the same tracker name")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args):
    import os

    from jaxtrack.cli.score import format_table
    from jaxtrack.errors import JaxtrackError
    from jaxtrack.eval.evaluation import track_and_score
    from jaxtrack.eval.report import write_report
    from jaxtrack.paths import write_text

    if args.processes < 1:
        raise JaxtrackError(f"--processes must be at least 1, not {args.processes}")
    result = track_and_score(args.model, args.dataset, args.root, args.workdir, sequences=args.sequences,
                             hyper=args.hyper, split=args.split, processes=args.processes,
                             progress=not args.no_progress, force=args.force)
    trackers = result["trackers"]
    for name, entry in trackers.items():
        print(f"{name}: results in {entry['results']}, {_fps(entry['speed'])}")
    if result["scored"]:
        if len(trackers) == 1:
            print(format_table(next(iter(trackers.values()))["scores"]))
        print(comparison_table(trackers))
        paths = write_report({n: e["scores"] for n, e in trackers.items()},
                             os.path.join(args.workdir, args.dataset))
        print("wrote " + ", ".join(paths.values()))
    else:
        print(f"{args.dataset}: these sequences have only their first box; submit the results to the "
              "benchmark's server to score them")
    if args.json:
        write_text(args.json, json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


def comparison_table(trackers):
    """One row per tracker: the benchmark's headline scores and its speed."""
    from jaxtrack.eval.report import OPE_COLUMNS, VOT_COLUMNS

    first = next(iter(trackers.values()))["scores"]["overall"]
    columns = [c for c in (VOT_COLUMNS if "eao" in first else OPE_COLUMNS) if c in first]
    width = max(len("tracker"), *(len(n) for n in trackers))
    lines = [f"{'tracker':<{width}}  " + "  ".join(f"{c:>14}" for c in columns) + f"  {'fps':>8}"]
    for name, entry in trackers.items():
        overall = entry["scores"]["overall"]
        fps = "" if entry["speed"]["fps"] is None else f"{entry['speed']['fps']:.1f}"
        lines.append(f"{name:<{width}}  " + "  ".join(f"{overall[c]:>14.3f}" for c in columns) + f"  {fps:>8}")
    return "\n".join(lines)


def _fps(speed):
    if speed["fps"] is None:
        return "no timed frames"
    return f"{speed['fps']:.1f} fps over {speed['frames']} frames"
