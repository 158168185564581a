"""What a config trains and how, without data or state: :class:`Recipe`.

The model's family (:mod:`jaxtrack.models.families`) supplies the sample grid, the default label
rule and the default loss preset; the config's ``assigner`` and ``loss`` entries override them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax

from jaxtrack import models
from jaxtrack.models.losses import make_objective
from jaxtrack.train.labeler import make_labeler
from jaxtrack.train.optim import BACKBONE_EPOCH, make_optimizer, param_groups
from jaxtrack.train.step import init_state, jit_train_step, make_train_step, replicated


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A config's model, labels, objective and optimiser.

    Attributes:
      config: the plain-dict experiment config it was built from.
      model: the :class:`jaxtrack.models.SiameseModel`; ``family`` its
        :class:`jaxtrack.models.Family`; ``samples`` (N, 4) anchors or (N, 2) points of its
        score map.
      labeler: :func:`jaxtrack.train.labeler.make_labeler` of the config's (or family's) rule.
      objective: :func:`jaxtrack.models.losses.make_objective` of the config's (or family's) loss.
      optimizer, schedule: the optax transformation and its learning-rate schedule (step -> lr).
      groups: ``frozen``/``backbone``/``head`` label of every parameter.
      backbone_start: the first step with backbone gradients; ``total_steps`` the run's length.
      compute_dtype: the config's ``compute_dtype`` (default ``"float32"``; ``"bfloat16"`` for
        GPUs and TPUs: :func:`jaxtrack.models.compute_in`).
    """

    config: dict
    model: Any
    family: Any
    samples: Any
    labeler: Callable
    objective: Callable
    optimizer: Any
    schedule: Callable
    groups: Any
    backbone_start: int
    total_steps: int
    compute_dtype: str = "float32"

    @classmethod
    def from_config(cls, config):
        """Build from a plain-dict config (``model``, ``optim``, optional ``assigner``, ``loss`` and
        ``compute_dtype``)."""
        model = models.build(config["model"])
        family = models.family_of(model)
        variables = models.abstract_variables(model)
        outputs = models.abstract_outputs(model, variables)
        samples = family.samples(family.score_size(outputs["cls"].shape[1]))
        optim = dict(config["optim"])
        compute_dtype = config.get("compute_dtype") or "float32"
        models.COMPUTE_DTYPES.get(compute_dtype)  # an unknown name fails here, not at trace time
        steps_per_epoch = optim.pop("steps_per_epoch")
        optimizer, schedule = make_optimizer(variables["params"], steps_per_epoch=steps_per_epoch, **optim)
        return cls(
            config=config, model=model, family=family, samples=samples,
            labeler=make_labeler(config.get("assigner") or dict(family.assigner), samples),
            objective=make_objective(config.get("loss"), family),
            optimizer=optimizer, schedule=schedule,
            groups=param_groups(variables["params"], optim.get("trainable_backbone")),
            backbone_start=optim.get("backbone_epoch", BACKBONE_EPOCH) * steps_per_epoch,  # as make_optimizer
            total_steps=steps_per_epoch * optim["epochs"], compute_dtype=compute_dtype)

    def jitted_step(self, mesh, maps_from_level=None):
        """``step(state, batch, index) -> (state, metrics)`` jitted for ``mesh``; before
        :attr:`backbone_start` it runs without backbone gradients. ``maps_from_level``: from
        :attr:`backbone_start` on, batches of cached backbone maps rerun the backbone after this
        level (see :func:`jaxtrack.train.step.make_train_step`); before, the cached maps of every
        level are read as they are."""
        steps = {train_backbone: jit_train_step(make_train_step(
            self.model, self.labeler, self.objective, self.optimizer, self.samples, groups=self.groups,
            train_backbone=train_backbone, compute_dtype=self.compute_dtype,
            maps_from_level=maps_from_level if train_backbone else None), mesh)
            for train_backbone in (False, True)}

        def step(state, batch, index):
            return steps[index >= self.backbone_start](state, batch)

        return step

    def initial_state(self, mesh):
        """The fresh state of seed ``config["seed"]``, replicated over ``mesh`` (with the
        pretrained backbone of ``config["pretrained"]`` grafted in, if any)."""
        key = jax.random.key(self.config["seed"])
        pretrained = self.config.get("pretrained")
        if not pretrained:
            return jax.jit(lambda k: init_state(self.model, self.optimizer, k),
                           out_shardings=replicated(mesh))(key)
        variables = models.pretrained_variables(self.model, pretrained, key)
        return jax.jit(lambda k, v: init_state(self.model, self.optimizer, k, variables=v),
                       out_shardings=replicated(mesh))(key, variables)

    def abstract_state(self, mesh):
        """Shapes, dtypes and (replicated) shardings of the state, computed without initialising
        anything: what a checkpoint is restored into."""
        shapes = jax.eval_shape(lambda k: init_state(self.model, self.optimizer, k), jax.random.key(0))
        sharding = replicated(mesh)
        return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding), shapes)
