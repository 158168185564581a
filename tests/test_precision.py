"""bfloat16 compute (float32 parameters, optimiser state, outputs and losses) against float32."""

import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.config import load_config, plain_dict
from jaxtrack.errors import JaxtrackError
from jaxtrack.train.checkpoint import Checkpointer
from jaxtrack.train.recipe import Recipe
from jaxtrack.train.step import global_batch, init_state
from jaxtrack.train.trainer import make_mesh
from model_helpers import random_variables

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"
OUTPUT_TOLERANCE = 0.05
"""bfloat16 outputs within this fraction of the largest float32 output (8-bit mantissa: 0.4% per
rounding, compounded over the layers)."""
LOSS_TOLERANCE = 0.02
"""A short training run's bfloat16 losses within this fraction of float32's, step by step."""


def crops(batch, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (batch, 127, 127, 3)).astype(np.float32),
            rng.integers(0, 256, (batch, 255, 255, 3)).astype(np.float32))


@pytest.mark.parametrize("name", ["siamrpn_small", "siamcar_small"])
def test_bfloat16_outputs_are_float32_and_close(name):
    model = models.build({"name": name})
    variables = random_variables(model)
    template, search = crops(2)
    expected = jax.jit(model.apply)(variables, template, search)
    mixed = models.compute_in(model.apply, "bfloat16")
    got = jax.jit(mixed)(variables, template, search)
    text = str(jax.make_jaxpr(mixed)(variables, template, search))
    assert re.search(r":bf16\[[\d,]+\] = conv_general_dilated", text)  # convolutions in bfloat16
    for key, value in expected.items():
        assert got[key].dtype == jnp.float32
        scale = float(jnp.abs(value).max())
        assert float(jnp.abs(got[key] - value).max()) <= OUTPUT_TOLERANCE * scale, key
    assert models.compute_in(model.apply, "float32") == model.apply
    with pytest.raises(JaxtrackError, match="compute dtype"):
        models.compute_in(model.apply, "float16")


@pytest.mark.slow  # two training steps compiled: 7-16 minutes on the loaded 2-core machine
def test_bfloat16_training_follows_float32_and_checkpoints_are_interchangeable(tmp_path):
    base = plain_dict(load_config(f"{EXPERIMENTS / 'siamcar_r50.py'}:smoke"))
    mesh = make_mesh(jax.devices()[:1])
    recipes = {dtype: Recipe.from_config({**base, "compute_dtype": dtype}) for dtype in ("float32", "bfloat16")}
    assert recipes["bfloat16"].abstract_state(mesh) == recipes["float32"].abstract_state(mesh)
    variables = random_variables(recipes["float32"].model)
    rng = np.random.default_rng(0)
    template, search = crops(4)
    centre, wh = 127 + rng.uniform(-30, 30, (4, 2)), rng.uniform(40, 90, (4, 2))
    batch = global_batch({"template": template.astype(np.uint8), "search": search.astype(np.uint8),
                          "box": np.concatenate([centre - wh / 2, centre + wh / 2], 1).astype(np.float32),
                          "negative": np.zeros(4, bool)}, mesh)
    steps = {dtype: recipe.jitted_step(mesh) for dtype, recipe in recipes.items()}
    losses, states = {}, {}
    for dtype, recipe in recipes.items():
        state = init_state(recipe.model, recipe.optimizer, jax.random.key(0),
                           variables=jax.tree.map(jnp.copy, variables))  # the step donates its state
        losses[dtype] = []
        for _ in range(6):
            state, metrics = steps[dtype](state, batch, 0)
            losses[dtype].append(float(metrics["total"]))
        assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state["params"]))
        assert all(x.dtype == jnp.float32 for x in jax.tree.leaves(state["opt_state"]) if x.dtype != jnp.int32)
        states[dtype] = state
    np.testing.assert_allclose(losses["bfloat16"], losses["float32"], rtol=LOSS_TOLERANCE)
    assert losses["float32"][-1] < losses["float32"][0] and losses["bfloat16"][-1] < losses["bfloat16"][0]
    for saved, loaded in (("bfloat16", "float32"), ("float32", "bfloat16")):
        with Checkpointer(tmp_path / saved) as checkpointer:
            checkpointer.save(6, states[saved], data_state={}, config={**base, "compute_dtype": saved})
            restored, _, _ = checkpointer.restore(recipes[loaded].abstract_state(mesh))
        jax.tree.map(np.testing.assert_array_equal, restored["params"], states[saved]["params"])
        _, metrics = steps[loaded](restored, batch, 0)
        assert np.isfinite(float(metrics["total"]))
