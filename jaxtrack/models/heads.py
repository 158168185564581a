"""Siamese heads: pysot's depthwise RPN (one level or several fused) and SiamCAR's head.

Every head is called as ``head(template_features, search_features, search_size, train)`` with
tuples of NHWC maps (one per level) and returns a dict of outputs flattened in the sample order of
:mod:`jaxtrack.assign.geometry` (row-major over the score map, then anchor).

Every head has a ``correlation`` field, the form of its depthwise cross-correlation: a name in
:data:`jaxtrack.models.layers.CORRELATIONS` (``slices``, ``grouped_conv``) or ``"auto"`` (slices on
CPU, the grouped convolution on GPU/TPU, decided at trace time). The forms are equal to float32
rounding and hold no parameters; ``build({..., "correlation": ...})`` sets it on any model.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxtrack.assign.geometry import point_grid
from jaxtrack.models.layers import batch_norm, correlation, kaiming_out, pads


def foreground_bias(prior):
    """Bias initialiser of 2A two-way cls logits in pysot's channel layout ``k * A + a``
    (k = background, foreground; A = 1 for SiamCAR's head): 0 on the background logits,
    ``log(p / (1 - p))`` on the foreground ones, so that with near-zero weights the foreground
    probability is ``p`` both as ``softmax(l)[1]`` (cross-entropy) and as ``sigmoid(l1 - l0)``
    (focal, quality focal loss; :func:`jaxtrack.models.losses.foreground_logit`)."""
    logits = jnp.array([0.0, math.log(prior / (1.0 - prior))])

    def init(key, shape, dtype=jnp.float32):
        return jnp.repeat(logits, shape[-1] // 2).astype(dtype)

    return init


class DepthwiseXCorr(nn.Module):
    """pysot's ``DepthwiseXCorr``: 3x3 conv+BN+ReLU on each input (no padding), depthwise
    cross-correlation, then 1x1 conv+BN+ReLU and a 1x1 conv (with bias) to ``out_channels``,
    initialised with ``out_kernel_init`` / ``out_bias_init`` (pysot: He-normal over fan-out, 0);
    ``correlation`` the form of the cross-correlation (module docstring)."""

    hidden: int
    out_channels: int
    kernel_size: int = 3
    out_kernel_init: Callable = kaiming_out
    out_bias_init: Callable = nn.initializers.zeros
    correlation: str = "auto"

    @nn.compact
    def __call__(self, template, search, train=False):
        def conv_bn_relu(x, name):
            x = nn.Conv(self.hidden, (self.kernel_size, self.kernel_size), padding="VALID",
                        use_bias=False, kernel_init=kaiming_out, name=f"{name}_0")(x)
            return nn.relu(batch_norm(f"{name}_1", train=train)(x))

        feature = correlation(self.correlation)(conv_bn_relu(search, "conv_search"),
                                                conv_bn_relu(template, "conv_kernel"))
        feature = nn.Conv(self.hidden, (1, 1), use_bias=False, kernel_init=kaiming_out,
                          name="head_0")(feature)
        feature = nn.relu(batch_norm("head_1", train=train)(feature))
        return nn.Conv(self.out_channels, (1, 1), kernel_init=self.out_kernel_init,
                       bias_init=self.out_bias_init, name="head_3")(feature)


def anchor_major(maps, channels, anchor_num):
    """pysot's channel layout ``c * A + a`` (B, H, W, C*A) -> jaxtrack's (B, H*W*A, C)."""
    batch, height, width, _ = maps.shape
    maps = maps.reshape(batch, height, width, channels, anchor_num)
    return jnp.swapaxes(maps, -1, -2).reshape(batch, height * width * anchor_num, channels)


def rpn_outputs(cls, loc, anchor_num):
    """pysot-layout maps -> ``cls`` (B, S*S*A, 2) logits and ``loc`` (B, S*S*A, 4) deltas."""
    return {"cls": anchor_major(cls, 2, anchor_num), "loc": anchor_major(loc, 4, anchor_num)}


def rpn_cls_init(prior):
    """Initialisers of the cls branch's last conv: pysot's (He-normal, bias 0: foreground
    probability 0.5 on average, spread by the random logits) for ``prior`` None; otherwise
    RetinaNet's, N(0, 0.01) weights and :func:`foreground_bias`, so that every anchor starts at
    foreground probability ``prior``."""
    if prior is None:
        return {}
    return {"out_kernel_init": nn.initializers.normal(0.01),
            "out_bias_init": foreground_bias(prior)}


class DepthwiseRPN(nn.Module):
    """pysot's ``DepthwiseRPN`` on one level: a ``cls`` branch (2A channels, logits
    ``k * A + a`` with k = background, foreground) and a ``loc`` branch (4A channels,
    ``coord * A + a``). As a head it returns ``cls`` (B, S*S*A, 2) logits and ``loc``
    (B, S*S*A, 4) pysot deltas. ``prior``: None for pysot's initialisation, or the initial
    foreground probability (:func:`rpn_cls_init`; parameters are the same either way)."""

    anchor_num: int = 5
    hidden: int = 256
    prior: float | None = None
    correlation: str = "auto"

    def setup(self):
        self.cls = DepthwiseXCorr(self.hidden, 2 * self.anchor_num, **rpn_cls_init(self.prior),
                                  correlation=self.correlation)
        self.loc = DepthwiseXCorr(self.hidden, 4 * self.anchor_num, correlation=self.correlation)

    def maps(self, template, search, train=False):
        """One level -> (cls, loc) maps in pysot's channel layout."""
        return self.cls(template, search, train), self.loc(template, search, train)

    def __call__(self, template_features, search_features, search_size=None, train=False):
        (template,), (search,) = template_features, search_features
        return rpn_outputs(*self.maps(template, search, train), self.anchor_num)


