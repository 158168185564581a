"""``train(config, workdir)``: the training loop behind ``jaxtrack train``, read top to bottom.

config -> device mesh -> checkpoints (a resumed run must be of the same model) -> recipe (model,
family, sample grid, optimiser, labeller, objective) -> jitted step -> data pipeline -> restore
(into shapes from ``jax.eval_shape``) or initialise -> loop (log, checkpoint).

Resume-first: if ``workdir`` has a checkpoint, the run continues from it (state, RNG, data
iterator position), so a killed run ends with the numbers an uninterrupted run would have had.
``resume_step`` resumes from an earlier checkpoint: the later ones and their metrics records are
set aside in ``workdir/checkpoints-after-<step>/``.
Logs go to ``workdir/metrics.jsonl`` and TensorBoard event files in ``workdir/tensorboard``
(:mod:`jaxtrack.train.metrics_log`); only process 0 logs and shows progress.
"""

from __future__ import annotations

import json
import time

import jax
import numpy as np
from jax.sharding import Mesh
from tqdm import tqdm

from jaxtrack import paths
from jaxtrack.config import plain_dict
from jaxtrack.data.pairs import PairSampler
from jaxtrack.data.pipeline import make_pipeline
from jaxtrack.errors import JaxtrackError
from jaxtrack.train.checkpoint import Checkpointer
from jaxtrack.train.metrics_log import MetricsLog, check_finite, truncate_metrics
from jaxtrack.train.recipe import Recipe
from jaxtrack.train.sources import open_sources
from jaxtrack.train.step import BATCH_AXIS, global_batch

BATCH_FIELDS = ("template", "search", "box", "negative")
"""What the jitted step takes of a pipeline batch."""


def make_mesh(devices=None):
    """A 1-D mesh over all devices (of every process) with the batch axis ``"data"``."""
    return Mesh(np.asarray(devices if devices is not None else jax.devices()), (BATCH_AXIS,))


def train(config, workdir, *, resume_step=None, progress=True, stop_after=None):
    """Train as ``config`` says into ``workdir``; resume from its checkpoint if there is one.

    Args:
      config: experiment config (ConfigDict or dict), see ``experiments/``.
      workdir: output folder (checkpoints, metrics, resolved config): a local path or a URL
        such as ``gs://bucket/run`` (:mod:`jaxtrack.paths`).
      resume_step: resume from this checkpoint step instead of the latest.
      progress: show a progress bar (process 0 only).
      stop_after: stop (with a checkpoint) after this many steps of this call; for tests and
        for simulating an interrupted run.
    Returns:
      dict with the final ``step`` and the last logged ``metrics``.
    """
    config = plain_dict(config)
    data = config["data"]
    batch_size = data["batch_size"]
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise JaxtrackError(f"data.batch_size must be a positive integer, not {batch_size!r}")
    mesh = make_mesh()
    if batch_size % mesh.size:
        raise JaxtrackError(f"batch_size {batch_size} is not divisible by the {mesh.size} devices")
    recipe = Recipe.from_config(config)  # a model/label/loss mismatch is refused before anything is written
    workdir = paths.path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    lead = jax.process_index() == 0
    with Checkpointer(workdir, max_to_keep=config.get("keep_checkpoints", 3)) as checkpointer:
        resuming = checkpointer.latest_step() is not None or resume_step is not None
        if resuming:
            saved_model = checkpointer.saved_config(resume_step).get("model")
            if saved_model != config.get("model"):
                raise JaxtrackError(f"{workdir} holds a run of model {saved_model}, not {config.get('model')}; "
                                    "use another workdir")
        step_fn = recipe.jitted_step(mesh)

        sampler = PairSampler(open_sources(data, workdir), seed=config["seed"], neg=data.get("neg", 0.2),
                              gray=data.get("gray", 0.0))
        iterator = iter(make_pipeline(sampler, batch_size, seed=config["seed"],
                                      num_workers=data.get("num_workers", 0), read_threads=data.get("read_threads", 2)))
        if resuming:
            state, data_state, _ = checkpointer.restore(recipe.abstract_state(mesh), resume_step)
            iterator.set_state(data_state)
            if resume_step is not None:  # once step resume_step is read: a corrupt one moves nothing
                set_aside_later(checkpointer, workdir, resume_step, lead)
            if lead:
                print(f"train: resuming from step {int(state['step'])}", flush=True)
        else:
            state = recipe.initial_state(mesh)
        if lead:
            paths.write_text(workdir / "config.json", json.dumps(config, indent=1))

        start = int(state["step"])
        end = recipe.total_steps if stop_after is None else min(recipe.total_steps, start + stop_after)
        log_every = config.get("log_every", 10)
        save_every = config.get("checkpoint_every", 500)
        log = MetricsLog(workdir, lead)
        bar = tqdm(total=recipe.total_steps, initial=start, disable=not (progress and lead), desc="train",
                   unit="step")
        last, tick, logged_step, skipped = {}, time.perf_counter(), start, 0
        try:
            for index in range(start, end):
                batch = next(iterator)
                skipped += int(np.sum(batch["resampled"]))  # counted by the sampler, also in worker processes
                state, metrics = step_fn(state, global_batch({k: batch[k] for k in BATCH_FIELDS}, mesh), index)
                done = index + 1
                log_now = done % log_every == 0 or done == end
                save_now = done % save_every == 0 or done == end
                if log_now or save_now:
                    metrics = jax.device_get(metrics)
                    check_finite(done, metrics)  # before saving: a NaN state is never checkpointed
                if log_now:
                    elapsed, tick = time.perf_counter() - tick, time.perf_counter()
                    last = {**{k: float(v) for k, v in metrics.items()},
                            "learning_rate": float(recipe.schedule(index)),
                            "pairs_per_second": batch_size * (done - logged_step) / max(elapsed, 1e-9),
                            "skipped_pairs": float(skipped)}
                    logged_step, skipped = done, 0
                    log.write(done, last)
                    bar.set_postfix(loss=f"{last['total']:.3f}", lr=f"{last['learning_rate']:.1e}",
                                    pos=f"{last['positives']:.1f}", pairs_s=f"{last['pairs_per_second']:.1f}")
                bar.update(1)
                if save_now:
                    checkpointer.save(done, state, data_state=iterator.get_state(), config=config)
        finally:
            bar.close()
            log.close()
    return {"step": end, "metrics": last}


def set_aside_later(checkpointer, workdir, step, lead):
    """Before resuming from ``step``: move later checkpoints to ``checkpoints-after-<step>/`` and
    their metrics.jsonl records to a file there (process 0; the others wait for it)."""
    if lead:
        aside = checkpointer.set_aside_after(step)
        if aside is not None:
            truncate_metrics(workdir / "metrics.jsonl", step, aside / "metrics.jsonl")
            print(f"train: checkpoints after step {step} set aside in {aside}", flush=True)
    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices("set aside later checkpoints")
    checkpointer.steps()  # every process's manager sees the steps left
