"""XLA compiler options for jaxtrack's compiled steps, chosen by backend.

On CPU, XLA sends dots and convolutions to Eigen unless told otherwise; this jaxlib can hand
dot fusions to YNNPACK instead (``xla_cpu_experimental_ynn_fusion_type``), which on the
project's 2-core AVX-512 CPU ran the SiamRPN++ R50 tracking step about 1.3x faster with outputs
equal to 1e-5 (``python -m benchmarks.models`` measures both in one run). Other backends get no
options. The options are passed per compilation (``jax.jit(..., compiler_options=...)``), so
nothing global changes and a caller may pass its own (``{}``: XLA's defaults).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

CPU_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_DOT"}
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
