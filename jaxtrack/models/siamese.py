"""The Siamese tracker network: backbone -> neck -> head, with the template embedded separately.

Usage (pure functions of the variables; no template state lives in the model)::

    variables = model.init(key, template, search)          # template (B,127,127,3), search (B,255,255,3)
    outputs = model.apply(variables, template, search)     # dict of (B, N, ...) maps
    z = model.apply(variables, template, method="embed_template")   # once per sequence
    outputs = model.apply(variables, z, search, method="apply_search")  # every frame
    maps = model.apply(variables, crops, method="backbone_maps")       # a frozen backbone's maps,
    outputs = model.apply(variables, template_maps, search_maps, method="apply_maps")  # cached

Training with batch statistics: ``model.apply(variables, t, s, train=True,
mutable=["batch_stats"])`` (backbones with ``frozen_bn`` keep their running statistics).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax.numpy as jnp


class SiameseModel(nn.Module):
    """Inputs are float32 NHWC crops, BGR 0-255 as pysot and SiamCAR feed them; they are mapped to
    ``((x[..., ::-1] if swap_rb else x) - pixel_mean) / pixel_std`` before the backbone (the
    identity for pysot's and SiamCAR's weights).

    Attributes:
      backbone: a module ``(crops, train) -> tuple of stride-8 maps``.
      head: a module ``(template_maps, search_maps, search_size, train) -> dict``.
      family: the head's family, a name in :data:`jaxtrack.models.families.FAMILIES`; it
        decides the sample grid, losses, labels and post-processing.
      neck: optional module ``(maps, crop, train) -> maps``; ``crop`` is True for the template.
    """

    backbone: Any
    head: Any
    family: str
    neck: Any = None
    pixel_mean: tuple = (0.0, 0.0, 0.0)
    pixel_std: tuple = (1.0, 1.0, 1.0)
    swap_rb: bool = False

    def backbone_maps(self, crops, train=False):
        """(B, H, W, 3) crops -> tuple of the backbone's maps, before the neck."""
        x = crops[..., ::-1] if self.swap_rb else crops
        x = (x - jnp.asarray(self.pixel_mean, x.dtype)) / jnp.asarray(self.pixel_std, x.dtype)
        return tuple(self.backbone(x, train))

    def adjust(self, maps, template, train=False):
        """Backbone maps -> the neck's maps (``template``: the template's central crop)."""
        return tuple(maps if self.neck is None else self.neck(maps, template, train))

    def features(self, crops, template, train=False):
        return self.adjust(self.backbone_maps(crops, train), template, train)

    def apply_maps(self, template_maps, search_maps, search_size=255, train=False, from_level=None):
        """The network from the backbone's maps on: what training on cached features of a frozen
        backbone runs (:mod:`jaxtrack.train.feature_pool`); ``search_size`` is the side of the
        search crops the maps come from. ``from_level``: the backbone's stages after this level
        run again from the cached map of that level (backbones with ``from_level``, e.g.
        :class:`jaxtrack.models.efficientnet.EfficientNetLite0`), so they can train. Returns the
        head's dict of outputs."""
        if from_level is not None:
            template_maps = self.backbone(template_maps, train, from_level=from_level)
            search_maps = self.backbone(search_maps, train, from_level=from_level)
        return self.head(self.adjust(template_maps, True, train), self.adjust(search_maps, False, train),
                         search_size, train)

    def embed_template(self, template, train=False):
        """(B, 127, 127, 3) template crops -> tuple of template feature maps (one per level)."""
        return self.features(template, True, train)

    def apply_search(self, template_features, search, train=False):
        """Template features from :meth:`embed_template` and (B, 255, 255, 3) search crops ->
        the head's dict of outputs."""
        return self.head(template_features, self.features(search, False, train), search.shape[1],
                         train)

    def __call__(self, template, search, train=False):
        return self.apply_search(self.embed_template(template, train), search, train)
