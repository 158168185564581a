"""Model construction, output shapes and layout, and the building blocks (no PyTorch needed)."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from jaxtrack.assign import anchor_grid, point_grid
from jaxtrack.errors import JaxtrackError
from jaxtrack.models import BACKBONES, MODELS, abstract_variables, build
from jaxtrack.models.efficientnet import block_plan
from jaxtrack.models.lafa import LAFA
from jaxtrack.models.layers import (DepthwiseConv, PointwiseConv, bilinear_sample, depthwise_stride1, same_padding,
                                    shifted_sum, xcorr_depthwise)

TEMPLATE = jax.ShapeDtypeStruct((2, 127, 127, 3), jnp.float32)
SEARCH = jax.ShapeDtypeStruct((2, 255, 255, 3), jnp.float32)


def crops(seed, size, batch=2):
    return np.random.default_rng(seed).uniform(0, 255, (batch, size, size, 3)).astype(np.float32)


@pytest.mark.parametrize("name", MODELS.names())
def test_output_shapes(name):
    """Every registered model on 127/255 crops: named outputs in the sample order's shapes, the
    same through embed_template + apply_search (shapes only: no computation)."""
    model = build({"name": name})
    variables = jax.eval_shape(model.init, jax.random.key(0), TEMPLATE, SEARCH)
    outputs = jax.eval_shape(model.apply, variables, TEMPLATE, SEARCH)
    size = 17 if name == "siamrpn_alex" else 25
    if name.startswith("siamrpn"):
        samples = anchor_grid(score_size=size).shape[0]
        expected = {"cls": (2, samples, 2), "loc": (2, samples, 4)}
    else:
        samples = point_grid(score_size=size).shape[0]
        expected = {"cls": (2, samples, 2), "cen": (2, samples), "ltrb": (2, samples, 4)}
        if name.startswith("siamla"):
            expected["quality"] = (2, samples)
    assert {k: v.shape for k, v in outputs.items()} == expected
    assert all(v.dtype == jnp.float32 for v in outputs.values())
    template_features = jax.eval_shape(
        lambda v, t: model.apply(v, t, method="embed_template"), variables, TEMPLATE)
    if name != "siamrpn_alex":  # pysot crops the template maps to 7x7 (8x8 for even maps)
        crop = 7 if name.endswith("r50") else 8
        assert {f.shape[1:3] for f in template_features} == {(crop, crop)}
    split = jax.eval_shape(lambda v, z, s: model.apply(v, z, s, method="apply_search"),
                           variables, template_features, SEARCH)
    assert {k: v.shape for k, v in split.items()} == expected


def init_small(name, seed=0, **options):
    """A small model (factory ``options``), its variables (initialised with the fast-compiling
    "rbg" key) and crops."""
    model = build({"name": name, **options})
    template, search = crops(seed, 127), crops(seed + 1, 255)
    variables = jax.jit(model.init)(jax.random.key(seed, impl="rbg"), template, search)
    return model, variables, template, search


@pytest.fixture(scope="module")
def small_rpn():
    return init_small("siamrpn_small")


def test_split_equals_full_forward_and_layout(small_rpn):
    """embed_template + apply_search give exactly the full forward; RPN outputs are anchor-minor:
    moving one location of the cls map moves A consecutive samples."""
    model, variables, template, search = small_rpn
    apply = jax.jit(model.apply)
    full = apply(variables, template, search)
    z = jax.jit(lambda v, t: model.apply(v, t, method="embed_template"))(variables, template)
    split = jax.jit(lambda v, z, s: model.apply(v, z, s, method="apply_search"))(variables, z, search)
    for name in full:
        np.testing.assert_array_equal(np.asarray(full[name]), np.asarray(split[name]))
    # pysot channel k*A + a = 0*5 + 3 (background logit of anchor 3) of the last cls conv moves
    # only component 0 of samples (i*25 + j)*5 + 3
    head = variables["params"]["head"]["rpn2"]["cls"]["head_3"]
    bias = np.zeros(10, np.float32)
    bias[3] = 1.0
    bumped = jax.tree.map(lambda x: x, variables)
    bumped["params"]["head"]["rpn2"]["cls"]["head_3"] = {**head, "bias": head["bias"] + bias}
    delta = np.asarray(apply(bumped, template, search)["cls"] - full["cls"])
    changed = np.argwhere(np.abs(delta) > 1e-6)
    assert set(changed[:, 1] % 5) == {3} and set(changed[:, 2]) == {0}
    assert len(np.unique(changed[:, 1])) == 625


PRIOR = 0.01
PRIOR_CASES = {"siamcar_small": {}, "siamla_small": {}, "siamrpn_small": {"prior": PRIOR}}


@pytest.mark.parametrize("name", sorted(PRIOR_CASES))
def test_initial_foreground_probability_is_the_prior(name):
    """At initialisation the foreground probability is the prior 0.01 on average over the score
    map, both as the softmax (cross-entropy) and as the sigmoid of ``l1 - l0`` (focal, QFL): the
    background bias is 0, the foreground bias ``log(p / (1 - p))`` in pysot's ``k * A + a``
    layout; the random N(0, 0.01) weights move the logits by ~0.2 at most."""
    model, variables, template, search = init_small(name, **PRIOR_CASES[name])
    cls = np.asarray(jax.jit(model.apply)(variables, template, search)["cls"], np.float64)
    softmax = np.exp(cls[..., 1]) / np.exp(cls).sum(-1)
    sigmoid = 1.0 / (1.0 + np.exp(cls[..., 0] - cls[..., 1]))
    for probability in (softmax, sigmoid):
        np.testing.assert_allclose(probability.mean(), PRIOR, rtol=0.25)
        assert probability.max() < 2 * PRIOR
    head = variables["params"]["head"]
    bias = head["cls_logits"]["bias"] if "cls_logits" in head else head["rpn2"]["cls"]["head_3"]["bias"]
    anchors = bias.shape[0] // 2
    np.testing.assert_allclose(bias, np.repeat([0.0, np.log(PRIOR / (1 - PRIOR))], anchors), rtol=1e-6)


def test_rpn_without_prior_keeps_pysots_initialisation(small_rpn):
    """``prior`` None (the default) is pysot's initialisation: zero cls bias."""
    _, variables, _, _ = small_rpn
    levels = [level for level in variables["params"]["head"] if level.startswith("rpn")]
    assert levels
    for level in levels:
        np.testing.assert_array_equal(variables["params"]["head"][level]["cls"]["head_3"]["bias"], 0.0)


