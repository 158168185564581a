"""How the shipped default tracker (`--model default`) is chosen and trained: every choice on a
synthetic validation split, the real sequences of ../shared/data only reported at the end.

Stages (each a unit on disk: a rerun skips what is finished):

1. Label rule and model: the label-assignment protocol's choice on its validation split
   (``docs/ablation/choices.json``, :data:`PROTOCOL_CHOICES`): the rule with the best validation
   AO, trained as that protocol trains it (SiamCAR-style head on a frozen, ImageNet-pretrained
   EfficientNet-Lite0; the feature pool and trainer of :mod:`jaxtrack.train.feature_pool`).
2. Data: the protocol's synthetic training videos (600, seed 1; 1,800 for the more-data run of
   stage 3); validation videos (seed 2) and
   held-out test videos (seed 3), both longer than the protocol's (:data:`BUDGET`).
3. Training length, last backbone stage, checkpoint: two runs of ``BUDGET.steps`` steps of
   ``BUDGET.batch`` pairs from one pool of ``BUDGET.pool`` pairs, same initialisation and pair
   order: the neck and head on the frozen backbone (models written at :data:`SNAPSHOTS`), and the
   same with the backbone's stage 5 (3 blocks, 112 channels) trained too from epoch
   :data:`STAGE5_EPOCH` of 20 at :data:`STAGE5_LR_SCALE` times the rate (pysot's late, slow
   backbone; it runs again from the pool's cached level-4 maps, so the backbone's other stages
   are never run; models at :data:`STAGE5_SNAPSHOTS`). A third run (added 2026-12-01, second
   session) trains the frozen run's config on more data, :data:`MORE_DATA`: 1,800 training
   videos (the same seed, so the first 600 are the others') and a pool of 36,000 pairs, the same
   steps, schedule and initialisation (models at :data:`SNAPSHOTS`). The rule, written before the
   stage-5 run and kept for the third: of all these checkpoints, the one with the best validation
   AO at the protocol's chosen hyperparameter set is kept (every later stage then runs on it).
   A fourth run (added 2026-12-01, second session, after the more-data run had been chosen still
   rising at its last step) trains on the same pool for twice the steps, :data:`LONGER`; the
   same rule covers its checkpoints (:data:`LONGER_SNAPSHOTS` and the last).
   Later runs (:data:`LATER_RUNS`, added 2026-12-01, third session; models at :data:`SNAPSHOTS`
   and the last; the more-data run's steps, schedule, seeds and initialisation): ``varied``, the more-data run
   on varied training videos (the option of :mod:`jaxtrack.data.synthetic`: more source images,
   appearance change, abrupt motion), and ``larger`` (added after ``varied`` lost), twice the
   more-data run's videos and pool (:data:`LARGER`). The rule, written before the varied run and
   kept for the larger one: the checkpoint the rule above keeps competes with the later runs'
   checkpoints by mean AO at the protocol's set over the validation videos and as many varied
   validation videos (seed 7), since either set alone would favour the runs trained on its kind
   of video; the best is kept.
   ``--incumbent DIR`` puts an exported model (the shipped one) in place of the first four runs'
   choice, which are then not trained (how the fifth run was added without repeating them).
4. Tracker hyperparameters: a grid around that set on validation (:data:`PENALTY_K` x
   :data:`WINDOW_INFLUENCE`, then :data:`LR` at the best), the best mean AO kept.
5. Search region: the search crop's side, :data:`SEARCH_SIZES` (a larger crop sees farther,
   at a cost in speed), at the grid's best setting, by validation AO.
6. Lost-target mode (:class:`jaxtrack.track.hyper.Hyper` ``lost_*``): off or one of
   :data:`LOST_SCORES` (search window :data:`LOST_SEARCH_SCALE` times wider while lost), chosen on
   the validation videos together with as many validation videos whose target leaves the frame
   for a while (seed 5, ``out_of_view=1``), by mean AO over both. Then, the same way, the
   template update (``template_rate``, ``template_score``; added 2026-12-01): off or one of
   :data:`TEMPLATE_RATES` x :data:`TEMPLATE_SCORES`.
7. Export: the chosen model, with its chosen tracker settings and how it was trained (steps,
   batch, this file) stored in the model directory, to
   ``--export`` (what ``jaxtrack/weights/cpu_default`` ships).
8. Report (no choice): AO on held-out synthetic test videos (seed 3), on held-out out-of-view
   videos (seed 6) and on held-out varied videos (seed 8), the default beside the same model
   without the template update, without lost mode, and CSRT.

Command (resumable; it made the shipped ``jaxtrack/weights/cpu_default``, the larger run's
model, trained and tracked on 2026-12-01 (third session) with that day's CPU compiler option, YNNPACK's
``REDUCE`` fusion type; the frozen run and its tracks date from 2026-11-30 under ``DOT``, which
rounds differently, so a rerun from scratch gives slightly different figures for them):
  python experiments/default_tracker.py --workdir runs/default_tracker --export DIR
Runtime: 92 minutes from scratch on the project's 2-core CPU shared with other jobs (2026-11-30:
pool 16, training 35, validation 28, test tracking 13), before the search-region stage; resuming
after it was added took 26 more (validation 17, test tracking 9); resuming after the stage-5
run was added (2026-12-01, idle, today's compiler option; the frozen run kept) took 44 more
(training 42: 1,200 steps at about 40 pairs/s, then 1,200 at about 10; validation 2; the frozen
checkpoint stayed the choice, so nothing after it was rerun); resuming after the template-update
stage was added took 16 more (its validation 15; template update off stayed the choice); resuming
after the more-data run was added (2026-12-01, idle) took 68 more (its videos and pool 18, training
15 at about 43 pairs/s, validation 29: its 2,400-step checkpoint won, so every later stage ran
again on it, test tracking 6); resuming after the longer run was added (2026-12-01, idle) took
31 more (training 28, validation 3; its checkpoints lost, 0.618-0.644 against 0.670). The later
runs were added on 2026-12-01 (third session) in a fresh workdir, the shipped model as the incumbent:
  python experiments/default_tracker.py --workdir runs/default_tracker --incumbent COPY_OF_SHIPPED_MODEL
The varied run took 31 minutes, idle (its videos and pool 13 at about 52 pairs/s, training 11 at
about 58 pairs/s, validation 6; it lost, 0.656 against 0.664, and the run was stopped before the
later stages reran on the incumbent); resuming with the larger run took 77 more, idle (its 3,600
videos and 72,000 pairs 27, training 14 at about 46 pairs/s, validation 25: its 2,400-step
checkpoint won, 0.675, so every later stage ran on it, test tracking 10); the export, a rerun
with ``--export``, under 1. The shipped model is that run's (training it from scratch: videos,
pool and training, 41 minutes). Per part in WORKDIR/report/times.json; the choices and figures
are in docs/results.md.
Output: WORKDIR/report/choices.json (every validation figure and the choices), times.json,
test.json; the exported model directory.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import pathlib
import shutil

import numpy as np

from jaxtrack import models
from jaxtrack.config import plain_dict
from jaxtrack.data.readers import open_dataset
from jaxtrack.data.synthetic import make_synthetic
from jaxtrack.eval.runner import run_benchmark
from jaxtrack.files import atomic_write
from jaxtrack.models import family_of
from jaxtrack.models.model_files import TRAINING, read_metadata, write_metadata
from jaxtrack.track import hyper as hyper_sets
from jaxtrack.track.loading import TRACKERS, set_tracker
from jaxtrack.train.pool_trainer import MODEL_DIR, train_on_pool

import ablation_labels  # experiments/ is on sys.path when this file runs

PROTOCOL_CHOICES = pathlib.Path(__file__).resolve().parents[1] / "docs" / "ablation" / "choices.json"
BUDGET = ablation_labels.Budget(pool=12000, steps=2400, batch=16, train_videos=600, val_videos=30,
                                test_videos=60, frames=100, restarts=1)
SNAPSHOTS = (600, 1200, 1800)
"""Earlier steps written besides the last; with it, the checkpoints validation chooses from."""
STAGE5_FROM_LEVEL, STAGE5_EPOCH, STAGE5_LR_SCALE = 4, 10, 0.1
"""Stage 5 runs again from the cached level-4 maps, trains from epoch 10 of 20 at 0.1x the rate."""
STAGE5_SNAPSHOTS = (1800,)
"""The stage-5 run's earlier checkpoint (before epoch 10 it equals the frozen run)."""
MORE_DATA = dataclasses.replace(BUDGET, pool=36000, train_videos=1800)
"""The more-data run's sizes: three times the training videos (the first 600 are the frozen run's)
and a pool three times larger, so that its 2,400 steps see each pair about once, not three times."""
LONGER = dataclasses.replace(MORE_DATA, steps=4800)
LONGER_SNAPSHOTS = (2400, 3600)
"""The longer run: the more-data run's pool and config over twice the steps (the schedule
stretched to 4,800), models also written at these steps."""
VARIED = dataclasses.replace(MORE_DATA, varied=True)
"""The varied run's sizes: the more-data run's, its 1,800 training videos varied (more source
images, appearance change, jumps; :mod:`jaxtrack.data.synthetic`)."""
LARGER = dataclasses.replace(MORE_DATA, pool=72000, train_videos=3600)
"""The larger run's sizes: twice the more-data run's videos (the first 1,800 are its videos) and
pool, the same 2,400 steps, so each pair is seen about half a time."""
LATER_RUNS = {"varied": VARIED, "larger": LARGER}
"""The runs added after the first four (name: sizes), each from its own videos and pool."""
SEED = 0
EXTRA_SETS = {"val_oov": dict(seed=5, out_of_view=1.0), "test_oov": dict(seed=6, out_of_view=1.0),
              "val_varied": dict(seed=7, varied=True), "test_varied": dict(seed=8, varied=True)}
