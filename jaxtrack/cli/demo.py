"""The whole loop on the embedded synthetic data: data, labels, training, tracking, evaluation.

Writes synthetic training and held-out videos, trains two CPU-sized trackers on a pretrained
EfficientNet-Lite0 backbone with the same budget (SiamDLA's dynamic labels and SiamCAR's fixed
centre region), tracks the held-out videos (and an OTB-format folder given with --data) with
both, with the shipped default tracker (``--model default``) and with OpenCV's CSRT, and writes
WORKDIR/report.md with the results table, success/precision plots, training curves, label maps
and training pairs. --minutes sets the training steps from an assumed throughput
(:data:`PAIRS_PER_SECOND`); measured run times are in the README. Rerunning resumes what is
finished.

Example:
  jaxtrack demo --workdir runs/demo --data ../shared/data/otb
"""

from __future__ import annotations

import pathlib
import time

from jaxtrack.errors import JaxtrackError

HELP = "the whole loop on the embedded synthetic data (data, training, tracking, report)"
OUTPUTS = {"workdir": "dir"}

PAIRS_PER_SECOND = 12.0
"""Training throughput assumed to turn ``minutes`` into steps: a conservative figure for the lite0
trackers with a frozen backbone on a shared 2-core CPU (docs/benchmarks.md has measured ones)."""
FIXED_SECONDS = 200.0
"""Time the budget reserves for data, compilation, tracking and the report."""
BATCH = 16
ASSIGNERS = ("dla", "center_region")
"""The two trainings: SiamDLA's dynamic labels and SiamCAR's fixed centre region (their configs in
:func:`demo_config`, imported there so that ``jaxtrack --help`` stays fast)."""


def training_steps(minutes):
    """Steps per tracker that fit ``minutes`` for both trainings (at least 20)."""
    seconds = max(minutes * 60.0 - FIXED_SECONDS, 0.0) / len(ASSIGNERS)
    return max(20, int(seconds * PAIRS_PER_SECOND / BATCH))


