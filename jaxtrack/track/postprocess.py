"""Score-map post-processing of pysot's SiamRPN++ tracker and SiamCAR's tracker, in JAX.

Pure functions of one frame's network outputs (batch axis removed) in the sample order of
:mod:`jaxtrack.assign.geometry`; all boxes and sizes are in search-crop pixels unless named
``frame``. Each selector returns the chosen target centre and size in the crop, the size
smoothing rate ``lr`` and a confidence; :mod:`jaxtrack.track.siamese_tracker` maps them back to
the frame. :data:`SELECTORS` holds each model family's selector.

References (read, not copied): pysot ``pysot/tracker/siamrpn_tracker.py`` and SiamCAR
``pysot/tracker/siamcar_tracker.py``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack.assign import decode
from jaxtrack.registry import Registry


def change(ratio):
    """``max(r, 1 / r)``: how far a ratio is from 1, symmetrically."""
    return jnp.maximum(ratio, 1.0 / ratio)


def padded_side(width, height):
    """pysot's ``sz``: ``sqrt((w + p) (h + p))`` with ``p = (w + h) / 2``."""
    pad = 0.5 * (width + height)
    return jnp.sqrt((width + pad) * (height + pad))


def size_penalty(width, height, prev_width, prev_height, penalty_k):
    """pysot's scale/ratio change penalty ``exp(-(r_c s_c - 1) k)`` of candidate sizes (...)
    against the previous target size (same units)."""
    s_c = change(padded_side(width, height) / padded_side(prev_width, prev_height))
    r_c = change((prev_width / prev_height) / (width / height))
    return jnp.exp(-(r_c * s_c - 1.0) * penalty_k)


def hanning_window(score_size, num_anchors=1):
    """Cosine window: outer product of ``np.hanning(score_size)`` -> float32 (S*S*A,), repeated
    for every anchor of a location (the sample order is location-major, anchor-minor)."""
    hanning = np.hanning(score_size)
    return np.repeat(np.outer(hanning, hanning).ravel(), num_anchors).astype(np.float32)


def fg_probability(cls_logits):
    """(..., 2) background/foreground logits -> (...) softmax foreground probability."""
    return jax.nn.softmax(cls_logits, axis=-1)[..., 1]


def rpn_select(cls_logits, deltas, anchors, window, prev_size, penalty_k, window_influence, lr):
    """pysot SiamRPN++: the best anchor of the penalised, window-blended score.

    Args:
      cls_logits: (N, 2) logits; deltas: (N, 4) pysot deltas; anchors: (N, 4) xyxy anchors.
      window: (N,) cosine window (:func:`hanning_window`).
      prev_size: (2,) previous target ``w, h`` in crop pixels.
      penalty_k, window_influence, lr: scale/ratio penalty, window weight, size learning rate.

    Returns:
      centre (2,) and size (2,) of the decoded best box, the size smoothing rate
      ``penalty * score * lr`` and the best anchor's foreground probability.
    """
    score = fg_probability(cls_logits)
    boxes = decode(anchors, deltas)
    size = boxes[:, 2:] - boxes[:, :2]
    penalty = size_penalty(size[:, 0], size[:, 1], prev_size[0], prev_size[1], penalty_k)
    pscore = penalty * score * (1.0 - window_influence) + window * window_influence
    best = jnp.argmax(pscore)
    centre = 0.5 * (boxes[best, :2] + boxes[best, 2:])
    return centre, size[best], penalty[best] * score[best] * lr, score[best]


def normalise_centerness(cen):
    """SiamCAR's min-max normalisation of raw centerness outputs to [0, 1] (all ones if flat)."""
    low, span = jnp.min(cen), jnp.ptp(cen)
    return jnp.where(span > 0, (cen - low) / jnp.where(span > 0, span, 1.0), 1.0)


def upsample(maps, size):
    """(S, S, ...) maps -> (size, size, ...) by OpenCV's ``INTER_CUBIC`` resize (Keys cubic with
    a = -0.75, half-pixel centres, replicated edges), as SiamCAR's ``cv2.resize``."""
    return jax.image.resize(maps, (size, size) + maps.shape[2:], "cubic-pytorch", antialias=False)


def coarse_mask(hp_up, ltrb, score_size, min_region, max_region):
    """SiamCAR's ``coarse_location``: a rectangle around the peak of the window-blended upsampled
    score ``hp_up`` (U, U), half as large as the box predicted at the nearest score-map point
    (its (S, S, 4) ``ltrb`` clipped to ``[min_region, max_region]`` pixels) -> float32 (U, U)
    mask. The nearest point is clipped to the map (the reference can index past it)."""
    up = hp_up.shape[0]
    peak = jnp.argmax(hp_up)
    row, col = peak // up, peak % up
    ratio = up / score_size
    near_r = jnp.clip(jnp.round(row / ratio), 0, score_size - 1).astype(jnp.int32)
    near_c = jnp.clip(jnp.round(col / ratio), 0, score_size - 1).astype(jnp.int32)
    region = jnp.clip(ltrb[near_r, near_c], min_region, max_region)
    left = jnp.floor(jnp.minimum(col, region[0]) / 2.0)
    top = jnp.floor(jnp.minimum(row, region[1]) / 2.0)
    right = jnp.floor(jnp.minimum(up - col, region[2]) / 2.0)
    bottom = jnp.floor(jnp.minimum(up - row, region[3]) / 2.0)
    index = jnp.arange(up)
    rows = (index >= row - top) & (index <= row + bottom)
    cols = (index >= col - left) & (index <= col + right)
    return (rows[:, None] & cols[None, :]).astype(hp_up.dtype)