def test_build_from_config_dict_and_errors():
    config = ml_collections.ConfigDict({"name": "siamcar_small", "channels": 16, "groups": 4,
                                        "swap_rb": True, "pixel_mean": [1, 2, 3]})
    model = build(config)
    assert model.head.channels == 16 and model.swap_rb and model.pixel_mean == (1, 2, 3)
    with pytest.raises(JaxtrackError, match="unknown keys"):
        build({"name": "siamcar_small", "chanels": 16})
    with pytest.raises(JaxtrackError, match="unknown or missing name"):
        build({"name": "siamcar_r18"})
    assert not set(MODELS.names()) & set(BACKBONES.names())


def test_pixel_settings_are_applied(small_rpn):
    """swap_rb flips BGR to RGB before (x - mean) / std."""
    model, variables, template, search = small_rpn
    a = jax.jit(model.apply)(variables, template[..., ::-1], search[..., ::-1])
    b = jax.jit(model.clone(swap_rb=True).apply)(variables, template, search)
    np.testing.assert_allclose(np.asarray(a["cls"]), np.asarray(b["cls"]), atol=1e-5)


def test_batch_norm_training_and_frozen_backbone(small_rpn):
    """train=True updates the batch statistics of the neck and head; a frozen backbone keeps its
    running statistics."""
    model, variables, template, search = small_rpn
    for frozen in (True, False):
        variant = model.clone(backbone=model.backbone.clone(frozen_bn=frozen))
        _, updates = jax.jit(lambda v: variant.apply(v, template, search, train=True,
                                                     mutable=["batch_stats"]))(variables)
        stats = updates["batch_stats"]

        def moved(part):
            return not jax.tree.all(jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)),
                                                 stats[part], variables["batch_stats"][part]))

        assert moved("neck") and moved("head")
        assert moved("backbone") is not frozen


