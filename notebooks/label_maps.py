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
# # Label maps: how each rule marks the 25x25 score map
#
# A Siamese tracker scores every location of a 25x25 map laid over the 255x255 search crop
# (stride 8). *Label assignment* decides which of those training samples are positive, negative
# or ignored for a target box. This notebook draws the labels of every rule in `jaxtrack.assign`
# for a target you choose, varies the target's scale, aspect ratio and position, and counts the
# positives over a sweep of scales with `jax.vmap`. Every label comes from the library; the
# notebook only chooses boxes and draws.
#
# | rule | samples | what it does | status |
# |---|---|---|---|
# | `fixed_iou` (SiamRPN++) | 3125 anchors, 5 per location | IoU > 0.6 positive, < 0.3 negative, the rest ignored; a random subset of at most 16 positives and 48 negatives is kept | exact (pysot) |
# | `center_region` (SiamCAR) | 625 points | positive iff the point lies in the central 0.4w x 0.4h of the box; every other point negative | exact (SiamCAR) |
# | `dla` (SiamDLA) | anchors or points | the k samples nearest the target centre are candidates; a candidate whose statistic is >= mean + std_scale x std of the candidates' statistic, with its centre inside the box, is positive | published rule (= ATSS); **which statistic points use is a reconstruction** |
# | `ladl` (SiamLA) | points | positives by geometric DLA (16 nearest, virtual-anchor IoU, best kept); a positive's target ramps from 1 to the IoU of its predicted box during training | **reconstruction** |
# | `lals` (SiamLA) | any | label smoothing by localization quality: soft' = (1 - eps) soft + eps q, q = centreness (default) or IoU | **reconstruction** |
#
# Only the two papers' abstracts are public. *Reconstruction* marks the project's own reading;
# each choice is a keyword argument, and `jaxtrack study` compares the alternatives over 10,000
# boxes (see `training_and_study.ipynb`).

# %% [markdown]
# ## Parameters
#
# Edit and re-run the notebook, or move the sliders of "Explore" below (in a live kernel). Sizes
# are in search-crop pixels; the crop centre is pixel 127.

# %% tags=["parameters"]
SCALE = 64.0  # target size sqrt(w * h)
ASPECT = 1.0  # target aspect ratio w / h
SHIFT = (0.0, 0.0)  # (dx, dy) of the target centre from the crop centre
POS_IOU, NEG_IOU = 0.6, 0.3  # fixed IoU thresholds (pysot)
MARGIN = 0.3  # SiamCAR centre region: positive iff l, r > MARGIN w and t, b > MARGIN h
K_ANCHORS = 45  # DLA candidates over anchors (ATSS: 9 x 5 anchors per location)
K_POINTS = 9  # DLA candidates over points
STD_SCALE = 1.0  # DLA threshold = mean + STD_SCALE * std of the candidates' statistic
KEEP_BEST = False  # jaxtrack's extension: the best candidates are always positive
VIRTUAL_SIZE = 64.0  # side of DLA's virtual square anchor at a point (8 x stride)
EPS = 0.2  # LALS smoothing strength
MEASURE = "iou"  # LALS quality q: "iou" or "centerness"
PRED_SPREAD = 0.3  # error of the simulated predicted boxes for LADL (0: perfect boxes)
SEED = 0
SWEEP_RANGE = (12.0, 240.0)  # scales of the vmap sweep, log-spaced
SWEEP_STEPS = 80

# %%
import functools
import os
import pathlib
import tempfile
import time
import types

import jax
import jax.numpy as jnp
import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from jaxtrack import assign
from jaxtrack.assign.dla import nearest_candidates, statistic_values
from jaxtrack.assign.geometry import grid_centers, sample_centers
from jaxtrack.figures import plots
from jaxtrack.figures.study_report import simulated_predictions
from notebook_display import inline, png_bytes, show_figure, show_png, show_widget  # beside this notebook

if os.environ.get("JAXTRACK_NOTEBOOK_SMALL") == "1":  # the tests: a shorter sweep
    SWEEP_STEPS = 16
