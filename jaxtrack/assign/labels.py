"""The label pytree every assigner returns, and the pieces assigners share.

Shapes: ``N`` samples in the order of :mod:`jaxtrack.assign.geometry`. Under ``vmap`` every field
gains the batch axes in front.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from jaxtrack import boxes as bx

POSITIVE, NEGATIVE, IGNORE = 1, 0, -1


class Labels(NamedTuple):
    """Training targets for one ground-truth box over N samples.

    Attributes:
      cls: int32 (N,): 1 positive, 0 negative, -1 ignore (not trained).
      soft: float32 (N,): classification target in [0, 1] for soft-label losses (quality focal,
        smoothed BCE). Hard assigners set 1 at positives and 0 elsewhere; LADL/LALS change it.
      box: float32 (N, 4): regression target. Anchors: pysot deltas
        ``((tcx - cx) / w, (tcy - cy) / h, log(tw / w), log(th / h))``. Points: distances
        ``(l, t, r, b)`` from the point to the box sides, in crop pixels.
      box_weight: float32 (N,): regression weight. Anchors: ``1 / (#pos + 1e-6)`` at the kept
        positives, as pysot; points: 1 at positives (SiamCAR weights by centerness in its loss).
      centerness: float32 (N,): FCOS centerness of the sample centre w.r.t. the box, 0 outside.
      iou: float32 (N,): IoU of the sample's box with the ground truth: the anchor itself, or for
        points a square virtual anchor (side 8 x stride by default); 0 for an invalid box.
    """

    cls: jax.Array
    soft: jax.Array
    box: jax.Array
    box_weight: jax.Array
    centerness: jax.Array
    iou: jax.Array


def check_inputs(samples, gt, name):
    """Shape checks at trace time; returns (samples, gt) as float32 arrays.

    Raises:
      ValueError: ``samples`` is not (N, 2) points or (N, 4) anchors, or ``gt`` is not (4,).
    """
    samples = jnp.asarray(samples, jnp.float32)
    gt = jnp.asarray(gt, jnp.float32)
    if samples.ndim != 2 or samples.shape[-1] not in (2, 4):
        raise ValueError(
            f"{name}: samples must be (N, 4) xyxy anchors or (N, 2) xy points, got shape "
            f"{samples.shape}")
    if gt.shape != (4,):
        raise ValueError(
            f"{name}: gt must be one xyxy box of shape (4,) (vmap over a batch), got shape {gt.shape}")
    return samples, gt


def check_anchors(samples, name):
    if samples.shape[-1] != 4:
        raise ValueError(f"{name}: needs (N, 4) xyxy anchors, got shape {samples.shape}")


def sample_centers(samples):
    """(N, 4) anchors or (N, 2) points -> (N, 2) centres."""
    return bx.center(samples) if samples.shape[-1] == 4 else samples


def virtual_anchors(points, size):
    """(N, 2) points -> (N, 4) xyxy squares of side ``size`` centred on them."""
    half = 0.5 * size
    return jnp.concatenate([points - half, points + half], axis=-1)


def sample_iou(samples, gt, virtual_size=64.0):
    """IoU of each sample's box with ``gt`` -> (N,): anchors as they are; points through a square
    virtual anchor of side ``virtual_size`` (ATSS's anchor-free choice, 8 x stride)."""
    if samples.shape[-1] == 2:
        samples = virtual_anchors(samples, virtual_size)
    return bx.iou(samples, gt[None, :])


def side_distances(centers, gt):
    """(N, 2) points and an xyxy box -> (N, 4) distances ``(l, t, r, b)`` to the box sides."""
    x, y = centers[:, 0], centers[:, 1]
    return jnp.stack([x - gt[0], y - gt[1], gt[2] - x, gt[3] - y], axis=-1)


def centerness_from_ltrb(ltrb):
    """(N, 4) ``(l, t, r, b)`` -> (N,) ``sqrt(min(l,r)/max(l,r) * min(t,b)/max(t,b))``, 0 outside."""
    l, t, r, b = ltrb[:, 0], ltrb[:, 1], ltrb[:, 2], ltrb[:, 3]
    inside = jnp.min(ltrb, axis=-1) > 0
    lr = jnp.minimum(l, r) / jnp.maximum(jnp.maximum(l, r), 1e-12)
    tb = jnp.minimum(t, b) / jnp.maximum(jnp.maximum(t, b), 1e-12)
    return jnp.where(inside, jnp.sqrt(jnp.clip(lr * tb, 0.0, 1.0)), 0.0)


def anchor_deltas(anchors, gt):
    """pysot regression deltas of an xyxy box w.r.t. (N, 4) xyxy anchors -> (N, 4).

    Written as ``log(tw) - log(w)`` and ``(tcx - cx) * (1 / w)`` so that, under ``vmap`` over
    boxes, the per-anchor logarithms and reciprocals are computed once (equal to pysot's
    ``log(tw / w)`` and ``(tcx - cx) / w`` to float32 rounding).
    """
    a = bx.xyxy_to_cxcywh(anchors)
    t = bx.xyxy_to_cxcywh(gt)
    dxy = (t[:2] - a[:, :2]) * (1.0 / a[:, 2:])
    dwh = jnp.log(jnp.maximum(t[2:], 1e-12)) - jnp.log(a[:, 2:])
    return jnp.concatenate([dxy, dwh], axis=-1)


def regression_targets(samples, gt):
    """Regression target per sample: deltas for anchors, ``(l, t, r, b)`` for points -> (N, 4)."""
    if samples.shape[-1] == 4:
        return anchor_deltas(samples, gt)
    return side_distances(samples, gt)


def decode(samples, regression):
    """Boxes from regression outputs, the inverse of :func:`regression_targets` -> (..., N, 4) xyxy.

    Anchors (N, 4) with pysot deltas ``(dx, dy, dw, dh)``; points (N, 2) with distances
    ``(l, t, r, b)``. ``regression`` may have leading batch axes.
    """
    if samples.shape[-1] == 4:
        a = bx.xyxy_to_cxcywh(samples)
        centre = a[:, :2] + regression[..., :2] * a[:, 2:]
        size = a[:, 2:] * jnp.exp(jnp.clip(regression[..., 2:], -10.0, 10.0))
        return bx.cxcywh_to_xyxy(jnp.concatenate([centre, size], axis=-1))
    return jnp.concatenate([samples - regression[..., :2], samples + regression[..., 2:]], axis=-1)


def subsample(mask, key, num, max_num=None):
    """Keep a uniformly random subset of at most ``num`` of the True entries of ``mask``.

    Exact: each subset of size ``min(num, mask.sum())`` is equally likely. Only ``max_num``
    random integers are drawn (Floyd's sampling of ranks among the candidates) instead of a key
    per sample, and no sort is needed: on XLA:CPU that is several times faster than ranking iid
    keys with ``top_k`` (and an argsort is slower still).

    Args:
      mask: bool (N,) candidates.
      key: a ``jax.random`` key.
      num: the most entries to keep: a static int, or traced when ``max_num`` bounds it.
      max_num: static bound on ``num`` (defaults to ``num``).
    Returns:
      bool (N,), a subset of ``mask``.
    """
    return subsample_disjoint((mask,), key, (num,), None if max_num is None else (max_num,))[0]


def subsample_disjoint(masks, key, nums, max_nums=None):
    """:func:`subsample` applied to several disjoint masks at once, independently per mask.

    Shares one prefix count over the samples between the masks (packed into the bits of one
    int32 where they fit), which is most of the cost. Returns a tuple of bool (N,) masks.
    """
    max_nums = nums if max_nums is None else max_nums
    size = masks[0].shape[0]
    bits = max(int(size).bit_length(), 1)
    if bits * len(masks) <= 24:  # packed counts stay exact in float32
        packed = sum(m.astype(jnp.int32) << (bits * i) for i, m in enumerate(masks))
        running = prefix_sum(packed)
        field = (1 << bits) - 1
        counts = [(running >> (bits * i)) & field for i in range(len(masks))]
    else:
        counts = [prefix_sum(m.astype(jnp.int32)) for m in masks]
    limit = max(min(int(m), size) for m in max_nums)
    if limit <= 0:
        return tuple(jnp.zeros_like(mask) for mask in masks)
    totals = jnp.stack([running[-1] for running in counts])
    takes = jnp.stack([jnp.minimum(jnp.minimum(jnp.asarray(num, jnp.int32), int(m)), total)
                       for num, m, total in zip(nums, max_nums, totals)])
    ranks = _floyd_ranks(key, totals, takes, limit)  # (M, limit)
    chosen = []
    for mask, running, mask_ranks, take in zip(masks, counts, ranks, takes):
        # the candidate of rank r (0-based) is the first sample whose running count reaches r + 1
        index = jnp.searchsorted(running, mask_ranks + 1, side="left", method="scan_unrolled")
        index = jnp.where(jnp.arange(limit) < take, index, size)
        chosen.append(jnp.zeros_like(mask).at[index].set(True, mode="drop"))
    return tuple(chosen)


def prefix_sum(values):
    """Inclusive prefix sum of a 1-D int32 array of non-negative values with sum < 2**24.

    Computed as two triangular float32 matrix products over a ``sqrt(N) x sqrt(N)`` blocking
    (exact for integers below 2**24): on XLA:CPU about 1.5x faster than an associative scan
    and 3x faster than ``jnp.cumsum``.
    """
    size = values.shape[0]
    cols = _block_width(size)
    rows = -(-size // cols)
    grid = values.astype(jnp.float32)
    if rows * cols != size:
        grid = jnp.pad(grid, (0, rows * cols - size))
    grid = grid.reshape(rows, cols)
    within_row = grid @ jnp.triu(jnp.ones((cols, cols), jnp.float32))
    before_row = jnp.tril(jnp.ones((rows, rows), jnp.float32), -1) @ within_row[:, -1]
    total = within_row + before_row[:, None]
    return total.reshape(-1)[:size].astype(jnp.int32)


def _block_width(size):
    """Row width for :func:`prefix_sum`: the divisor of ``size`` nearest ``sqrt(size)`` if one
    lies within a factor 3 of it (a padded reshape would stop XLA fusing its producer
    efficiently), else ``ceil(sqrt(size))`` with padding."""
    root = math.sqrt(size)
    divisors = [d for d in range(1, size + 1) if size % d == 0 and root / 3 <= d <= root * 3]
    if divisors:
        return min(divisors, key=lambda d: abs(math.log(d / root)))
    return max(int(math.ceil(root)), 1)


def _floyd_ranks(key, counts, takes, max_num):
    """Per row m, ``takes[m]`` distinct ranks drawn uniformly from ``[0, counts[m])`` by Floyd's
    algorithm -> int32 (M, max_num); entries past ``takes[m]`` are -1. One loop serves all rows."""
    slots = jnp.arange(max_num, dtype=jnp.int32)
    upper = counts[:, None] - takes[:, None] + slots[None, :]  # Floyd's j: draw t in [0, j]
    draws = jax.random.randint(key, upper.shape, 0, jnp.maximum(upper + 1, 1), dtype=jnp.int32)
    active = slots[None, :] < takes[:, None]

    def step(i, chosen):
        t, j = draws[:, i], upper[:, i]
        seen = jnp.any(chosen == t[:, None], axis=1)  # keep t, or j if t was drawn before
        return chosen.at[:, i].set(jnp.where(active[:, i], jnp.where(seen, j, t), -1))

    return jax.lax.fori_loop(0, max_num, step, jnp.full(upper.shape, -1, jnp.int32))


def finish(*, valid, positive, negative, samples, gt, iou, box_weight=None, soft=None):
    """Assemble :class:`Labels`; an invalid ``gt`` (``valid`` False) gives an all-ignore result.

    ``positive`` and ``negative`` are disjoint bool (N,) masks; the rest is ignored.
    """
    centers = sample_centers(samples)
    ltrb = side_distances(centers, gt)
    centerness = centerness_from_ltrb(ltrb)
    box = regression_targets(samples, gt)
    positive = positive & valid
    negative = negative & valid
    cls = jnp.where(positive, POSITIVE, jnp.where(negative, NEGATIVE, IGNORE)).astype(jnp.int32)
    if box_weight is None:
        box_weight = positive.astype(jnp.float32)
    if soft is None:
        soft = positive.astype(jnp.float32)
    zero = jnp.zeros_like(centerness)
    return Labels(
        cls=cls,
        soft=jnp.where(valid, jnp.where(cls >= 0, soft, 0.0), 0.0).astype(jnp.float32),
        box=jnp.where(valid, box, 0.0).astype(jnp.float32),
        box_weight=jnp.where(positive, box_weight, 0.0).astype(jnp.float32),
        centerness=jnp.where(valid, centerness, zero).astype(jnp.float32),
        iou=jnp.where(valid, iou, zero).astype(jnp.float32),
    )
