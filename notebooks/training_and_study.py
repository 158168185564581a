# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A training run and the assigner study
#
# Reads two kinds of output:
#
# - a training run (`jaxtrack train --config ... --workdir RUN_DIR`): `metrics.jsonl`, one line
#   per logged step with the loss terms, the learning rate, the positives and negatives the
#   assigner gave per image, the gradient norm and the throughput; and `config.json`;
# - an assigner study (`jaxtrack study --workdir STUDY_DIR`): `study.json`, per assigner setting
#   and per target scale / aspect-ratio bin, the positives per target and the share of targets
#   left with no positive.
#
# If `RUN_DIR` has no `metrics.jsonl`, the notebook trains `EXPERIMENT` there (the `smoke` size
# takes a few steps on a CPU); if `STUDY_DIR` has no `study.json`, it runs a small study. Both go
# through the same entry point as the command line, `jaxtrack.cli.main`. Relative paths are
# taken from the repository root.

# %% tags=["parameters"]
RUN_DIR = "runs/notebook/dla_siamcar_smoke"  # a `jaxtrack train` workdir
STUDY_DIR = "runs/notebook/study_small"  # a `jaxtrack study` workdir
EXPERIMENT = "experiments/dla_siamcar_r50.py:smoke"  # trained into RUN_DIR if it has no metrics
TRAIN_OVERRIDES = []  # extra `--set KEY=VALUE` for that run, e.g. ["optim.epochs=1"]
STUDY_BOXES = 500  # study size if STUDY_DIR has no study.json
STUDY_GRID = "small"  # "small" (12 settings) or "default" (94)
COMPARE = (0, 1)  # two settings of the study (numbers in the heat map's rows, from 0) side by side

# %%
import json
import math
import os
import inspect
import pathlib
import tempfile
import types

import matplotlib
import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np

import jaxtrack
from jaxtrack.assign import ASSIGNERS, label_study
from jaxtrack.cli import main as jaxtrack_cli
from jaxtrack.figures import plots, study_report
from jaxtrack.train.metrics_log import read_metrics
from notebook_display import inline, png_bytes, show_figure, show_markdown, show_png, show_widget  # beside this notebook

if os.environ.get("JAXTRACK_NOTEBOOK_SMALL") == "1":  # the tests: 4 smoke steps instead of 8, each logged
    TRAIN_OVERRIDES = ["optim.epochs=1", "log_every=1"]
# the tests point these at temporary folders
RUN_DIR = os.environ.get("JAXTRACK_RUN_DIR") or RUN_DIR
STUDY_DIR = os.environ.get("JAXTRACK_STUDY_DIR") or STUDY_DIR
FIGURES = pathlib.Path(os.environ.get("JAXTRACK_NOTEBOOK_FIGURES") or tempfile.mkdtemp(prefix="training_"))
FIGURES.mkdir(parents=True, exist_ok=True)


def repository_root():
    """The folder holding ``experiments/`` (the working directory or above, else the package's)."""
    here = pathlib.Path.cwd()
    for folder in (here, *here.parents, pathlib.Path(jaxtrack.__file__).resolve().parents[1]):
        if (folder / "experiments").is_dir() and (folder / "jaxtrack").is_dir():
            return folder
    return here


REPO = repository_root()
RUN_DIR, STUDY_DIR = (REPO / RUN_DIR).resolve(), (REPO / STUDY_DIR).resolve()


def show(fig, name):
    """Save ``fig`` as FIGURES/name.png and show it in the notebook."""
    show_figure(fig, FIGURES / f"{name}.png")


def cli(*args):
    """Run a ``jaxtrack`` command in this process; raise if it fails."""
    print("$ jaxtrack", " ".join(args), flush=True)
    code = jaxtrack_cli(list(args))
    if code:
        raise RuntimeError(f"jaxtrack {args[0]} failed with exit code {code} (message above)")


print(f"run: {RUN_DIR}\nstudy: {STUDY_DIR}")

# %% [markdown]
# ## Produce what is missing

# %%
if not (RUN_DIR / "metrics.jsonl").exists():
    config, _, size = EXPERIMENT.partition(":")
    overrides = [arg for item in TRAIN_OVERRIDES for arg in ("--set", item)]
    cli("train", "--config", str(REPO / config) + (f":{size}" if size else ""), "--workdir", str(RUN_DIR),
        "--no-progress", *overrides)
if not (STUDY_DIR / "study.json").exists():
    cli("study", "--workdir", str(STUDY_DIR), "--boxes", str(STUDY_BOXES), "--grid", STUDY_GRID)

# %% [markdown]
# ## The training run
#
# A resumed run logs again the steps after its last checkpoint; the last record of a step wins.
# `positives` and `negatives` are per image, averaged over the batch; negative pairs (another
# object in the search crop, probability `data.neg`) have no positives by design. Pairs per
# second are measured between logs, so a log that follows a compilation shows a low value.

# %%
NOT_LOSSES = {"step", "positives", "negatives", "grad_norm", "learning_rate", "pairs_per_second", "skipped_pairs"}


