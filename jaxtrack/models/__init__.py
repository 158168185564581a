"""Siamese tracking networks (Flax Linen, NHWC float32), their losses, conversion and files.

- :func:`build` a model from a config (``{"name": ..., ...}``); names in :data:`MODELS`.
- ``model.apply(variables, template, search)`` -> dict of output maps in the sample order of
  :mod:`jaxtrack.assign`; ``method="embed_template"`` / ``"apply_search"`` split it for tracking.
- :func:`jaxtrack.models.losses.losses` -> dict of named loss terms (each term is a function of
  that module); :func:`make_objective` adds the weighted ``total`` of a preset
  (:data:`OBJECTIVES`).
- :func:`convert` PyTorch checkpoints (pysot, SiamCAR, torchvision, EfficientNet-Lite0),
  :func:`pretrained_variables` grafts a converted backbone into a model;
  :func:`save` / :func:`load` jaxtrack model directories; :func:`load_checkpoint` /
  :func:`export_checkpoint` the latest (or a given) checkpoint of a training workdir.
- :func:`compute_in` an apply function in bfloat16 (float32 parameters and results).
"""

from jaxtrack.models.backbones import BACKBONES
from jaxtrack.models.weight_conversion import (SOURCES, TORCHVISION_PIXELS, convert, graft_backbone,
                                     pretrained_variables)
from jaxtrack.models.losses import CLS_LOSSES, OBJECTIVES, make_objective
from jaxtrack.models.catalog import (MODELS, abstract_outputs, abstract_variables, build, build_named,
                                     init_variables)
from jaxtrack.models.families import FAMILIES, Family, family_of
from jaxtrack.models.model_files import (export_checkpoint, is_workdir, load, load_checkpoint,
                                         read_checkpoint, save)
from jaxtrack.models.precision import COMPUTE_DTYPES, compute_in
from jaxtrack.models.siamese import SiameseModel

__all__ = [
    "BACKBONES", "CLS_LOSSES", "COMPUTE_DTYPES", "FAMILIES", "Family", "MODELS", "OBJECTIVES", "SOURCES", "SiameseModel",
    "TORCHVISION_PIXELS", "abstract_outputs", "abstract_variables", "build", "build_named", "compute_in", "convert",
    "export_checkpoint", "family_of", "graft_backbone", "init_variables", "is_workdir", "load",
    "load_checkpoint", "make_objective", "pretrained_variables", "read_checkpoint", "save",
]
