"""The depthwise cross-correlation's two forms (shifted slices, grouped convolution) and their choice."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jaxtrack import models
from jaxtrack.errors import JaxtrackError
from jaxtrack.models import layers
from model_helpers import random_variables


@pytest.mark.parametrize("shape", [((2, 31, 31, 5), (2, 7, 7, 5)), ((3, 11, 13, 4), (3, 4, 3, 4))])
def test_slices_and_grouped_conv_agree_in_values_and_gradients(shape):
    rng = np.random.default_rng(0)
    search, template = (jnp.asarray(rng.normal(size=s), jnp.float32) for s in shape)
    weight = jnp.asarray(rng.normal(size=(shape[0][0], shape[0][1] - shape[1][1] + 1,
                                          shape[0][2] - shape[1][2] + 1, shape[0][3])), jnp.float32)
    results = {}
    for name in ("slices", "grouped_conv"):
        xcorr = layers.CORRELATIONS.get(name)
        loss = lambda s, t: jnp.sum(xcorr(s, t) * weight)
        results[name] = (jax.jit(xcorr)(search, template), *jax.jit(jax.grad(loss, (0, 1)))(search, template))
    for slices, grouped in zip(results["slices"], results["grouped_conv"]):
        assert slices.shape == grouped.shape  # 1e-5 of the largest value: float32 sums of 49-625 terms
        np.testing.assert_allclose(grouped, slices, rtol=1e-5, atol=1e-5 * float(jnp.abs(slices).max()))


def test_auto_is_slices_on_cpu_and_grouped_conv_elsewhere(monkeypatch):
    assert layers.correlation("auto").__wrapped__ is layers.xcorr_depthwise
    assert layers.correlation("grouped_conv").__wrapped__ is layers.xcorr_grouped_conv
    for backend in ("gpu", "tpu"):
        monkeypatch.setattr(jax, "default_backend", lambda: backend)
        assert layers.correlation().__wrapped__ is layers.xcorr_grouped_conv
    with pytest.raises(JaxtrackError, match="correlation"):
        layers.correlation("fft")


def _jaxpr(model, variables, template, search):
    return str(jax.make_jaxpr(model.apply)(variables, template, search))


@pytest.mark.parametrize("name", ["siamrpn_small", "siamcar_small"])
def test_models_take_the_correlation_option_with_the_same_parameters(name):
    rng = np.random.default_rng(1)
    template = jnp.asarray(rng.uniform(0, 255, (1, 127, 127, 3)), jnp.float32)
    search = jnp.asarray(rng.uniform(0, 255, (1, 255, 255, 3)), jnp.float32)
    variables = random_variables(models.build({"name": name}))
    jaxprs, outputs = {}, {}
    for form in ("auto", "slices", "grouped_conv"):
        model = models.build({"name": name, "correlation": form})
        assert jax.tree.structure(models.abstract_variables(model)) == jax.tree.structure(variables)
        jaxprs[form] = _jaxpr(model, variables, template, search)
        if form != "auto":
            outputs[form] = jax.jit(model.apply)(variables, template, search)
    assert jaxprs["auto"] == jaxprs["slices"] != jaxprs["grouped_conv"]  # on CPU
    grouped = lambda text: text.count("feature_group_count") > text.count("feature_group_count=1")
    assert not grouped(jaxprs["slices"]) and grouped(jaxprs["grouped_conv"])
    for key in outputs["slices"]:
        np.testing.assert_allclose(outputs["grouped_conv"][key], outputs["slices"][key], rtol=1e-4, atol=1e-4)
    with pytest.raises(JaxtrackError, match="correlation"):
        models.build({"name": name, "correlation": "fft"})


def _gradient_program(xcorr, batch, mesh=None):
    """The compiled gradient of ``sum(xcorr(search, template) ** 2)`` for a (batch, 31, 31, 64)
    search map, its batch sharded over ``mesh`` (traced under it, as the training step is)."""
    shapes = (jax.ShapeDtypeStruct((batch, 31, 31, 64), jnp.float32),
              jax.ShapeDtypeStruct((batch, 7, 7, 64), jnp.float32))
    gradient = jax.grad(lambda s, t: jnp.sum(xcorr(s, t) ** 2), (0, 1))
    if mesh is None:
        return jax.jit(gradient).lower(*shapes).compile()

    def in_mesh(search, template):
        with jax.sharding.use_abstract_mesh(mesh.abstract_mesh):
            return gradient(search, template)
    rows = NamedSharding(mesh, PartitionSpec("data"))
    return jax.jit(in_mesh, in_shardings=(rows, rows), out_shardings=(rows, rows)).lower(*shapes).compile()


@pytest.mark.parametrize("name", ["slices", "grouped_conv"])
def test_under_a_mesh_each_device_correlates_only_its_own_rows(name):
    """8 samples on 8 devices cost each device what one sample costs one device (XLA's partitioner
    alone left the slices form's FFT backward pass to every device for the whole batch)."""
    mesh = Mesh(np.asarray(jax.devices()[:8]), ("data",))
    flops = lambda program: program.cost_analysis()["flops"]
    one_sample = flops(_gradient_program(layers.CORRELATIONS.get(name), 1))
    assert flops(_gradient_program(layers.correlation(name), 8, mesh)) <= 1.05 * one_sample
    if name == "slices":
        assert flops(_gradient_program(layers.xcorr_depthwise, 8, mesh)) > 4 * one_sample

    rng = np.random.default_rng(2)
    search = jnp.asarray(rng.normal(size=(8, 31, 31, 64)), jnp.float32)
    template = jnp.asarray(rng.normal(size=(8, 7, 7, 64)), jnp.float32)
    expected = _gradient_program(layers.CORRELATIONS.get(name), 8)(search, template)
    rows = NamedSharding(mesh, PartitionSpec("data"))
    sharded = _gradient_program(layers.correlation(name), 8, mesh)(jax.device_put(search, rows),
                                                                   jax.device_put(template, rows))
    for got, want in zip(sharded, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * float(jnp.abs(want).max()))
