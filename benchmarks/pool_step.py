"""Where a lite0 training step spends its time, and what training on cached maps saves.

Run from the repository root: ``python -m benchmarks.pool_step [--batch 16] [--repeats 5]``.
On one batch of ``experiments/cpu_default.py``'s model (SiamCAR-style head, frozen Lite0), in the
same run, interleaved:

- the frozen backbone's forward pass on the batch's crops;
- the training step on crops (backbone frozen: no backward pass through it);
- the training step on the backbone's cached maps (:mod:`jaxtrack.train.feature_pool`);
- the same maps step with the depthwise correlation differentiated through its shifted slices
  (the restatement of jaxtrack's correlation before its FFT backward pass);
- the maps step that also trains the backbone's stage 5, run again from the cached level-4 maps
  (``pool_from_level``, as ``experiments/default_tracker.py``'s stage-5 run), and the same with
  the depthwise convolutions differentiated through their shifted slices (the restatement of
  :func:`jaxtrack.models.layers.depthwise_stride1` before its hand-written backward pass).

It prints the machine's load first (:mod:`benchmarks.machine`): figures measured beside other jobs
are not to be reported.
"""

from __future__ import annotations

import argparse
import sys

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import machine
from benchmarks.assign import time_call
from jaxtrack import compiler
from jaxtrack.config import plain_dict
from jaxtrack.models import heads, layers
from jaxtrack.models.layers import depthwise_stride1
from jaxtrack.train.recipe import Recipe
from jaxtrack.train.step import global_batch
from jaxtrack.train.trainer import make_mesh


def _config():
    sys.path.insert(0, "experiments")
    from cpu_default import get_config

    return plain_dict(get_config())


def _stage5_config(config, model):
    """``config`` training Lite0's stage 5 from the first step, rerun from the level-4 maps."""
    stage5 = {**config, "pool_from_level": 4, "optim": dict(config["optim"])}
    stage5["optim"].update(backbone_epoch=0, trainable_backbone=list(model.backbone.blocks_after(4)))
    return stage5


def _timer(function, repeats):
    """Median seconds per call of ``function()`` (blocking on its result), after one warm-up call."""
    jax.block_until_ready(function())
    return time_call(lambda: jax.block_until_ready(function()), repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    machine.report()

    config = _config()
    config["data"]["batch_size"] = args.batch
    mesh = make_mesh()
    rng = np.random.default_rng(0)
    centre, wh = 127 + rng.uniform(-40, 40, (args.batch, 2)), rng.uniform(30, 100, (args.batch, 2))
    crops = {"template": rng.integers(0, 255, (args.batch, 127, 127, 3), dtype=np.uint8),
             "search": rng.integers(0, 255, (args.batch, 255, 255, 3), dtype=np.uint8),
             "box": np.concatenate([centre - wh / 2, centre + wh / 2], 1).astype(np.float32),
             "negative": np.zeros(args.batch, bool)}

    recipe = Recipe.from_config(config)
    state = recipe.initial_state(mesh)
    variables = {"params": state["params"], "batch_stats": state["batch_stats"]}
    embed = compiler.jit(lambda v, x: recipe.model.apply(v, x.astype(jnp.float32), method="backbone_maps"))
    maps = {"template_maps": embed(variables, crops["template"]), "search_maps": embed(variables, crops["search"]),
            "box": crops["box"], "negative": crops["negative"]}
    crop_batch = global_batch(crops, mesh)

    def step(function, batch, initial=state):
        """A call of the (state-donating) step that carries its own copy of ``initial`` on."""
        holder = {"state": jax.tree.map(jnp.copy, initial)}

        def call():
            holder["state"], metrics = function(holder["state"], batch, 0)
            return metrics["total"]

        return call

    fft_step = recipe.jitted_step(mesh)
    slices_step = Recipe.from_config(config).jitted_step(mesh)
    on_maps, on_maps_slices = step(fft_step, maps), step(slices_step, maps)
    jax.block_until_ready(on_maps())  # traced (and compiled) before the swap below
    heads.correlation = lambda name: layers.shifted_sum  # the restatement: autodiff through the slices
    try:
        jax.block_until_ready(on_maps_slices())  # traced while swapped
    finally:
        heads.correlation = layers.correlation

    stage5 = Recipe.from_config(_stage5_config(config, recipe.model))
    stage5_state = stage5.initial_state(mesh)
    on_maps_stage5 = step(stage5.jitted_step(mesh, 4), maps, stage5_state)
    on_maps_stage5_slices = step(stage5.jitted_step(mesh, 4), maps, stage5_state)
    jax.block_until_ready(on_maps_stage5())
    layers.depthwise_stride1 = lambda x, kernel, dilation: layers.shifted_sum(x, kernel, dilation=dilation)
    try:
        jax.block_until_ready(on_maps_stage5_slices())  # traced while swapped
    finally:
        layers.depthwise_stride1 = depthwise_stride1

    cases = {"backbone forward (search + template)": lambda: (embed(variables, crops["search"]),
                                                               embed(variables, crops["template"])),
             "step on crops (frozen backbone)": step(fft_step, crop_batch),
             "step on cached maps": on_maps,
             "step on cached maps, slices backward": on_maps_slices,
             "step on cached maps, stage 5 trained": on_maps_stage5,
             "  the same, depthwise slices backward": on_maps_stage5_slices}
    timings = {name: [] for name in cases}
    for _ in range(2):  # interleaved rounds
        for name, function in cases.items():
            timings[name].append(_timer(function, args.repeats))
    base = np.median(timings["step on crops (frozen backbone)"])
    print(f"batch {args.batch}, median of {args.repeats} calls x 2 interleaved rounds")
    for name, values in timings.items():
        seconds = float(np.median(values))
        print(f"  {name:40s} {seconds * 1000:8.1f} ms  {args.batch / seconds:6.1f} pairs/s  "
              f"{seconds / base:5.2f}x the crops step")


if __name__ == "__main__":
    main()