@pytest.mark.slow
def test_lafa_reads_the_predicted_boxes():
    """LAFA samples features inside the box from ``ltrb``: its output depends on the boxes, and
    its gradient reaches ``ltrb`` only with ``detach_boxes=False``."""
    rng = np.random.default_rng(0)
    features = jnp.asarray(rng.normal(size=(1, 5, 5, 8)), jnp.float32)
    ltrb = jnp.asarray(rng.uniform(4, 20, size=(1, 5, 5, 4)), jnp.float32)
    points = point_grid(score_size=5, stride=8, search_size=63)
    params = LAFA(grid=3, hidden=8, groups=4).init(jax.random.key(0, impl="rbg"), features,
                                                    ltrb, points)
    for detach in (True, False):
        lafa = LAFA(grid=3, hidden=8, groups=4, detach_boxes=detach)
        run = jax.jit(jax.value_and_grad(
            lambda b, f: jnp.sum(jnp.sin(lafa.apply(params, f, b, points))), (0, 1)))
        value, (grad_boxes, grad_features) = run(ltrb, features)
        assert float(run(ltrb * 2.0, features)[0]) != float(value)
        assert bool(np.abs(np.asarray(grad_boxes)).max() == 0) is detach
        assert np.abs(np.asarray(grad_features)).max() > 0


def test_xcorr_and_depthwise_conv_match_grouped_convolution():
    rng = np.random.default_rng(0)
    search, template = rng.normal(size=(2, 11, 13, 6)), rng.normal(size=(2, 4, 3, 6))
    expected = jnp.stack([jax.lax.conv_general_dilated(
        search[i:i + 1], template[i][:, :, None, :], (1, 1), "VALID",
        dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=6)[0] for i in range(2)])
    np.testing.assert_allclose(xcorr_depthwise(search, template), expected, rtol=1e-5, atol=1e-5)
    x = jnp.asarray(rng.normal(size=(1, 16, 15, 6)), jnp.float32)
    for stride, dilation in ((1, 1), (2, 1), (1, 2)):
        padding = tuple(same_padding(n, 5, stride, dilation) for n in x.shape[1:3])
        conv = DepthwiseConv(5, strides=stride, dilation=dilation, padding=padding)
        params = conv.init(jax.random.key(0), x)
        expected = jax.lax.conv_general_dilated(
            x, params["params"]["kernel"], (stride, stride), padding, rhs_dilation=(dilation, dilation),
            dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=6)
        np.testing.assert_allclose(conv.apply(params, x), expected, rtol=1e-5, atol=1e-5)
    assert shifted_sum(x, jnp.ones((3, 3, 6)), stride=2).shape == (1, 7, 7, 6)


@pytest.mark.parametrize("dilation", [1, 2])
def test_depthwise_backward_equals_autodiff_of_the_slices(dilation):
    """The hand-written gradients of the stride-1 depthwise convolution equal autodiff's."""
    key_x, key_k, key_w = jax.random.split(jax.random.key(dilation), 3)
    x = jax.random.normal(key_x, (2, 13, 11, 4))
    kernel = jax.random.normal(key_k, (3, 5, 4))
    out_shape = shifted_sum(x, kernel, dilation=dilation).shape
    weights = jax.random.normal(key_w, out_shape)

    def loss(depthwise):
        return lambda x, k: jnp.sum(jnp.tanh(depthwise(x, k)) * weights)

    expected = jax.grad(loss(lambda x, k: shifted_sum(x, k, dilation=dilation)), argnums=(0, 1))(x, kernel)
    got = jax.jit(jax.grad(loss(lambda x, k: depthwise_stride1(x, k, dilation)), argnums=(0, 1)))(x, kernel)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