def car_select(score, cen, ltrb, points, window, prev_size, scale, penalty_k, window_influence, lr,
               *, stride, exemplar_size=127, region_s=0.1, region_l=0.44):
    """SiamCAR: coarse-to-fine peak of the upsampled penalised score.

    Args:
      score: (S*S,) classification probability (SiamLA: times its quality score).
      cen: (S*S,) raw centerness outputs (min-max normalised here, as the reference).
      ltrb: (S*S, 4) distances to the box sides, crop pixels.
      points: (S*S, 2) crop coordinates of the score-map points (:func:`point_grid`).
      window: (S*S,) cosine window.
      prev_size: (2,) previous target ``w, h`` in crop pixels.
      scale: crop pixels per frame pixel.
      penalty_k, window_influence, lr: scale/ratio penalty, window weight, size learning rate.
      stride, exemplar_size, region_s, region_l: static geometry of the coarse region.

    Returns:
      centre (2,) and size (2,) in crop pixels, the size smoothing rate and the upsampled score
      at the peak. The upsampled grid has ``U = (S - 1) stride + 1`` pixels, one crop pixel apart,
      pixel 0 on point 0 (SiamCAR's ``accurate_location``, in jaxtrack's point grid). As in the
      reference, the smoothing rate's penalty compares the box in frame pixels with the previous
      size in crop pixels (the published hyperparameters were tuned with it).
    """
    side = int(round(np.sqrt(score.shape[0])))
    up = (side - 1) * stride + 1
    as_map = lambda x: x.reshape((side, side) + x.shape[1:])  # noqa: E731
    widths, heights = ltrb[:, 0] + ltrb[:, 2], ltrb[:, 1] + ltrb[:, 3]
    penalty = size_penalty(widths, heights, prev_size[0], prev_size[1], penalty_k)
    p_score = penalty * score * normalise_centerness(cen)
    hp_score = p_score * (1.0 - window_influence) + window * window_influence
    hp_up = upsample(as_map(hp_score), up)
    p_up = upsample(as_map(p_score), up)
    score_up = upsample(as_map(score), up)
    ltrb_up = upsample(as_map(ltrb), up)
    mask = coarse_mask(hp_up, as_map(ltrb), side, int(region_s * exemplar_size),
                       int(region_l * exemplar_size))
    peak = jnp.argmax(p_up * mask)
    row, col = peak // up, peak % up
    step = stride * (side - 1) / (up - 1)
    centre = points[0] + step * jnp.stack([col, row]).astype(jnp.float32)
    box = ltrb_up[row, col]
    size = jnp.stack([box[0] + box[2], box[1] + box[3]])
    frame_size = size / scale
    penalty = size_penalty(frame_size[0], frame_size[1], prev_size[0], prev_size[1], penalty_k)
    return centre, size, penalty * score_up[row, col] * lr, score_up[row, col]


def select_siamrpn(outputs, hyper, geometry, prev_size, scale):
    """pysot's post-processing of ``outputs`` (``cls``, ``loc``) -> :func:`rpn_select`'s values."""
    return rpn_select(outputs["cls"], outputs["loc"], geometry.samples, geometry.window, prev_size,
                      hyper.penalty_k, hyper.window_influence, hyper.lr)


def select_siamcar(outputs, hyper, geometry, prev_size, scale, score=None):
    """SiamCAR's post-processing of ``outputs`` (``cls``, ``cen``, ``ltrb``) -> :func:`car_select`'s
    values; ``score`` replaces the classification probability (SiamLA)."""
    score = fg_probability(outputs["cls"]) if score is None else score
    return car_select(score, outputs["cen"], outputs["ltrb"], geometry.samples, geometry.window, prev_size, scale,
                      hyper.penalty_k, hyper.window_influence, hyper.lr, stride=geometry.stride,
                      exemplar_size=geometry.exemplar_size, region_s=geometry.region_s, region_l=geometry.region_l)


def select_siamla(outputs, hyper, geometry, prev_size, scale):
    """SiamCAR's post-processing on SiamLA's score ``cls * sigmoid(quality) ** quality_exponent``."""
    score = fg_probability(outputs["cls"]) * jax.nn.sigmoid(outputs["quality"]) ** hyper.quality_exponent
    return select_siamcar(outputs, hyper, geometry, prev_size, scale, score=score)


SELECTORS = Registry("post-processing")
SELECTORS.register("siamrpn")(select_siamrpn)
SELECTORS.register("siamcar")(select_siamcar)
SELECTORS.register("siamla")(select_siamla)
"""Model family (:data:`jaxtrack.models.FAMILIES`) -> ``select(outputs, hyper, geometry,
prev_size, scale) -> (centre, size, lr, score)`` in crop pixels."""
MIN_SIZES = {"siamrpn": 10.0, "siamcar": 0.0, "siamla": 0.0}
"""Smallest tracked width/height in frame pixels per family (pysot clamps at 10, SiamCAR not)."""