def demo_config(assigner, data_root, steps, seed, smoke=False):
    """The demo's training config for ``assigner`` (one of :data:`ASSIGNERS`): a SiamCAR head on
    the frozen, pretrained EfficientNet-Lite0 (``smoke``: the small backbone from scratch on a
    tiny training set, for tests), ``steps`` steps of :data:`BATCH` pairs over 4 epochs with
    pysot's optimiser (warm-up 0.001 -> 0.005 in the first epoch, log decay to 0.0005), on
    synthetic videos generated into ``data_root``."""
    import ml_collections

    from jaxtrack.assign import PRESETS

    rules = {"dla": PRESETS["dla_plus"], "center_region": PRESETS["siamcar_center"]}
    epochs = 4
    return ml_collections.ConfigDict(dict(
        seed=seed,
        model={"name": "siamcar_small" if smoke else "siamcar_lite0"},
        assigner=dict(rules[assigner]),
        loss={"name": "siamcar"},
        pretrained=None if smoke else {"kind": "efficientnet_lite0", "path": None},
        optim=dict(epochs=epochs, steps_per_epoch=max(1, steps // epochs), warmup_epochs=1, warmup_lr=0.001,
                   base_lr=0.005, end_lr=0.0005, momentum=0.9, weight_decay=1e-4, grad_clip=10.0,
                   backbone_epoch=10 * epochs, backbone_lr_scale=0.1, trainable_backbone=None),
        data=dict(batch_size=BATCH, neg=0.2, gray=0.0, num_workers=0, read_threads=2, sources=[dict(
            kind="synthetic", root=str(data_root), num_sequences=6 if smoke else 200,
            frames=(20, 20) if smoke else (40, 80), frame_range=50, num_use=-1, seed=seed)]),
        log_every=max(1, steps // 20), checkpoint_every=max(10, steps // 2), keep_checkpoints=3))


def pair_picture(path, data_root, seed):
    """A grid of 8 training pairs as the pipeline makes them, ground truth drawn."""
    import numpy as np

    from jaxtrack.data.pairs import PairSampler, Source, save_pair_grid
    from jaxtrack.data.readers import open_dataset

    sampler = PairSampler([Source(open_dataset("got10k", str(data_root), split="train"), frame_range=50)],
                          seed=seed)
    items = [sampler[i] for i in range(8)]
    save_pair_grid({k: np.stack([item[k] for item in items]) for k in items[0]}, path)


def _table(trackers, columns):
    """Markdown table of one evaluation's trackers: the score columns and frames per second."""
    lines = ["| tracker | " + " | ".join(columns) + " | fps |", "|---" * (len(columns) + 2) + "|"]
    for name, entry in trackers.items():
        overall = entry["scores"]["overall"]
        fps = entry["speed"]["fps"]
        cells = [f"{overall[c]:.3f}" for c in columns] + [f"{fps:.1f}" if fps else "-"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_demo(workdir, *, data=None, minutes=8.0, seed=0, progress=True, smoke=False):
    """Run the demo into ``workdir`` and return the path of ``report.md``.

    Args:
      workdir: output folder (created; an earlier demo there is resumed).
      data: optional OTB-format folder to evaluate on as well.
      minutes: the time budget on a 2-core CPU; sets the training steps.
      seed: seed of the data, the training and the pair picture.
      smoke: tiny settings (small backbone, a few short videos, a few steps) for tests.
    """
    import jax

    from jaxtrack.data.synthetic import make_synthetic
    from jaxtrack.eval.evaluation import track_and_score
    from jaxtrack.eval.report import write_report
    from jaxtrack.figures import study_report
    from jaxtrack.figures.plots import label_map_gallery
    from jaxtrack.figures.training import training_curves
    from jaxtrack.models.model_files import TRAINING, read_metadata
    from jaxtrack.track.loading import DEFAULT, DEFAULT_MODEL
    from jaxtrack.train.trainer import train

    if minutes <= 0:
        raise JaxtrackError(f"--minutes must be positive, got {minutes}")
    if data is not None and not pathlib.Path(data).is_dir():
        raise JaxtrackError(f"--data {data}: not a folder (expected OTB-format sequences)")
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    data_root = workdir / "synthetic"
    if not (data_root / "val" / "list.txt").exists():
        print("demo: writing held-out synthetic videos ...", flush=True)
        make_synthetic(data_root, num_sequences=2 if smoke else 8, frames=(20, 20) if smoke else (80, 120),
                       seed=seed + 1, split="val")

    steps = 4 if smoke else training_steps(minutes)
    runs = {}
    for name in ASSIGNERS:
        print(f"demo: training the {name} tracker ({steps} steps of {BATCH} pairs) ...", flush=True)
        runs[name] = workdir / "runs" / name
        train(demo_config(name, data_root, steps, seed, smoke), runs[name], progress=progress)

    print("demo: tracking the held-out videos ...", flush=True)
    models = [str(path) for path in runs.values()] + [DEFAULT, "csrt"]
    results = {"synthetic (held-out, GOT-10k protocol)": (
        track_and_score(models, "got10k", str(data_root), str(workdir / "eval"), split="val", progress=progress,
                        force=True),
        ("ao", "sr50", "sr75"))}
    if data is not None:
        print(f"demo: tracking the sequences in {data} ...", flush=True)
        results[f"{pathlib.Path(data).name} (OTB protocol)"] = (
            track_and_score(models, "otb", str(data), str(workdir / "eval"), progress=progress, force=True),
            ("auc", "precision", "norm_precision"))

    trained = read_metadata(DEFAULT_MODEL)[TRAINING]
    default_label = (f"default (shipped, trained offline: {trained['steps']:,} steps, "
                     f"{trained['train_videos']:,} videos)")
    sections = []
    for label, (result, columns) in results.items():
        trackers = {default_label if e["model"] == DEFAULT else n: e for n, e in result["trackers"].items()}
        paths = write_report({n: e["scores"] for n, e in trackers.items()}, str(workdir / "eval" / result["benchmark"]))
        images = " ".join(f"![{kind}]({pathlib.Path(paths[kind]).relative_to(workdir)})"
                          for kind in ("success", "precision"))
        sections.append(f"### {label}\n\n{_table(trackers, columns)}\n\n{images}\n")
    training_curves(workdir / "training.png", runs)
    pair_picture(workdir / "pairs.png", data_root, seed)
    label_map_gallery(workdir / "label_maps.png", study_report.gallery_rows(jax.random.key(seed)),
                      study_report.GALLERY_BOXES, box_titles=study_report.GALLERY_TITLES)

    elapsed = (time.perf_counter() - start) / 60
    report = f"""# jaxtrack demo

Two SiamCAR-style trackers on a frozen, ImageNet-pretrained EfficientNet-Lite0 backbone, trained
on the embedded synthetic videos for {steps} steps of {BATCH} pairs each (same seed, same data),
differ only in their labels: **dla** (SiamDLA's dynamic assignment: 16 nearest points, virtual
anchor IoU >= mean + std, keep_best) and **center_region** (SiamCAR's fixed rule). Beside them
track the shipped `--model default`, **{default_label}** in the tables, and
OpenCV's CSRT, the classical peer. The minutes-long runs stay low because they train only
{steps} steps of {BATCH} pairs, while the default was trained offline for
{trained['steps']:,} steps of {trained['batch']} pairs on the same kind of synthetic videos
(`{trained['recipe']}`, `docs/results.md`). Total time: {elapsed:.1f} minutes.

## Results

{chr(10).join(sections)}
## Training

![training curves](training.png)

Training pairs (template left with its box, search crop right; green: positive pair, red:
negative pair):

![pairs](pairs.png)

## Label maps

![label maps](label_maps.png)

Configs, metrics (`metrics.jsonl`) and checkpoints of both runs are in `runs/`; per-sequence
results in `eval/`. `jaxtrack study` compares the assigners on 10,000 boxes.
"""
    path = workdir / "report.md"
    path.write_text(report)
    return path


def configure(parser):
    parser.add_argument("--workdir", default="runs/demo", help="output folder (default: %(default)s)")
    parser.add_argument("--data", help="also evaluate on this OTB-format folder")
    parser.add_argument("--minutes", type=float, default=8.0,
                        help="time budget on a 2-core CPU; sets the training steps (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny settings (small backbone, a few short videos and steps), for tests")


def run(args):
    report = run_demo(args.workdir, data=args.data, minutes=args.minutes, seed=args.seed,
                      progress=not args.no_progress, smoke=args.smoke)
    print(f"demo: report written to {report}")
