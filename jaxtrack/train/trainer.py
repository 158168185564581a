"""``train_and_evaluate(config, workdir)``: the training loop behind ``jaxtrack train``.

Resume-first: if ``workdir`` has a checkpoint, the run continues from it (state, RNG, data
iterator position), so a killed run ends with the numbers an uninterrupted run would have had.
Logs go to ``workdir/metrics.jsonl`` and TensorBoard event files in ``workdir/tensorboard``;
only process 0 logs and shows progress. Each record holds the step's loss terms and label
counts, ``learning_rate``, and over the steps since the previous record ``pairs_per_second`` and
``skipped_pairs`` (draws the pair sampler skipped for bad input).
"""

from __future__ import annotations

import json
import math
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh

from jaxtrack.assign import anchor_grid, point_grid
from jaxtrack.errors import JaxtrackError
from jaxtrack.train import checkpoint as ckpt
from jaxtrack.train.labels import make_labeler
from jaxtrack.train.optim import BACKBONE_EPOCH, make_optimizer, param_groups
from jaxtrack.train.step import BATCH_AXIS, global_batch, init_state, jit_train_step, make_train_step, replicated


def to_dict(config):
    """ConfigDict or dict -> plain JSON-able dict."""
    return json.loads(json.dumps(config.to_dict() if hasattr(config, "to_dict") else config))


def make_mesh(devices=None):
    """A 1-D mesh over all devices (of every process) with the batch axis ``"data"``."""
    return Mesh(np.asarray(devices if devices is not None else jax.devices()), (BATCH_AXIS,))


def open_sources(data_config, workdir):
    """Training sources from the config: a list of :class:`jaxtrack.data.pairs.Source`.

    A source ``{"kind": "synthetic", "num_sequences": N, ...}`` is generated into
    ``root`` (default ``workdir/synthetic``) the first time; any other kind is opened with
    :func:`jaxtrack.data.readers.open_dataset`.
    """
    from jaxtrack.data.pairs import Source
    from jaxtrack.data.readers import open_dataset
    from jaxtrack.data.synthetic import make_synthetic

    sources = []
    for spec in data_config["sources"]:
        spec = dict(spec)
        kind = spec.pop("kind")
        frame_range = spec.pop("frame_range", 100)
        num_use = spec.pop("num_use", -1)
        if kind == "synthetic":
            root = pathlib.Path(spec.pop("root", None) or pathlib.Path(workdir) / "synthetic")
            split = spec.pop("split", "train")
            if not (root / split / "list.txt").exists() and jax.process_index() == 0:
                make_synthetic(root, split=split, **spec)
            if jax.process_count() > 1:  # the other hosts wait until process 0 has written it
                multihost_utils.sync_global_devices(f"synthetic data {root}")
            dataset = open_dataset("got10k", str(root), split=split)
        else:
            root = spec.pop("root", None)
            if root is None:
                raise JaxtrackError(f"data source {kind!r} needs a root folder")
            dataset = open_dataset(kind, str(root), **spec)
        sources.append(Source(dataset, frame_range=frame_range, num_use=num_use))
    return sources


def model_samples(outputs_shape):
    """The sample grid matching a model's outputs: anchors for RPN heads, points otherwise."""
    return anchor_grid() if "loc" in outputs_shape else point_grid()


class MetricsLog:
    """JSONL + TensorBoard writer for process 0; a no-op elsewhere."""

    def __init__(self, workdir, enabled):
        self.enabled = enabled
        if enabled:
            from tensorboardX import SummaryWriter

            self.jsonl = open(pathlib.Path(workdir) / "metrics.jsonl", "a")
            self.tensorboard = SummaryWriter(str(pathlib.Path(workdir) / "tensorboard"))

    def write(self, step, values):
        if not self.enabled:
            return
        self.jsonl.write(json.dumps({"step": int(step), **{k: float(v) for k, v in values.items()}}) + "\n")
        self.jsonl.flush()
        for name, value in values.items():
            self.tensorboard.add_scalar(name, float(value), int(step))

    def close(self):
        if self.enabled:
            self.jsonl.close()
            self.tensorboard.close()