# PNG copies of the figures (JAXTRACK_NOTEBOOK_FIGURES, default a temporary folder)
FIGURES = pathlib.Path(os.environ.get("JAXTRACK_NOTEBOOK_FIGURES") or tempfile.mkdtemp(prefix="label_maps_"))
FIGURES.mkdir(parents=True, exist_ok=True)


def show(fig, name):
    """Save ``fig`` as FIGURES/name.png and show it in the notebook."""
    show_figure(fig, FIGURES / f"{name}.png")


anchors = jnp.asarray(assign.anchor_grid())  # (3125, 4) xyxy, sample (i * 25 + j) * 5 + a
points = jnp.asarray(assign.point_grid())  # (625, 2) xy at 8 j + 32, sample i * 25 + j
anchor_locations = grid_centers()  # (625, 2) the anchors' locations, 8 j + 31
point_locations = np.asarray(points)
key = jax.random.key(SEED)


def target_box(scale=SCALE, aspect=ASPECT, shift=SHIFT):
    """xyxy crop box with sqrt(w h) = scale and w / h = aspect, centred at 127 + shift."""
    w, h = scale * np.sqrt(aspect), scale / np.sqrt(aspect)
    cx, cy = 127.0 + shift[0], 127.0 + shift[1]
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


gt = target_box()
print(f"target xyxy {np.round(gt, 1).tolist()}, w x h = {gt[2] - gt[0]:.1f} x {gt[3] - gt[1]:.1f}")

# %% [markdown]
# ## The rules
#
# Each rule is a function of the target box returning `assign.Labels` (`cls`: 1 positive,
# 0 negative, -1 ignored; `soft`: the classification target in [0, 1]). LADL needs the boxes
# the model predicts at each point; with no model here, `simulated_predictions` draws boxes
# whose error grows with the distance from the target centre (`PRED_SPREAD`), so LADL's
# pictures illustrate the rule, not a trained tracker.

# %%
def predictions(g):
    return simulated_predictions(points, jnp.asarray(g), key, spread=PRED_SPREAD)


def dla_points(statistic):
    return lambda g: assign.dla(points, g, k=K_POINTS, statistic=statistic, std_scale=STD_SCALE,
                                keep_best=KEEP_BEST, virtual_size=VIRTUAL_SIZE)


# name -> (fn(gt) -> Labels, anchors per location, location centres, draw soft targets)
RULES = {
    "fixed IoU\n(SiamRPN++)": (lambda g: assign.fixed_iou(anchors, g, key, pos_iou=POS_IOU, neg_iou=NEG_IOU),
                               5, anchor_locations, False),
    "centre region\n(SiamCAR)": (lambda g: assign.center_region(points, g, margin=MARGIN), 1, point_locations, False),
    "DLA anchors\nIoU": (lambda g: assign.dla(anchors, g, k=K_ANCHORS, statistic="iou", std_scale=STD_SCALE,
                                               keep_best=KEEP_BEST), 5, anchor_locations, False),
    "DLA points\nvirtual IoU": (dla_points("virtual_iou"), 1, point_locations, False),
    "DLA points\ncentreness": (dla_points("centerness"), 1, point_locations, False),
    "LALS on\ncentre region": (lambda g: assign.lals(assign.center_region(points, g, margin=MARGIN), eps=EPS,
                                                     measure=MEASURE), 1, point_locations, True),
    "LADL\n(simulated preds)": (lambda g: assign.ladl(points, g, predictions(g), k=K_POINTS, std_scale=STD_SCALE),
                                1, point_locations, True),
    "LADL + LALS\n(simulated preds)": (lambda g: assign.lals(assign.ladl(points, g, predictions(g), k=K_POINTS,
                                                                         std_scale=STD_SCALE),
                                                             eps=EPS, measure=MEASURE), 1, point_locations, True),
}
# one compiled function per rule, reused for every box below
RULES = {name: (jax.jit(fn), *rest) for name, (fn, *rest) in RULES.items()}
HARD = [name for name, (_, _, _, soft) in RULES.items() if not soft]

