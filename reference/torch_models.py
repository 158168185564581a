"""PyTorch versions of the reference architectures, for conversion tests and benchmarks only.

Written for jaxtrack from the published structure of pysot (``resnet_atrous.py``,
``alexnet.py``, ``neck.py``, ``rpn.py``), SiamCAR (``car_head.py``, ``model_builder.py``) and the
EfficientNet-Lite0 PyTorch port; their ``state_dict`` keys are the originals'
(``backbone.layer2.0.downsample.0.weight``, ``rpn_head.rpn2.cls.head.3.bias``,
``car_head.cls_tower.0.weight``, ``_blocks.3._depthwise_conv.weight``, ...), so a released
checkpoint loads into them. NCHW tensors.

This module imports ``torch`` at import time, which is why it lives outside the installed
package: the library never imports torch.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from jaxtrack.models.efficientnet import BN_EPSILON, STEM_CHANNELS, block_plan
from jaxtrack.models.resnet import EXPANSION, LAYERS, shortcut


class Bottleneck(nn.Module):
    def __init__(self, in_channels, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        if downsample is not None and dilation > 1:
            dilation //= 2
        padding = 0 if stride == 2 else dilation
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, padding, dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * EXPANSION, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * EXPANSION)
        self.downsample = None
        if downsample is not None:
            kernel, pad, dil = downsample
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, planes * EXPANSION, kernel, stride, pad, dil, bias=False),
                nn.BatchNorm2d(planes * EXPANSION))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        residual = x if self.downsample is None else self.downsample(x)
        return F.relu(out + residual)


class ResNet50Atrous(nn.Module):
    """pysot's ResNet-50 with ``used_layers=[2, 3, 4]`` -> [layer2, layer3, layer4]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        in_channels = 64
        for index, (planes, blocks, stride, dilation) in enumerate(LAYERS, start=1):
            layer = [Bottleneck(in_channels, planes, stride, dilation,
                                shortcut(stride, dilation, in_channels, planes * EXPANSION))]
            in_channels = planes * EXPANSION
            layer += [Bottleneck(in_channels, planes, 1, dilation) for _ in range(blocks - 1)]
            setattr(self, f"layer{index}", nn.Sequential(*layer))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        p1 = self.layer1(x)
        p2 = self.layer2(p1)
        p3 = self.layer3(p2)
        return [p2, p3, self.layer4(p3)]


class AlexNetLegacy(nn.Module):
    def __init__(self, width_mult=1.0):
        super().__init__()
        c = [3] + [int(x * width_mult) for x in (96, 256, 384, 384, 256)]
        self.features = nn.Sequential(
            nn.Conv2d(c[0], c[1], 11, 2), nn.BatchNorm2d(c[1]), nn.MaxPool2d(3, 2), nn.ReLU(),
            nn.Conv2d(c[1], c[2], 5), nn.BatchNorm2d(c[2]), nn.MaxPool2d(3, 2), nn.ReLU(),
            nn.Conv2d(c[2], c[3], 3), nn.BatchNorm2d(c[3]), nn.ReLU(),
            nn.Conv2d(c[3], c[4], 3), nn.BatchNorm2d(c[4]), nn.ReLU(),
            nn.Conv2d(c[4], c[5], 3), nn.BatchNorm2d(c[5]))

    def forward(self, x):
        return [self.features(x)]


class AdjustLayer(nn.Module):
    def __init__(self, in_channels, out_channels, center_size=7):
        super().__init__()
        self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                        nn.BatchNorm2d(out_channels))
        self.center_size = center_size

    def forward(self, x):
        x = self.downsample(x)
        if x.size(3) < 20:
            left = (x.size(3) - self.center_size) // 2
            x = x[:, :, left:left + self.center_size, left:left + self.center_size]
        return x


class AdjustAllLayer(nn.Module):
    def __init__(self, in_channels, out_channels, center_size=7):
        super().__init__()
        self.num = len(in_channels)
        for i, (cin, cout) in enumerate(zip(in_channels, out_channels)):
            self.add_module(f"downsample{i + 2}", AdjustLayer(cin, cout, center_size))

    def forward(self, features):
        return [getattr(self, f"downsample{i + 2}")(f) for i, f in enumerate(features)]


def xcorr_depthwise(x, kernel):
    batch, channels = kernel.shape[:2]
    x = x.reshape(1, batch * channels, x.size(2), x.size(3))
    kernel = kernel.reshape(batch * channels, 1, kernel.size(2), kernel.size(3))
    out = F.conv2d(x, kernel, groups=batch * channels)
    return out.reshape(batch, channels, out.size(2), out.size(3))


