"""Models by name, and the one constructor from a config.

``build({"name": "siamcar_small", "channels": 32})`` (a dict or an ml_collections ConfigDict):
``name`` picks a factory in :data:`MODELS`; the other keys are its keyword arguments, plus the
pixel settings every model accepts (``pixel_mean``, ``pixel_std``, ``swap_rb``, see
:class:`jaxtrack.models.siamese.SiameseModel`) and the head's ``correlation`` form (``auto``,
``slices``, ``grouped_conv``; :mod:`jaxtrack.models.heads`).

Output grids for 127/255 crops: 25x25 for every model except ``siamrpn_alex`` (17x17; pysot
tracks with it on 287 crops, 21x21). RPN models return ``cls`` (B, S*S*5, 2), ``loc``
(B, S*S*5, 4); CAR models ``cls`` (B, S*S, 2), ``cen`` (B, S*S), ``ltrb`` (B, S*S, 4); SiamLA
models add ``quality`` (B, S*S). ``cls``, ``cen`` and ``quality`` are logits.

Initial foreground probability: CAR heads start at 0.01 (:class:`jaxtrack.models.heads.CARHead`);
RPN factories take ``prior``, None for pysot's initialisation (no prior) or the probability to
start at (:class:`jaxtrack.models.heads.DepthwiseRPN`).
"""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp

from jaxtrack.config import plain_dict
from jaxtrack.errors import JaxtrackError
from jaxtrack.models.alexnet import AlexNetLegacy
from jaxtrack.models.backbones import BACKBONES, SmallNet
from jaxtrack.models.efficientnet import EfficientNetLite0
from jaxtrack.models.heads import CARHead, DepthwiseRPN, MultiRPN
from jaxtrack.models.lafa import LAFA
from jaxtrack.models.layers import CORRELATIONS
from jaxtrack.models.necks import AdjustAll
from jaxtrack.models.resnet import ResNet50Atrous
from jaxtrack.models.siamese import SiameseModel
from jaxtrack.registry import Registry

MODELS = Registry("model")
PIXEL_KEYS = ("pixel_mean", "pixel_std", "swap_rb")
HEAD_KEYS = ("correlation",)
"""Settings of the head every model accepts (fields of every head class)."""
TFLITE_PIXELS = {"pixel_mean": (127.0, 127.0, 127.0), "pixel_std": (128.0, 128.0, 128.0),
                 "swap_rb": True}
"""EfficientNet-Lite's ImageNet input convention (RGB, (x - 127) / 128)."""
SMALL_PIXELS = {"pixel_mean": (127.0, 127.0, 127.0), "pixel_std": (128.0, 128.0, 128.0)}
"""Input scaling of the small backbone (trained from scratch): BGR, (x - 127) / 128."""


def _rpn(backbone, *, channels, center_size, anchor_num, weighted, prior, pixels=None):
    """A MultiRPN head; ``prior`` None is pysot's initialisation (see :class:`DepthwiseRPN`)."""
    return SiameseModel(backbone=backbone, neck=AdjustAll(channels, center_size),
                        head=MultiRPN(anchor_num, channels, weighted, prior), family="siamrpn",
                        **(pixels or {}))


def _car(backbone, *, channels, center_size, num_convs, groups, quality=None, pixels=None):
    """A CAR head: the ``siamcar`` family, or ``siamla`` with a quality branch."""
    head = CARHead(channels, num_convs, groups, quality=quality)
    return SiameseModel(backbone=backbone, neck=AdjustAll(channels, center_size), head=head,
                        family="siamcar" if quality is None else "siamla", **(pixels or {}))


@MODELS.register("siamrpnpp_r50")
def siamrpnpp_r50(frozen_bn=True, channels=256, anchor_num=5, weighted=True, prior=None):
    """pysot's ``siamrpn_r50_l234_dwxcorr``: ResNet-50 layers 2-4, AdjustAllLayer, MultiRPN."""
    return _rpn(ResNet50Atrous(frozen_bn), channels=channels, center_size=7,
                anchor_num=anchor_num, weighted=weighted, prior=prior)