# %% [markdown]
# ## One target, every rule
#
# Green: positive, grey: negative, white: ignored, red: the target. Anchor rules show a location
# as positive if any of its 5 anchors is; counts are per sample (anchors for anchor rules).
# Soft panels show the classification target (max over a location), darker = closer to 1.

# %%
fig, axes = plt.subplots(2, 4, figsize=(12, 6.8), layout="constrained")
for ax, (name, (fn, num_anchors, centres, soft)) in zip(axes.flat, RULES.items()):
    labels = fn(gt)
    positives = int((np.asarray(labels.cls) == assign.POSITIVE).sum())
    plots.draw_label_map(ax, labels, gt, num_anchors=num_anchors, centers=centres, soft=soft,
                         title=f"{name.replace(chr(10), ' ')}: {positives} pos")
fig.colorbar(matplotlib.cm.ScalarMappable(matplotlib.colors.Normalize(0, 1), "Greens"), ax=axes[1, -3:],
             shrink=0.7, label="soft target")
fig.suptitle(f"target {gt[2] - gt[0]:.0f} x {gt[3] - gt[1]:.0f} px, shift {SHIFT} (green positive, grey "
             "negative, white ignored; soft panels: target in [0, 1])", fontsize=10)
show(fig, "rules")

# %% [markdown]
# ## Explore: sliders
#
# In a live kernel the cell below shows sliders for the target (box size sqrt(w h), aspect
# ratio, shift of its centre) and for DLA (k nearest candidates, `std_scale`, the points'
# statistic) over the same panels. Every move relabels all eight rules in one compiled call
# (`explore_labels`: box, k and `std_scale` traced, so it compiles once per statistic and is then
# cached) and updates the panels' images in place; the time of the last redraw is printed under
# the picture (0.10-0.13 s of CPU per redraw on the project's 2-core machine on 2026-11-30, where
# other jobs' load stretched it to 0.8-2.3 s of wall time; a statistic's first use compiles for
# tens of seconds there). `statistic` applies to the DLA point panels (`pred_iou`: IoU of the simulated
# predicted boxes); the anchors' DLA uses IoU with 5k candidates (5 anchors per location); LADL
# keeps its own candidates (16 nearest, best kept) and takes `std_scale`. Executed as a script
# (CI, the tests) the cell shows nothing: `label_map_explorer()` builds the same controls there,
# and the tests move them.

# %%
EXPLORE_STATISTICS = ("virtual_iou", "centerness", "pred_iou")
K_MAX = 36  # the k slider's maximum (anchors: 5 K_MAX): candidates are drawn from a static top-k
# panel title, anchors per location, location centres, draw soft targets
EXPLORED = [("fixed IoU (SiamRPN++)", 5, anchor_locations, False),
            ("centre region (SiamCAR)", 1, point_locations, False),
            ("DLA anchors IoU, 5k", 5, anchor_locations, False),
            ("DLA points {statistic}", 1, point_locations, False),
            ("DLA points {statistic}, keep best", 1, point_locations, False),
            ("LALS on centre region", 1, point_locations, True),
            ("LADL (simulated preds)", 1, point_locations, True),
            ("LADL + LALS", 1, point_locations, True)]


@functools.partial(jax.jit, static_argnames="statistic")
def explore_labels(box, k, std_scale, *, statistic):
    """Every panel's `assign.Labels` of EXPLORED for one (4,) xyxy box, in order."""
    preds = predictions(box)
    dla = dict(std_scale=std_scale, virtual_size=VIRTUAL_SIZE)
    centre = assign.center_region(points, box, margin=MARGIN)
    ladl = assign.ladl(points, box, preds, std_scale=std_scale)
    return (assign.fixed_iou(anchors, box, key, pos_iou=POS_IOU, neg_iou=NEG_IOU),
            centre,
            assign.dla(anchors, box, k=5 * k, k_max=5 * K_MAX, statistic="iou", **dla),
            assign.dla(points, box, k=k, k_max=K_MAX, statistic=statistic, pred_boxes=preds, **dla),
            assign.dla(points, box, k=k, k_max=K_MAX, statistic=statistic, pred_boxes=preds, keep_best=True, **dla),
            assign.lals(centre, eps=EPS, measure=MEASURE),
            ladl,
            assign.lals(ladl, eps=EPS, measure=MEASURE))


