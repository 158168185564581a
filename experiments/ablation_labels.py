"""The label-assignment protocol: paired seeds, choices on validation only, bootstrap intervals.

Rules compared on one CPU-sized model family (SiamCAR-style point head on a frozen,
ImageNet-pretrained EfficientNet-Lite0; SiamLA adds its LAFA quality branch):

- ``center_region``: SiamCAR's centre region (the baseline);
- ``dla_atss``: SiamDLA as ATSS states it (9 nearest points, 64 px virtual anchors, mean + std);
- ``dla_plus``: jaxtrack's DLA setting (16 nearest points, ``keep_best``);
- ``siamla``: SiamLA's reconstruction (LADL + LALS labels, quality focal loss, LAFA branch);
- SiamLA's parts on the SiamCAR model with quality focal loss: ``ladl`` and ``ladl_lals``.

Pairing: all runs train the neck and head on one feature pool (a fixed, seeded set of augmented
pairs with the frozen backbone's maps, :mod:`jaxtrack.train.feature_pool`); within a seed every
rule starts from the same initialisation of the shared layers and reads the same pairs in the
same order.

Choices, made on the synthetic validation split only: each rule's tracker hyperparameters from
one small grid (SiamCAR's published OTB, GOT-10k and default sets; for ``siamla`` also the
quality exponent), the setting with the best mean AO over the rule's seeds. The checkpoint is
the last one, fixed before any run. Test sets, never used for a choice: held-out synthetic videos
(GOT-10k protocol, per-video AO) and the six real sequences of ../shared/data with OTB TRE
restarts (OTB AUC per segment, averaged per sequence).

Statistics (:mod:`jaxtrack.eval.comparison`): per rule the mean with a 95% two-level bootstrap
interval (seeds, then sequences); per contrast with the baseline the paired difference with its
interval, the per-seed differences and the leave-one-sequence-out range; the verdict by the rule
written in ``jaxtrack.eval.comparison.CLAIM_RULE`` before any run, reported whatever it is.

Command (resumable: a rerun skips every finished unit; ``--size smoke`` is the tests' version):
  python experiments/ablation_labels.py --workdir runs/ablation [--size full] [--shared ../shared/data]
Runtime: 110 minutes from scratch on the project's 2-core CPU (2026-11-30: pool 7, training 66,
validation 10, test tracking 27), per part in WORKDIR/report/times.json and docs/results.md.
Output: WORKDIR/report/ results.md (tables and verdicts), units.csv (every unit's score),
summary.json, success_*.png (seed bands), training.png (loss and positives per pair).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import dataclasses
import json
import pathlib
import shutil
import threading
import time

import cv2
import jax
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

from jaxtrack import models
from jaxtrack.assign.rules import preset
from jaxtrack.data.pairs import PairSampler, Source
from jaxtrack.data.readers import open_dataset, open_mixed
from jaxtrack.data.synthetic import make_synthetic
from jaxtrack.eval import comparison
from jaxtrack.eval.metrics import score_sequences
from jaxtrack.eval.restarts import restart_segments
from jaxtrack.eval.result_files import read_boxes
from jaxtrack.eval.runner import result_paths, run_benchmark
from jaxtrack.figures.training import training_curves
from jaxtrack.files import atomic_write
from jaxtrack.models import family_of
from jaxtrack.track import hyper as hyper_sets
from jaxtrack.track.loading import TRACKERS
from jaxtrack.track.siamese_tracker import TrackerWeights, siamese_factory
from jaxtrack.train.feature_pool import build_pool
from jaxtrack.train.pool_trainer import MODEL_DIR, train_on_pool

import base  # experiments/ is on sys.path when this file runs


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """One compared rule: model, label rule, loss, seeds, and its validation grid's exponents."""

    model: str
    assigner: dict
    loss: dict
    seeds: int
    exponents: tuple = (None,)  # SiamLA's quality exponent values tried on validation