class DepthwiseXCorr(nn.Module):
    def __init__(self, in_channels, hidden, out_channels, kernel_size=3):
        super().__init__()
        self.conv_kernel = nn.Sequential(nn.Conv2d(in_channels, hidden, kernel_size, bias=False),
                                         nn.BatchNorm2d(hidden), nn.ReLU())
        self.conv_search = nn.Sequential(nn.Conv2d(in_channels, hidden, kernel_size, bias=False),
                                         nn.BatchNorm2d(hidden), nn.ReLU())
        self.head = nn.Sequential(nn.Conv2d(hidden, hidden, 1, bias=False),
                                  nn.BatchNorm2d(hidden), nn.ReLU(),
                                  nn.Conv2d(hidden, out_channels, 1))

    def forward(self, kernel, search):
        return self.head(xcorr_depthwise(self.conv_search(search), self.conv_kernel(kernel)))


class DepthwiseRPN(nn.Module):
    def __init__(self, anchor_num=5, in_channels=256, out_channels=256):
        super().__init__()
        self.cls = DepthwiseXCorr(in_channels, out_channels, 2 * anchor_num)
        self.loc = DepthwiseXCorr(in_channels, out_channels, 4 * anchor_num)

    def forward(self, z_f, x_f):
        return self.cls(z_f, x_f), self.loc(z_f, x_f)


class MultiRPN(nn.Module):
    def __init__(self, anchor_num, in_channels, weighted=True):
        super().__init__()
        self.weighted = weighted
        for i, channels in enumerate(in_channels):
            self.add_module(f"rpn{i + 2}", DepthwiseRPN(anchor_num, channels, channels))
        if weighted:
            self.cls_weight = nn.Parameter(torch.ones(len(in_channels)))
            self.loc_weight = nn.Parameter(torch.ones(len(in_channels)))

    def forward(self, z_fs, x_fs):
        outputs = [getattr(self, f"rpn{i + 2}")(z, x) for i, (z, x) in enumerate(zip(z_fs, x_fs))]
        cls, loc = [c for c, _ in outputs], [l for _, l in outputs]
        if not self.weighted:
            return sum(cls) / len(cls), sum(loc) / len(loc)
        cls_weight, loc_weight = F.softmax(self.cls_weight, 0), F.softmax(self.loc_weight, 0)
        return (sum(c * w for c, w in zip(cls, cls_weight)),
                sum(l * w for l, w in zip(loc, loc_weight)))


class SiamRPN(nn.Module):
    """pysot's ``ModelBuilder`` for ``siamrpn_r50_l234_dwxcorr`` (``alex=False``) or
    ``siamrpn_alex_dwxcorr`` (``alex=True``): ``template(z) -> zf``, ``track(zf, x) -> cls, loc``
    in pysot's channel layout."""

    def __init__(self, alex=False):
        super().__init__()
        if alex:
            self.backbone = AlexNetLegacy()
            self.neck = None
            self.rpn_head = DepthwiseRPN(5, 256, 256)
        else:
            self.backbone = ResNet50Atrous()
            self.neck = AdjustAllLayer([512, 1024, 2048], [256, 256, 256])
            self.rpn_head = MultiRPN(5, [256, 256, 256], weighted=True)

    def template(self, z):
        zf = self.backbone(z)
        return zf if self.neck is None else self.neck(zf)

    def track(self, zf, x):
        xf = self.backbone(x)
        if self.neck is None:
            return self.rpn_head(zf[0], xf[0])
        return self.rpn_head(zf, self.neck(xf))


class CARHead(nn.Module):
    def __init__(self, in_channels=256, num_convs=4, num_classes=2):
        super().__init__()
        cls_tower, bbox_tower = [], []
        for _ in range(num_convs):
            for tower in (cls_tower, bbox_tower):
                tower += [nn.Conv2d(in_channels, in_channels, 3, 1, 1),
                          nn.GroupNorm(32, in_channels), nn.ReLU()]
        self.cls_tower = nn.Sequential(*cls_tower)
        self.bbox_tower = nn.Sequential(*bbox_tower)
        self.cls_logits = nn.Conv2d(in_channels, num_classes, 3, 1, 1)
        self.bbox_pred = nn.Conv2d(in_channels, 4, 3, 1, 1)
        self.centerness = nn.Conv2d(in_channels, 1, 3, 1, 1)

    def forward(self, x):
        cls_tower = self.cls_tower(x)
        return (self.cls_logits(cls_tower), torch.exp(self.bbox_pred(self.bbox_tower(x))),
                self.centerness(cls_tower))