"""Further synthetic sets of ``BUDGET.val_videos`` videos: targets that leave the frame (every
video) and varied videos, for validation and held-out test."""
INCUMBENT = "incumbent"
"""The name of the ``--incumbent`` model among the checkpoints."""
LOST_SCORES, LOST_SEARCH_SCALE = (0.1, 0.2, 0.3), 2.0
"""Lost-mode thresholds tried on validation (0 = off is the alternative) and the window factor."""
TEMPLATE_RATES, TEMPLATE_SCORES = (0.02, 0.05, 0.1), (0.3, 0.6)
"""Template-update rates and lowest scores tried on validation (off is the alternative)."""


def protocol_rule(choices_path=PROTOCOL_CHOICES):
    """(rule, its hyperparameter set label, validation AO) with the best validation AO of the
    label-assignment protocol."""
    choices = json.loads(pathlib.Path(choices_path).read_text())
    rule = max(choices, key=lambda r: choices[r]["validation_ao"][choices[r]["chosen"]])
    chosen = choices[rule]["chosen"]
    return rule, chosen, choices[rule]["validation_ao"][chosen]


def setting(base_label, base, **values):
    """``base`` with ``values`` replaced -> (its ``--hyper`` string, :class:`Hyper`)."""
    hyper = base._replace(**values)
    changed = [f"{field}={value:g}" for field, value in zip(hyper._fields, hyper)
               if not np.isclose(value, getattr(base, field))]
    return ",".join([base_label, *changed]), hyper