def draw_explored(fig, scale, aspect, dx, dy, k, std_scale, statistic):
    """Show one setting on the eight panels of ``fig``: drawn the first time, then updated in place."""
    box = target_box(scale=scale, aspect=aspect, shift=(dx, dy))
    every = explore_labels(jnp.asarray(box), jnp.int32(k), jnp.float32(std_scale), statistic=statistic)
    for ax, (title, num_anchors, centres, soft), labels in zip(fig.axes, EXPLORED, every):
        positives = int((np.asarray(labels.cls) == assign.POSITIVE).sum())
        title = f"{title.format(statistic=statistic)}: {positives} pos"
        if ax.images:
            plots.update_label_map(ax, labels, box, num_anchors=num_anchors, soft=soft, title=title)
        else:
            plots.draw_label_map(ax, labels, box, num_anchors=num_anchors, centers=centres, soft=soft, title=title)
    fig.suptitle(f"target {box[2] - box[0]:.0f} x {box[3] - box[1]:.0f} px, shift ({dx:.0f}, {dy:.0f}), "
                 f"k {k}, std_scale {std_scale:.2f}", fontsize=9)


def label_map_explorer():
    """The sliders and the picture they redraw -> namespace of ``controls`` (by name), ``figure``,
    ``image`` (its PNG), ``status`` (the redraw time) and ``panel`` (all of them, to display).
    Moving a control redraws (``observe`` on its value)."""
    import ipywidgets as widgets

    controls = {
        "scale": widgets.FloatLogSlider(value=SCALE, base=2, min=3, max=8, step=0.05, description="box size"),
        "aspect": widgets.FloatLogSlider(value=ASPECT, base=2, min=-2.5, max=2.5, step=0.05, description="w / h"),
        "dx": widgets.FloatSlider(value=SHIFT[0], min=-100, max=100, step=1, description="shift x"),
        "dy": widgets.FloatSlider(value=SHIFT[1], min=-100, max=100, step=1, description="shift y"),
        "k": widgets.IntSlider(value=K_POINTS, min=1, max=K_MAX, description="k"),
        "std_scale": widgets.FloatSlider(value=STD_SCALE, min=-1, max=3, step=0.05, description="std_scale"),
        "statistic": widgets.Dropdown(options=EXPLORE_STATISTICS, value="virtual_iou", description="statistic"),
    }
    image = widgets.Image(format="png")
    status = widgets.Label()
    fig = matplotlib.figure.Figure(figsize=(12, 6.2))  # not pyplot's: rendered into `image`
    fig.subplots(2, 4)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9, wspace=0.05, hspace=0.2)

    def redraw(_change=None):
        start = time.perf_counter()
        draw_explored(fig, **{name: control.value for name, control in controls.items()})
        image.value = png_bytes(fig)
        status.value = f"redrawn in {time.perf_counter() - start:.2f} s"

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    sliders = list(controls.values())
    panel = widgets.VBox([widgets.HBox(sliders[:4]), widgets.HBox(sliders[4:]), image, status])
    return types.SimpleNamespace(controls=controls, figure=fig, image=image, status=status, panel=panel)


if inline():  # a live kernel; as a script (CI) the static figures below are the output
    show_widget(label_map_explorer().panel)

# %% [markdown]
# ## Over scale, aspect ratio and shift
#
# `plots.label_map_gallery`: one row per rule, one column per target. Only the scale, the
# aspect ratio or the shift changes across a gallery; the other two stay as in the parameters.

# %%
def gallery(name, boxes, titles, rules=RULES):
    path = FIGURES / f"{name}.png"
    plots.label_map_gallery(path, [(n, *r) for n, r in rules.items()], np.stack(boxes), box_titles=titles)
    show_png(path)


