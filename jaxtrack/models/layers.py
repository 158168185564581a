"""Building blocks shared by the backbones and heads (NHWC, float32).

Depthwise convolutions are written as sums of shifted slices rather than grouped
``conv_general_dilated`` calls: on XLA:CPU that is 10-35x faster for the sizes used here (a 7x7
template on a 31x31 search map, EfficientNet's 3x3/5x5 depthwise convolutions) and the result is
the same to float32 rounding. The depthwise cross-correlation of the heads has both forms
(:data:`CORRELATIONS`), chosen by backend (:func:`correlation`): slices on CPU, the grouped
convolution that GPUs and TPUs are built for elsewhere.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec

from jaxtrack.registry import Registry


def pads(p):
    """PyTorch-style symmetric padding of ``p`` pixels -> ``((p, p), (p, p))`` for ``nn.Conv``."""
    return ((p, p), (p, p))


kaiming_out = nn.initializers.variance_scaling(2.0, "fan_out", "normal")
"""He-normal over fan-out: pysot's ResNet and RPN initialisation."""


def batch_norm(name, *, train, frozen=False, momentum=0.9, epsilon=1e-5):
    """A BatchNorm that uses its running statistics unless ``train`` and not ``frozen``.

    ``momentum`` is Flax's (the weight of the old running value): PyTorch's default 0.1 is 0.9.
    Training with batch statistics needs ``mutable=["batch_stats"]`` in ``apply``.
    """
    return nn.BatchNorm(use_running_average=frozen or not train, momentum=momentum,
                        epsilon=epsilon, name=name)


def shifted_sum(x, kernel, *, stride=1, dilation=1):
    """Per-channel 2-D correlation of already padded maps as a sum of shifted slices.

    Args:
      x: (B, H, W, C) padded input.
      kernel: (kh, kw, C) shared over the batch, or (B, kh, kw, C) per sample.
      stride, dilation: ints.
    Returns:
      (B, Ho, Wo, C) with ``Ho = (H - dilation * (kh - 1) - 1) // stride + 1``.
    """
    per_sample = kernel.ndim == 4
    kh, kw = kernel.shape[-3], kernel.shape[-2]
    height, width = x.shape[1], x.shape[2]
    out_h = (height - dilation * (kh - 1) - 1) // stride + 1
    out_w = (width - dilation * (kw - 1) - 1) // stride + 1
    total = None
    for dy in range(kh):
        for dx in range(kw):
            y0, x0 = dy * dilation, dx * dilation
            window = x[:, y0:y0 + (out_h - 1) * stride + 1:stride,
                       x0:x0 + (out_w - 1) * stride + 1:stride, :]
            weight = kernel[:, dy:dy + 1, dx:dx + 1, :] if per_sample else kernel[dy, dx]
            total = window * weight if total is None else total + window * weight
    return total


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def depthwise_stride1(x, kernel, dilation):
    """:func:`shifted_sum` of padded ``x`` (B, H, W, C) with a shared ``kernel`` (kh, kw, C) at
    stride 1, with a hand-written backward pass (:func:`_depthwise_backward`): differentiating
    the slices pads the output gradient once per tap, which made EfficientNet-Lite0's blocks the
    costliest part of a training step on XLA:CPU."""
    return shifted_sum(x, kernel, dilation=dilation)


def _depthwise_forward(x, kernel, dilation):
    return shifted_sum(x, kernel, dilation=dilation), (x, kernel)


def _depthwise_backward(dilation, residuals, grad):
    """d x = the output gradient, padded by the kernel's reach, correlated with the flipped kernel
    (one fused sum of slices); d kernel = per tap, the sum over batch and space of the tap's window
    of ``x`` times the output gradient."""
    x, kernel = residuals
    kh, kw = kernel.shape[0], kernel.shape[1]
    reach_h, reach_w = dilation * (kh - 1), dilation * (kw - 1)
    padded = jnp.pad(grad, ((0, 0), (reach_h, reach_h), (reach_w, reach_w), (0, 0)))
    d_x = shifted_sum(padded, kernel[::-1, ::-1], dilation=dilation)
    height, width = x.shape[1], x.shape[2]
    out_h, out_w = grad.shape[1], grad.shape[2]

    def placed(dy, dx):  # the output gradient moved to the tap's window of x (fuses into the sum)
        top, left = dy * dilation, dx * dilation
        return jnp.pad(grad, ((0, 0), (top, height - out_h - top), (left, width - out_w - left), (0, 0)))

    taps = [jnp.sum(x * placed(dy, dx), axis=(0, 1, 2)) for dy in range(kh) for dx in range(kw)]
    d_kernel = jnp.stack(taps).reshape(kernel.shape)
    return d_x.astype(x.dtype), d_kernel.astype(kernel.dtype)


