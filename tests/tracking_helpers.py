"""Shared by the tracker tests: small Siamese models with random weights, without compiling."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack import models


def random_variables(model, seed=0):
    """Variables of ``model`` drawn with NumPy from its abstract tree (``jax.eval_shape``, so no
    compilation): kernels N(0, 1 / fan_in), scales and running variances 1, the rest 0."""
    template = jax.ShapeDtypeStruct((1, 127, 127, 3), jnp.float32)
    search = jax.ShapeDtypeStruct((1, 255, 255, 3), jnp.float32)
    abstract = jax.eval_shape(model.init, jax.random.key(0), template, search)
    rng = np.random.default_rng(seed)

    def draw(path, leaf):
        name = path[-1].key
        if name == "kernel":
            return rng.normal(0.0, 1.0 / np.sqrt(np.prod(leaf.shape[:-1])), leaf.shape).astype(leaf.dtype)
        return (np.ones if name in ("scale", "var") else np.zeros)(leaf.shape, leaf.dtype)

    return jax.tree_util.tree_map_with_path(draw, abstract)


def random_model(name="siamcar_small", seed=0):
    """(model, variables) of registered model ``name`` with :func:`random_variables`."""
    model = models.build({"name": name})
    return model, random_variables(model, seed)
