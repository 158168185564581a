"""ResNet-50 with dilated layer3/layer4, as pysot's ``resnet_atrous.ResNet`` builds it.

Layer by layer (pysot's padding rules, which differ from torchvision's):

- ``conv1`` 7x7 stride 2 **padding 0**, BN, ReLU, max-pool 3x3 stride 2 padding 1.
- ``layer1`` 3 bottlenecks (64), ``layer2`` 4 (128) stride 2, ``layer3`` 6 (256) dilation 2,
  ``layer4`` 3 (512) dilation 4; layer2/3/4 all have stride 8.
- A bottleneck's 3x3 ``conv2`` has padding 0 when its stride is 2, otherwise padding = its
  dilation; the first block of a dilated layer uses half the layer's dilation.
- The first block's ``downsample`` is a 1x1 conv in layer1, and a **3x3** conv in layer2
  (stride 2, padding 0), layer3 (padding 1) and layer4 (dilation 2, padding 2).

Sizes: a 127 crop gives 15x15 maps, a 255 crop 31x31; feature ``m`` is centred on crop pixel
``8 m + 7``. Parameter paths follow pysot's ``state_dict`` (``layer2/0/downsample_0`` for
``layer2.0.downsample.0``).
"""

from __future__ import annotations

import flax.linen as nn

from jaxtrack.models.layers import PointwiseConv, batch_norm, kaiming_out, pads

LAYERS = ((64, 3, 1, 1), (128, 4, 2, 1), (256, 6, 1, 2), (512, 3, 1, 4))
"""(planes, blocks, stride, dilation) of layer1..layer4."""
EXPANSION = 4


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> 1x1 residual block (pysot's ``Bottleneck``).

    ``downsample``: None, or (kernel, padding, dilation) of the shortcut conv (its stride is the
    block's).
    """

    planes: int
    stride: int = 1
    dilation: int = 1
    downsample: tuple | None = None
    frozen_bn: bool = True

    @nn.compact
    def __call__(self, x, train=False):
        def bn(name):
            return batch_norm(name, train=train, frozen=self.frozen_bn)

        dilation = self.dilation
        if self.downsample is not None and dilation > 1:
            dilation //= 2
        padding = 0 if self.stride == 2 else dilation
        out = PointwiseConv(self.planes, name="conv1")(x)
        out = nn.relu(bn("bn1")(out))
        out = nn.Conv(self.planes, (3, 3), strides=self.stride, padding=pads(padding),
                      kernel_dilation=dilation, use_bias=False, kernel_init=kaiming_out,
                      name="conv2")(out)
        out = nn.relu(bn("bn2")(out))
        out = PointwiseConv(self.planes * EXPANSION, name="conv3")(out)
        out = bn("bn3")(out)
        if self.downsample is not None:
            kernel, pad, dil = self.downsample
            x = nn.Conv(self.planes * EXPANSION, (kernel, kernel), strides=self.stride,
                        padding=pads(pad), kernel_dilation=dil, use_bias=False,
                        kernel_init=kaiming_out, name="downsample_0")(x)
            x = bn("downsample_1")(x)
        return nn.relu(out + x)


def shortcut(stride, dilation, in_channels, out_channels):
    """pysot's rule for the first block's shortcut -> None or (kernel, padding, dilation)."""
    if stride == 1 and in_channels == out_channels:
        return None
    if stride == 1 and dilation == 1:
        return (1, 0, 1)
    if dilation > 1:
        return (3, dilation // 2, dilation // 2)
    return (3, 0, 1)


class ResLayer(nn.Module):
    """``blocks`` bottlenecks, named ``"0"``, ``"1"``, ... (pysot's ``layerN.0`` ...)."""

    planes: int
    blocks: int
    stride: int
    dilation: int
    in_channels: int
    frozen_bn: bool = True

    @nn.compact
    def __call__(self, x, train=False):
        for block in range(self.blocks):
            first = block == 0
            x = Bottleneck(
                self.planes, stride=self.stride if first else 1, dilation=self.dilation,
                downsample=shortcut(self.stride, self.dilation, self.in_channels,
                                    self.planes * EXPANSION) if first else None,
                frozen_bn=self.frozen_bn, name=str(block))(x, train)
        return x


class ResNet50Atrous(nn.Module):
    """pysot's ResNet-50 (``used_layers=[2, 3, 4]``).

    Input (B, H, W, 3) float32 (pysot feeds BGR 0-255 as it is); returns the outputs of layer2,
    layer3 and layer4: (B, h, w, 512), (B, h, w, 1024), (B, h, w, 2048), all at stride 8.
    ``frozen_bn``: BatchNorm always uses its running statistics (pysot's frozen backbone).
    """

    frozen_bn: bool = True

    @nn.compact
    def __call__(self, x, train=False):
        x = nn.Conv(64, (7, 7), strides=2, padding="VALID", use_bias=False,
                    kernel_init=kaiming_out, name="conv1")(x)
        x = nn.relu(batch_norm("bn1", train=train, frozen=self.frozen_bn)(x))
        x = nn.max_pool(x, (3, 3), strides=(2, 2), padding=pads(1))
        in_channels = 64
        outputs = []
        for index, (planes, blocks, stride, dilation) in enumerate(LAYERS, start=1):
            x = ResLayer(planes, blocks, stride, dilation, in_channels, self.frozen_bn,
                         name=f"layer{index}")(x, train)
            in_channels = planes * EXPANSION
            if index >= 2:
                outputs.append(x)
        return tuple(outputs)