def rules(size, steps):
    """The compared rules for a budget ``size`` (the smoke size uses the small backbone); LADL's
    targets move from 1 to the predicted IoU over the first half of the ``steps`` (fixed in
    advance, not chosen)."""
    car, la = ("siamcar_lite0", "siamla_lite0") if size != "smoke" else ("siamcar_small", "siamla_small")
    qfl = {"name": "siamcar", "cls_loss": "qfl"}
    main = 3 if size != "smoke" else 2

    def ladl(name):
        return {**preset(name, "points"), "warmup_steps": max(1, steps // 2)}

    return {
        "center_region": RuleSpec(car, preset("siamcar_center", "points"), {"name": "siamcar"}, main),
        "dla_atss": RuleSpec(car, preset("dla_atss", "points"), {"name": "siamcar"}, main),
        "dla_plus": RuleSpec(car, preset("dla_plus", "points"), {"name": "siamcar"}, main),
        "siamla": RuleSpec(la, ladl("siamla_ladl_lals"), {"name": "siamla"}, main, exponents=(0.5, 1.0)),
        "ladl": RuleSpec(car, ladl("siamla_ladl"), qfl, 1),
        "ladl_lals": RuleSpec(car, ladl("siamla_ladl_lals"), qfl, 1),
    }


BASELINE = "center_region"
HYPER_GRID = ("otb", "got10k", "default")
"""SiamCAR's published hyperparameter sets: the grid every rule chooses from on validation."""


@dataclasses.dataclass(frozen=True)
class Budget:
    """Sizes of one protocol run."""

    pool: int             # pairs in the feature pool
    steps: int            # training steps per run
    batch: int            # pairs per step
    train_videos: int
    val_videos: int
    test_videos: int
    frames: int           # frames per validation / test video
    restarts: int         # TRE starts per real sequence
    real: tuple = ()      # ../shared/data sequences (empty: all six)
    varied: bool = False  # varied training videos (jaxtrack.data.synthetic's option)


BUDGETS = {
    "full": Budget(pool=4800, steps=300, batch=16, train_videos=600, val_videos=20, test_videos=100, frames=24,
                   restarts=3),
    "smoke": Budget(pool=32, steps=4, batch=8, train_videos=4, val_videos=2, test_videos=3, frames=6, restarts=2,
                    real=("Deer",)),
}
TRACKING_THREADS = 2
SYNTHETIC_SEEDS = {"train": 1, "val": 2, "test": 3}  # train = cpu_default's videos
REAL_SOURCES = (("otb", "otb"), ("vot", "vot"), ("lasot", "lasot"))


def run_config(spec, seed, budget, data_root):
    """The experiment config of one run: cpu_default's optimiser over ``budget.steps``."""
    config = base.experiment(
        model={"name": spec.model}, assigner=dict(spec.assigner), loss=dict(spec.loss), batch_size=budget.batch,
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=max(1, budget.steps // 20), warmup_epochs=1,
                                  warmup_lr=0.001, base_lr=0.005, end_lr=0.0005, backbone_epoch=10**6,
                                  trainable_backbone=None),
        sources=[{**base.synthetic_videos(num_sequences=budget.train_videos, seed=SYNTHETIC_SEEDS["train"],
                                          **({"varied": True} if budget.varied else {})),
                  "root": str(data_root)}],
        pretrained={"kind": "efficientnet_lite0", "path": None} if "lite0" in spec.model else None,
        seed=seed, num_workers=0, read_threads=2)
    config.log_every = max(1, min(20, budget.steps // 10))
    return config


class Protocol:
    """The protocol's units in ``workdir`` (see the module docstring); each method skips what is
    already on disk. ``budget`` replaces the size's :data:`BUDGETS` entry (other experiments reuse
    the protocol's parts at their own sizes)."""

    def __init__(self, workdir, size, shared, only=None, budget=None):
        self.workdir = pathlib.Path(workdir)
        self.size, self.budget = size, budget or BUDGETS[size]
        self.rules = rules(size, self.budget.steps)
        if only:
            unknown = sorted(set(only) - set(self.rules))
            if unknown or BASELINE not in only:
                raise SystemExit(f"--rules: unknown {unknown}" if unknown else f"--rules must include {BASELINE}")
            self.rules = {rule: spec for rule, spec in self.rules.items() if rule in only}
        self.shared = pathlib.Path(shared)
        self.report = self.workdir / "report"
        self.times_path = self.report / "times.json"  # the report folder is made on first write
        self.times = json.loads(self.times_path.read_text()) if self.times_path.exists() else {}
        self._factories, self._lock = {}, threading.Lock()

    def timed(self, part, function, *args):
        """Run ``function(*args)``, adding its wall time to ``part`` in times.json."""
        start = time.perf_counter()
        try:
            return function(*args)
        finally:
            self.times[part] = self.times.get(part, 0.0) + time.perf_counter() - start
            atomic_write(self.times_path, json.dumps(self.times, indent=1))

    # data ---------------------------------------------------------------------------------
    def synthetic(self, split):
        root = self.workdir / "synthetic"
        count = {"train": self.budget.train_videos, "val": self.budget.val_videos,
                 "test": self.budget.test_videos}[split]
        frames = (50, 100) if split == "train" else self.budget.frames
        if not (root / split / "list.txt").exists():
            make_synthetic(root, count, frames, seed=SYNTHETIC_SEEDS[split], split=split,
                           varied=self.budget.varied and split == "train")
        return open_dataset("got10k", str(root), split=split)

    def real(self):
        dataset = open_mixed("shared", [(kind, str(self.shared / folder)) for kind, folder in REAL_SOURCES])
        if self.budget.real:
            dataset = dataset.subset(self.budget.real)
        return restart_segments(dataset, self.budget.restarts)

    def pool(self):
        spec = self.rules[BASELINE]
        config = run_config(spec, 0, self.budget, self.workdir / "synthetic")
        model = models.build(config.model.to_dict())
        if config.pretrained is None:
            variables = models.init_variables(model, jax.random.key(0))
        else:
            variables = models.pretrained_variables(model, config.pretrained.to_dict(), jax.random.key(0))
        sampler = PairSampler([self._train_source()], seed=0, neg=config.data.neg)
        return build_pool(self.workdir / "pool", model, variables, sampler, self.budget.pool)

    def _train_source(self):
        return Source(self.synthetic("train"), frame_range=50, num_use=-1)

    # training -----------------------------------------------------------------------------
    def runs(self):
        """``{(rule, seed): run folder}`` of every run of the protocol."""
        return {(rule, seed): self.workdir / "runs" / rule / f"seed{seed}"
                for rule, spec in self.rules.items() for seed in range(spec.seeds)}

    def train(self, pool):
        compiled = {}
        for (rule, seed), out in tqdm(self.runs().items(), desc="runs", unit="run"):
            config = run_config(self.rules[rule], seed, self.budget, self.workdir / "synthetic")
            if not (out / MODEL_DIR).exists():  # (re)trained: no result of an earlier model may stay
                for split in ("val", "test", "real"):
                    shutil.rmtree(self.tracks(split, rule, seed, ""), ignore_errors=True)
            train_on_pool(config, pool, out, order_seed=seed, compiled=compiled, progress=False)

    # tracking -----------------------------------------------------------------------------
    def settings(self, rule):
        """Validation grid of ``rule``: ``{label: Hyper}``."""
        spec = self.rules[rule]
        family = family_of(models.build({"name": spec.model})).name
        grid = {}
        for name in HYPER_GRID:
            values = hyper_sets.SETS[family][name]
            for exponent in spec.exponents:
                label = name if exponent is None else f"{name}-q{exponent:g}"
                grid[label] = values if exponent is None else values._replace(quality_exponent=exponent)
        return grid

    def factory(self, model_dir, hyper, label):
        """A tracker factory of ``model_dir`` tracking with ``hyper`` (its search size from
        ``label``'s ``search_size`` override, else 255), named ``label``."""
        model, variables = models.load(model_dir)
        search_size = hyper_sets.search_size(family_of(model).name, label)
        key = model.family, repr(model), search_size
        with self._lock:
            if key not in self._factories:  # one compiled tracker per architecture and crop size
                self._factories[key] = siamese_factory(model, variables, search_size=search_size)
        shared = self._factories[key]
        weights = TrackerWeights(jax.device_put(variables), hyper.as_arrays())
        return dataclasses.replace(shared, weights=weights, name=label)

    def track(self, model_dir, hyper, label, dataset, out_dir):
        run_benchmark(self.factory(model_dir, hyper, label), dataset, str(out_dir), progress=False)

    def track_all(self, units, description):
        """Track ``units`` of :meth:`track` arguments, :data:`TRACKING_THREADS` at a time (one
        tracker steps at batch 1: two of them keep both cores busy)."""
        with concurrent.futures.ThreadPoolExecutor(TRACKING_THREADS) as pool:
            futures = [pool.submit(self.track, *unit) for unit in units]
            for future in tqdm(concurrent.futures.as_completed(futures), total=len(futures), desc=description,
                               unit="unit"):
                future.result()

    def validate(self, val):
        """Track every run with every setting of its rule's grid on validation -> choices."""
        self.track_all([(run / MODEL_DIR, hyper, label, val, self.tracks("val", rule, seed, label))
                        for (rule, seed), run in self.runs().items()
                        for label, hyper in self.settings(rule).items()], "validation")
        choices = {}
        for rule, spec in self.rules.items():
            means = {label: float(np.mean(self.scores("val", val, rule, label)))
                     for label in self.settings(rule)}
            choices[rule] = {"chosen": max(means, key=means.get), "validation_ao": means}
        atomic_write(self.report / "choices.json", json.dumps(choices, indent=1))
        return choices

    def test(self, choices, test, real):
        for split, dataset in (("test", test), ("real", real)):
            units = []
            for (rule, seed), run in self.runs().items():
                label = choices[rule]["chosen"]
                units.append((run / MODEL_DIR, self.settings(rule)[label], label, dataset,
                              self.tracks(split, rule, seed, label)))
            self.track_all(units, split)
            run_benchmark(TRACKERS.get("csrt"), dataset, str(self.tracks(split, "csrt", 0, "csrt")), progress=False)

    def tracks(self, split, rule, seed, label):
        return self.workdir / "tracks" / split / rule / f"seed{seed}" / label

    # scoring ------------------------------------------------------------------------------
    def sequence_scores(self, split, dataset, rule, seed, label):
        """{sequence: score} of one unit: per-video AO (synthetic) or OTB AUC per segment."""
        out = self.tracks(split, rule, seed, label)
        predictions = [read_boxes(result_paths(str(out), seq.name)[0], len(seq)) for seq in dataset]
        if split == "real":
            result = score_sequences(predictions, list(dataset), "otb")
            return {name: s["auc"] for name, s in result["sequences"].items()}
        sizes = [cv2.imread(str(seq.frames[0])).shape[1::-1] for seq in dataset]
        result = score_sequences(predictions, list(dataset), "got10k", image_sizes=sizes)
        return {name: s["ao"] for name, s in result["sequences"].items()}

    def scores(self, split, dataset, rule, label):
        """(seeds, sequences) matrix of ``rule``'s scores; real segments averaged per sequence."""
        rows = []
        for seed in range(self.rules[rule].seeds if rule != "csrt" else 1):
            per_unit = self.sequence_scores(split, dataset, rule, seed, label)
            if split == "real":
                per_sequence = {}
                for seq in dataset:
                    per_sequence.setdefault(seq.attributes["sequence"], []).append(per_unit[seq.name])
                per_unit = {name: float(np.mean(v)) for name, v in per_sequence.items()}
            rows.append([per_unit[name] for name in sorted(per_unit)])
        return np.array(rows)

    def curves(self, split, dataset, rule, label):
        """(seeds, thresholds) mean success curves of ``rule`` on ``split``."""
        rows = []
        for seed in range(self.rules[rule].seeds if rule != "csrt" else 1):
            out = self.tracks(split, rule, seed, label)
            predictions = [read_boxes(result_paths(str(out), seq.name)[0], len(seq)) for seq in dataset]
            convention = "otb" if split == "real" else "got10k"
            sizes = None if split == "real" else [cv2.imread(str(s.frames[0])).shape[1::-1] for s in dataset]
            rows.append(score_sequences(predictions, list(dataset), convention, image_sizes=sizes)
                        ["overall"]["success_curve"])
        return np.array(rows)


def summarise(protocol, choices, test, real):
    """Statistics, tables, CSV/JSON and plots of the finished protocol -> the markdown text."""
    report = protocol.report
    report.mkdir(parents=True, exist_ok=True)
    sets = {"test": ("held-out synthetic test videos, per-video AO (GOT-10k protocol)", test),
            "real": (f"../shared/data sequences, OTB AUC over {protocol.budget.restarts} TRE starts", real)}
    lines = [f"Claim rule (fixed before the runs): {comparison.CLAIM_RULE}", ""]
    summary, unit_rows = {"choices": choices, "sets": {}}, []
    for split, (title, dataset) in sets.items():
        matrices = {rule: protocol.scores(split, dataset, rule, choices[rule]["chosen"]) for rule in protocol.rules}
        matrices["csrt"] = protocol.scores(split, dataset, "csrt", "csrt")
        names = sorted({seq.attributes.get("sequence", seq.name) for seq in dataset})
        for rule, matrix in matrices.items():
            for seed, row in enumerate(matrix):
                unit_rows += [(split, rule, seed, name, f"{value:.6f}") for name, value in zip(names, row)]
        lines += [f"### {title}", "",
                  f"| rule | seeds | mean [95% CI] | vs {BASELINE} [95% CI] | per-seed differences | "
                  "leave-one-sequence-out | verdict |", "|---|---|---|---|---|---|---|"]
        summary["sets"][split] = {}
        for rule, matrix in matrices.items():
            mean, low, high = comparison.interval(matrix)
            entry = {"mean": mean, "low": low, "high": high, "seeds": len(matrix)}
            cells = [rule, str(len(matrix)), f"{mean:.3f} [{low:.3f}, {high:.3f}]"]
            if rule in (BASELINE, "csrt"):
                cells += ["", "", "", "baseline" if rule == BASELINE else "reference (not trained)"]
            else:
                c = comparison.contrast(matrix, matrices[BASELINE])
                entry["contrast"] = dataclasses.asdict(c)
                cells += [f"{c.mean:+.3f} [{c.low:+.3f}, {c.high:+.3f}]", ", ".join(f"{d:+.3f}" for d in c.per_seed),
                          f"[{c.leave_one_out[0]:+.3f}, {c.leave_one_out[1]:+.3f}]", c.verdict]
            summary["sets"][split][rule] = entry
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        success_plot(report / f"success_{split}.png", protocol, split, dataset, choices, title)
    lines += ["### Choices on the validation split (mean AO over seeds and videos per setting)", "",
              "| rule | chosen | every setting tried |", "|---|---|---|"]
    for rule, choice in choices.items():
        tried = ", ".join(f"{label} {ao:.3f}" for label, ao in choice["validation_ao"].items())
        lines.append(f"| {rule} | {choice['chosen']} | {tried} |")
    lines += ["", "### Time per part (this machine, minutes)", "", "| part | minutes |", "|---|---|"]
    lines += [f"| {part} | {seconds / 60:.1f} |" for part, seconds in protocol.times.items()]
    lines += [f"| total | {sum(protocol.times.values()) / 60:.1f} |", ""]
    with open(report / "units.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("set", "rule", "seed", "sequence", "score"))
        writer.writerows(unit_rows)
    atomic_write(report / "summary.json", json.dumps(summary, indent=1))
    training_curves(report / "training.png", {f"{rule} s{seed}": run for (rule, seed), run in protocol.runs().items()})
    text = "\n".join(lines)
    atomic_write(report / "results.md", text + "\n")
    return text


def success_plot(path, protocol, split, dataset, choices, title):
    """Success curves per rule: the mean over seeds with the seeds' min-max band."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    thresholds = None
    for rule in [*protocol.rules, "csrt"]:
        label = "csrt" if rule == "csrt" else choices[rule]["chosen"]
        curves = protocol.curves(split, dataset, rule, label)
        thresholds = np.linspace(0, 1, curves.shape[1])
        line, = ax.plot(thresholds, curves.mean(axis=0), label=f"{rule} ({curves.mean():.3f})")
        if len(curves) > 1:
            ax.fill_between(thresholds, curves.min(axis=0), curves.max(axis=0), color=line.get_color(), alpha=0.2)
    ax.set(xlabel="overlap threshold", ylabel="success rate", title=title, xlim=(0, 1), ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="runs/ablation")
    parser.add_argument("--size", default="full", choices=sorted(BUDGETS))
    parser.add_argument("--shared", default=str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--rules", nargs="+", help=f"a subset of the rules (with {BASELINE}); default: all")
    args = parser.parse_args(argv)
    protocol = Protocol(args.workdir, args.size, args.shared, args.rules)
    val, test = protocol.timed("data", protocol.synthetic, "val"), protocol.timed("data", protocol.synthetic, "test")
    real = protocol.real()
    pool = protocol.timed("feature pool", protocol.pool)
    protocol.timed("training", protocol.train, pool)
    choices = protocol.timed("validation", protocol.validate, val)
    protocol.timed("test tracking", protocol.test, choices, test, real)
    print(summarise(protocol, choices, test, real))


if __name__ == "__main__":
    main()
