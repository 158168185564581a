"""SiamDLA's dynamic label assignment (Cai, Tan, Wei, CMC 2023), i.e. ATSS on one score map.

Step 1 takes the ``k`` samples whose centres are nearest (Euclidean) to the ground-truth centre;
step 2 makes a candidate positive iff its statistic is >= mean + ``std_scale`` x std over the
candidates (unbiased std, as ATSS; ties within 1e-6 of the threshold reach it), and, with
``center_inside``, its centre lies strictly inside the box (``min(l, t, r, b) > 0.01``). This is the published rule. *Reconstruction* (the paper's
method section is not public): which statistic the anchor-free variant uses. Offered here:

- ``"iou"``: IoU of the sample's own anchor (anchor-based SiamRPN++; ATSS).
- ``"virtual_iou"``: IoU of a square virtual anchor of side ``virtual_size`` (default 8 x stride
  = 64) at the point (ATSS's anchor-free choice; the default for SiamCAR-style heads).
- ``"centerness"``: FCOS centerness of the sample centre in the box.
- ``"pred_iou"``: IoU of the box the model predicts at the sample (dynamic; pass ``pred_boxes``;
  it is treated as a constant, ``stop_gradient``).

Compare them with ``jaxtrack study`` rather than by argument.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrack import boxes as bx
from jaxtrack.assign import labels as lb

STATISTICS = ("iou", "virtual_iou", "centerness", "pred_iou")
TIE_TOLERANCE = 1e-6


def statistic_values(samples, gt, statistic, *, pred_boxes=None, virtual_size=64.0):
    """The per-sample statistic DLA thresholds -> float32 (N,). See the module docstring."""
    if statistic == "iou":
        lb.check_anchors(samples, "dla(statistic='iou')")
        return bx.iou(samples, gt[None, :])
    if statistic == "virtual_iou":
        return bx.iou(lb.virtual_anchors(lb.sample_centers(samples), virtual_size), gt[None, :])
    if statistic == "centerness":
        return lb.centerness_from_ltrb(lb.side_distances(lb.sample_centers(samples), gt))
    if statistic == "pred_iou":
        if pred_boxes is None:
            raise ValueError("dla(statistic='pred_iou') needs pred_boxes, (N, 4) xyxy predictions")
        pred_boxes = jnp.asarray(pred_boxes, jnp.float32)
        if pred_boxes.shape != (samples.shape[0], 4):
            raise ValueError(
                f"dla: pred_boxes must be ({samples.shape[0]}, 4) xyxy, got {pred_boxes.shape}")
        return jax.lax.stop_gradient(bx.iou(pred_boxes, gt[None, :]))
    raise ValueError(f"dla: unknown statistic {statistic!r}; choose one of {STATISTICS}")


def nearest_candidates(centers, gt, k, k_max=None):
    """bool (N,): the ``k`` samples whose centres are nearest the centre of ``gt``.

    Ties are broken towards the lower sample index (``top_k`` is stable); distances equal in
    exact arithmetic can round apart differently under ``jit`` (fused arithmetic) than eagerly. ``k`` may be traced
    (a ``vmap`` sweep) when the static ``k_max`` bounds it.
    """
    if k_max is None:
        if not isinstance(k, int):
            raise ValueError("dla: a traced k (e.g. swept with vmap) needs a static k_max >= k")
        k_max = k
    k_max = min(int(k_max), centers.shape[0])
    squared_distance = jnp.sum((centers - bx.center(gt)[None, :]) ** 2, axis=-1)
    _, nearest = jax.lax.top_k(-squared_distance, k_max)
    within_k = jnp.arange(k_max) < k
    return jnp.zeros(centers.shape[:1], bool).at[nearest].set(within_k)


def dla(samples, gt, *, k, statistic, std_scale=1.0, center_inside=True, inside_eps=0.01,
        keep_best=False, neg_iou=None, pred_boxes=None, virtual_size=64.0, k_max=None, key=None,
        pos_num=None, total_num=64, negative=False):
    """Dynamic label assignment for one box over anchors or points.

    Args:
      samples: float32 (N, 4) xyxy anchors or (N, 2) xy points, crop pixels.
      gt: float32 (4,) xyxy box.
      k: number of nearest candidates (ATSS: 9 x anchors per location, i.e. 45 for SiamRPN++'s
        5 anchors, 9 for points). May be traced with a static ``k_max``.
      statistic: one of :data:`STATISTICS` (static).
      std_scale: threshold = mean + std_scale * std of the candidates' statistic (may be traced).
      center_inside: also require the sample centre strictly inside the box (by ``inside_eps``).
      keep_best: jaxtrack's extension, not in ATSS or the paper: the candidates with the highest
        statistic are positive too. When several candidates share the top value (a saturated
        statistic, e.g. virtual anchors around a small target), mean + std can exceed it and leave
        the target with no positive; ``jaxtrack study`` shows how often.
      neg_iou: None: every non-positive is negative (ATSS). A float: only non-positives whose
        :attr:`Labels.iou` is below it are negative, the rest ignored (may be traced).
      pred_boxes: (N, 4) xyxy predicted boxes, for ``statistic="pred_iou"``.
      virtual_size: side of the virtual square anchor at points, pixels.
      k_max: static bound on ``k`` when ``k`` is traced.
      key, pos_num, total_num: optional pysot-style subsampling: with ``pos_num`` set, keep a
        random subset of at most ``pos_num`` positives and ``total_num - pos_num`` negatives
        (needs ``key``).
      negative: bool, may be traced: a negative pair has no positives, every sample negative.
    Returns:
      :class:`jaxtrack.assign.Labels` (anchors: pysot deltas and ``1 / #pos`` weights; points:
      ``(l, t, r, b)`` and unit weights); all-ignore for an invalid ``gt``.
    """
    samples, gt = lb.check_inputs(samples, gt, "dla")
    valid = bx.is_valid(gt)
    centers = lb.sample_centers(samples)
    stat = statistic_values(samples, gt, statistic, pred_boxes=pred_boxes,
                            virtual_size=virtual_size)
    candidates = nearest_candidates(centers, gt, k, k_max)

    count = jnp.sum(candidates).astype(jnp.float32)
    mean = jnp.sum(jnp.where(candidates, stat, 0.0)) / jnp.maximum(count, 1.0)
    variance = jnp.sum(jnp.where(candidates, (stat - mean) ** 2, 0.0)) / jnp.maximum(count - 1, 1.0)
    threshold = mean + std_scale * jnp.sqrt(variance)
    # equal statistics (e.g. virtual anchors wholly inside a large box) must not hinge on how the
    # mean rounds: values within TIE_TOLERANCE of the threshold count as reaching it
    positive = candidates & (stat >= threshold - TIE_TOLERANCE)
    if keep_best:
        best = jnp.max(jnp.where(candidates, stat, -jnp.inf))
        positive = positive | (candidates & (stat >= best - TIE_TOLERANCE))
    if center_inside:
        inside = jnp.min(lb.side_distances(centers, gt), axis=-1) > inside_eps
        positive = positive & inside
    positive = positive & ~jnp.asarray(negative, bool)

    overlap = lb.sample_iou(samples, gt, virtual_size)
    negatives = ~positive
    if neg_iou is not None:
        negatives = negatives & (overlap < neg_iou)
    if pos_num is not None:
        if key is None:
            raise ValueError("dla: subsampling (pos_num set) needs a jax.random key")
        pos_key, neg_key = jax.random.split(key)
        positive = lb.subsample(positive, pos_key, pos_num)
        negatives = lb.subsample(negatives, neg_key, total_num - pos_num)

    box_weight = None
    if samples.shape[-1] == 4:
        num_pos = jnp.sum(positive).astype(jnp.float32)
        box_weight = jnp.full_like(overlap, 1.0 / (num_pos + 1e-6))
    return lb.finish(valid=valid, positive=positive, negative=negatives, samples=samples, gt=gt,
                     iou=overlap, box_weight=box_weight)
