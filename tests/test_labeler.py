"""The label step of training: rules looked up by name behind one signature, batched."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrack import assign
from jaxtrack.assign import label_study
from jaxtrack.errors import JaxtrackError
from jaxtrack.models import FAMILIES
from jaxtrack.models.losses import quality_focal_loss
from jaxtrack.train.labeler import make_labeler

ANCHORS, POINTS = jnp.asarray(assign.anchor_grid()), jnp.asarray(assign.point_grid())
BOXES = jnp.array([[100.0, 96.0, 164.0, 150.0], [80.0, 110.0, 170.0, 140.0], [120.0, 120.0, 131.0, 160.0]])
NEGATIVE = jnp.array([False, True, False])
STEP = 400  # the training step the labeller is called at (LADL's ramp: w = 0.4)


def _predictions(samples):
    """Boxes 'predicted' at every sample: the first target, shifted by a sample-dependent amount."""
    shift = jnp.sin(jnp.arange(samples.shape[0], dtype=jnp.float32))[:, None] * 6.0
    return jnp.broadcast_to(BOXES[0] + shift, (3, samples.shape[0], 4))


CASES = {  # config -> the direct call it stands for, for one box
    "fixed_iou": ({"name": "fixed_iou", "pos_iou": 0.5}, ANCHORS,
                  lambda gt, neg, key, pred: assign.fixed_iou(ANCHORS, gt, key, pos_iou=0.5, negative=neg)),
    "center_region": ({"name": "center_region", "margin": 0.25}, POINTS,
                      lambda gt, neg, key, pred: assign.center_region(POINTS, gt, margin=0.25, negative=neg)),
    "dla_points": ({"name": "dla", "k": 9, "statistic": "virtual_iou"}, POINTS,
                   lambda gt, neg, key, pred: assign.dla(POINTS, gt, k=9, statistic="virtual_iou", negative=neg)),
    "dla_pred_iou": ({"name": "dla", "k": 16, "statistic": "pred_iou", "keep_best": True}, POINTS,
                     lambda gt, neg, key, pred: assign.dla(POINTS, gt, k=16, statistic="pred_iou", keep_best=True,
                                                           pred_boxes=pred, negative=neg)),
    "dla_subsampled": ({"name": "dla", "k": 45, "statistic": "iou", "pos_num": 4}, ANCHORS,
                       lambda gt, neg, key, pred: assign.dla(ANCHORS, gt, k=45, statistic="iou", pos_num=4, key=key,
                                                             negative=neg)),
    "ladl_lals": ({"name": "ladl", "k": 16, "lals": {"eps": 0.2, "measure": "centerness"}}, POINTS,
                  lambda gt, neg, key, pred: assign.lals(assign.ladl(POINTS, gt, pred, k=16, step=STEP, negative=neg),
                                                         eps=0.2, measure="centerness")),
    "siamla_preset": (assign.preset("siamla_ladl_lals", POINTS), POINTS,
                      lambda gt, neg, key, pred: assign.lals(assign.ladl(POINTS, gt, pred, step=STEP, negative=neg))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_labeler_equals_the_rule_called_directly(case):
    config, samples, direct = CASES[case]
    key = jax.random.key(3)
    pred = _predictions(samples)
    got = jax.jit(make_labeler(config, samples))(BOXES, NEGATIVE, key, pred, jnp.int32(STEP))
    keys = jax.random.split(key, 3)
    expected = jax.vmap(direct)(BOXES, NEGATIVE, keys, pred)
    for name, value in got._asdict().items():
        np.testing.assert_allclose(np.asarray(value), np.asarray(getattr(expected, name)), rtol=1e-6, err_msg=name)
    assert np.all(np.asarray(got.cls)[1] != assign.POSITIVE)  # the negative pair has no positive


def test_siamcar_code_preset_labels_negative_pairs_as_positive():
    """The ``negative_pairs`` option passes the rule's check and reaches ``center_region``: with
    SiamCAR's code preset the negative pair gets the labels of a positive pair."""
    config = assign.PRESETS["siamcar_center_code"]
    assert config == {"name": "center_region", "margin": 0.3, "negative_pairs": "as_positive"}
    key, pred = jax.random.key(0), _predictions(POINTS)
    got = jax.jit(make_labeler(config, POINTS))(BOXES, NEGATIVE, key, pred)
    expected = jax.jit(make_labeler({"name": "center_region", "margin": 0.3}, POINTS))(BOXES, jnp.zeros(3, bool), key, pred)
    for name, value in got._asdict().items():
        np.testing.assert_array_equal(np.asarray(value), np.asarray(getattr(expected, name)), err_msg=name)
    assert np.any(np.asarray(got.cls)[1] == assign.POSITIVE)


@pytest.mark.parametrize("config,samples,message", [
    ({"name": "atss"}, POINTS, "unknown assigner 'atss'"),
    ({"name": "dla", "k": 9}, POINTS, "needs statistic"),
    ({"name": "dla", "k": 9, "statistic": "iou", "topk": 3}, ANCHORS, "unknown options \\['topk'\\]"),
    ({"name": "fixed_iou"}, POINTS, "needs an anchor-based model"),
    ({"name": "center_region"}, ANCHORS, "needs a point-based model"),
    ({"name": "center_region", "lals": {"measure": "area"}}, POINTS, "lals measure"),
])
def test_bad_assigner_configs_are_refused_before_tracing(config, samples, message):
    with pytest.raises(JaxtrackError, match=message):
        make_labeler(config, samples)