steps, metrics = read_metrics(RUN_DIR / "metrics.jsonl")
config = json.loads((RUN_DIR / "config.json").read_text()) if (RUN_DIR / "config.json").exists() else {}
losses = ["total"] + sorted(name for name in metrics if name not in NOT_LOSSES | {"total"})
if config:
    optim, data = config.get("optim", {}), config.get("data", {})
    print(f"model {config.get('model', {}).get('name')}, assigner {config.get('assigner')}, loss "
          f"{config.get('loss', {}).get('name')}, batch {data.get('batch_size')}, negative pairs "
          f"{data.get('neg')}, {optim.get('epochs', 0) * optim.get('steps_per_epoch', 0)} steps planned")
print(f"{len(steps)} logged steps, {steps[0]} to {steps[-1]}; loss terms: {', '.join(losses)}")
print(f"{'':18s}{'first':>12s}{'last':>12s}")
for name in losses + sorted(NOT_LOSSES & set(metrics)):
    print(f"{name:18s}{metrics[name][0]:12.4g}{metrics[name][-1]:12.4g}")

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), layout="constrained")
marker = "o" if len(steps) <= 30 else None
panels = [
    (axes[0, 0], losses, "loss", "log" if all(np.nanmin(metrics[n]) > 0 for n in losses) else "linear"),
    (axes[0, 1], ["learning_rate"], "learning rate", "log"),
    (axes[0, 2], ["grad_norm"], "gradient norm (before clipping)", "linear"),
    (axes[1, 0], ["positives"], "positives per image", "linear"),
    (axes[1, 1], ["negatives"], "negatives per image", "linear"),
    (axes[1, 2], ["pairs_per_second"], "pairs per second", "linear"),
]
for ax, names, title, yscale in panels:
    for name in names:
        if name in metrics:
            ax.plot(steps, metrics[name], marker=marker, ms=3, lw=2.2 if name == "total" else 1.2, label=name)
    ax.set_title(title, fontsize=10)
    ax.set_yscale(yscale)
    if yscale == "log":  # plain numbers: decades, and 2 and 5 times them
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(
            lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else ""))
    else:
        top = np.nanmax([np.nanmax(metrics[name]) for name in names if name in metrics] + [0.0])
        ax.set_ylim(0, 1.1 * top if top > 0 else 1)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)
axes[0, 0].legend(fontsize=7, ncol=2, framealpha=0.7)
if "skipped_pairs" in metrics:
    axes[1, 2].set_title(f"pairs per second ({np.nansum(metrics['skipped_pairs']):.0f} bad draws skipped)",
                         fontsize=10)
fig.suptitle(f"{RUN_DIR.name}: {config.get('model', {}).get('name', '')}, assigner "
             f"{config.get('assigner', {}).get('name', '')}", fontsize=11)
show(fig, "training")

# %% [markdown]
# ## The assigner study
#
# `study.json` holds one row per assigner setting, axis (`scale`: sqrt(w h) of the target in the
# 255 px crop; `aspect`: w / h) and bin. The curves show each rule's reference setting
# (`label_study.REPRESENTATIVE`) with `plots.study_curves`; the heat maps every setting.

# %%
report = json.loads((STUDY_DIR / "study.json").read_text())
rows = report["rows"]
print(f"{report['boxes']} boxes ({report['source']}), {report['settings']} settings, "
      f"{report['seconds']:.1f} s, seed {report['seed']}")
grids = list(dict.fromkeys(r["rule"] for r in rows))
reference = [(rule, ", ".join(f"{k}={v}" for k, v in setting.items()))
             for rule, setting in label_study.REPRESENTATIVE.items() if rule in grids]
for axis, edges in (("scale", label_study.SCALE_BINS), ("aspect", label_study.ASPECT_BINS)):
    path = FIGURES / f"study_{axis}.png"
    plots.study_curves(path, rows, axis, reference, bins=label_study.bin_labels(edges))
    show_png(path)
show_markdown("Positives per target / share of targets with no positive, by scale:\n\n"
              + study_report.representative_table(rows, "scale"))

