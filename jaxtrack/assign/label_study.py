"""The assigner study: every assigner setting over a population of boxes in one compiled call.

The question of both papers: how do fixed and dynamic label assignments behave across target
scales and aspect ratios? :func:`run_study` evaluates grids of assigner settings (rules x
hyperparameters) on N ground-truth boxes as they appear in search crops, inside one ``jax.jit``
(``vmap`` over settings of ``vmap`` over boxes, chunked over boxes with ``lax.map`` to bound
memory), and reduces each assignment to a few per-box numbers (:data:`SUMMARY_FIELDS`).
:func:`summarize` bins them by target scale and aspect ratio.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack.assign.geometry import anchor_grid, point_grid
from jaxtrack.assign.labels import POSITIVE
from jaxtrack.assign.rules import ASSIGNERS

SUMMARY_FIELDS = ("positives", "pos_iou", "pos_centerness", "entropy")
SCALE_BINS = (0.0, 32.0, 48.0, 64.0, 96.0, math.inf)  # sqrt(w * h) in crop pixels
ASPECT_BINS = (0.0, 1 / 3, 2 / 3, 1.5, 3.0, math.inf)  # w / h


@dataclasses.dataclass(frozen=True)
class SettingGrid:
    """One label rule with a grid of hyperparameters.

    Attributes:
      name: label in reports, e.g. ``"dla/iou"``.
      assigner: a rule of :data:`jaxtrack.assign.ASSIGNERS`.
      geometry: ``"anchors"`` or ``"points"``.
      grid: hyperparameter name -> values; the settings are their Cartesian product.
      static: fixed keyword arguments (e.g. the DLA statistic).
    """

    name: str
    assigner: str
    geometry: str
    grid: dict
    static: dict = dataclasses.field(default_factory=dict)

    def settings(self):
        """List of dicts, one per grid point, in a fixed order."""
        keys = list(self.grid)
        return [dict(zip(keys, values)) for values in itertools.product(*self.grid.values())]


def default_grids(size="default"):
    """The study's setting grids. ``"default"``: 94 settings over the rules of both papers and
    their baselines; ``"small"``: 12 settings for smoke runs."""
    def dla_grid(name, geometry, statistic, ks, scales, **static):
        return SettingGrid(name, "dla", geometry, {"k": ks, "std_scale": scales},
                           {"statistic": statistic, "k_max": max(ks), **static})

    if size == "small":
        return [
            SettingGrid("fixed_iou", "fixed_iou", "anchors", {"pos_iou": [0.5, 0.6]}),
            SettingGrid("center_region", "center_region", "points", {"margin": [0.2, 0.3]}),
            dla_grid("dla/iou", "anchors", "iou", [25, 45], [1.0]),
            dla_grid("dla/virtual_iou", "points", "virtual_iou", [9, 16], [0.5, 1.0]),
            dla_grid("dla/centerness", "points", "centerness", [9, 16], [1.0]),
        ]
    return [
        SettingGrid("fixed_iou", "fixed_iou", "anchors", {"pos_iou": [0.4, 0.5, 0.6, 0.7]}),
        SettingGrid("center_region", "center_region", "points", {"margin": [0.1, 0.2, 0.25, 0.3, 0.35, 0.4]}),
        dla_grid("dla/iou", "anchors", "iou", [15, 25, 35, 45, 60, 75], [0.0, 0.5, 1.0, 1.5]),
        dla_grid("dla/virtual_iou", "points", "virtual_iou", [5, 9, 13, 17, 25, 36], [0.0, 0.5, 1.0, 1.5]),
        dla_grid("dla/centerness", "points", "centerness", [5, 9, 13, 17, 25, 36], [0.0, 0.5, 1.0, 1.5]),
        dla_grid("dla/virtual_iou, keep best", "points", "virtual_iou", [9, 17, 25, 36], [0.5, 1.0],
                   keep_best=True),
        dla_grid("dla/iou, keep best", "anchors", "iou", [25, 45], [1.0, 1.5], keep_best=True),
    ]


REPRESENTATIVE = {  # the reference setting of each grid, shown in the report's main table
    "fixed_iou": {"pos_iou": 0.6},
    "center_region": {"margin": 0.3},
    "dla/iou": {"k": 45, "std_scale": 1.0},
    "dla/virtual_iou": {"k": 9, "std_scale": 1.0},
    "dla/centerness": {"k": 9, "std_scale": 1.0},
}


def _assign(grid, samples, gt, key, setting):
    """Labels of one box under one setting of ``grid`` (setting values may be traced)."""
    return ASSIGNERS.get(grid.assigner)(samples, gt, key=key, **setting, **grid.static)


def _summary(labels):
    """Per-box numbers from one assignment -> float32 (len(SUMMARY_FIELDS),)."""
    positive = labels.cls == POSITIVE
    count = jnp.sum(positive)
    denom = jnp.maximum(count, 1)
    pos_iou = jnp.sum(jnp.where(positive, labels.iou, 0.0)) / denom
    pos_centerness = jnp.sum(jnp.where(positive, labels.centerness, 0.0)) / denom
    trained = labels.cls >= 0
    p = jnp.clip(labels.soft, 1e-7, 1 - 1e-7)
    bits = -(p * jnp.log2(p) + (1 - p) * jnp.log2(1 - p))
    entropy = jnp.sum(jnp.where(trained, bits, 0.0)) / jnp.maximum(jnp.sum(trained), 1)
    return jnp.stack([count.astype(jnp.float32), pos_iou, pos_centerness, entropy])


def build_study(grids, *, chunk=250):
    """A jitted ``fn(boxes (N, 4) xyxy, key) -> {grid name: (settings, N, fields)}``.

    One compiled call covers every grid and setting; boxes are processed ``chunk`` at a time
    (``lax.map``) so that memory stays bounded for any N (N must be a multiple of ``chunk``;
    :func:`run_study` pads).
    """
    anchors, points = jnp.asarray(anchor_grid()), jnp.asarray(point_grid())
    plans = []
    for grid in grids:
        settings = grid.settings()
        columns = {name: jnp.asarray([s[name] for s in settings]) for name in grid.grid}
        plans.append((grid, anchors if grid.geometry == "anchors" else points, columns))

    def per_chunk(chunk_boxes, chunk_keys):
        out = {}
        for grid, samples, columns in plans:
            def one_setting(setting, grid=grid, samples=samples):
                def one_box(gt, key):
                    return _summary(_assign(grid, samples, gt, key, setting))
                return jax.vmap(one_box)(chunk_boxes, chunk_keys)
            out[grid.name] = jax.vmap(one_setting)(columns)
        return out

    @jax.jit
    def study(boxes, key):
        count = boxes.shape[0]
        keys = jax.random.split(key, count)
        chunks = (boxes.reshape(-1, chunk, 4), keys.reshape(-1, chunk, *keys.shape[1:]))
        result = jax.lax.map(lambda c: per_chunk(*c), chunks)  # {name: (C, S, chunk, F)}
        return {name: jnp.moveaxis(v, 0, 1).reshape(v.shape[1], count, -1) for name, v in result.items()}

    return study


def run_study(boxes, grids=None, *, seed=0, chunk=250):
    """Evaluate ``grids`` on ``boxes`` (N, 4) xyxy crop pixels -> {grid: (S, N, F) array}.

    Returns NumPy arrays with the padding removed. See :data:`SUMMARY_FIELDS` for F.
    """
    grids = grids or default_grids()
    boxes = np.asarray(boxes, np.float32)
    count = len(boxes)
    chunk = max(1, min(chunk, count))
    padded = -(-count // chunk) * chunk
    if padded != count:
        boxes = np.concatenate([boxes, np.repeat(boxes[-1:], padded - count, axis=0)])
    result = build_study(grids, chunk=chunk)(jnp.asarray(boxes), jax.random.key(seed))
    return {name: np.asarray(value)[:, :count] for name, value in result.items()}


def search_crop_boxes(frame_boxes, rng, *, context=0.5, exemplar_size=127, search_size=255,
                     shift=64, scale=0.18, scale_change=2.0):
    """Where targets land in the search crop of pysot's training pipeline -> (N, 4) xyxy float32.

    The crop normalises the target (context ``context``: side ``sqrt((w+p)(h+p))``, ``p =
    context (w + h)``, maps to ``exemplar_size``), then pysot's augmentation scales x and y
    independently by ``1 +- scale`` and shifts by up to ``shift`` pixels. ``scale_change`` adds a
    log-uniform factor in ``[1/scale_change, scale_change]`` for the target's size change between
    template and search frame (1 gives pysot's training distribution, where targets stay near 64
    pixels; 2 also populates the small and large bins, as tracking sees them).

    Args:
      frame_boxes: (N, 4) xyxy boxes in their frames (only w and h matter).
      rng: ``numpy.random.Generator``.
    """
    frame_boxes = np.asarray(frame_boxes, np.float64)
    n = len(frame_boxes)
    w, h = frame_boxes[:, 2] - frame_boxes[:, 0], frame_boxes[:, 3] - frame_boxes[:, 1]
    pad = context * (w + h)
    ratio = exemplar_size / np.sqrt((w + pad) * (h + pad))
    change = np.exp(rng.uniform(-np.log(scale_change), np.log(scale_change), n)) if scale_change > 1 else 1.0
    wh = np.stack([w, h], 1) * (ratio * change)[:, None]
    wh = wh / (1.0 + rng.uniform(-1, 1, (n, 2)) * scale)
    centre = search_size // 2 + rng.uniform(-shift, shift, (n, 2))
    return np.concatenate([centre - wh / 2, centre + wh / 2], 1).astype(np.float32)


def synthetic_frame_boxes(n, rng, aspect_range=(0.2, 5.0)):
    """(N, 4) xyxy frame boxes with log-uniform aspect ratios (w / h) in ``aspect_range``."""
    aspect = np.exp(rng.uniform(np.log(aspect_range[0]), np.log(aspect_range[1]), n))
    side = np.exp(rng.uniform(np.log(20), np.log(200), n))
    wh = np.stack([side * np.sqrt(aspect), side / np.sqrt(aspect)], 1)
    return np.concatenate([np.zeros_like(wh), wh], 1)


def bin_index(boxes):
    """(N, 4) xyxy -> (scale bin, aspect bin) int arrays over :data:`SCALE_BINS`/:data:`ASPECT_BINS`."""
    boxes = np.asarray(boxes, np.float64)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    scale = np.digitize(np.sqrt(w * h), SCALE_BINS[1:-1])
    aspect = np.digitize(w / h, ASPECT_BINS[1:-1])
    return scale, aspect


def bin_labels(edges, unit=""):
    """Readable names of the bins of ``edges``, e.g. ``"32-48"``."""
    def fmt(x):
        return "inf" if math.isinf(x) else (f"{x:.2f}".rstrip("0").rstrip(".") if x % 1 else f"{x:.0f}")
    return [f"{fmt(a)}-{fmt(b)}{unit}" for a, b in zip(edges[:-1], edges[1:])]


def summarize(boxes, results, grids):
    """Per setting and bin statistics.

    Returns a list of row dicts with ``rule`` (the grid's name), ``setting`` (str), ``axis`` (``"scale"`` or
    ``"aspect"``), ``bin``, ``targets``, ``positives`` (mean per target), ``no_positive`` (share
    of targets without any positive), ``pos_iou``, ``pos_centerness`` (means over targets with
    positives) and ``entropy`` (mean label entropy, bits per trained sample).
    """
    scale, aspect = bin_index(boxes)
    rows = []
    for grid in grids:
        values = results[grid.name]
        for s, setting in enumerate(grid.settings()):
            name = ", ".join(f"{k}={v}" for k, v in setting.items())
            per_box = values[s]
            for axis, index, edges in (("scale", scale, SCALE_BINS), ("aspect", aspect, ASPECT_BINS)):
                for b, label in enumerate(bin_labels(edges)):
                    chosen = per_box[index == b]
                    if len(chosen) == 0:
                        continue
                    has = chosen[:, 0] > 0
                    rows.append(dict(
                        rule=grid.name, setting=name, axis=axis, bin=label, targets=int(len(chosen)),
                        positives=float(chosen[:, 0].mean()), no_positive=float(1 - has.mean()),
                        pos_iou=float(chosen[has, 1].mean()) if has.any() else float("nan"),
                        pos_centerness=float(chosen[has, 2].mean()) if has.any() else float("nan"),
                        entropy=float(chosen[:, 3].mean())))
    return rows