class SiamCAR(nn.Module):
    """SiamCAR's ``ModelBuilder``: ``template(z) -> zf``, ``track(zf, x) -> cls, loc, cen``."""

    def __init__(self):
        super().__init__()
        self.backbone = ResNet50Atrous()
        self.neck = AdjustAllLayer([512, 1024, 2048], [256, 256, 256])
        self.car_head = CARHead(256)
        self.down = nn.ConvTranspose2d(256 * 3, 256, 1, 1)

    def template(self, z):
        return self.neck(self.backbone(z))

    def track(self, zf, x):
        xf = self.neck(self.backbone(x))
        features = torch.cat([xcorr_depthwise(x_, z_) for x_, z_ in zip(xf, zf)], 1)
        return self.car_head(self.down(features))


def same_pad(x, kernel, stride, dilation=1):
    """TensorFlow "SAME" padding of an NCHW tensor (the odd pixel after)."""
    pads = []
    for size in (x.size(3), x.size(2)):
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class MBConvBlock(nn.Module):
    def __init__(self, kernel, stride, dilation, expand, in_channels, out_channels):
        super().__init__()
        hidden = in_channels * expand
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        self.expand = expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=BN_EPSILON)
        self._depthwise_conv = nn.Conv2d(hidden, hidden, kernel, stride, dilation=dilation,
                                         groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=BN_EPSILON)
        self._project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_channels, eps=BN_EPSILON)
        self.skip = stride == 1 and in_channels == out_channels

    def forward(self, x):
        out = F.relu6(self._bn0(self._expand_conv(x))) if self.expand != 1 else x
        out = same_pad(out, self.kernel, self.stride, self.dilation)
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.skip else out


class EfficientNetLite0(nn.Module):
    """The PyPI port's feature extractor with the stride-8 (dilated) plan of
    :mod:`jaxtrack.models.efficientnet`; returns the ends of the stages in ``levels``.
    ``output_stride=32`` gives the original ImageNet network."""

    def __init__(self, levels=(3, 4, 5), output_stride=8):
        super().__init__()
        self.levels = tuple(levels)
        self._conv_stem = nn.Conv2d(3, STEM_CHANNELS, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(STEM_CHANNELS, eps=BN_EPSILON)
        self.plan = block_plan(self.levels, output_stride)
        self._blocks = nn.ModuleList([MBConvBlock(k, s, d, e, cin, cout)
                                      for _, k, s, d, e, cin, cout in self.plan])

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(same_pad(x, 3, 2))))
        outputs = []
        for index, block in enumerate(self._blocks):
            x = block(x)
            stage = self.plan[index][0]
            last = index + 1 == len(self.plan) or self.plan[index + 1][0] != stage
            if last and stage in self.levels:
                outputs.append(x)
        return outputs


RESIDUAL_CLOSING_NORMS = ("bn3.weight", "_bn2.weight")
"""BatchNorm scales at the end of a residual branch (ResNet bottleneck, EfficientNet block)."""


def randomize(module, generator):
    """Random weights and BatchNorm running statistics (in place), for conversion tests.

    Scales are U(0.5, 1.5), except those closing a residual branch, U(0.1, 0.3): as in trained
    residual networks the branches stay small, which keeps float32 rounding differences from
    growing ~1.4x per block over ResNet-50's 16 blocks.
    """
    with torch.no_grad():
        for name, tensor in module.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith(("running_mean", "bias")):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)
            elif name.endswith(RESIDUAL_CLOSING_NORMS):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 0.2 + 0.1)
            elif tensor.ndim == 1:  # BN / GroupNorm scale, MultiRPN level weights
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            else:
                fan_in = tensor[0].numel() if tensor.ndim > 1 else 1
                tensor.copy_(torch.randn(tensor.shape, generator=generator) / math.sqrt(fan_in))
    return module


def calibrate_batch_norm(module, run, generator):
    """Give every BatchNorm random running statistics of the scale its inputs have.

    During ``run()`` (in eval mode) each BatchNorm takes, just before its first use, the mean and
    variance of its input per channel, the variance multiplied by U(0.5, 1.5) and the mean shifted
    by 0.1 standard deviations times N(0, 1). Later layers see the perturbed earlier ones, so the
    activations of deep random networks stay near unit scale and a parity test can use an
    absolute tolerance.
    """
    module.eval()
    done = set()

    def set_statistics(norm, inputs):
        if norm in done:
            return
        done.add(norm)
        x = inputs[0].transpose(0, 1).reshape(inputs[0].size(1), -1)
        std = x.std(1).square().mean().sqrt().expand(x.size(0))
        norm.running_mean.copy_(x.mean(1) + 0.1 * std * torch.randn(std.shape, generator=generator))
        norm.running_var.copy_(std ** 2 * (torch.rand(std.shape, generator=generator) + 0.5))

    hooks = [m.register_forward_pre_hook(set_statistics) for m in module.modules()
             if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        run()
    for hook in hooks:
        hook.remove()
    return module
