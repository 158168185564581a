"""Mixed precision for accelerators: float32 parameters, computation in a lower dtype.

``compute_in(model.apply, "bfloat16")`` is ``model.apply`` with its parameters and floating inputs
cast to bfloat16 at the call (Flax's layers then compute in bfloat16; BatchNorm and GroupNorm keep
their statistics in float32) and its floating results (outputs, updated batch statistics) cast
back to float32. The parameters, the optimiser's state and the checkpoints stay float32, and the
cast is differentiable, so gradients arrive in float32: a checkpoint of either precision loads
into the other. bfloat16 speeds up GPUs and TPUs; XLA:CPU emulates it (slower, tests only).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from jaxtrack.registry import Registry

COMPUTE_DTYPES = Registry("compute dtype")
"""Names of the compute dtypes: ``float32`` (the default, no cast) and ``bfloat16``."""
COMPUTE_DTYPES.register("float32")(jnp.float32)
COMPUTE_DTYPES.register("bfloat16")(jnp.bfloat16)


def cast_floats(tree, dtype):
    """``tree`` with every floating leaf as ``dtype``; integer, boolean and key leaves unchanged."""
    return jax.tree.map(lambda x: x.astype(dtype) if jnp.issubdtype(jnp.result_type(x), jnp.floating) else x,
                        tree)


def compute_in(apply, dtype="float32"):
    """``apply(variables, *inputs, **kwargs)`` (e.g. ``model.apply``) computing in ``dtype``, a name
    in :data:`COMPUTE_DTYPES`: ``variables["params"]`` and floating ``inputs`` cast to it, the other
    collections (batch statistics) left float32, floating results returned as float32. ``float32``
    returns ``apply`` itself."""
    compute = COMPUTE_DTYPES.get(dtype)
    if compute == jnp.float32:
        return apply

    def mixed(variables, *inputs, **kwargs):
        variables = {**variables, "params": cast_floats(variables["params"], compute)}
        return cast_floats(apply(variables, *cast_floats(inputs, compute), **kwargs), jnp.float32)

    return mixed
