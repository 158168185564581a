"""Loss values against direct NumPy evaluations of the reference formulas, and gradient flow from
every loss through the outputs (and a small model) with each matching assigner."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrack.assign import (Labels, anchor_grid, center_region, decode, dla, fixed_iou, ladl, lals,
                             point_grid)
from jaxtrack.errors import JaxtrackError
from jaxtrack.models import build, make_objective
from jaxtrack.models import losses as L
from jaxtrack.models.losses import losses


def labels_of(**fields):
    n = len(fields["cls"][0])
    defaults = dict(soft=np.zeros((1, n)), box=np.zeros((1, n, 4)), box_weight=np.zeros((1, n)),
                    centerness=np.zeros((1, n)), iou=np.zeros((1, n)))
    defaults.update(fields)
    return Labels(**{k: jnp.asarray(v, jnp.int32 if k == "cls" else jnp.float32)
                     for k, v in defaults.items()})


def log_softmax(x):
    x = np.asarray(x, np.float64)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def bce(logit, target):
    p = 1.0 / (1.0 + np.exp(-np.asarray(logit, np.float64)))
    return -(target * np.log(p) + (1 - target) * np.log(1 - p))


CLS = np.array([[[0.3, -1.0], [2.0, 0.5], [-0.2, 0.1], [1.5, 1.5], [0.0, 3.0]]], np.float32)


def test_cross_entropy_is_pysots():
    labels = labels_of(cls=[[1, 0, -1, 0, 1]])
    logp = log_softmax(CLS[0])
    expected = 0.5 * np.mean(-logp[[0, 4], 1]) + 0.5 * np.mean(-logp[[1, 3], 0])
    np.testing.assert_allclose(L.cross_entropy(CLS, labels), expected, rtol=1e-6)
    # no positive (a negative pair): pysot's empty selection contributes 0
    only_negatives = labels_of(cls=[[0, 0, -1, 0, 0]])
    np.testing.assert_allclose(L.cross_entropy(CLS, only_negatives),
                               0.5 * np.mean(-logp[[0, 1, 3, 4], 0]), rtol=1e-6)


def test_weighted_l1_is_pysots():
    rng = np.random.default_rng(0)
    loc, box = rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 4))
    weight = np.array([[0.5, 0, 0.5, 0, 0], [0, 1.0, 0, 0, 0]])
    labels = Labels(cls=jnp.zeros((2, 5), jnp.int32), soft=jnp.zeros((2, 5)), box=box,
                    box_weight=weight, centerness=jnp.zeros((2, 5)), iou=jnp.zeros((2, 5)))
    expected = np.sum(np.abs(loc - box).sum(-1) * weight) / 2
    np.testing.assert_allclose(L.weighted_l1(jnp.asarray(loc), labels), expected, rtol=1e-6)


def test_iou_and_centerness_losses_are_siamcars():
    pred = np.array([[[10, 10, 10, 10], [5, 8, 12, 3], [1, 1, 1, 1], [4, 4, 4, 4]]], np.float32)
    target = np.array([[[8, 12, 10, 9], [6, 6, 6, 6], [-3, 2, 5, 1], [4, 4, 4, 4]]], np.float32)
    centerness = np.array([[0.8, 1.0, 0.0, 0.5]])
    cen_logits = np.array([[0.2, -0.4, 3.0, 1.0]], np.float32)
    labels = labels_of(cls=[[1, 1, 0, 0]], box=target, box_weight=[[1, 1, 0, 0]],
                       centerness=centerness)

    def siamcar_iou(p, t):
        area_t = (t[0] + t[2]) * (t[1] + t[3])
        area_p = (p[0] + p[2]) * (p[1] + p[3])
        inter = (min(p[0], t[0]) + min(p[2], t[2])) * (min(p[1], t[1]) + min(p[3], t[3]))
        return -np.log((inter + 1) / (area_t + area_p - inter + 1))

    per_sample = np.array([siamcar_iou(pred[0, i], target[0, i]) for i in range(2)])
    expected = np.sum(per_sample * centerness[0, :2]) / centerness[0, :2].sum()
    np.testing.assert_allclose(L.iou_loss(pred, labels), expected, rtol=1e-6)
    np.testing.assert_allclose(L.centerness_loss(cen_logits, labels),
                               np.mean(bce(cen_logits[0, :2], centerness[0, :2])), rtol=1e-6)
    # all centerness targets 0 at the positives: SiamCAR falls back to the plain mean
    flat = labels._replace(centerness=jnp.zeros_like(labels.centerness))
    np.testing.assert_allclose(L.iou_loss(pred, flat), per_sample.mean(), rtol=1e-6)
    # no positive: 0, and finite gradients despite the invalid targets elsewhere
    none = labels._replace(box_weight=jnp.zeros_like(labels.box_weight))
    assert float(L.iou_loss(pred, none)) == 0.0
    assert np.isfinite(np.asarray(jax.grad(L.iou_loss)(jnp.asarray(pred), labels))).all()


def test_focal_and_quality_focal_losses():
    labels = labels_of(cls=[[1, 0, -1, 0, 1]], soft=[[0.7, 0.0, 0.0, 0.2, 0.9]])
    z = CLS[0, :, 1].astype(np.float64) - CLS[0, :, 0]
    p = 1.0 / (1.0 + np.exp(-z))
    target = np.array([1, 0, 0, 0, 1.0])
    p_t = np.where(target == 1, p, 1 - p)
    alpha_t = np.where(target == 1, 0.25, 0.75)
    focal = -alpha_t * (1 - p_t) ** 2 * np.log(p_t)
    valid = np.array([1, 1, 0, 1, 1], bool)
    np.testing.assert_allclose(L.sigmoid_focal_loss(CLS, labels), focal[valid].sum() / 2, rtol=1e-5)
    y = np.array([0.7, 0.0, 0.0, 0.2, 0.9])
    qfl = -np.abs(y - p) ** 2 * ((1 - y) * np.log(1 - p) + y * np.log(p))
    np.testing.assert_allclose(L.quality_focal_loss(CLS, labels), qfl[valid].sum() / 2, rtol=1e-5)


def test_quality_focal_loss_skips_ignored_samples_and_pools_positives_over_the_batch():
    cls = np.stack([CLS[0], CLS[0][::-1]])
    labels = labels_of(cls=[[1, 0, -1, 0, 1], [-1, -1, 0, 1, 0]], soft=[[0.7, 0, 0, 0.2, 0.9], [0, 0, 0.1, 0.8, 0]])
    z = cls[..., 1].astype(np.float64) - cls[..., 0]
    p = 1.0 / (1.0 + np.exp(-z))
    y = np.asarray(labels.soft, np.float64)
    qfl = -np.abs(y - p) ** 2 * ((1 - y) * np.log(1 - p) + y * np.log(p))
    valid = np.asarray(labels.cls) >= 0
    np.testing.assert_allclose(L.quality_focal_loss(cls, labels), qfl[valid].sum() / 3, rtol=1e-5)
    moved = cls.copy()
    moved[~valid] = [-5.0, 5.0]  # ignored samples may predict anything
    np.testing.assert_allclose(L.quality_focal_loss(moved, labels), L.quality_focal_loss(cls, labels), rtol=1e-6)


def test_quality_map_loss_targets_the_predicted_iou():
    pred = np.array([[[10, 10, 10, 10], [5, 5, 5, 5], [2, 2, 2, 2]]], np.float32)
    target = np.array([[[10, 10, 10, 10], [10, 10, 10, 10], [-1, 3, 3, 3]]], np.float32)
    logits = np.array([[1.0, -0.5, 2.0]], np.float32)
    labels = labels_of(cls=[[1, 0, 0]], box=target, box_weight=[[1, 0, 0]])
    np.testing.assert_allclose(L.quality_map_loss(logits, pred, labels), bce(1.0, 1.0), rtol=1e-5)
    inside = L.quality_map_loss(logits, pred, labels, region="inside")  # samples 0 and 1
    np.testing.assert_allclose(inside, (bce(1.0, 1.0) + bce(-0.5, 0.25)) / 2, rtol=1e-5)
    with pytest.raises(ValueError, match="region"):
        L.quality_map_loss(logits, pred, labels, region="all")


BOXES = np.array([[100, 96, 164, 150], [80, 110, 170, 140]], np.float32)  # xyxy search-crop pixels


def random_outputs(family, seed=0):
    """Model-shaped outputs: SiamRPN++ (anchors) or SiamLA (points; SiamCAR's plus ``quality``),
    batch 2, 25x25."""
    rng = np.random.default_rng(seed)
    n = 625 * 5 if family == "siamrpn" else 625
    outputs = {"cls": rng.normal(size=(2, n, 2))}
    if family == "siamrpn":
        outputs["loc"] = 0.1 * rng.normal(size=(2, n, 4))
    else:
        outputs["ltrb"] = np.exp(rng.normal(3.0, 0.3, size=(2, n, 4)))
        outputs["cen"] = rng.normal(size=(2, n))
        outputs["quality"] = rng.normal(size=(2, n))
    return {k: jnp.asarray(v, jnp.float32) for k, v in outputs.items()}


@functools.partial(jax.jit, static_argnums=0)
def batched(assign, samples, outputs):
    """Labels for the two BOXES from ``assign(samples, gt, key, pred_boxes)``."""
    pred = decode(samples, outputs["loc" if "loc" in outputs else "ltrb"])
    keys = jax.random.split(jax.random.key(0), 2)
    return jax.vmap(lambda gt, key, p: assign(samples, gt, key, p))(jnp.asarray(BOXES), keys, pred)


ANCHORS, POINTS = jnp.asarray(anchor_grid()), jnp.asarray(point_grid())
CASES = {  # name -> (model family, samples, assign(samples, gt, key, pred_boxes), cls_loss)
    "fixed_iou": ("siamrpn", ANCHORS, lambda s, g, k, p: fixed_iou(s, g, k), "ce"),
    "dla_anchors": ("siamrpn", ANCHORS, lambda s, g, k, p: dla(s, g, k=45, statistic="iou"), "ce"),
    "center_region": ("siamla", POINTS, lambda s, g, k, p: center_region(s, g), "ce"),
    "dla_points": ("siamla", POINTS, lambda s, g, k, p: dla(s, g, k=9, statistic="virtual_iou"), "focal"),
    "ladl_points": ("siamla", POINTS, lambda s, g, k, p: ladl(s, g, p, statistic="virtual_iou"), "qfl"),
    "lals": ("siamla", POINTS, lambda s, g, k, p: lals(center_region(s, g), eps=0.2), "qfl"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_gradients_reach_every_output(case):
    family, samples, assign, cls_loss = CASES[case]
    outputs = random_outputs(family)

    def total(outs):
        labels = batched(assign, samples, jax.lax.stop_gradient(outs))
        terms = losses(outs, labels, family, cls_loss=cls_loss)
        return sum(terms.values()), (terms, jnp.sum(labels.cls == 1))

    grads, (terms, positives) = jax.jit(jax.grad(total, has_aux=True))(outputs)
    assert int(positives) > 0
    assert set(terms) == ({"cls", "loc"} if family == "siamrpn" else {"cls", "loc", "cen", "quality"})
    for name, grad in grads.items():
        grad = np.asarray(grad)
        assert np.isfinite(grad).all() and np.abs(grad).max() > 0, name
    assert all(np.isfinite(float(v)) and float(v) > 0 for v in terms.values())


def test_initial_losses_follow_the_prior():
    """A freshly initialised CAR head predicts foreground probability p = 0.01 everywhere, so on
    SiamCAR's labels every classification loss starts at its value for p: cross-entropy
    ``-0.5 log p - 0.5 log(1 - p)``, focal and QFL dominated by the positives'
    ``(1 - p)^2 (-log p)`` (times alpha for focal); the ~600 negatives of a pair add ~p^2 p each, so a
    negative pair (no positives) costs almost nothing."""
    model = build({"name": "siamcar_small"})
    rng = np.random.default_rng(0)
    template = rng.uniform(0, 255, (2, 127, 127, 3)).astype(np.float32)
    search = rng.uniform(0, 255, (2, 255, 255, 3)).astype(np.float32)
    variables = jax.jit(model.init)(jax.random.key(0, impl="rbg"), template, search)
    cls = jax.jit(model.apply)(variables, template, search)["cls"]
    p = 0.01
    for negative in (False, True):
        labels = jax.vmap(lambda gt: center_region(POINTS, gt, negative=negative))(jnp.asarray(BOXES))
        positives = int(jnp.sum(labels.cls == 1))
        assert (positives > 0) is not negative
        if not negative:
            np.testing.assert_allclose(L.cross_entropy(cls, labels), -0.5 * np.log(p) - 0.5 * np.log(1 - p),
                                       rtol=0.02)
            np.testing.assert_allclose(L.sigmoid_focal_loss(cls, labels), 0.25 * (1 - p) ** 2 * -np.log(p),
                                       rtol=0.05)
            np.testing.assert_allclose(L.quality_focal_loss(cls, labels), (1 - p) ** 2 * -np.log(p), rtol=0.05)
        else:  # summed over the negatives of the two pairs, divided by max(#pos, 1) = 1
            assert float(L.quality_focal_loss(cls, labels)) / 2 < 0.05
            assert float(L.sigmoid_focal_loss(cls, labels)) / 2 < 0.05


def test_mismatched_geometry_is_rejected():
    outputs = random_outputs("siamla")
    labels = batched(CASES["fixed_iou"][2], ANCHORS, random_outputs("siamrpn"))
    with pytest.raises(ValueError, match="anchors vs points"):
        losses(outputs, labels, "siamla")


@pytest.mark.slow
def test_model_parameters_receive_gradients():
    """End to end: small SiamLA model -> outputs -> LADL labels from its own predicted boxes ->
    weighted objective; every parameter array of the head (CAR towers, quality branch) gets a
    finite, non-zero gradient (the backbone's are Flax's business and left out to keep the
    compile short)."""
    _, samples, rule, _ = CASES["ladl_points"]
    model = build({"name": "siamla_small"})
    rng = np.random.default_rng(1)
    template = jnp.asarray(rng.uniform(0, 255, (2, 127, 127, 3)), jnp.float32)
    search = jnp.asarray(rng.uniform(0, 255, (2, 255, 255, 3)), jnp.float32)
    variables = jax.jit(model.init)(jax.random.key(0, impl="rbg"), template, search)
    objective = make_objective({"name": "siamla"}, model.family)

    def loss(head):
        params = {**variables["params"], "head": head}
        outputs, _ = model.apply({**variables, "params": params}, template, search, train=True,
                                 mutable=["batch_stats"])
        labels = batched(rule, samples, jax.lax.stop_gradient(outputs))
        return objective(outputs, labels)["total"]

    grads = jax.jit(jax.grad(loss))(variables["params"]["head"])
    for path, grad in jax.tree_util.tree_flatten_with_path(grads)[0]:
        grad = np.asarray(grad)
        assert np.isfinite(grad).all(), path
        assert np.abs(grad).max() > 0, path


def test_objective_presets():
    outputs = random_outputs("siamrpn")
    labels = batched(CASES["fixed_iou"][2], ANCHORS, outputs)
    terms = make_objective({"name": "siamrpn"}, "siamrpn")(outputs, labels)
    np.testing.assert_allclose(terms["total"], terms["cls"] + 1.2 * terms["loc"], rtol=1e-6)
    default = make_objective(None, "siamrpn")(outputs, labels)  # the family's own preset
    np.testing.assert_allclose(default["total"], terms["total"], rtol=1e-6)
    custom = make_objective({"name": "siamrpn", "weights": {"cls": 2.0, "loc": 0.0}}, "siamrpn")(outputs, labels)
    np.testing.assert_allclose(custom["total"], 2.0 * terms["cls"], rtol=1e-6)
    with pytest.raises(JaxtrackError, match="unknown name"):
        make_objective({"name": "fcos"}, "siamrpn")
    with pytest.raises(JaxtrackError, match="weights for"):
        make_objective({"name": "siamcar"}, "siamrpn")
    with pytest.raises(JaxtrackError, match="unknown options"):
        make_objective({"name": "siamrpn", "gamma": 2.0}, "siamrpn")
    with pytest.raises(JaxtrackError, match="unknown classification loss"):
        make_objective({"cls_loss": "hinge"}, "siamcar")
    with pytest.raises(JaxtrackError, match="unknown model family"):
        make_objective(None, "fcos")