depthwise_stride1.defvjp(_depthwise_forward, _depthwise_backward)


@jax.custom_vjp
def xcorr_depthwise(search, template):
    """Depthwise cross-correlation (pysot's ``xcorr_depthwise``) -> (B, H-h+1, W-w+1, C).

    ``search`` (B, H, W, C) is correlated channel by channel with its own ``template``
    (B, h, w, C), without padding. The forward pass is a sum of shifted slices (exact, and fast on
    XLA:CPU); the backward pass computes both gradients by FFT (:func:`_xcorr_backward`), because
    differentiating the slices made the backward pass the costliest part of a frozen-backbone
    training step on XLA:CPU (``python -m benchmarks.pool_step`` times both, in one run).
    """
    return shifted_sum(search, template)


def _xcorr_forward(search, template):
    return shifted_sum(search, template), (search, template)


def _xcorr_backward(residuals, grad):
    """Gradients of :func:`xcorr_depthwise` by FFT over each (sample, channel) plane:
    d search = full convolution of ``grad`` with the template; d template = correlation of the
    search map with ``grad``. Both fit an (H, W) transform without wrapping round."""
    search, template = residuals
    height, width = search.shape[1], search.shape[2]
    kh, kw = template.shape[1], template.shape[2]
    shape, axes = (height, width), (1, 2)
    as_float32 = lambda x: x.astype(jnp.promote_types(x.dtype, jnp.float32))  # no bfloat16 FFT
    grad_f = jnp.fft.rfft2(as_float32(grad), s=shape, axes=axes)
    d_search = jnp.fft.irfft2(grad_f * jnp.fft.rfft2(as_float32(template), s=shape, axes=axes), s=shape,
                              axes=axes)
    d_template = jnp.fft.irfft2(jnp.fft.rfft2(as_float32(search), axes=axes) * jnp.conj(grad_f), s=shape,
                                axes=axes)
    return d_search.astype(search.dtype), d_template[:, :kh, :kw, :].astype(template.dtype)


xcorr_depthwise.defvjp(_xcorr_forward, _xcorr_backward)


def xcorr_grouped_conv(search, template):
    """:func:`xcorr_depthwise` as one grouped convolution: the batch folded into the channels,
    ``feature_group_count = B * C`` (one group per sample and channel), differentiated by XLA.

    Args:
      search: (B, H, W, C); template: (B, h, w, C).
    Returns:
      (B, H - h + 1, W - w + 1, C), equal to :func:`xcorr_depthwise` to float32 rounding.
    """
    batch, height, width, channels = search.shape
    kh, kw = template.shape[1], template.shape[2]
    lhs = jnp.moveaxis(search, 0, 2).reshape(1, height, width, batch * channels)
    rhs = jnp.moveaxis(template, 0, 2).reshape(kh, kw, 1, batch * channels)
    out = jax.lax.conv_general_dilated(lhs, rhs, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                       feature_group_count=batch * channels)
    out = out.reshape(height - kh + 1, width - kw + 1, batch, channels)
    return jnp.moveaxis(out, 2, 0)


CORRELATIONS = Registry("correlation")
"""Forms of the depthwise cross-correlation ``(search, template) -> map``, equal to float32
rounding: ``slices`` (:func:`xcorr_depthwise`) and ``grouped_conv`` (:func:`xcorr_grouped_conv`)."""
CORRELATIONS.register("slices")(xcorr_depthwise)
CORRELATIONS.register("grouped_conv")(xcorr_grouped_conv)
AUTO_CORRELATION = {"cpu": "slices"}
"""Backend -> the form ``"auto"`` picks; other backends (gpu, tpu) take ``grouped_conv``."""


def per_shard(xcorr):
    """``xcorr(search, template)`` run on each device's rows of the batch when traced under a mesh.

    The correlation is per sample, but XLA's partitioner did not split the FFT backward pass of
    :func:`xcorr_depthwise` along the batch: every device computed it for the global batch (at 64
    devices, siamcar_r50's step needed 2.3x the memory and 7% more FLOPs per device than at 8;
    ``docs/multihost.md``). Both forms (the grouped convolution folds the batch into its channels)
    are therefore split by hand rather than left to the partitioner: under a mesh
    (``jax.sharding.get_abstract_mesh()``, set by :func:`jaxtrack.train.step.jit_train_step`) whose
    size divides the batch, the function runs in ``jax.shard_map`` with the batch split over all the
    mesh's axes; elsewhere it runs as is.
    """
    @functools.wraps(xcorr)
    def run(search, template):
        mesh = jax.sharding.get_abstract_mesh()
        if mesh.empty or mesh.size == 1 or search.shape[0] % mesh.size:
            return xcorr(search, template)
        rows = PartitionSpec(mesh.axis_names)
        return jax.shard_map(xcorr, in_specs=(rows, rows), out_specs=rows, check_vma=False)(search, template)
    return run


