"""XLA compiler options for jaxtrack's compiled steps, chosen by backend.

On CPU, XLA sends convolutions and dots to Eigen unless told otherwise. This jaxlib can hand some
fusions to YNNPACK (``xla_cpu_experimental_ynn_fusion_type``). Any of its fusion types ran the
SiamRPN++ R50 tracking step about 1.3x faster than XLA's defaults on the project's 2-core AVX-512
CPU, with outputs equal to 1e-5. With the ``DOT`` type, though, column reductions (the gradients
of the BatchNorm scales and biases) ran about 30x slower, which made the R50 training step 1.6x
PyTorch's time; the ``REDUCE`` type keeps reductions at XLA's speed and the tracking step as
fast (``python -m benchmarks.models`` and ``python -m benchmarks.train_torch`` measure both).
Other backends get no options. The options are passed per compilation
(``jax.jit(..., compiler_options=...)``), so nothing global changes and a caller may pass its own
(``{}``: XLA's defaults).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

CPU_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_REDUCE"}
"""Options for the CPU backend; dropped when this jaxlib does not know them."""


@functools.cache
def _accepted(backend: str) -> dict:
    if backend != "cpu":
        return {}
    try:  # an experimental option: a jaxlib that renamed or dropped it refuses to compile
        jax.jit(jnp.dot, compiler_options=CPU_OPTIONS).lower(
            jnp.ones((2, 2)), jnp.ones((2, 2))).compile()
    except Exception:  # noqa: BLE001 - any refusal means: compile with XLA's defaults
        return {}
    return dict(CPU_OPTIONS)


def default_options(backend: str | None = None) -> dict:
    """The options jaxtrack compiles with on ``backend`` (default: JAX's default backend)."""
    return dict(_accepted(backend or jax.default_backend()))


def jit(fn, *, compiler_options: dict | None = None, **jit_kwargs):
    """``jax.jit(fn, ...)`` with :func:`default_options` unless ``compiler_options`` is given."""
    options = default_options() if compiler_options is None else compiler_options
    return jax.jit(fn, compiler_options=options or None, **jit_kwargs)
