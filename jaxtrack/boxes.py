"""The one box convention of jaxtrack, and the conversions at its edges.

Convention
----------
Inside the library a box is ``xyxy``: ``(x1, y1, x2, y2)`` float32 in pixels, with
``x2 = x1 + w`` and ``y2 = y1 + h`` (continuous coordinates, no ``+1``/``-1``), stacked on the
last axis: shape ``(..., 4)``.

Benchmark files store ``xywh`` rows (``x, y`` the top-left corner). Every toolkit uses those
MATLAB-era numbers as they are, without a 1-based shift, and so does jaxtrack: a file row
``x, y, w, h`` becomes ``(x, y, x + w, y + h)``. Toolkit-specific centre conventions
(``x + (w - 1) / 2``) live in :mod:`jaxtrack.eval`, not here.

Crop coordinates (the 255x255 search crop, the 25x25 score map) are the same convention
measured in the crop's pixels.

All functions are pure ``jax.numpy`` and work under ``jit`` and ``vmap`` (the four conversions
keep NumPy inputs in NumPy, for the host-side edges); overlaps of empty
boxes are 0, never NaN.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from jaxtrack.errors import JaxtrackError


def _namespace(boxes):
    """NumPy for NumPy inputs (host-side file edges keep their float64), ``jax.numpy`` otherwise."""
    return np if isinstance(boxes, (np.ndarray, np.generic)) else jnp


def xywh_to_xyxy(boxes):
    """(..., 4) ``x, y, w, h`` (top-left corner) -> (..., 4) ``x1, y1, x2, y2``."""
    xp = _namespace(boxes)
    boxes = xp.asarray(boxes)
    xy, wh = boxes[..., :2], boxes[..., 2:]
    return xp.concatenate([xy, xy + wh], axis=-1)


def xyxy_to_xywh(boxes):
    """(..., 4) ``x1, y1, x2, y2`` -> (..., 4) ``x, y, w, h`` (top-left corner)."""
    xp = _namespace(boxes)
    boxes = xp.asarray(boxes)
    return xp.concatenate([boxes[..., :2], boxes[..., 2:] - boxes[..., :2]], axis=-1)


def cxcywh_to_xyxy(boxes):
    """(..., 4) ``cx, cy, w, h`` (centre) -> (..., 4) ``x1, y1, x2, y2``."""
    xp = _namespace(boxes)
    boxes = xp.asarray(boxes)
    c, half = boxes[..., :2], boxes[..., 2:] * 0.5
    return xp.concatenate([c - half, c + half], axis=-1)


def xyxy_to_cxcywh(boxes):
    """(..., 4) ``x1, y1, x2, y2`` -> (..., 4) ``cx, cy, w, h`` (centre)."""
    xp = _namespace(boxes)
    boxes = xp.asarray(boxes)
    p1, p2 = boxes[..., :2], boxes[..., 2:]
    return xp.concatenate([(p1 + p2) * 0.5, p2 - p1], axis=-1)


def center(boxes):
    """(..., 4) xyxy -> (..., 2) centre ``cx, cy``."""
    boxes = jnp.asarray(boxes)
    return (boxes[..., :2] + boxes[..., 2:]) * 0.5


def area(boxes):
    """(..., 4) xyxy -> (...) area; 0 for empty or inverted boxes."""
    boxes = jnp.asarray(boxes)
    wh = jnp.maximum(boxes[..., 2:] - boxes[..., :2], 0.0)
    return wh[..., 0] * wh[..., 1]


def is_valid(boxes):
    """(..., 4) xyxy -> (...) bool: all coordinates finite and ``w > 0``, ``h > 0``."""
    boxes = jnp.asarray(boxes)
    finite = jnp.all(jnp.isfinite(boxes), axis=-1)
    positive = (boxes[..., 2] > boxes[..., 0]) & (boxes[..., 3] > boxes[..., 1])
    return finite & positive


def _safe_ratio(numerator, denominator):
    """``numerator / denominator`` where the denominator is positive, else 0 (finite gradients)."""
    positive = denominator > 0
    return jnp.where(positive, numerator / jnp.where(positive, denominator, 1.0), 0.0)


def _intersection_union(a, b):
    """Broadcast (..., 4) xyxy pairs -> intersection and union areas (...)."""
    lt = jnp.maximum(a[..., :2], b[..., :2])
    rb = jnp.minimum(a[..., 2:], b[..., 2:])
    wh = jnp.maximum(rb - lt, 0.0)
    inter = wh[..., 0] * wh[..., 1]
    union = area(a) + area(b) - inter
    return inter, union


def iou(a, b):
    """Element-wise IoU of broadcastable (..., 4) xyxy boxes -> (...); 0 where the union is 0."""
    a, b = jnp.asarray(a), jnp.asarray(b)
    inter, union = _intersection_union(a, b)
    return _safe_ratio(inter, union)


def giou(a, b):
    """Element-wise generalised IoU (Rezatofighi et al. 2019) in [-1, 1] -> (...).

    Empty enclosing boxes (both inputs degenerate at one point) give 0.
    """
    a, b = jnp.asarray(a), jnp.asarray(b)
    inter, union = _intersection_union(a, b)
    iou_value = _safe_ratio(inter, union)
    lt = jnp.minimum(a[..., :2], b[..., :2])
    rb = jnp.maximum(a[..., 2:], b[..., 2:])
    enclosing_wh = jnp.maximum(rb - lt, 0.0)
    enclosing = enclosing_wh[..., 0] * enclosing_wh[..., 1]
    penalty = _safe_ratio(enclosing - union, enclosing)
    return iou_value - penalty


def clip(boxes, width, height):
    """Clip (..., 4) xyxy boxes to the image ``[0, width] x [0, height]``."""
    boxes = jnp.asarray(boxes)
    x = jnp.clip(boxes[..., 0::2], 0.0, width)
    y = jnp.clip(boxes[..., 1::2], 0.0, height)
    return jnp.stack([x[..., 0], y[..., 0], x[..., 1], y[..., 1]], axis=-1)


MAX_BOX_TO_FRAME = 2.0
"""An initial box may be at most this many times the frame's width and height."""
MIN_BOX_SIDE = 0.1
"""An initial box's width and height in pixels must be at least this."""


def check_initial_box(xywh, frame_size, label):
    """Raise :class:`jaxtrack.errors.JaxtrackError` unless ``x, y, w, h`` (float64, as given) is a
    box a tracker can start from in a ``(width, height)`` frame: finite, each side at least
    :data:`MIN_BOX_SIDE` px and at most :data:`MAX_BOX_TO_FRAME` times the frame's, overlapping
    the frame. ``label`` names the box in the message (e.g. the argument as typed)."""
    x, y, w, h = (float(v) for v in xywh)
    width, height = frame_size
    if not all(np.isfinite([x, y, w, h])):
        problem = "every value must be finite"
    elif min(w, h) < MIN_BOX_SIDE:
        problem = f"width and height must be at least {MIN_BOX_SIDE:g} px"
    elif w > MAX_BOX_TO_FRAME * width or h > MAX_BOX_TO_FRAME * height:
        problem = f"width and height may be at most {MAX_BOX_TO_FRAME:g} times the frame's"
    elif min(x + w, width) <= max(x, 0) or min(y + h, height) <= max(y, 0):
        problem = "it lies outside the frame"
    else:
        return
    raise JaxtrackError(f"{label}: initial box x,y,w,h = {x!r},{y!r},{w!r},{h!r} on the {width}x{height} "
                        f"first frame: {problem}")
