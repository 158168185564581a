"""Pure, fixed-shape label assigners for Siamese trackers.

Every assigner takes one ground-truth box (``gt``, (4,) xyxy crop pixels) and returns
:class:`Labels` over the samples of :func:`anchor_grid` or :func:`point_grid`, in the sample
order documented in :mod:`jaxtrack.assign.geometry`. Batch with ``jax.vmap``; sweep
hyperparameters with a second ``vmap``. Look them up by name in :data:`ASSIGNERS`, which holds
each rule behind one signature (:mod:`jaxtrack.assign.rules`).
"""

from jaxtrack.assign.dla import STATISTICS, dla
from jaxtrack.assign.fixed import center_region, fixed_iou
from jaxtrack.assign.geometry import anchor_grid, base_anchor_sizes, point_grid
from jaxtrack.assign.labels import IGNORE, NEGATIVE, POSITIVE, Labels, decode, subsample
from jaxtrack.assign.rules import ASSIGNERS, PRESETS, Rule, geometry_of, preset
from jaxtrack.assign.siamla import ladl, lals

__all__ = [
    "ASSIGNERS", "IGNORE", "Labels", "NEGATIVE", "POSITIVE", "PRESETS", "Rule", "STATISTICS", "anchor_grid",
    "base_anchor_sizes", "center_region", "decode", "dla", "fixed_iou", "geometry_of", "ladl", "lals",
    "point_grid", "preset", "subsample",
]