def read_metrics(path):
    """metrics.jsonl -> (steps (T,), {name: (T,) values}), one record per step (the last logged)."""
    lines = pathlib.Path(path).read_text().splitlines()
    by_step = {}
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines) - 1:  # a run still writing its last line
                continue
            raise
        by_step[int(record["step"])] = record
    steps = np.array(sorted(by_step))
    names = sorted({name for record in by_step.values() for name in record} - {"step"})
    return steps, {name: np.array([by_step[s].get(name, np.nan) for s in steps], float) for name in names}


def check_finite(step, metrics):
    """Raise naming the step and the offending terms if any metric is NaN or infinite."""
    bad = [name for name, value in metrics.items() if not math.isfinite(float(value))]
    if bad:
        raise JaxtrackError(f"step {step}: non-finite {', '.join(bad)}; the run stops here and the last "
                            "good checkpoint is kept (lower the learning rate or check the data)")


def build_run(config, mesh):
    """Everything a run needs but the data and the state -> dict with the ``model``, its sample
    grid, the ``optimizer`` and its ``schedule``, the parameter ``groups``, ``backbone_start`` (the
    first step with backbone gradients), ``total_steps`` and ``step(state, batch, index)`` (jitted
    for ``mesh``; without backbone gradients before the backbone trains)."""
    from jaxtrack import models
    from jaxtrack.models.losses import make_objective

    model = models.build(config["model"])
    dummy_t = jax.ShapeDtypeStruct((1, 127, 127, 3), jnp.float32)
    dummy_s = jax.ShapeDtypeStruct((1, 255, 255, 3), jnp.float32)
    abstract_variables = jax.eval_shape(model.init, jax.random.key(0), dummy_t, dummy_s)
    outputs = jax.eval_shape(model.apply, abstract_variables, dummy_t, dummy_s)
    samples = model_samples(outputs)
    optim = dict(config["optim"])
    steps_per_epoch = optim.pop("steps_per_epoch")
    optimizer, schedule = make_optimizer(abstract_variables["params"], steps_per_epoch=steps_per_epoch, **optim)
    labeler = make_labeler(config["assigner"], samples)
    objective = make_objective(config["loss"])
    groups = param_groups(abstract_variables["params"], optim.get("trainable_backbone"))
    steps = {train_backbone: jit_train_step(make_train_step(
        model, labeler, objective, optimizer, samples, groups=groups, train_backbone=train_backbone), mesh)
        for train_backbone in (False, True)}
    backbone_start = optim.get("backbone_epoch", BACKBONE_EPOCH) * steps_per_epoch  # as make_optimizer

    def step(state, batch, index):
        """The jitted step for step ``index``: without backbone gradients before it trains."""
        return steps[index >= backbone_start](state, batch)

    return dict(model=model, optimizer=optimizer, schedule=schedule, step=step, samples=samples,
                groups=groups, backbone_start=backbone_start, total_steps=steps_per_epoch * config["optim"]["epochs"])


def initial_state(config, run, mesh):
    """The fresh, replicated train state (pretrained backbone grafted if configured)."""
    from jaxtrack import models

    key = jax.random.key(config["seed"])
    pretrained = config.get("pretrained")
    if not pretrained:
        return jax.jit(lambda k: init_state(run["model"], run["optimizer"], k),
                       out_shardings=replicated(mesh))(key)
    variables = models.pretrained_variables(run["model"], pretrained, key)
    return jax.jit(lambda k, v: init_state(run["model"], run["optimizer"], k, variables=v),
                   out_shardings=replicated(mesh))(key, variables)