@MODELS.register("siamrpn_alex")
def siamrpn_alex(frozen_bn=True, width_mult=1.0, anchor_num=5, hidden=256, prior=None):
    """pysot's ``siamrpn_alex_dwxcorr``: AlexNetLegacy, no neck, one DepthwiseRPN."""
    return SiameseModel(backbone=AlexNetLegacy(width_mult, frozen_bn),
                        head=DepthwiseRPN(anchor_num, hidden, prior), family="siamrpn")


@MODELS.register("siamcar_r50")
def siamcar_r50(frozen_bn=True, channels=256, num_convs=4, groups=32):
    """SiamCAR: ResNet-50 layers 2-4, AdjustAllLayer, CAR head."""
    return _car(ResNet50Atrous(frozen_bn), channels=channels, center_size=7,
                num_convs=num_convs, groups=groups)


@MODELS.register("siamla_r50")
def siamla_r50(frozen_bn=True, channels=256, num_convs=4, groups=32, quality_grid=3,
               quality_source="box_tower", detach_boxes=True):
    """SiamCAR-style model with SiamLA's quality branch (LAFA, a reconstruction)."""
    quality = LAFA(quality_grid, channels, groups, quality_source, detach_boxes)
    return _car(ResNet50Atrous(frozen_bn), channels=channels, center_size=7,
                num_convs=num_convs, groups=groups, quality=quality)


@MODELS.register("siamrpn_lite0")
def siamrpn_lite0(frozen_bn=True, channels=128, anchor_num=5, weighted=True, levels=(3, 4, 5), prior=None):
    """CPU-sized SiamRPN++: EfficientNet-Lite0 stages 3-5 at stride 8, 8x8 template crop."""
    return _rpn(EfficientNetLite0(tuple(levels), frozen_bn), channels=channels, center_size=8,
                anchor_num=anchor_num, weighted=weighted, prior=prior, pixels=TFLITE_PIXELS)


@MODELS.register("siamcar_lite0")
def siamcar_lite0(frozen_bn=True, channels=128, num_convs=2, groups=32, levels=(3, 4, 5)):
    """CPU-sized SiamCAR on EfficientNet-Lite0 (two-conv towers)."""
    return _car(EfficientNetLite0(tuple(levels), frozen_bn), channels=channels, center_size=8,
                num_convs=num_convs, groups=groups, pixels=TFLITE_PIXELS)


@MODELS.register("siamla_lite0")
def siamla_lite0(frozen_bn=True, channels=128, num_convs=2, groups=32, levels=(3, 4, 5),
                 quality_grid=3, quality_source="box_tower", detach_boxes=True):
    """CPU-sized SiamLA (CAR head + LAFA quality branch) on EfficientNet-Lite0."""
    quality = LAFA(quality_grid, channels, groups, quality_source, detach_boxes)
    return _car(EfficientNetLite0(tuple(levels), frozen_bn), channels=channels, center_size=8,
                num_convs=num_convs, groups=groups, quality=quality, pixels=TFLITE_PIXELS)


@MODELS.register("siamrpn_small")
def siamrpn_small(frozen_bn=False, channels=32, anchor_num=5, weighted=True, widths=(16, 32, 64), prior=None):
    """Tiny SiamRPN++-style model on :class:`SmallNet` (tests, smoke runs)."""
    return _rpn(SmallNet(tuple(widths), frozen_bn), channels=channels, center_size=8, anchor_num=anchor_num,
                weighted=weighted, prior=prior, pixels=SMALL_PIXELS)


@MODELS.register("siamcar_small")
def siamcar_small(frozen_bn=False, channels=32, num_convs=1, groups=8, widths=(16, 32, 64)):
    """Tiny SiamCAR-style model on :class:`SmallNet`."""
    return _car(SmallNet(tuple(widths), frozen_bn), channels=channels, center_size=8, num_convs=num_convs,
                groups=groups, pixels=SMALL_PIXELS)