def test_same_padding_puts_the_odd_pixel_after():
    assert same_padding(255, 3, 2) == (1, 1)
    assert same_padding(128, 3, 2) == (0, 1)
    assert same_padding(64, 5, 2) == (1, 2)
    assert same_padding(32, 5, 1, dilation=2) == (4, 4)


def test_bilinear_sample():
    features = jnp.arange(2 * 3 * 2, dtype=jnp.float32).reshape(2, 3, 2)
    np.testing.assert_allclose(bilinear_sample(features, jnp.array(2.0), jnp.array(1.0)),
                               features[1, 2])
    np.testing.assert_allclose(bilinear_sample(features, jnp.array(0.5), jnp.array(0.25)),
                               0.75 * (0.5 * features[0, 0] + 0.5 * features[0, 1])
                               + 0.25 * (0.5 * features[1, 0] + 0.5 * features[1, 1]))
    np.testing.assert_allclose(bilinear_sample(features, jnp.array(-1.0), jnp.array(5.0)), 0.0)
    # half a cell outside: half the border value
    np.testing.assert_allclose(bilinear_sample(features, jnp.array(-0.5), jnp.array(0.0)),
                               0.5 * features[0, 0])
    grad = jax.grad(lambda x: bilinear_sample(features, x, jnp.array(0.0))[0])(jnp.array(0.3))
    np.testing.assert_allclose(grad, features[0, 1, 0] - features[0, 0, 0])


def test_efficientnet_stride_8_plan():
    """Stages past stride 8 run at stride 1 with doubled dilation; the first block of such a
    stage keeps the previous dilation."""
    plan = block_plan((3, 4, 5, 6, 7))
    strides = [(stage, stride, dilation) for stage, _, stride, dilation, *_ in plan]
    assert strides[:5] == [(1, 1, 1), (2, 2, 1), (2, 1, 1), (3, 2, 1), (3, 1, 1)]
    assert strides[5:8] == [(4, 1, 1), (4, 1, 2), (4, 1, 2)]
    assert strides[11:] == [(6, 1, 2), (6, 1, 4), (6, 1, 4), (6, 1, 4), (7, 1, 4)]
    assert len(block_plan((3,))) == 5


def test_backbone_feature_sizes():
    for name, config, sizes in (("resnet50", {}, [(15, 512), (15, 1024), (15, 2048)]),
                                ("alexnet_legacy", {}, [(6, 256)]),
                                ("efficientnet_lite0", {}, [(16, 40), (16, 80), (16, 112)]),
                                ("small", {}, [(16, 64), (16, 64)])):
        backbone = BACKBONES.get(name)(**config)
        variables = abstract_variables(backbone)
        maps = jax.eval_shape(backbone.apply, variables, TEMPLATE)
        assert [(m.shape[1], m.shape[3]) for m in maps] == sizes, name


def test_pointwise_conv_is_a_1x1_conv_with_its_parameters():
    import flax.linen as nn

    x = jnp.asarray(np.random.default_rng(3).normal(size=(2, 5, 6, 8)), jnp.float32)
    pointwise, conv = PointwiseConv(4), nn.Conv(4, (1, 1), use_bias=False)
    variables = pointwise.init(jax.random.key(0), x)
    assert jax.tree.map(jnp.shape, variables) == jax.tree.map(jnp.shape, conv.init(jax.random.key(0), x))
    loss = lambda module: lambda v, x: jnp.sum(jnp.sin(module.apply(v, x)))
    for got, want in zip(jax.grad(loss(pointwise), (0, 1))(variables, x), jax.grad(loss(conv), (0, 1))(variables, x)):
        for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pointwise.apply(variables, x), conv.apply(variables, x), rtol=1e-5, atol=1e-5)
