"""Random model variables for tests, without compiling a model's initialiser."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack import models


def random_variables(model, seed=0):
    """Variables of ``model`` (its abstract tree): parameters N(0, 0.1), batch statistics
    U(0.5, 1.5) (positive variances)."""
    rng = np.random.default_rng(seed)
    abstract = models.abstract_variables(model)
    return {"params": jax.tree.map(lambda x: jnp.asarray(rng.normal(0, 0.1, x.shape), x.dtype), abstract["params"]),
            "batch_stats": jax.tree.map(lambda x: jnp.asarray(rng.uniform(0.5, 1.5, x.shape), x.dtype),
                                        abstract["batch_stats"])}