def correlation(name="auto"):
    """The depthwise cross-correlation function called ``name`` in :data:`CORRELATIONS`, run per
    shard of the batch under a mesh (:func:`per_shard`); ``"auto"`` picks by
    ``jax.default_backend()`` when called (at trace time): :data:`AUTO_CORRELATION`."""
    if name == "auto":
        name = AUTO_CORRELATION.get(jax.default_backend(), "grouped_conv")
    return per_shard(CORRELATIONS.get(name))


class PointwiseConv(nn.Module):
    """1x1 convolution without bias as a matrix product over the channels: (B, H, W, C) ->
    (B, H, W, ``features``). Its parameter is ``nn.Conv``'s (``kernel`` (1, 1, C, features)), so
    checkpoints and converters treat both alike. On XLA:CPU the product's kernel gradient needs no
    transposed copy of the input, which the convolution form's does (the ResNet-50 training step's
    backward pass ran about 10% faster; ``python -m benchmarks.train_torch`` times it)."""

    features: int
    kernel_init: nn.initializers.Initializer = kaiming_out

    @nn.compact
    def __call__(self, x):
        kernel = self.param("kernel", self.kernel_init, (1, 1, x.shape[-1], self.features), jnp.float32)
        return jnp.einsum("bhwc,cd->bhwd", x, kernel[0, 0].astype(x.dtype))


class DepthwiseConv(nn.Module):
    """Depthwise KxK convolution without bias; kernel stored as (k, k, 1, C) like ``nn.Conv``
    with ``feature_group_count=C``, so converters treat both alike.

    ``padding`` is ``((top, bottom), (left, right))`` pixels.
    """

    kernel_size: int
    strides: int = 1
    dilation: int = 1
    padding: tuple = ((0, 0), (0, 0))
    kernel_init: nn.initializers.Initializer = kaiming_out

    @nn.compact
    def __call__(self, x):
        channels = x.shape[-1]
        kernel = self.param("kernel", self.kernel_init,
                            (self.kernel_size, self.kernel_size, 1, channels))
        x = jnp.pad(x, ((0, 0), tuple(self.padding[0]), tuple(self.padding[1]), (0, 0)))
        if self.strides == 1:
            return depthwise_stride1(x, kernel[:, :, 0, :].astype(x.dtype), self.dilation)
        return shifted_sum(x, kernel[:, :, 0, :], stride=self.strides, dilation=self.dilation)


def same_padding(size, kernel_size, stride, dilation=1):
    """TensorFlow "SAME" padding of one axis -> (before, after); the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel_size - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def center_crop(x, size):
    """Central ``size`` x ``size`` window of (B, H, W, C) -> (B, size, size, C).

    The window starts at ``(H - size) // 2`` (pysot's ``AdjustLayer``: 4..10 of 15).
    """
    top, left = (x.shape[1] - size) // 2, (x.shape[2] - size) // 2
    return x[:, top:top + size, left:left + size, :]


def bilinear_sample(features, x, y):
    """Bilinear samples of a (H, W, C) map at float pixel coordinates; zero outside.

    Args:
      features: (H, W, C) one sample's map.
      x, y: float (...) column and row coordinates (0 = centre of the first cell).
    Returns:
      (..., C). Differentiable in ``features`` and in the coordinates.
    """
    height, width = features.shape[0], features.shape[1]
    x0, y0 = jnp.floor(x), jnp.floor(y)
    wx, wy = x - x0, y - y0
    x0, y0 = x0.astype(jnp.int32), y0.astype(jnp.int32)
    total = 0.0
    for dy, weight_y in ((0, 1.0 - wy), (1, wy)):
        for dx, weight_x in ((0, 1.0 - wx), (1, wx)):
            xi, yi = x0 + dx, y0 + dy
            inside = (xi >= 0) & (xi < width) & (yi >= 0) & (yi < height)
            value = features[jnp.clip(yi, 0, height - 1), jnp.clip(xi, 0, width - 1)]
            total = total + value * jnp.where(inside, weight_x * weight_y, 0.0)[..., None]
    return total


def batched_bilinear_sample(features, x, y):
    """:func:`bilinear_sample` over a batch: (B, H, W, C), (B, ...) coordinates -> (B, ..., C)."""
    return jax.vmap(bilinear_sample)(features, x, y)