def train_and_evaluate(config, workdir, *, resume_step=None, progress=True, stop_after=None):
    """Train as ``config`` says into ``workdir``; resume from its checkpoint if there is one.

    Args:
      config: experiment config (ConfigDict or dict), see ``experiments/``.
      workdir: output folder (checkpoints, metrics, resolved config).
      resume_step: resume from this checkpoint step instead of the latest.
      progress: show a progress bar (process 0 only).
      stop_after: stop (with a checkpoint) after this many steps of this call; for tests and
        for simulating an interrupted run.
    Returns:
      dict with the final ``step`` and the last logged metrics.
    """
    from jaxtrack.data.pairs import PairSampler
    from jaxtrack.data.pipeline import make_pipeline

    config = to_dict(config)
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    lead = jax.process_index() == 0
    mesh = make_mesh()
    data = config["data"]
    if data["batch_size"] % mesh.size:
        raise JaxtrackError(f"batch_size {data['batch_size']} is not divisible by the {mesh.size} devices")

    with ckpt.Checkpointer(workdir, max_to_keep=config.get("keep_checkpoints", 3)) as checkpointer:
        resuming = checkpointer.latest_step() is not None or resume_step is not None
        if resuming:
            saved_model = checkpointer.saved_config(resume_step).get("model")
            if saved_model != config.get("model"):
                raise JaxtrackError(f"{workdir} holds a run of model {saved_model}, not {config.get('model')}; "
                                    "use another workdir")
        if lead:
            (workdir / "config.json").write_text(json.dumps(config, indent=1))
        run = build_run(config, mesh)
        sampler = PairSampler(open_sources(data, workdir), seed=config["seed"], neg=data.get("neg", 0.2),
                              gray=data.get("gray", 0.0))
        pipeline = make_pipeline(sampler, data["batch_size"], seed=config["seed"],
                                 num_workers=data.get("num_workers", 0), read_threads=data.get("read_threads", 2))
        iterator = iter(pipeline)
        state = initial_state(config, run, mesh)
        if resuming:
            state, data_state, _ = checkpointer.restore(ckpt.abstract_like(state), resume_step)
            iterator.set_state(data_state)
        start = int(state["step"])
        end = run["total_steps"] if stop_after is None else min(run["total_steps"], start + stop_after)
        last = _train_loop(config, run, mesh, state, iterator, checkpointer, workdir, start, end,
                           show=progress and lead)
    return {"step": end, "metrics": last}


def _train_loop(config, run, mesh, state, iterator, checkpointer, workdir, start, end, *, show):
    """Steps ``start .. end - 1``: log every ``log_every`` steps, checkpoint every
    ``checkpoint_every`` steps and at ``end`` -> the last logged metrics."""
    from tqdm import tqdm

    lead = jax.process_index() == 0
    batch_size = config["data"]["batch_size"]
    every = config.get("log_every", 10)
    save_every = config.get("checkpoint_every", 500)
    log = MetricsLog(workdir, lead)
    bar = tqdm(total=run["total_steps"], initial=start, disable=not show, desc="train", unit="step")
    last, tick, logged_step, skipped = {}, time.perf_counter(), start, 0
    try:
        for step in range(start, end):
            batch = next(iterator)
            skipped += int(np.sum(batch["resampled"]))  # counted by the sampler, also in worker processes
            state, metrics = run["step"](state, global_batch(
                {k: batch[k] for k in ("template", "search", "box", "negative")}, mesh), step)
            done = step + 1
            log_now = done % every == 0 or done == end
            save_now = done % save_every == 0 or done == end
            if log_now or save_now:
                metrics = jax.device_get(metrics)
                check_finite(done, metrics)  # before saving: a NaN state is never checkpointed
            if log_now:
                elapsed, tick = time.perf_counter() - tick, time.perf_counter()
                last = {**{k: float(v) for k, v in metrics.items()},
                        "learning_rate": float(run["schedule"](step)),
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
    return last
