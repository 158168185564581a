"""pysot's ``AlexNetLegacy``: the backbone of the released ``siamrpn_alex_dwxcorr`` model.

``features``: conv 11x11/2 (96), BN, max-pool 3/2, ReLU; conv 5x5 (256), BN, max-pool 3/2, ReLU;
conv 3x3 (384), BN, ReLU; conv 3x3 (384), BN, ReLU; conv 3x3 (256), BN. No padding anywhere,
convs with bias. Channel counts scale with ``width_mult`` (``int(c * width_mult)``).

Sizes: a 127 crop gives a 6x6 map, 255 gives 22x22, 287 (pysot's tracking size for this model)
26x26. Parameter names follow pysot's ``state_dict`` (``features_0`` for ``features.0``).
"""

from __future__ import annotations

import flax.linen as nn

from jaxtrack.models.layers import batch_norm, kaiming_out

CHANNELS = (96, 256, 384, 384, 256)
# (index of the conv in pysot's nn.Sequential, kernel, stride, max-pool after BN, ReLU at the end)
LAYOUT = ((0, 11, 2, True, True), (4, 5, 1, True, True), (8, 3, 1, False, True),
          (11, 3, 1, False, True), (14, 3, 1, False, False))


class AlexNetLegacy(nn.Module):
    """Input (B, H, W, 3) float32 BGR 0-255; returns a 1-tuple ``(B, h, w, 256 * width_mult)``."""

    width_mult: float = 1.0
    frozen_bn: bool = True

    @nn.compact
    def __call__(self, x, train=False):
        for channels, (index, kernel, stride, pool, relu) in zip(CHANNELS, LAYOUT):
            x = nn.Conv(int(channels * self.width_mult), (kernel, kernel), strides=stride,
                        padding="VALID", kernel_init=kaiming_out, name=f"features_{index}")(x)
            x = batch_norm(f"features_{index + 1}", train=train, frozen=self.frozen_bn)(x)
            if pool:
                x = nn.max_pool(x, (3, 3), strides=(2, 2))
            if relu:
                x = nn.relu(x)
        return (x,)
