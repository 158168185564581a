"""Evaluate trackers on the six real sequences of ../shared/data, as its README scores CSRT.

OTB's Crossing, Deer, DragonBaby and MotorRolling, VOT's bag (the polygons' min/max bounding
box) and LaSOT's airplane-1 (300 frames), one pass each, scored with the OTB convention (21 IoU
thresholds, first frame counted as ground truth). None of them is used for training.

Command (a training workdir, a model directory, `default` or `csrt`; several compare):
  python experiments/eval_shared.py --model default csrt [--shared ../shared/data] [--workdir results/shared]
Runtime: about 30 s per lite0 tracker on 2 CPU cores (1,000 frames at ~30 fps, plus compiling).
Expected: CSRT mean AUC 0.448 (0.452 on the four OTB sequences), as in ../shared/data/README.md.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

from jaxtrack.data import Dataset
from jaxtrack.data.readers import open_dataset
from jaxtrack.eval import metrics
from jaxtrack.eval.results import read_boxes
from jaxtrack.track.loading import PEERS, tracker_factory, tracker_name
from jaxtrack.track.runner import result_paths, run_benchmark

SOURCES = (("otb", "otb", {}), ("vot", "vot", {}), ("lasot", "lasot", {}))


def shared_dataset(shared):
    """The six sequences as one :class:`Dataset` (boxes as their readers give them)."""
    sequences = []
    for kind, folder, options in SOURCES:
        sequences += list(open_dataset(kind, str(pathlib.Path(shared) / folder), **options))
    return Dataset("shared", sequences)


def evaluate_shared(models, shared, workdir, *, params="otb", progress=True):
    """Track and score ``models`` -> ``{tracker: metrics.evaluate result}`` (OTB convention)."""
    dataset = shared_dataset(shared)
    scores = {}
    for spec in models:
        factory = tracker_factory(spec, params=None if spec in PEERS else params, benchmark="otb")
        name = tracker_name(spec, None if spec in PEERS else params)
        out_dir = pathlib.Path(workdir) / name
        run_benchmark(factory, dataset, str(out_dir), progress=progress)
        predictions = [read_boxes(result_paths(str(out_dir), seq.name)[0], len(seq)) for seq in dataset]
        scores[name] = metrics.evaluate(predictions, list(dataset), "otb")
    return scores


def table(scores):
    """Markdown table: AUC per sequence and the mean, precision and normalised precision."""
    names = list(next(iter(scores.values()))["sequences"])
    lines = ["| tracker | " + " | ".join(names) + " | mean AUC | precision | norm. precision |",
             "|---" * (len(names) + 4) + "|"]
    for tracker, result in scores.items():
        aucs = [result["sequences"][n]["auc"] for n in names]
        overall = result["overall"]
        lines.append(f"| {tracker} | " + " | ".join(f"{a:.3f}" for a in aucs) +
                     f" | {np.mean(aucs):.3f} | {overall['precision']:.3f} | {overall['norm_precision']:.3f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", nargs="+", required=True)
    parser.add_argument("--shared", default=str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--workdir", default="results/shared")
    parser.add_argument("--params", default="otb", help="Siamese trackers' parameter set (default: otb)")
    args = parser.parse_args(argv)
    print(table(evaluate_shared(args.model, args.shared, args.workdir, params=args.params)))


if __name__ == "__main__":
    main()