class MultiRPN(nn.Module):
    """pysot's ``MultiRPN``: a :class:`DepthwiseRPN` per level (``rpn2``, ``rpn3``, ...), averaged,
    weighted by ``softmax(cls_weight)`` / ``softmax(loc_weight)`` (learnable, ones at start) when
    ``weighted``. Returns the same outputs as :class:`DepthwiseRPN`; ``prior`` is passed to every
    level (the weights sum to 1, so the average starts at the same foreground bias)."""

    anchor_num: int = 5
    hidden: int = 256
    weighted: bool = True
    prior: float | None = None
    correlation: str = "auto"

    @nn.compact
    def __call__(self, template_features, search_features, search_size=None, train=False):
        cls_maps, loc_maps = [], []
        for level, (z, x) in enumerate(zip(template_features, search_features)):
            rpn = DepthwiseRPN(self.anchor_num, self.hidden, self.prior, self.correlation,
                               name=f"rpn{level + 2}")
            cls, loc = rpn.maps(z, x, train)
            cls_maps.append(cls)
            loc_maps.append(loc)
        if self.weighted:
            cls_weight = jax.nn.softmax(self.param("cls_weight", nn.initializers.ones,
                                                   (len(cls_maps),)))
            loc_weight = jax.nn.softmax(self.param("loc_weight", nn.initializers.ones,
                                                   (len(loc_maps),)))
        else:
            cls_weight = loc_weight = jnp.full((len(cls_maps),), 1.0 / len(cls_maps))
        cls = sum(w * m for w, m in zip(cls_weight, cls_maps))
        loc = sum(w * m for w, m in zip(loc_weight, loc_maps))
        return rpn_outputs(cls, loc, self.anchor_num)


class CARHead(nn.Module):
    """SiamCAR's head: depthwise xcorr per level, concatenated, ``down`` 1x1 conv (SiamCAR's
    ``ConvTranspose2d(768, 256, 1)``, the same map as a 1x1 conv), then two towers of
    ``num_convs`` x [3x3 conv, GroupNorm(``groups``), ReLU]; ``cls_logits`` (2) and
    ``centerness`` (1) 3x3 convs on the cls tower, ``bbox_pred`` (4) 3x3 conv on the box tower,
    exponentiated. Initialised as SiamCAR: convs N(0, 0.01), bias 0, except the ``cls_logits``
    bias (:func:`foreground_bias`): 0 for background, ``log(p / (1 - p))`` for foreground, so the
    foreground probability starts at ``prior`` p for every loss (cross-entropy on the softmax,
    focal and quality focal loss on ``sigmoid(l1 - l0)``). SiamCAR's code sets both biases to
    ``-log((1 - p) / p)``, which cancels in the softmax and in ``l1 - l0`` (probability 0.5 at
    start); jaxtrack deliberately deviates. Converted SiamCAR weights overwrite the initialisation.

    Returns ``cls`` (B, S*S, 2) logits, ``cen`` (B, S*S) centerness logits and ``ltrb``
    (B, S*S, 4) distances from the point to the box sides in search-crop pixels (SiamCAR uses
    ``exp(conv)`` as pixels, no stride factor); with ``quality`` (a
    :class:`jaxtrack.models.lafa.LAFA`) also ``quality`` (B, S*S) IoU logits.
    """

    channels: int = 256
    num_convs: int = 4
    groups: int = 32
    prior: float = 0.01
    stride: int = 8
    quality: Any = None
    correlation: str = "auto"

    @nn.compact
    def __call__(self, template_features, search_features, search_size=255, train=False):
        init = nn.initializers.normal(0.01)
        xcorr = correlation(self.correlation)
        corr = jnp.concatenate([xcorr(x, z) for z, x in zip(template_features, search_features)], axis=-1)
        fused = nn.Conv(self.channels, (1, 1), kernel_init=init, name="down")(corr)

        def tower(x, name):
            for i in range(self.num_convs):
                x = nn.Conv(self.channels, (3, 3), padding=pads(1), kernel_init=init,
                            name=f"{name}_{3 * i}")(x)
                x = nn.GroupNorm(self.groups, epsilon=1e-5, name=f"{name}_{3 * i + 1}")(x)
                x = nn.relu(x)
            return x

        cls_tower, box_tower = tower(fused, "cls_tower"), tower(fused, "bbox_tower")
        cls = nn.Conv(2, (3, 3), padding=pads(1), kernel_init=init, bias_init=foreground_bias(self.prior),
                      name="cls_logits")(cls_tower)
        cen = nn.Conv(1, (3, 3), padding=pads(1), kernel_init=init, name="centerness")(cls_tower)
        ltrb = jnp.exp(nn.Conv(4, (3, 3), padding=pads(1), kernel_init=init,
                               name="bbox_pred")(box_tower))
        batch, size = cls.shape[0], cls.shape[1]
        outputs = {"cls": cls.reshape(batch, size * size, 2), "cen": cen.reshape(batch, -1),
                   "ltrb": ltrb.reshape(batch, size * size, 4)}
        if self.quality is not None:
            sources = {"fused": fused, "cls_tower": cls_tower, "box_tower": box_tower}
            points = point_grid(size, self.stride, search_size)
            outputs["quality"] = self.quality(sources[self.quality.source], ltrb, points)
        return outputs
