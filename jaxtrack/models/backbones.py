"""Backbone look-up by name, and the small backbone for fast tests.

Every backbone maps (B, H, W, 3) float32 crops to a tuple of stride-8 NHWC feature maps (one per
level) and takes ``train`` as its second argument.
"""

from __future__ import annotations

import flax.linen as nn

from jaxtrack.models.alexnet import AlexNetLegacy
from jaxtrack.models.efficientnet import EfficientNetLite0
from jaxtrack.models.layers import batch_norm, kaiming_out, same_padding
from jaxtrack.models.resnet import ResNet50Atrous
from jaxtrack.registry import Registry


class SmallNet(nn.Module):
    """A four-conv backbone for tests and smoke runs (not a published architecture).

    Three 3x3 stride-2 convs (``widths``) with TensorFlow "SAME" padding, then one 3x3 conv with
    dilation 2; each followed by BN and ReLU. Returns the maps after the third and fourth conv
    (stride 8). Sizes and alignment equal :class:`EfficientNetLite0`'s: 127 -> 16x16,
    255 -> 32x32, feature ``m`` centred on crop pixel ``8 m + 6``.
    """

    widths: tuple = (16, 32, 64)
    frozen_bn: bool = False

    @nn.compact
    def __call__(self, x, train=False):
        for index, width in enumerate(self.widths):
            padding = tuple(same_padding(size, 3, 2) for size in x.shape[1:3])
            x = nn.Conv(width, (3, 3), strides=2, padding=padding, use_bias=False,
                        kernel_init=kaiming_out, name=f"conv{index}")(x)
            x = nn.relu(batch_norm(f"bn{index}", train=train, frozen=self.frozen_bn)(x))
        first = x
        x = nn.Conv(self.widths[-1], (3, 3), padding=((2, 2), (2, 2)), kernel_dilation=2,
                    use_bias=False, kernel_init=kaiming_out, name=f"conv{len(self.widths)}")(x)
        x = nn.relu(batch_norm(f"bn{len(self.widths)}", train=train, frozen=self.frozen_bn)(x))
        return (first, x)


BACKBONES = Registry("backbone")
BACKBONES.register("resnet50")(ResNet50Atrous)
BACKBONES.register("alexnet_legacy")(AlexNetLegacy)
BACKBONES.register("efficientnet_lite0")(EfficientNetLite0)
BACKBONES.register("small")(SmallNet)
