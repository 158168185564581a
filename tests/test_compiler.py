"""jaxtrack's per-backend compiler options: what they are, that they leave results unchanged, and
that a jaxlib refusing them falls back to XLA's defaults."""

import jax
import jax.numpy as jnp
import numpy as np

from jaxtrack import compiler


def conv_net(x, w1, w2):
    """Two convolutions and a dot: what the options send to another library on CPU."""
    dims = ("NHWC", "HWIO", "NHWC")
    y = jax.nn.relu(jax.lax.conv_general_dilated(x, w1, (1, 1), "SAME", rhs_dilation=(2, 2), dimension_numbers=dims))
    y = jax.lax.conv_general_dilated(y, w2, (1, 1), "VALID", dimension_numbers=dims)
    return jnp.einsum("bhwc,bhwc->b", y, y)


def test_options_by_backend_and_outputs_unchanged():
    assert compiler.default_options("gpu") == {} and compiler.default_options("tpu") == {}
    assert compiler.default_options("cpu") == compiler.CPU_OPTIONS  # this project's pinned jaxlib accepts them
    rng = np.random.default_rng(0)
    args = (rng.normal(size=(2, 17, 17, 32)), rng.normal(size=(3, 3, 32, 64)) / 17, rng.normal(size=(1, 1, 64, 48)) / 8)
    args = [jnp.asarray(a, jnp.float32) for a in args]
    with_options, plain = compiler.jit(conv_net)(*args), compiler.jit(conv_net, compiler_options={})(*args)
    np.testing.assert_allclose(with_options, plain, rtol=1e-5)
    assert compiler.jit(conv_net).lower(*args).compile() is not None


def test_refused_options_fall_back_to_xla_defaults(monkeypatch):
    monkeypatch.setattr(compiler, "CPU_OPTIONS", {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_NONE"})
    compiler._accepted.cache_clear()
    try:
        assert compiler.default_options("cpu") == {}
        assert float(compiler.jit(jnp.sum)(jnp.ones(3))) == 3.0
    finally:
        compiler._accepted.cache_clear()
