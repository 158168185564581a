"""Label-assignment ablation on one CPU-sized SiamCAR-style tracker: the same model, data, seed
and steps, trained with SiamCAR's centre region, SiamDLA's dynamic labels and SiamLA's LADL+LALS
soft labels (quality focal loss), evaluated on the six real sequences of ../shared/data with the
OTB convention (see eval_shared.py).

Command:
  python experiments/ablation_labels.py --workdir runs/ablation [--steps 2000] [--shared ../shared/data]
Runtime: per rule, 2,000 steps of 16 pairs: about 20-25 minutes on an idle 2-core CPU at the
23-28 pairs/s measured there, 70 minutes on a shared one (training resumes; finished result
files are reused).
Expected: a table in the style of the papers (AUC per sequence, mean AUC, precision, normalised
precision), printed and written with success/precision plots and training curves to
WORKDIR/results; the measured one is in the README.
"""

from __future__ import annotations

import argparse
import pathlib

from eval_shared import evaluate_shared  # experiments/ is on sys.path when this file runs

from jaxtrack.demo import training_curves
from jaxtrack.eval.report import per_sequence_table
from jaxtrack.train.configs import CPU_DLA, experiment
from jaxtrack.train.trainer import train_and_evaluate

RULES = {
    "center_region": ({"name": "center_region", "margin": 0.3}, {"name": "car"}),
    "dla": (CPU_DLA, {"name": "car"}),
    "ladl_lals": ({"name": "ladl", "k": 16, "statistic": "pred_iou", "quality_floor": 0.1,
                   "lals": {"eps": 0.1, "measure": "pred_iou"}}, {"name": "car", "cls_loss": "qfl"}),
}


def rule_config(rule, steps, data_root, seed=0, size="lite0"):
    """The shared SiamCAR config (``size`` as in :func:`experiment`) with ``rule``'s labels and loss."""
    assigner, loss = RULES[rule]
    config = experiment("siamcar", assigner, size, loss=loss)
    config.seed = seed
    config.data.batch_size = 16
    config.data.sources[0].update(dict(root=str(data_root), num_sequences=600, seed=1))
    config.optim.update(dict(epochs=20, steps_per_epoch=max(1, steps // 20), warmup_epochs=1, backbone_epoch=1000))
    config.checkpoint_every = max(10, steps // 4)
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="runs/ablation")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rules", nargs="+", default=list(RULES), choices=list(RULES))
    parser.add_argument("--shared", default=str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args(argv)
    workdir = pathlib.Path(args.workdir)
    runs = {rule: workdir / rule for rule in args.rules}
    for rule, run in runs.items():
        train_and_evaluate(rule_config(rule, args.steps, workdir / "synthetic"), run)
    results = workdir / "results"
    print(per_sequence_table(evaluate_shared([str(r) for r in runs.values()], args.shared, str(results))))
    training_curves(results / "training.png", runs)  # the losses differ by rule (qfl for ladl_lals)


if __name__ == "__main__":
    main()
