"""Tracking crops inside JAX: the geometry of :mod:`jaxtrack.data.crop`, sampled under ``jit``.

A crop resamples the axis-aligned window ``(x1, y1, x2, y2)`` (frame pixels, continuous
coordinates: pixel ``i`` covers ``[i, i + 1)``) to ``out_size x out_size`` pixels by bilinear
interpolation; neighbours outside the frame take the padding colour. This is what
``cv2.warpAffine(..., INTER_LINEAR, BORDER_CONSTANT)`` computes in
:func:`jaxtrack.data.crop.crop_region` (OpenCV quantises sample positions to 1/32 px and rounds
to uint8; here both stay float32).
"""

from __future__ import annotations

import jax.numpy as jnp


def context_side(size, context=0.5):
    """Template window side ``sqrt((w + p) (h + p))``, ``p = context (w + h)`` for (..., 2) sizes."""
    pad = context * (size[..., 0] + size[..., 1])
    return jnp.sqrt((size[..., 0] + pad) * (size[..., 1] + pad))


def square_window(center, side):
    """(2,) centre and a side -> (4,) xyxy square window."""
    half = 0.5 * side
    return jnp.concatenate([center - half, center + half])


def _axis_taps(start, stop, out_size, length):
    """Bilinear taps along one axis: indices (2, out), weights (2, out), in-frame mask (2, out)."""
    steps = (jnp.arange(out_size, dtype=jnp.float32) + 0.5) / out_size
    coords = start + steps * (stop - start) - 0.5  # pixel-centre (index) coordinates
    low = jnp.floor(coords)
    frac = coords - low
    index = jnp.stack([low, low + 1.0]).astype(jnp.int32)
    inside = (index >= 0) & (index < length)
    return jnp.clip(index, 0, length - 1), jnp.stack([1.0 - frac, frac]), inside


def crop_window(frame, window, out_size, padding):
    """Resample ``window`` of ``frame`` to a square crop.

    Args:
      frame: (H, W, C) image (uint8 or float), BGR as read by OpenCV.
      window: (4,) xyxy float, frame pixels; may extend past the frame.
      out_size: static int, side of the crop in pixels.
      padding: (C,) colour of the pixels outside the frame.

    Returns:
      float32 (out_size, out_size, C) crop.
    """
    height, width = frame.shape[:2]
    window = jnp.asarray(window, jnp.float32)
    rows, row_w, row_in = _axis_taps(window[1], window[3], out_size, height)
    cols, col_w, col_in = _axis_taps(window[0], window[2], out_size, width)
    padding = jnp.asarray(padding, jnp.float32)
    crop = jnp.zeros((out_size, out_size, frame.shape[2]), jnp.float32)
    for a in range(2):
        for b in range(2):
            pixels = frame[rows[a][:, None], cols[b][None, :]].astype(jnp.float32)
            inside = (row_in[a][:, None] & col_in[b][None, :])[..., None]
            weight = (row_w[a][:, None] * col_w[b][None, :])[..., None]
            crop = crop + weight * jnp.where(inside, pixels, padding)
    return crop


def mean_colour(frame):
    """(H, W, C) frame -> float32 (C,) per-channel mean (the crop padding, pysot's ``avg_chans``)."""
    return jnp.mean(frame.astype(jnp.float32), axis=(0, 1))