PENALTY_K, WINDOW_INFLUENCE, LR = (0.1, 0.2, 0.3), (0.3, 0.45, 0.6), (0.2, 0.35, 0.5)
"""The tracker grid: penalty x window influence at the base set's rate, then the rate at the best."""
SEARCH_SIZES = (255, 287, 319)
"""Search-crop sides tried at the grid's best setting (SiamCAR's 255; pysot's AlexNet set uses 287)."""


class DefaultSelection:
    """The stages of the module docstring over a :class:`ablation_labels.Protocol` in ``workdir``."""

    def __init__(self, workdir, shared, incumbent=None):
        self.incumbent = None if incumbent is None else pathlib.Path(incumbent)
        self.rule, self.base_label, self.protocol_ao = protocol_rule()
        self.protocol = ablation_labels.Protocol(workdir, "full", shared, only=[ablation_labels.BASELINE, self.rule],
                                                 budget=BUDGET)
        self.spec = self.protocol.rules[self.rule]
        self.family = family_of(models.build({"name": self.spec.model})).name
        self.run = self.protocol.workdir / "runs" / self.rule
        self.stage5_run = self.protocol.workdir / "runs" / f"{self.rule}_stage5"
        self.more_data = ablation_labels.Protocol(self.protocol.workdir / "more_data", "full", shared,
                                                  only=[ablation_labels.BASELINE, self.rule], budget=MORE_DATA)
        self.more_data_run = self.protocol.workdir / "runs" / f"{self.rule}_more_data"
        self.longer_run = self.protocol.workdir / "runs" / f"{self.rule}_longer"
        self.later = {name: (ablation_labels.Protocol(self.protocol.workdir / name, "full", shared,
                                                      only=[ablation_labels.BASELINE, self.rule], budget=budget),
                             self.protocol.workdir / "runs" / f"{self.rule}_{name}", budget)
                      for name, budget in LATER_RUNS.items()}
        self.choices_path = self.protocol.report / "choices.json"
        self.choices = json.loads(self.choices_path.read_text()) if self.choices_path.exists() else {}
        self.choices["rule"] = {"chosen": self.rule, "hyper": self.base_label, "protocol_validation_ao": self.protocol_ao}

    def save(self):
        atomic_write(self.choices_path, json.dumps(self.choices, indent=1))

    def config(self, budget=BUDGET, data_root=None):
        data_root = data_root or self.protocol.workdir / "synthetic"
        return plain_dict(ablation_labels.run_config(self.spec, SEED, budget, data_root))

    def stage5_config(self):
        """The frozen run's config with stage 5 trained from :data:`STAGE5_EPOCH`."""
        config = self.config()
        config["pool_from_level"] = STAGE5_FROM_LEVEL
        config["optim"].update(backbone_epoch=STAGE5_EPOCH, backbone_lr_scale=STAGE5_LR_SCALE,
                               trainable_backbone=list(self.stage5_blocks()))
        return config

    def stage5_blocks(self):
        return models.build({"name": self.spec.model}).backbone.blocks_after(STAGE5_FROM_LEVEL)

    def pools(self):
        """The feature pools of the runs: ``(pool, more-data pool, {later run: pool})``; the first
        two are None with an ``--incumbent`` (their runs are not trained), a later run's is None
        once the run is finished (its pool may then be deleted)."""
        later = {name: None if (run / MODEL_DIR).exists() else protocol.pool()
                 for name, (protocol, run, _) in self.later.items()}
        if self.incumbent is not None:
            return None, None, later
        return self.protocol.pool(), self.more_data.pool(), later

    def train(self, pool, more_data_pool, later_pools):
        if self.incumbent is None:
            train_on_pool(self.config(), pool, self.run, order_seed=SEED, snapshots=SNAPSHOTS)
            train_on_pool(self.stage5_config(), pool, self.stage5_run, order_seed=SEED,
                          snapshots=STAGE5_SNAPSHOTS)
            train_on_pool(self.config(MORE_DATA, self.more_data.workdir / "synthetic"), more_data_pool,
                          self.more_data_run, order_seed=SEED, snapshots=SNAPSHOTS)
            train_on_pool(self.config(LONGER, self.more_data.workdir / "synthetic"), more_data_pool,
                          self.longer_run, order_seed=SEED, snapshots=LONGER_SNAPSHOTS)
        for name, (protocol, run, budget) in self.later.items():
            train_on_pool(self.config(budget, protocol.workdir / "synthetic"), later_pools[name], run,
                          order_seed=SEED, snapshots=SNAPSHOTS)

    def checkpoints(self):
        """``{name: (model directory, its training record)}``: the first four runs' checkpoints (or
        the ``--incumbent`` in their place) and the later runs' (:data:`LATER_RUNS`)."""
        def of(run, prefix, snapshots, blocks, budget=BUDGET):
            return {f"{prefix}step{step}": (run / (MODEL_DIR if step == budget.steps else f"{MODEL_DIR}_{step}"),
                                            training_record(step, blocks, budget))
                    for step in (*snapshots, budget.steps)}
        if self.incumbent is not None:
            first = {INCUMBENT: (self.incumbent, read_metadata(self.incumbent)[TRAINING])}
        else:
            first = {**of(self.run, "", SNAPSHOTS, []),
                     **of(self.stage5_run, "stage5-", STAGE5_SNAPSHOTS, list(self.stage5_blocks())),
                     **of(self.more_data_run, "more-data-", SNAPSHOTS, [], MORE_DATA),
                     **of(self.longer_run, "longer-", LONGER_SNAPSHOTS, [], LONGER)}
        later = [of(run, f"{name}-", SNAPSHOTS, [], budget) for name, (_, run, budget) in self.later.items()]
        return {**first, **{name: entry for run in later for name, entry in run.items()}}

    def chosen(self):
        """The name of the chosen checkpoint (after the later runs' stage)."""
        return self.choices["later_runs"]["chosen"]

    def result_name(self, label):
        """Folder name of the chosen checkpoint's tracks under tracker setting ``label``."""
        return f"{self.chosen()}-{label}"

    def per_video_ao(self, candidates, sets):
        """Track ``{name: (model_dir, Hyper, label)}`` on each ``(split, dataset)`` of ``sets`` ->
        ``{name: [AO of every video of every set]}``."""
        per_video = {name: [] for name in candidates}
        for split, dataset in sets:
            self.protocol.track_all([(model_dir, hyper, label, dataset, self.protocol.tracks(split, "default", 0, name))
                                     for name, (model_dir, hyper, label) in candidates.items()], split)
            for name in candidates:
                per_video[name].extend(self.protocol.sequence_scores(split, dataset, "default", 0, name).values())
        return per_video

    def validation_ao(self, candidates, val):
        """Track ``{name: (model_dir, Hyper, label)}`` on validation -> ``{name: mean AO}``."""
        return {name: float(np.mean(v)) for name, v in self.per_video_ao(candidates, [("val", val)]).items()}

    def base_hyper(self):
        return self.protocol.settings(self.rule)[self.base_label]

    def choose_checkpoint(self, val, val_varied):
        """Two steps, each by validation AO at the protocol's hyperparameter set: the best checkpoint
        of the first four runs on the validation videos (with ``--incumbent``: that model), then
        the best of it and the later runs' checkpoints by mean AO over the validation and the
        varied validation videos -> the chosen model directory."""
        checkpoints = self.checkpoints()
        later = [name for name in checkpoints if name.split("-")[0] in LATER_RUNS]
        if self.incumbent is None:
            first = {name: (path, self.base_hyper(), self.base_label)
                     for name, (path, _) in checkpoints.items() if name not in later}
            scores = self.validation_ao(first, val)
            self.choices["checkpoint"] = {"chosen": max(scores, key=scores.get), "validation_ao": scores}
        else:
            self.choices["checkpoint"] = {"chosen": INCUMBENT, "model": str(self.incumbent)}
        candidates = {name: (checkpoints[name][0], self.base_hyper(), self.base_label)
                      for name in [self.choices["checkpoint"]["chosen"], *later]}
        per_video = self.per_video_ao(candidates, [("val", val), ("val_varied", val_varied)])
        scores = {name: float(np.mean(v)) for name, v in per_video.items()}
        self.choices["later_runs"] = {"chosen": max(scores, key=scores.get), "validation_ao": scores,
                                     "videos": len(per_video[self.choices["checkpoint"]["chosen"]])}
        self.save()
        return checkpoints[self.chosen()][0]

    def settings_ao(self, model_dir, settings, val):
        """Validation AO of the chosen checkpoint ``model_dir`` under each ``(label, Hyper)`` of
        ``settings`` -> ``{label: mean AO}``."""
        candidates = {self.result_name(label): (model_dir, values, label) for label, values in settings}
        scores = self.validation_ao(candidates, val)
        return {label: scores[self.result_name(label)] for label, _ in settings}

    def choose_hyper(self, model_dir, val):
        """The tracker grid (:data:`PENALTY_K` x :data:`WINDOW_INFLUENCE`, then :data:`LR`) on
        validation -> the chosen ``--hyper`` string."""
        first = self.settings_ao(model_dir, [setting(self.base_label, self.base_hyper(), penalty_k=p, window_influence=w)
                                             for p, w in itertools.product(PENALTY_K, WINDOW_INFLUENCE)], val)
        best = hyper_sets.select(self.family, max(first, key=first.get))[1]
        second = self.settings_ao(model_dir, [setting(self.base_label, self.base_hyper(), penalty_k=best.penalty_k,
                                                      window_influence=best.window_influence, lr=lr) for lr in LR], val)
        scores = {**first, **second}
        self.choices["hyper"] = {"chosen": max(scores, key=scores.get), "validation_ao": scores}
        self.save()
        return self.choices["hyper"]["chosen"]

    def choose_search_size(self, model_dir, label, val):
        """The search crop's side (:data:`SEARCH_SIZES`) at the chosen tracker setting ``label``,
        by validation AO -> the chosen ``--hyper`` string (``label`` itself for 255)."""
        labels = [label if size == 255 else f"{label},search_size={size}" for size in SEARCH_SIZES]
        scores = self.settings_ao(model_dir, [(s, hyper_sets.select(self.family, s)[1]) for s in labels], val)
        self.choices["search_size"] = {"chosen": max(scores, key=scores.get), "validation_ao": scores}
        self.save()
        return self.choices["search_size"]["chosen"]

    def extra_set(self, split):
        """The videos of :data:`EXTRA_SETS` ``split`` (written on first use)."""
        root, layout_split = self.protocol.workdir / f"synthetic_{split}", split.split("_")[0]
        if not (root / layout_split / "list.txt").exists():
            make_synthetic(root, BUDGET.val_videos, BUDGET.frames, split=layout_split, **EXTRA_SETS[split])
        return open_dataset("got10k", str(root), split=layout_split)

    def choose_lost_mode(self, model_dir, label, val, val_oov):
        """Lost mode off or at one of :data:`LOST_SCORES`, by mean AO over the validation videos and
        the out-of-view validation videos -> the chosen ``--hyper`` string."""
        settings = [label] + [f"{label},lost_score={score:g},lost_search_scale={LOST_SEARCH_SCALE:g}"
                              for score in LOST_SCORES]
        return self.choose_on_both("lost_mode", model_dir, settings, val, val_oov)

    def choose_template_update(self, model_dir, label, val, val_oov):
        """Template update off or at one of :data:`TEMPLATE_RATES` x :data:`TEMPLATE_SCORES`, by
        mean AO over the validation and out-of-view validation videos -> the chosen ``--hyper``."""
        settings = [label] + [f"{label},template_rate={rate:g},template_score={score:g}"
                              for rate, score in itertools.product(TEMPLATE_RATES, TEMPLATE_SCORES)]
        return self.choose_on_both("template_update", model_dir, settings, val, val_oov)

    def choose_on_both(self, stage, model_dir, settings, val, val_oov):
        """The ``--hyper`` string of ``settings`` with the best mean AO over the validation and the
        out-of-view validation videos, recorded as choice ``stage``."""
        candidates = {self.result_name(s): (model_dir, hyper_sets.select(self.family, s)[1], s) for s in settings}
        per_video = self.per_video_ao(candidates, [("val", val), ("val_oov", val_oov)])
        per_video = {s: per_video[self.result_name(s)] for s in settings}
        scores = {s: float(np.mean(v)) for s, v in per_video.items()}
        self.choices[stage] = {"chosen": max(scores, key=scores.get), "validation_ao": scores,
                               "videos": len(per_video[settings[0]])}
        self.save()
        return self.choices[stage]["chosen"]

    def test(self, model_dir, trackers, sets):
        """AO of the ``trackers`` ({name: ``--hyper`` string of the chosen model}: the default and
        its settings before the last stages) and CSRT on the held-out ``sets`` ({split: dataset})
        -> ``{split: {tracker: {"ao", "videos"}}}`` (reported, never chosen on)."""
        result = {}
        for split, dataset in sets.items():
            units = [(model_dir, hyper_sets.select(self.family, s)[1], s, dataset,
                      self.protocol.tracks(split, "default", 0, self.result_name(s)))
                     for s in dict.fromkeys(trackers.values())]
            self.protocol.track_all(units, split)
            run_benchmark(TRACKERS.get("csrt"), dataset, str(self.protocol.tracks(split, "csrt", 0, "csrt")),
                          progress=False)
            result[split] = {}
            named = {k: ("default", self.result_name(v)) for k, v in trackers.items()}
            for name, (rule, s) in {**named, "csrt": ("csrt", "csrt")}.items():
                per_video = self.protocol.sequence_scores(split, dataset, rule, 0, s)
                result[split][name] = {"ao": float(np.mean(list(per_video.values()))), "videos": len(per_video)}
        atomic_write(self.protocol.report / "test.json", json.dumps(result, indent=1))
        return result


