"""Training-sample geometry on the score map of the search crop.

Sample order (used by every assigner, model output and loss in jaxtrack)
------------------------------------------------------------------------
Samples are flattened **row-major over (y, x), then anchor**: the sample of score-map row ``i``,
column ``j`` and anchor ``a`` has index ``(i * score_size + j) * num_anchors + a``; for points
(one sample per location) the index is ``i * score_size + j``. A model's NHWC output map of shape
``(score_size, score_size, num_anchors * C)`` reshaped to ``(-1, C)`` is in this order when its
channels are laid out anchor-major (``a * C + c``).

All boxes are xyxy in search-crop pixels (see :mod:`jaxtrack.boxes`).
"""

from __future__ import annotations

import math

import numpy as np


def base_anchor_sizes(stride=8, ratios=(0.33, 0.5, 1, 2, 3), scales=(8,)):
    """Anchor (w, h) in pixels as pysot rounds them -> float32 (len(ratios) * len(scales), 2).

    For each ratio r (h / w): ``ws = int(sqrt(stride**2 / r))``, ``hs = int(ws * r)``, then each
    scale s multiplies both. With the defaults: 104x32, 88x40, 64x64, 40x80, 32x96.
    """
    sizes = []
    for ratio in ratios:
        ws = int(math.sqrt(stride * stride / ratio))
        hs = int(ws * ratio)
        for scale in scales:
            sizes.append((ws * scale, hs * scale))
    return np.asarray(sizes, np.float32)


def grid_centers(score_size=25, stride=8, search_size=255, offset=None):
    """Centres of the score-map locations -> float32 (score_size**2, 2) ``x, y``, row-major.

    ``offset`` is the crop coordinate of location (0, 0). By default it is pysot's
    ``search_size // 2 - (score_size // 2) * stride`` (31 for 255/25/8), which centres the grid on
    pixel 127 of the crop.
    """
    if offset is None:
        offset = search_size // 2 - (score_size // 2) * stride
    coords = offset + stride * np.arange(score_size, dtype=np.float32)
    ys, xs = np.meshgrid(coords, coords, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=-1).astype(np.float32)


def anchor_grid(score_size=25, stride=8, search_size=255, ratios=(0.33, 0.5, 1, 2, 3), scales=(8,)):
    """SiamRPN++ anchors -> float32 (score_size**2 * len(ratios) * len(scales), 4), xyxy.

    The same set of boxes pysot's ``Anchors.generate_all_anchors(search_size // 2, score_size)``
    builds: integer sides from :func:`base_anchor_sizes`, centres ``31 + 8 j`` (31..223 by
    default), in the sample order of this module (location-major, anchor-minor).
    """
    centers = grid_centers(score_size, stride, search_size)  # (L, 2)
    half = base_anchor_sizes(stride, ratios, scales) * 0.5  # (A, 2)
    lo = centers[:, None, :] - half[None, :, :]
    hi = centers[:, None, :] + half[None, :, :]
    return np.concatenate([lo, hi], axis=-1).reshape(-1, 4).astype(np.float32)


def point_grid(score_size=25, stride=8, search_size=255):
    """SiamCAR sample points -> float32 (score_size**2, 2) ``x, y`` at ``stride * j + 32``.

    SiamCAR adds a constant 32 to ``stride * j`` (32..224 for the defaults): one pixel right of
    pysot's anchor centres. Other sizes use the same rule, ``search_size // 2 -
    (score_size // 2) * stride + 1``.
    """
    offset = search_size // 2 - (score_size // 2) * stride + 1
    return grid_centers(score_size, stride, search_size, offset=offset)


def sample_centers(samples):
    """Centres of samples: (N, 4) xyxy anchors -> (N, 2); (N, 2) points are returned as they are."""
    if samples.shape[-1] == 4:
        return (samples[..., :2] + samples[..., 2:]) * 0.5
    return samples
