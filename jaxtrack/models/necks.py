"""pysot's ``AdjustAllLayer``: a 1x1 conv + BN per level, and the template's central crop."""

from __future__ import annotations

import flax.linen as nn

from jaxtrack.models.layers import batch_norm, center_crop, kaiming_out


class AdjustLayer(nn.Module):
    """1x1 conv (no bias) + BN to ``channels``; with ``crop``, the central ``center_size`` window.

    pysot crops every map narrower than 20 (the 15x15 template maps, to indices 4..10); here the
    caller says which maps are templates, so any crop size works.
    """

    channels: int = 256
    center_size: int = 7

    @nn.compact
    def __call__(self, x, crop=False, train=False):
        x = nn.Conv(self.channels, (1, 1), use_bias=False, kernel_init=kaiming_out,
                    name="downsample_0")(x)
        x = batch_norm("downsample_1", train=train)(x)
        if crop and x.shape[2] > self.center_size:
            x = center_crop(x, self.center_size)
        return x


class AdjustAll(nn.Module):
    """One :class:`AdjustLayer` per level (named ``downsample2``, ``downsample3``, ... as pysot
    names them for layer2, layer3, ...; ``downsample`` when there is a single level)."""

    channels: int = 256
    center_size: int = 7

    @nn.compact
    def __call__(self, features, crop=False, train=False):
        names = ["downsample"] if len(features) == 1 else [
            f"downsample{i + 2}" for i in range(len(features))]
        return tuple(AdjustLayer(self.channels, self.center_size, name=name)(f, crop, train)
                     for name, f in zip(names, features))