def training_record(steps, backbone_blocks, budget):
    """How a checkpoint was trained: ``steps`` of ``budget.batch`` pairs from a pool of
    ``budget.pool`` drawn from ``budget.train_videos`` synthetic videos (varied or not), these
    ``backbone_blocks`` trained from :data:`STAGE5_EPOCH`, by this file."""
    return {"steps": steps, "batch": budget.batch, "pool": budget.pool, "train_videos": budget.train_videos,
            "varied_videos": budget.varied, "recipe": "experiments/default_tracker.py",
            "backbone_blocks": backbone_blocks}


def export(model_dir, label, training, out):
    """Copy the chosen model directory to ``out`` (a new folder) with its tracker settings ``label``
    and its ``training`` record (:func:`training_record`)."""
    out = pathlib.Path(out)
    if out.exists():
        raise SystemExit(f"--export {out} exists; remove it or choose a new folder")
    shutil.copytree(model_dir, out)
    set_tracker(out, label)
    metadata = read_metadata(out)
    metadata[TRAINING] = training
    write_metadata(out, metadata)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="runs/default_tracker")
    parser.add_argument("--shared", default=str(pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--export", help="write the chosen model here (a new folder)")
    parser.add_argument("--incumbent", help="an exported model (e.g. jaxtrack/weights/cpu_default) that "
                        "takes the place of the first four runs' best checkpoint: those runs are not trained")
    args = parser.parse_args(argv)
    selection = DefaultSelection(args.workdir, args.shared, args.incumbent)
    protocol = selection.protocol
    val = protocol.timed("data", protocol.synthetic, "val")
    test = protocol.timed("data", protocol.synthetic, "test")
    pools = protocol.timed("feature pool", selection.pools)
    protocol.timed("training", selection.train, *pools)
    val_varied = protocol.timed("data", selection.extra_set, "val_varied")
    model_dir = protocol.timed("validation", selection.choose_checkpoint, val, val_varied)
    label = protocol.timed("validation", selection.choose_hyper, model_dir, val)
    label = protocol.timed("validation", selection.choose_search_size, model_dir, label, val)
    val_oov = protocol.timed("data", selection.extra_set, "val_oov")
    with_lost = protocol.timed("validation", selection.choose_lost_mode, model_dir, label, val, val_oov)
    chosen = protocol.timed("validation", selection.choose_template_update, model_dir, with_lost, val, val_oov)
    print(json.dumps(selection.choices, indent=1))
    sets = {"test": test, **{split: protocol.timed("data", selection.extra_set, split)
                             for split in ("test_oov", "test_varied")}}
    trackers = {"default": chosen, "default_without_template_update": with_lost, "default_without_lost_mode": label}
    print(json.dumps(protocol.timed("test tracking", selection.test, model_dir, trackers, sets), indent=1))
    if args.export:
        export(model_dir, chosen, selection.checkpoints()[selection.chosen()][1], args.export)


if __name__ == "__main__":
    main()
