"""Train a frozen-backbone model's neck and head on a :class:`jaxtrack.train.feature_pool.FeaturePool`.

The same :class:`jaxtrack.train.recipe.Recipe` (labels, objective, optimiser, schedule) and jitted
step as :func:`jaxtrack.train.trainer.train`, fed the pool's cached backbone maps instead of
crops. With ``pool_from_level`` in the config, the backbone's stages after that level run again
from the cached map of that level, so ``optim.trainable_backbone`` may name their blocks (e.g.
EfficientNet-Lite0's stage 5 from level 4). A run is one unit: it either finished (its model
directory exists and is reused) or it is started again from step 0.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import time

import jax
from tqdm.auto import tqdm

from jaxtrack.config import plain_dict
from jaxtrack.errors import JaxtrackError
from jaxtrack.models import graft_backbone, model_files
from jaxtrack.train.metrics_log import MetricsLog, check_finite
from jaxtrack.train.recipe import Recipe
from jaxtrack.train.step import data_sharding, replicated
from jaxtrack.train.trainer import make_mesh

MODEL_DIR = "model"


def train_on_pool(config, pool, out, *, order_seed, compiled=None, progress=True, snapshots=()):
    """Train ``config`` on ``pool`` into the folder ``out`` -> the model directory ``out/model``.

    Args:
      config: an experiment config whose backbone stays frozen for the whole run, or trains only
        blocks after ``config["pool_from_level"]``; the run starts from the pool's backbone
        (:attr:`FeaturePool.backbone`), whatever ``pretrained`` says.
      pool: a :class:`jaxtrack.train.feature_pool.FeaturePool`.
      out: the run's folder: ``metrics.jsonl``, ``config.json``, and ``model/`` when finished.
      order_seed: the pool's batch order (the same for runs that are to be paired).
      compiled: optional dict kept by the caller: runs whose configs differ only in ``seed``
        reuse one compiled step through it.
      snapshots: steps before the last at which the model is also written, as ``out/model_<step>``
        (checkpoints a validation split chooses from; the last step is ``out/model``).
    Raises:
      JaxtrackError: the config would train backbone blocks that the cached maps do not rerun,
        or its batch does not divide over the devices.
    """
    config = plain_dict(config)
    out = pathlib.Path(out)
    model_dir = out / MODEL_DIR
    if model_dir.exists():
        return model_dir
    if out.exists():  # an interrupted run starts again
        shutil.rmtree(out)
    out.mkdir(parents=True)
    mesh = make_mesh()
    recipe, step_fn = _compiled(config, mesh, {} if compiled is None else compiled)
    if recipe.backbone_start < recipe.total_steps:
        _check_trainable_after_level(recipe, config.get("pool_from_level"))
    batch_size = config["data"]["batch_size"]
    if any(not 0 < step < recipe.total_steps for step in snapshots):
        raise JaxtrackError(f"snapshots {list(snapshots)} must lie in 1..{recipe.total_steps - 1}")
    if batch_size % mesh.size:
        raise JaxtrackError(f"batch_size {batch_size} is not divisible by the {mesh.size} devices")
    state = recipe.initial_state(mesh)
    grafted = graft_backbone({"params": state["params"], "batch_stats": state["batch_stats"]}, pool.backbone)
    # through the host: the step donates its state, which must not take over the pool's device buffers
    state = {**state, **jax.device_put(jax.device_get(grafted), replicated(mesh))}
    batches = pool.batches(batch_size, order_seed)
    sharding = data_sharding(mesh)
    log_every = config.get("log_every", 20)
    log = MetricsLog(out, True)
    tick = time.perf_counter()
    try:
        for index in tqdm(range(recipe.total_steps), desc=out.name, unit="step", disable=not progress):
            state, metrics = step_fn(state, jax.device_put(next(batches), sharding), index)
            done = index + 1
            if done % log_every == 0 or done == recipe.total_steps:
                metrics = jax.device_get(metrics)
                check_finite(done, metrics)
                elapsed, tick = time.perf_counter() - tick, time.perf_counter()
                log.write(done, {**metrics, "learning_rate": float(recipe.schedule(index)),
                                 "pairs_per_second": batch_size * log_every / max(elapsed, 1e-9)})
            if done in snapshots:
                _save_model(out / f"{MODEL_DIR}_{done}", config, state)
    finally:
        log.close()
    (out / "config.json").write_text(json.dumps(config, indent=1))
    _save_model(model_dir, config, state)
    return model_dir


def _save_model(path, config, state):
    """Write the inference variables of the train ``state`` as a model directory at ``path``."""
    model_config = dict(config["model"])
    name = model_config.pop("name")
    variables = jax.device_get({"params": state["params"], "batch_stats": state["batch_stats"]})
    model_files.save(path, name, model_config, variables)


def _check_trainable_after_level(recipe, level):
    """Raise unless every trainable backbone block is rerun from the cached maps of ``level``."""
    if level is None:
        raise JaxtrackError(f"optim.backbone_epoch starts backbone training at step {recipe.backbone_start} of "
                            f"{recipe.total_steps}: cached features need a frozen backbone, or pool_from_level "
                            "and optim.trainable_backbone naming blocks after it")
    backbone = recipe.model.backbone
    if not hasattr(backbone, "blocks_after"):
        raise JaxtrackError(f"pool_from_level: the backbone {type(backbone).__name__} cannot rerun stages "
                            "from a cached level")
    rerun = set(backbone.blocks_after(level))
    trainable = recipe.config["optim"].get("trainable_backbone")
    if not rerun or trainable is None or not set(trainable) <= rerun:
        raise JaxtrackError(f"optim.trainable_backbone {trainable} must name blocks after level {level} "
                            f"({sorted(rerun)}): the cached maps of the earlier ones cannot train")


def _compiled(config, mesh, cache):
    """(recipe of ``config``, its jitted step), the step shared through ``cache`` by configs that
    differ only in ``seed`` (the seed enters through the initial state, not the step)."""
    key = json.dumps({**config, "seed": None}, sort_keys=True)
    if key not in cache:
        recipe = Recipe.from_config(config)
        cache[key] = recipe, recipe.jitted_step(mesh, config.get("pool_from_level"))
    recipe, step_fn = cache[key]
    return dataclasses.replace(recipe, config=config), step_fn
