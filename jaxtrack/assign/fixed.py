"""The baselines' fixed label rules: pysot's IoU thresholds and SiamCAR's centre region."""

from __future__ import annotations

import jax.numpy as jnp

from jaxtrack import boxes as bx
from jaxtrack.assign import labels as lb


def fixed_iou(anchors, gt, key, *, pos_iou=0.6, neg_iou=0.3, pos_num=16, total_num=64,
              negative=False, neg_num=16, window=7, stride=8, search_size=255):
    """pysot's ``AnchorTarget``: fixed IoU thresholds with random subsampling.

    Positive pair: IoU > ``pos_iou`` positive, IoU < ``neg_iou`` negative, the rest ignored; then a
    uniformly random subset of at most ``pos_num`` positives and ``total_num - pos_num``
    negatives is kept (the others become ignore). Regression targets are pysot's deltas with
    weight ``1 / (#kept positives + 1e-6)``.

    Negative pair (``negative`` True, e.g. the search crop shows another object): no positives;
    negatives are at most ``neg_num`` random anchors of the ``window`` x ``window`` locations
    around the location pysot computes for the box centre,
    ``search_size // 2 + stride * ceil((c - search_size // 2) / stride + 0.5)`` per axis. (For a
    centre far outside the crop, pysot's slice end turns negative and wraps round to most of the
    map; here the window is the geometric one, empty there. Negative pairs centre their box in
    the crop, so the two agree in training.)

    Args:
      anchors: float32 (N, 4) xyxy crop pixels, e.g. :func:`jaxtrack.assign.anchor_grid`.
      gt: float32 (4,) xyxy box in the same crop.
      key: ``jax.random`` key for the subsampling.
      pos_iou, neg_iou: thresholds (may be traced, e.g. swept with ``vmap``).
      pos_num, total_num, neg_num, window: static ints.
      negative: bool, may be traced (a per-sample flag under ``vmap``).
      stride, search_size: grid geometry, for the negative-pair window.
    Returns:
      :class:`jaxtrack.assign.Labels`; all-ignore if ``gt`` is NaN or has ``w <= 0`` or ``h <= 0``.
    """
    anchors, gt = lb.check_inputs(anchors, gt, "fixed_iou")
    lb.check_anchors(anchors, "fixed_iou")
    valid = bx.is_valid(gt)
    overlap = bx.iou(anchors, gt[None, :])
    in_window = _negative_window(anchors, gt, window=window, stride=stride, search_size=search_size)
    negative = jnp.asarray(negative, bool)
    # a negative pair draws its negatives from the window instead: one draw serves both cases
    neg_candidates = jnp.where(negative, in_window, overlap < neg_iou)
    neg_budget = jnp.where(negative, neg_num, total_num - pos_num)
    positive, negatives = lb.subsample_disjoint(
        (overlap > pos_iou, neg_candidates), key, (pos_num, neg_budget),
        (pos_num, max(neg_num, total_num - pos_num)))
    positive = positive & ~negative
    num_pos = jnp.sum(positive).astype(jnp.float32)
    return lb.finish(valid=valid, positive=positive, negative=negatives, samples=anchors, gt=gt,
                     iou=overlap, box_weight=jnp.full_like(overlap, 1.0 / (num_pos + 1e-6)))


def _negative_window(anchors, gt, *, window, stride, search_size):
    """bool (N,): anchors whose location is in the window pysot uses for negative pairs."""
    half_crop = search_size // 2
    target = bx.center(gt)
    window_center = half_crop + stride * jnp.ceil((target - half_crop) / stride + 0.5)
    offset = jnp.abs(bx.center(anchors) - window_center[None, :])
    return jnp.all(offset <= (window // 2) * stride + 0.5 * stride, axis=-1)


NEGATIVE_PAIRS = ("negative", "as_positive")
"""How :func:`center_region` labels a negative pair: ``"negative"`` (no positives, jaxtrack) or
``"as_positive"`` (like a positive pair, SiamCAR's code)."""


def center_region(points, gt, *, margin=0.3, negative=False, negative_pairs="negative"):
    """SiamCAR's rule: a point is positive iff it lies in the central part of the box.

    Positive iff ``l > margin * w``, ``r > margin * w``, ``t > margin * h`` and ``b > margin * h``
    (the central 0.4w x 0.4h rectangle for margin 0.3); every other point is negative, nothing is
    ignored or subsampled. Regression targets are ``(l, t, r, b)``; ``centerness`` is the FCOS
    centerness SiamCAR regresses and weights its IoU loss with.

    A negative pair's ``gt`` is the box of the object its search crop is centred on, from another
    video (:class:`jaxtrack.data.pairs.PairSampler`). SiamCAR's code never reads the negative flag and
    gives that box positives like any other (``negative_pairs="as_positive"``). jaxtrack's default
    ``"negative"`` deliberately deviates: the pair has no positives, so a distractor does not
    teach the classifier that it is the target.

    Args:
      points: float32 (N, 2) xy (or (N, 4) anchors: their centres are used).
      gt: float32 (4,) xyxy box.
      margin: side margin as a fraction of w and h (may be traced).
      negative: bool, may be traced: a negative pair.
      negative_pairs: static, one of :data:`NEGATIVE_PAIRS`.
    Returns:
      :class:`jaxtrack.assign.Labels`; all-ignore for an invalid ``gt``.
    Raises:
      ValueError: unknown ``negative_pairs``.
    """
    if negative_pairs not in NEGATIVE_PAIRS:
        raise ValueError(f"center_region: unknown negative_pairs {negative_pairs!r}; choose one of "
                         f"{NEGATIVE_PAIRS}")
    points, gt = lb.check_inputs(points, gt, "center_region")
    valid = bx.is_valid(gt)
    ltrb = lb.side_distances(lb.sample_centers(points), gt)
    w, h = gt[2] - gt[0], gt[3] - gt[1]
    limits = jnp.stack([margin * w, margin * h, margin * w, margin * h])
    no_positives = jnp.asarray(negative, bool) & (negative_pairs == "negative")
    positive = jnp.all(ltrb > limits[None, :], axis=-1) & ~no_positives
    return lb.finish(valid=valid, positive=positive, negative=~positive, samples=points, gt=gt,
                     iou=lb.sample_iou(points, gt))