def test_every_registered_rule_takes_the_uniform_signature():
    gt = BOXES[0]
    for name in assign.ASSIGNERS.names():
        rule = assign.ASSIGNERS.get(name)
        samples = ANCHORS if rule.geometry == "anchors" else POINTS
        options = {"k": 9, "statistic": "centerness"} if "k" in rule.required else {}
        labels = rule(samples, gt, key=jax.random.key(0), negative=False, pred_boxes=_predictions(samples)[0],
                      **options)
        assert labels.cls.shape == (samples.shape[0],) and int(jnp.sum(labels.cls == assign.POSITIVE)) > 0, name


def test_labeler_step_defaults_to_zero_and_is_ignored_by_rules_without_a_schedule():
    key, pred = jax.random.key(0), _predictions(POINTS)
    ladl = make_labeler({"name": "ladl"}, POINTS)
    positive = np.asarray(ladl(BOXES, NEGATIVE, key, pred).cls) == assign.POSITIVE
    np.testing.assert_array_equal(np.asarray(ladl(BOXES, NEGATIVE, key, pred).soft)[positive], 1.0)  # w = 0
    assert np.any(np.asarray(ladl(BOXES, NEGATIVE, key, pred, 10_000).soft)[positive] < 1)
    dla = jax.jit(make_labeler(assign.preset("dla_plus", POINTS), POINTS))
    for a, b in zip(dla(BOXES, NEGATIVE, key, pred, jnp.int32(0)), dla(BOXES, NEGATIVE, key, pred, jnp.int32(999))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("measure", ["centerness", "pred_iou"])
def test_no_gradient_flows_through_the_labels_to_the_predicted_boxes(measure):
    config = {**assign.preset("siamla_ladl", POINTS), "lals": {"eps": 0.1, "measure": measure}}
    labeler = make_labeler(config, POINTS)
    logits = jnp.zeros((3, POINTS.shape[0], 2))

    def loss(pred):
        labels = labeler(BOXES, NEGATIVE, jax.random.key(0), pred, jnp.int32(10_000))
        return quality_focal_loss(logits, labels) + jnp.sum(labels.soft) + jnp.sum(labels.box_weight)

    grad = jax.grad(loss)(_predictions(POINTS))
    assert np.all(np.asarray(grad) == 0)


def _study_population(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return jnp.asarray(label_study.search_crop_boxes(label_study.synthetic_frame_boxes(n, rng), rng))


def test_every_preset_resolves_and_labels_the_study_population_under_jit():
    boxes = _study_population()
    negative = jnp.zeros(len(boxes), bool)
    key = jax.random.key(0)
    without_positive = {}
    for name in assign.PRESETS:
        for geometry, samples in (("anchors", ANCHORS), ("points", POINTS)):
            try:
                config = assign.preset(name, geometry)
            except JaxtrackError:
                continue
            pred = jnp.broadcast_to(_predictions(samples)[0], (len(boxes), samples.shape[0], 4))
            labels = jax.jit(make_labeler(config, samples))(boxes, negative, key, pred, jnp.int32(0))
            assert labels.cls.shape == (len(boxes), samples.shape[0]), name
            assert all(np.all(np.isfinite(np.asarray(v))) for v in labels), name
            counts = np.asarray(jnp.sum(labels.cls == assign.POSITIVE, axis=-1))
            without_positive[name, geometry] = float((counts == 0).mean())
    assert set(without_positive) == {
        ("pysot_fixed_iou", "anchors"), ("siamcar_center", "points"), ("siamcar_center_code", "points"),
        ("dla_atss", "anchors"), ("dla_atss", "points"),
        ("dla_atss_banded", "anchors"), ("dla_plus", "anchors"), ("dla_plus", "points"), ("siamla_ladl", "points"),
        ("siamla_ladl_lals", "points")}
    assert without_positive["dla_atss", "points"] > 0.2  # ATSS's k = 9 leaves small targets without a positive
    assert without_positive["dla_plus", "points"] == 0
    assert without_positive["siamla_ladl", "points"] == without_positive["siamla_ladl_lals", "points"] == 0


def test_presets_resolve_by_sample_kind_or_family():
    assert assign.preset("dla_atss", FAMILIES.get("siamrpn")) == assign.preset("dla_atss", ANCHORS) == {
        "name": "dla", "k": 45, "statistic": "iou", "std_scale": 1.0}
    assert assign.preset("dla_atss", FAMILIES.get("siamcar"))["k"] == 9
    assert assign.preset("dla_atss_banded", "anchors")["neg_iou"] == 0.3
    assert dict(FAMILIES.get("siamla").assigner) == assign.preset("siamla_ladl_lals", "points")
    assert "keep_best" not in assign.preset("dla_atss", "points")
    resolved = assign.preset("siamla_ladl_lals", POINTS)
    resolved["lals"]["eps"] = 0.5  # a fresh copy: the table is not changed
    assert assign.PRESETS["siamla_ladl_lals"]["points"]["lals"]["eps"] == 0.1
    for name, geometry, message in (("atss", "points", "unknown label preset"),
                                    ("dla_atss_banded", "points", "defined for anchors, not points"),
                                    ("siamcar_center", "anchors", "assigns over points"),
                                    ("dla_atss", "cells", "unknown sample kind")):
        with pytest.raises(JaxtrackError, match=message):
            assign.preset(name, geometry)