scales = [20.0, 32.0, 48.0, 64.0, 96.0, 160.0]
gallery("over_scale", [target_box(scale=s) for s in scales], [f"scale {s:.0f}" for s in scales])

# %%
aspects = [1 / 4, 1 / 2, 1.0, 2.0, 4.0]
gallery("over_aspect", [target_box(aspect=a) for a in aspects],
        [f"w/h {a:.2g}" for a in aspects], {n: RULES[n] for n in HARD})

# %%
shifts = [(0.0, 0.0), (4.0, 4.0), (20.0, 0.0), (48.0, -32.0), (96.0, 0.0)]
gallery("over_shift", [target_box(shift=s) for s in shifts],
        [f"shift {s[0]:.0f}, {s[1]:.0f}" for s in shifts], {n: RULES[n] for n in HARD})

# %% [markdown]
# ## Inside DLA: candidates and threshold
#
# For a few target sizes (the parameters' aspect and shift), the k candidates' statistic,
# sorted, with the threshold mean + `STD_SCALE` x std (unbiased) as a dashed line. Filled
# markers: the candidates `assign.dla` made positive. A virtual anchor wholly containing a small
# target, or wholly inside a large one, has the same IoU wherever it is: when all candidates tie,
# all reach the threshold; when several tie at the top and the rest are a little lower, the
# threshold lies above the top and the target gets no positive (a centred square of 48 px).
# `KEEP_BEST = True` is jaxtrack's remedy.

# %%
STATISTICS = [("anchors, IoU", anchors, K_ANCHORS, "iou"), ("points, virtual IoU", points, K_POINTS, "virtual_iou"),
              ("points, centreness", points, K_POINTS, "centerness")]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
for ax, (title, samples, k, statistic) in zip(axes, STATISTICS):
    for colour, scale in zip(("tab:blue", "tab:orange", "tab:green", "tab:red"), sorted({24.0, 48.0, SCALE, 160.0})):
        box = jnp.asarray(target_box(scale=scale))
        chosen = np.asarray(nearest_candidates(sample_centers(samples), box, k))
        values = np.asarray(statistic_values(samples, box, statistic, virtual_size=VIRTUAL_SIZE))[chosen]
        positive = np.asarray(assign.dla(samples, box, k=k, statistic=statistic, std_scale=STD_SCALE,
                                         keep_best=KEEP_BEST, virtual_size=VIRTUAL_SIZE).cls)[chosen] == 1
        order = np.argsort(-values)
        rank = np.arange(1, len(values) + 1)
        ax.plot(rank, values[order], color=colour, lw=0.8, label=f"scale {scale:.0f}: {positive.sum()} pos")
        ax.scatter(rank[positive[order]], values[order][positive[order]], color=colour, s=18)
        ax.scatter(rank[~positive[order]], values[order][~positive[order]], facecolors="none",
                   edgecolors=colour, s=18)
        ax.axhline(values.mean() + STD_SCALE * values.std(ddof=1), color=colour, ls="--", lw=0.8)
    ax.set_title(f"DLA {title}, k={k}", fontsize=9)
    ax.set_xlabel("candidate rank")
    ax.set_ylabel(statistic)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
fig.tight_layout()
show(fig, "dla_threshold")

# %% [markdown]
# ## Positives per target over scale: one `vmap` per rule
#
# `jax.jit(jax.vmap(rule))` labels a batch of boxes in one call. The sweep varies the scale
# (log-spaced over `SWEEP_RANGE`) and, in the second panel, the aspect ratio, with the other
# parameters fixed. Fixed IoU is capped at 16 positives by its subsampling. LADL is left out:
# its positives depend on the model's predictions (see the training notebook's positives per
# image); LALS changes soft targets, not positives.

