"""The jitted training step: model -> predicted boxes -> labels (on device) -> loss -> update.

The state is a plain dict pytree ``{"step", "params", "batch_stats", "opt_state", "key"}`` (``key``
as raw uint32 key data, so checkpoints store it). Data parallelism: the step is ``jax.jit`` with
the batch sharded on the mesh axis ``"data"`` and the state replicated; XLA inserts the gradient
all-reduce, so the same code runs on 1 device, 8 devices or a multi-host mesh.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding, PartitionSpec

from jaxtrack import compiler
from jaxtrack.assign import NEGATIVE, POSITIVE, decode
from jaxtrack.models import compute_in, family_of, init_variables
from jaxtrack.train.optim import BACKBONE, FROZEN

BATCH_AXIS = "data"


def make_train_step(model, labeler, objective, optimizer, samples, *, groups=None, train_backbone=True,
                    compute_dtype="float32", maps_from_level=None):
    """``step(state, batch) -> (state, metrics)``, pure; jit it with :func:`jit_train_step`.

    Args:
      model: a :class:`jaxtrack.models.siamese.SiameseModel`.
      labeler: from :func:`jaxtrack.train.labeler.make_labeler`.
      objective: ``objective(outputs, labels) -> dict`` of loss terms with ``"total"``.
      optimizer: an optax transformation.
      samples: (N, 4) anchors or (N, 2) points of the model's score map.
      groups: optional labels of the parameters (:func:`jaxtrack.train.optim.param_groups`);
        ``frozen`` parameters, and ``backbone`` ones unless ``train_backbone``, are held constant
        (``stop_gradient``) so that no backward pass runs through them at all: the optimiser
        would discard those gradients anyway, and on a CPU they cost most of the step.
      compute_dtype: ``"float32"`` or ``"bfloat16"`` (:func:`jaxtrack.models.compute_in`): the
        model's computation; parameters, optimiser state, outputs, labels and losses stay float32.
    Batch: ``template`` (B, 127, 127, 3) and ``search`` (B, 255, 255, 3) uint8 or float, ``box``
    (B, 4) xyxy search-crop pixels, ``negative`` (B,) bool. Instead of the crops, a batch may carry
    the frozen backbone's maps of them, ``template_maps`` and ``search_maps`` (tuples of
    (B, h, w, c) maps, any float dtype; :mod:`jaxtrack.train.feature_pool`): the step then starts at
    the neck, or, with ``maps_from_level``, at the backbone's stages after that level
    (:meth:`jaxtrack.models.siamese.SiameseModel.apply_maps`); only those backbone parameters may
    then be trainable.
    """
    samples = jnp.asarray(samples, jnp.float32)
    regression = family_of(model).regression
    held = {FROZEN} if train_backbone else {FROZEN, BACKBONE}
    apply = compute_in(model.apply, compute_dtype)

    def forward(variables, batch):
        if "search_maps" in batch:
            if train_backbone and maps_from_level is None:
                raise ValueError("a batch of cached backbone maps trains the backbone only from a level "
                                 "(maps_from_level)")
            as_float = lambda maps: tuple(m.astype(jnp.float32) for m in maps)
            return apply(variables, as_float(batch["template_maps"]), as_float(batch["search_maps"]),
                         train=True, mutable=["batch_stats"], method="apply_maps", from_level=maps_from_level)
        template = batch["template"].astype(jnp.float32)
        search = batch["search"].astype(jnp.float32)
        return apply(variables, template, search, train=True, mutable=["batch_stats"])

    def hold_constant(params):
        if groups is None:
            return params
        return jax.tree.map(lambda p, g: jax.lax.stop_gradient(p) if g in held else p, params, groups)

    def loss(params, batch_stats, batch, key, step):
        variables = {"params": hold_constant(params), "batch_stats": batch_stats}
        outputs, updates = forward(variables, batch)
        pred_boxes = decode(samples, jax.lax.stop_gradient(outputs[regression]))
        labels = labeler(batch["box"].astype(jnp.float32), batch["negative"], key, pred_boxes, step)
        terms = objective(outputs, labels)
        counts = {"positives": jnp.mean(jnp.sum(labels.cls == POSITIVE, axis=-1).astype(jnp.float32)),
                  "negatives": jnp.mean(jnp.sum(labels.cls == NEGATIVE, axis=-1).astype(jnp.float32))}
        return terms["total"], (terms, counts, updates.get("batch_stats", batch_stats))

    def step(state, batch):
        key = jax.random.wrap_key_data(state["key"])
        key, label_key = jax.random.split(key)
        grads, (terms, counts, batch_stats) = jax.grad(loss, has_aux=True)(
            state["params"], state["batch_stats"], batch, label_key, state["step"])
        updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
        params = optax.apply_updates(state["params"], updates)
        metrics = {**terms, **counts, "grad_norm": optax.global_norm(grads)}
        new_state = {"step": state["step"] + 1, "params": params, "batch_stats": batch_stats,
                     "opt_state": opt_state, "key": jax.random.key_data(key)}
        return new_state, metrics

    return step


def init_state(model, optimizer, key, *, variables=None):
    """A fresh train state; ``variables`` (e.g. with pretrained weights) override the random init."""
    init_key, train_key = jax.random.split(key)
    if variables is None:
        variables = init_variables(model, init_key)
    params = variables["params"]
    return {"step": jnp.zeros((), jnp.int32), "params": params,
            "batch_stats": variables.get("batch_stats", {}), "opt_state": optimizer.init(params),
            "key": jax.random.key_data(train_key)}


def data_sharding(mesh):
    return NamedSharding(mesh, PartitionSpec(BATCH_AXIS))


def replicated(mesh):
    return NamedSharding(mesh, PartitionSpec())


def jit_train_step(step, mesh, compiler_options=None):
    """``step`` jitted for the mesh: batch sharded on ``"data"``, state replicated and donated;
    traced under the mesh (``jax.sharding.use_abstract_mesh``), so that per-sample parts can be
    split by hand (:func:`jaxtrack.models.layers.per_shard`); ``compiler_options``: see
    :func:`jaxtrack.compiler.jit`."""
    def step_in_mesh(state, batch):
        with jax.sharding.use_abstract_mesh(mesh.abstract_mesh):
            return step(state, batch)

    return compiler.jit(step_in_mesh, compiler_options=compiler_options,
                        in_shardings=(replicated(mesh), data_sharding(mesh)),
                        out_shardings=(replicated(mesh), replicated(mesh)), donate_argnums=(0,))


def global_batch(local_batch, mesh):
    """This process's rows of a batch (NumPy) -> global ``jax.Array`` sharded on ``"data"``."""
    sharding = data_sharding(mesh)
    return {name: jax.make_array_from_process_local_data(sharding, np.asarray(value))
            for name, value in local_batch.items()}
