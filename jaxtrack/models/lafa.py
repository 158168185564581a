"""SiamLA's localization-quality branch with a LAFA module. *Reconstruction.*

Only the abstract of SiamLA (Nie et al., arXiv 2204.14093) is public: it names a
localization-aware feature aggregation (LAFA) module inside a localization-quality branch whose
score modifies the classification score. jaxtrack's reading, every choice a field:

1. Box: at each score-map point, the box the regression branch predicts, ``(x - l, y - t,
   x + r, y + b)`` in crop pixels (``detach_boxes``: treated as a constant, so the quality loss
   does not train the regression).
2. Aggregation: the ``source`` map (``"box_tower"``, ``"cls_tower"`` or ``"fused"`` correlation
   features) is sampled bilinearly (zero outside) at the centres of a ``grid`` x ``grid``
   partition of that box, as Ocean's feature alignment samples inside the predicted box; the
   samples are concatenated and projected to ``hidden`` channels (a deformable ``grid`` x
   ``grid`` convolution whose taps follow the box), then GroupNorm + ReLU.
3. Prediction: 3x3 conv + GroupNorm + ReLU, 1x1 conv -> one logit per point; ``sigmoid`` of it is
   the predicted IoU of the point's box. At inference the tracker multiplies the classification
   score by it (exponent configurable there).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack.models.layers import batched_bilinear_sample, pads

SOURCES = ("box_tower", "cls_tower", "fused")


class LAFA(nn.Module):
    """Quality head: (B, S, S, C) features on the point grid, (B, S, S, 4) ``ltrb`` crop pixels,
    (S*S, 2) point coordinates -> (B, S*S) IoU logits."""

    grid: int = 3
    hidden: int = 256
    groups: int = 32
    source: str = "box_tower"
    detach_boxes: bool = True

    @nn.compact
    def __call__(self, features, ltrb, points):
        if self.source not in SOURCES:
            raise ValueError(f"LAFA: unknown source {self.source!r}; choose one of {SOURCES}")
        batch, size, _, channels = features.shape
        points = np.asarray(points, np.float32).reshape(size, size, 2)
        origin = points[0, 0]
        stride = points[0, 1, 0] - points[0, 0, 0] if size > 1 else 1.0
        if self.detach_boxes:
            ltrb = jax.lax.stop_gradient(ltrb)
        x1 = points[..., 0] - ltrb[..., 0]
        y1 = points[..., 1] - ltrb[..., 1]
        x2 = points[..., 0] + ltrb[..., 2]
        y2 = points[..., 1] + ltrb[..., 3]
        frac = (jnp.arange(self.grid, dtype=jnp.float32) + 0.5) / self.grid
        # (B, S, S, G, G): rows follow y, columns follow x
        xs = x1[..., None, None] + (x2 - x1)[..., None, None] * frac[None, :]
        ys = y1[..., None, None] + (y2 - y1)[..., None, None] * frac[:, None]
        sampled = batched_bilinear_sample(features, (xs - origin[0]) / stride,
                                          (ys - origin[1]) / stride)
        init = nn.initializers.normal(0.01)
        x = sampled.reshape(batch, size, size, self.grid * self.grid * channels)
        x = nn.Dense(self.hidden, kernel_init=init, name="align")(x)
        x = nn.relu(nn.GroupNorm(self.groups, epsilon=1e-5, name="align_norm")(x))
        x = nn.Conv(self.hidden, (3, 3), padding=pads(1), kernel_init=init, name="conv")(x)
        x = nn.relu(nn.GroupNorm(self.groups, epsilon=1e-5, name="conv_norm")(x))
        logits = nn.Conv(1, (1, 1), kernel_init=init, name="iou")(x)
        return logits.reshape(batch, size * size)