@MODELS.register("siamla_small")
def siamla_small(frozen_bn=False, channels=32, num_convs=1, groups=8, widths=(16, 32, 64),
                 quality_grid=3, quality_source="box_tower", detach_boxes=True):
    """Tiny SiamLA-style model on :class:`SmallNet`."""
    quality = LAFA(quality_grid, channels, groups, quality_source, detach_boxes)
    return _car(SmallNet(tuple(widths), frozen_bn), channels=channels, center_size=8, num_convs=num_convs,
                groups=groups, quality=quality, pixels=SMALL_PIXELS)


def frozen(value):
    """Lists (e.g. from JSON) -> tuples, recursively: module fields must be hashable."""
    if isinstance(value, (list, tuple)):
        return tuple(frozen(v) for v in value)
    return value


def check_keys(name, factory, keys, extra=()):
    unknown = sorted(set(keys) - set(inspect.signature(factory).parameters) - set(extra))
    if unknown:
        raise JaxtrackError(f"config for {name!r}: unknown keys {unknown}; it takes "
                            f"{sorted(inspect.signature(factory).parameters) + list(extra)}")


def build(config):
    """Model from a config: ``{"name": ..., **factory_kwargs, **pixel_settings, correlation=}``.

    Raises:
      JaxtrackError: no or unknown ``name`` or ``correlation``, or keys the factory does not take.
    """
    config = {key: frozen(value) for key, value in plain_dict(config, 'model config').items()}
    name = config.pop("name", None)
    if name not in MODELS:
        raise JaxtrackError(f"model config: unknown or missing name {name!r}; known: "
                            f"{', '.join(MODELS.names())}")
    factory = MODELS.get(name)
    check_keys(name, factory, config, PIXEL_KEYS + HEAD_KEYS)
    pixels = {key: config.pop(key) for key in PIXEL_KEYS if key in config}
    head = {key: config.pop(key) for key in HEAD_KEYS if key in config}
    if head.get("correlation", "auto") != "auto":
        CORRELATIONS.get(head["correlation"])  # an unknown name fails here, not at trace time
    model = factory(**config)
    if head:
        model = model.clone(head=model.head.clone(**head))
    if "swap_rb" in pixels:
        pixels["swap_rb"] = bool(pixels["swap_rb"])
    return model.clone(**pixels) if pixels else model


def build_named(name, config=None):
    """A model (:data:`MODELS`) or a bare backbone (:data:`BACKBONES`) by name, with keyword
    arguments ``config`` (dict or ConfigDict, without ``name``)."""
    config = {key: frozen(value) for key, value in plain_dict(config or {}, 'model config').items()}
    if name in MODELS:
        return build({"name": name, **config})
    if name in BACKBONES:
        check_keys(name, BACKBONES.get(name), config)
        return BACKBONES.get(name)(**config)
    raise JaxtrackError(f"unknown model or backbone {name!r}; models: {', '.join(MODELS.names())};"
                        f" backbones: {', '.join(BACKBONES.names())}")


def example_crops(search_size=255, exemplar_size=127, *, batch=1):
    """Abstract float32 NHWC ``(template, search)`` crops for tracing a model: shapes only."""
    return (jax.ShapeDtypeStruct((batch, exemplar_size, exemplar_size, 3), jnp.float32),
            jax.ShapeDtypeStruct((batch, search_size, search_size, 3), jnp.float32))


def model_inputs(model, search_size=255):
    """The abstract inputs of ``model``: both crops for a Siamese model, the template crop for a
    bare backbone."""
    template, search = example_crops(search_size)
    return (template, search) if isinstance(model, SiameseModel) else (template,)


def abstract_variables(model):
    """Shapes and dtypes of the variables of ``model`` (a Siamese model or a bare backbone),
    traced on 127/255 crops without computing anything."""
    return jax.eval_shape(model.init, jax.random.key(0), *model_inputs(model))


def abstract_outputs(model, variables=None, search_size=255):
    """Shapes and dtypes of a Siamese model's output dict on ``search_size`` crops."""
    variables = abstract_variables(model) if variables is None else variables
    return jax.eval_shape(model.apply, variables, *example_crops(search_size))


def init_variables(model, key):
    """Freshly initialised variables of ``model`` (random weights from ``key``)."""
    zeros = [jnp.zeros(x.shape, x.dtype) for x in model_inputs(model)]
    return jax.jit(model.init)(key, *zeros)