# %%
sweep_scales = np.geomspace(*SWEEP_RANGE, SWEEP_STEPS)
sweep_aspects = np.geomspace(1 / 5, 5, SWEEP_STEPS)
scale_boxes = jnp.asarray(np.stack([target_box(scale=s) for s in sweep_scales]))
aspect_boxes = jnp.asarray(np.stack([target_box(aspect=a) for a in sweep_aspects]))
SWEPT = {**{name: RULES[name][0] for name in HARD},
         "DLA points\nvirtual IoU, keep best": lambda g: assign.dla(points, g, k=K_POINTS, statistic="virtual_iou",
                                                                   std_scale=STD_SCALE, keep_best=True,
                                                                   virtual_size=VIRTUAL_SIZE)}
counts = {}
for name, fn in SWEPT.items():
    count = jax.jit(jax.vmap(lambda g, fn=fn: jnp.sum(fn(g).cls == assign.POSITIVE)))
    counts[name] = (np.asarray(count(scale_boxes)), np.asarray(count(aspect_boxes)))

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
for index, (name, (by_scale, by_aspect)) in enumerate(counts.items()):
    style = dict(ls="--" if "keep best" in name else "-", lw=3.2 - 0.4 * index)  # thinner on top: overlaps show
    left.plot(sweep_scales, by_scale, label=name.replace("\n", " "), **style)
    right.plot(sweep_aspects, by_aspect, **style)
left.set_xlabel("target scale sqrt(w h), crop px")
right.set_xlabel(f"aspect ratio w / h (scale {SCALE:.0f})")
top = max(max(c.max() for c in pair) for pair in counts.values())
for ax, ticks, names in ((left, [12, 16, 24, 32, 48, 64, 96, 128, 192], None),
                         (right, [1 / 5, 1 / 3, 1 / 2, 1, 2, 3, 5], ["1/5", "1/3", "1/2", "1", "2", "3", "5"])):
    ax.set_xscale("log")
    ax.set_xticks(ticks, names or [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yscale("symlog", linthresh=1, linscale=0.5)  # 0 and 1 apart, 10 and 100 readable
    ax.set_ylim(0, top * 1.3)
    ax.set_yticks([t for t in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500) if t <= top * 1.3])
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_ylabel("positives per target")
    ax.grid(alpha=0.3)
left.legend(fontsize=7)
fig.tight_layout()
show(fig, "positives_sweep")

def runs(mask, values):
    """Contiguous runs of ``mask`` as "a-b" ranges of ``values``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return ", ".join(f"{values[a]:.0f}" if b - a == 1 else f"{values[a]:.0f}-{values[b - 1]:.0f}"
                     for a, b in zip(edges[::2], edges[1::2]))


for name, (by_scale, _) in counts.items():
    zero = by_scale == 0
    where = f": {runs(zero, sweep_scales)} px" if zero.any() else ""
    print(f"{name.replace(chr(10), ' '):40s} no positive at {zero.sum()} of {len(sweep_scales)} scales{where}")

# %% [markdown]
# ## Reading the pictures (default parameters)
#
# - **Fixed IoU** is tied to the anchor shapes (64 px, aspect 1/3..3): a centred square target
#   gets positives only while some anchor reaches IoU 0.6, about 50 to 80 px; smaller or larger
#   targets get none. Over aspect ratio the five anchor shapes keep it covered at 64 px.
# - **SiamCAR's centre region** grows with the target's area (1 positive for small targets, over
#   100 at 240 px); for small targets it depends on where the centre falls between points.
# - **DLA over anchor IoU** adapts its threshold to the target and keeps a few positives at every
#   scale and aspect ratio.
# - **DLA over the virtual-anchor IoU of points** has plateaus: where several candidates tie at the
#   top and the rest are a little lower, mean + std lies above the top and the target gets no
#   positive (the zeros of the sweep, printed above); where all candidates tie, all are positive.
#   `keep_best` fills the zeros. Centreness rarely ties and gives 1 to 3 positives throughout.
# - **LADL** grades positives by how well their predicted box fits; **LALS** gives negatives that
#   overlap the target a small positive target. Both are reconstructions, to be judged by
#   training, not by these pictures.
#
# The same comparison over a population of augmented training crops: `jaxtrack study`, read in
# `training_and_study.ipynb`.