# %%
scale_bins = label_study.bin_labels(label_study.SCALE_BINS)
settings = list(dict.fromkeys((r["rule"], r["setting"]) for r in rows))
cell = {(r["rule"], r["setting"], r["bin"]): r for r in rows if r["axis"] == "scale"}
shape = (len(settings), len(scale_bins))
positives, no_positive = np.full(shape, np.nan), np.full(shape, np.nan)
for i, (rule, setting) in enumerate(settings):
    for j, name in enumerate(scale_bins):
        if (rule, setting, name) in cell:
            positives[i, j] = cell[rule, setting, name]["positives"]
            no_positive[i, j] = 100 * cell[rule, setting, name]["no_positive"]
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 1.2 + 0.3 * len(settings)), layout="constrained")
for ax, values, title, cmap, norm, fmt in (
        (left, positives, "positives per target", "viridis",
         matplotlib.colors.LogNorm(max(np.nanmin(positives[positives > 0]), 0.1), np.nanmax(positives)), "{:.1f}"),
        (right, no_positive, "targets with no positive (%)", "Reds", matplotlib.colors.Normalize(0, 100), "{:.0f}")):
    image = ax.imshow(np.where(values > 0, values, np.nan) if ax is left else values, cmap=cmap, norm=norm,
                      aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        if not math.isnan(value):
            dark = value > 0 and (norm(value) > 0.6 if ax is right else norm(value) < 0.45)
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7, color="white" if dark else "black")
    ax.set_xticks(range(len(scale_bins)), scale_bins, fontsize=8)
    ax.set_xlabel("target scale sqrt(w h), crop px")
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, shrink=0.8)
left.set_yticks(range(len(settings)), [f"{f}: {s}" for f, s in settings], fontsize=8)
right.set_yticks([])
show(fig, "study_settings")

# %% [markdown]
# ## Two settings side by side
#
# Per-scale curves of two settings of the study, `COMPARE` (rows of the heat map above, from 0):
# positives per target and the share of targets with none. In a live kernel two menus pick the
# settings and the curves redraw (`study_comparison()`; the tests drive its menus).

# %%
def compare_figure(first, second):
    """The per-scale curves of two (rule, setting) pairs, side by side -> matplotlib Figure."""
    fig = matplotlib.figure.Figure(figsize=(11, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(scale_bins))
    for (rule, setting), marker in ((first, "o"), (second, "s")):
        i = settings.index((rule, setting))
        left.plot(x, positives[i], marker=marker, label=f"{rule}: {setting}")
        right.plot(x, no_positive[i], marker=marker, label=f"{rule}: {setting}")
    for ax, title in ((left, "positives per target"), (right, "targets with no positive (%)")):
        ax.set_xticks(x, scale_bins, fontsize=8)
        ax.set_xlabel("target scale sqrt(w h), crop px")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    right.legend(fontsize=7)
    return fig


def study_comparison():
    """Two menus of the study's settings and their curves -> namespace of ``menus``, ``image``
    (the curves' PNG) and ``panel`` (to display); picking a setting redraws."""
    import ipywidgets as widgets

    options = [(f"{rule}: {setting}", (rule, setting)) for rule, setting in settings]
    menus = [widgets.Dropdown(options=options, value=settings[i], layout=widgets.Layout(width="45%"))
             for i in COMPARE]
    image = widgets.Image(format="png")

    def redraw(_change=None):
        image.value = png_bytes(compare_figure(*(menu.value for menu in menus)))

    for menu in menus:
        menu.observe(redraw, names="value")
    redraw()
    return types.SimpleNamespace(menus=menus, image=image, panel=widgets.VBox([widgets.HBox(menus), image]))


compared = [settings[i] for i in COMPARE]
show_figure(compare_figure(*compared), FIGURES / "study_compare.png")
if inline():  # a live kernel: pick the two settings
    show_widget(study_comparison().panel)

# %% [markdown]
# ## The run's assigner in the study
#
# The study's row for the assigner the run trained with, next to the positives per image the
# run logged. They are not expected to agree exactly: the run counts negative pairs (no
# positives) in its average, and its crops follow pysot's training augmentation while the
# study adds a size change between frames (`--scale-change`, default 2).

# %%
def study_setting(assigner):
    """The study's (rule, setting) for a run's assigner config, or None if the study has no such
    rule: among the grids of the config's rule whose fixed options it shares, the most specific."""
    grids = [grid for grid in label_study.default_grids() if grid.assigner == assigner.get("name")
             and all(assigner.get(key) == value for key, value in grid.static.items() if key != "k_max")]
    if not grids:
        return None
    grid = max(grids, key=lambda g: len(g.static))
    defaults = inspect.signature(ASSIGNERS.get(grid.assigner).function).parameters
    return grid.name, ", ".join(f"{key}={assigner.get(key, defaults[key].default)}" for key in grid.grid)


assigner = config.get("assigner", {})
match = study_setting(assigner)
chosen = [r for r in rows if match and (r["rule"], r["setting"]) == match and r["axis"] == "scale"]
if chosen:
    targets = sum(r["targets"] for r in chosen)
    pos = sum(r["positives"] * r["targets"] for r in chosen) / targets
    none = sum(r["no_positive"] * r["targets"] for r in chosen) / targets
    neg = config.get("data", {}).get("neg", 0.0)
    print(f"study {match[0]} ({match[1]}): {pos:.2f} positives per target, {100 * none:.1f}% of targets "
          f"with none; x (1 - neg pairs {neg}) = {pos * (1 - neg):.2f} per pair")
    print(f"run: {np.nanmean(metrics['positives']):.2f} positives per image (mean of {len(steps)} logged "
          f"steps; last {metrics['positives'][-1]:.2f})")
else:
    print(f"the study grid has no setting for the run's assigner {assigner or '(no config.json)'}; "
          "run `jaxtrack study --grid default` or compare by hand")
