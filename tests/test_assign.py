"""Label assigners: agreement with NumPy statements of the reference rules, and invariants."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jaxtrack import assign
from jaxtrack import boxes as bx
from jaxtrack.assign import label_study
from jaxtrack.assign import labels as lb
from reference import numpy_assign as ref

ANCHORS = assign.anchor_grid()
POINTS = assign.point_grid()
PYSOT = ref.AnchorTargetNp(ANCHORS)

fixed_jit = jax.jit(lambda gt, key: assign.fixed_iou(ANCHORS, gt, key))
fixed_negative_jit = jax.jit(lambda gt, key: assign.fixed_iou(ANCHORS, gt, key, negative=True))
center_jit = jax.jit(lambda gt: assign.center_region(POINTS, gt))


@st.composite
def crop_boxes(draw):
    """xyxy boxes as search crops show them: any scale from tiny to larger than the crop, any
    aspect ratio, centres anywhere including outside the crop."""
    cx = draw(st.floats(-40, 295, allow_nan=False, allow_subnormal=False))
    cy = draw(st.floats(-40, 295, allow_nan=False, allow_subnormal=False))
    w = draw(st.floats(0.5, 400, allow_nan=False, allow_subnormal=False))
    h = draw(st.floats(0.5, 400, allow_nan=False, allow_subnormal=False))
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)


def pysot_anchor_grid(score_size=25, stride=8, search_size=255, ratios=(0.33, 0.5, 1, 2, 3)):
    """pysot's Anchors.generate_all_anchors restated, in pysot's (4, A, S, S) layout."""
    sizes = []
    for r in ratios:
        ws = int(math.sqrt(stride * stride / r))
        hs = int(ws * r)
        sizes.append((ws * 8, hs * 8))
    a0 = search_size // 2 - score_size // 2 * stride
    out = np.zeros((4, len(ratios), score_size, score_size), np.float32)
    for a, (w, h) in enumerate(sizes):
        for i in range(score_size):
            for j in range(score_size):
                cx, cy = a0 + j * stride, a0 + i * stride
                out[:, a, i, j] = (cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5)
    return out


def test_anchor_grid_is_pysots():
    expected = ref.AnchorTargetNp.to_sample_order(pysot_anchor_grid())
    np.testing.assert_array_equal(ANCHORS, expected)
    assert ANCHORS.shape == (25 * 25 * 5, 4) and ANCHORS.dtype == np.float32
    centers = (ANCHORS[:, :2] + ANCHORS[:, 2:]) / 2
    assert centers.min() == 31 and centers.max() == 223
    np.testing.assert_array_equal(assign.base_anchor_sizes(), [[104, 32], [88, 40], [64, 64], [40, 80], [32, 96]])


def test_point_grid_is_siamcars():
    assert POINTS.shape == (625, 2) and POINTS.dtype == np.float32
    np.testing.assert_array_equal(POINTS[:25, 0], 8 * np.arange(25) + 32)
    np.testing.assert_array_equal(POINTS[::25, 1], 8 * np.arange(25) + 32)


def test_geometry_arguments_are_overridable():
    anchors = assign.anchor_grid(score_size=17, stride=8, search_size=255, ratios=(1,), scales=(4, 8))
    assert anchors.shape == (17 * 17 * 2, 4)
    assert assign.point_grid(score_size=31, stride=4).shape == (31 * 31, 2)


@settings(max_examples=60, deadline=None)
@given(gt=crop_boxes(), seed=st.integers(0, 2**31 - 1))
def test_fixed_iou_matches_pysot(gt, seed):
    labels = fixed_jit(gt, jax.random.key(seed))
    cls, delta, delta_weight, overlap = PYSOT(gt, np.random.default_rng(seed))
    overlap = ref.AnchorTargetNp.to_sample_order(overlap)
    pos_candidates, neg_candidates = overlap > 0.6, overlap < 0.3
    # candidate sets before subsampling equal pysot's
    iou = np.asarray(labels.iou)
    np.testing.assert_array_equal(iou > 0.6, pos_candidates)
    np.testing.assert_array_equal(iou < 0.3, neg_candidates)
    np.testing.assert_allclose(iou, overlap, atol=1e-6)
    got = np.asarray(labels.cls)
    positive, negative = got == 1, got == 0
    assert np.all(pos_candidates[positive]) and np.all(neg_candidates[negative])
    assert positive.sum() == min(16, pos_candidates.sum()) == (cls == 1).sum()
    assert negative.sum() == min(48, neg_candidates.sum()) == (cls == 0).sum()
    weight = np.asarray(labels.box_weight)
    np.testing.assert_allclose(weight[positive], 1.0 / (positive.sum() + 1e-6), rtol=1e-6)
    assert np.all(weight[~positive] == 0)
    np.testing.assert_allclose(np.asarray(labels.box), ref.AnchorTargetNp.to_sample_order(delta),
                               rtol=1e-5, atol=1e-5)


@settings(max_examples=30, deadline=None)
@given(gt=crop_boxes().filter(lambda b: np.all((b[:2] + b[2:]) / 2 >= 0) and np.all((b[:2] + b[2:]) / 2 <= 255)),
       seed=st.integers(0, 2**31 - 1))
def test_fixed_iou_negative_pair_matches_pysot_window(gt, seed):
    # Centres inside the crop: beyond it pysot's slice end goes negative and wraps (see fixed_iou).
    labels = fixed_negative_jit(gt, jax.random.key(seed))
    cls, *_ = PYSOT(gt, np.random.default_rng(seed), neg=True)
    # pysot's window: everything the window could hold, found by selecting all of it
    window_target = ref.AnchorTargetNp(ANCHORS, neg_num=10**6)
    window = ref.AnchorTargetNp.to_sample_order(window_target(gt, np.random.default_rng(0), neg=True)[0]) == 0
    got = np.asarray(labels.cls)
    assert not np.any(got == 1)
    assert np.all(window[got == 0])
    assert (got == 0).sum() == min(16, window.sum()) == (cls == 0).sum()


@settings(max_examples=60, deadline=None)
@given(gt=crop_boxes())
def test_center_region_matches_siamcar(gt):
    labels = center_jit(gt)
    expected = ref.center_region_np(POINTS, gt)
    np.testing.assert_array_equal(np.asarray(labels.cls), expected["cls"])
    np.testing.assert_allclose(np.asarray(labels.box), expected["ltrb"], rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(np.asarray(labels.centerness), expected["centerness"], atol=1e-6)
    positive = expected["cls"] == 1
    np.testing.assert_array_equal(np.asarray(labels.box_weight), positive.astype(np.float32))


def test_center_region_negative_pairs_option():
    """``negative_pairs="as_positive"`` (SiamCAR's code) labels a negative pair exactly as a positive
    pair with the same box; the default gives it no positive. Under jit(vmap) with a traced flag."""
    boxes = _batch_boxes(8)
    negative = jnp.array([True, False] * 4)

    def batched(negative_pairs):
        label = functools.partial(assign.center_region, POINTS, negative_pairs=negative_pairs)
        return jax.jit(jax.vmap(lambda g, n: label(g, negative=n)))(boxes, negative)

    as_positive, default = batched("as_positive"), batched("negative")
    positive_pairs = jax.vmap(lambda g: assign.center_region(POINTS, g))(boxes)
    np.testing.assert_array_equal(np.asarray(as_positive.cls), np.asarray(positive_pairs.cls))
    for field, a, b in zip(positive_pairs._fields, as_positive, positive_pairs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6, err_msg=field)  # jit vs eager
    assert np.all(np.asarray(positive_pairs.cls).max(1) == 1)
    cls = np.asarray(default.cls)
    assert not np.any(cls[::2] == 1) and np.all(cls[::2] == 0)
    np.testing.assert_array_equal(cls[1::2], np.asarray(positive_pairs.cls)[1::2])
    with pytest.raises(ValueError, match="negative_pairs 'ignore'"):
        assign.center_region(POINTS, boxes[0], negative_pairs="ignore")


def _statistic_np(samples, gt, statistic):
    if statistic == "iou":
        return ref.iou_np(samples, gt)
    centers = samples if samples.shape[1] == 2 else (samples[:, :2] + samples[:, 2:]) / 2
    if statistic == "virtual_iou":
        return ref.iou_np(np.concatenate([centers - 32, centers + 32], 1), gt)
    return ref.center_region_np(centers, gt)["centerness"]


DLA_CASES = [(ANCHORS, "iou", 45), (POINTS, "virtual_iou", 9), (POINTS, "centerness", 9),
             (ANCHORS, "virtual_iou", 45)]
DLA_JITS = [jax.jit(lambda gt, std_scale, s=s, stat=stat, k=k: assign.dla(
    s, gt, k=k, statistic=stat, std_scale=std_scale)) for s, stat, k in DLA_CASES]


@settings(max_examples=60, deadline=None)
@given(gt=crop_boxes(), case=st.integers(0, len(DLA_CASES) - 1), std_scale=st.sampled_from([0.0, 0.5, 1.0, 2.0]))
def test_dla_matches_atss(gt, case, std_scale):
    samples, statistic, k = DLA_CASES[case]
    centers = samples if samples.shape[1] == 2 else (samples[:, :2] + samples[:, 2:]) / 2
    distances = np.sort(((centers - (gt[:2] + gt[2:]) / 2).astype(np.float64) ** 2).sum(1))
    # the k-th and (k+1)-th nearest tied (e.g. a centre on the diagonal between two points): either
    # is a valid candidate set, and float32 rounding picks one, differently under jit
    assume(distances[k] - distances[k - 1] > 1e-3)
    labels = DLA_JITS[case](gt, std_scale)
    values = _statistic_np(samples, gt, statistic)
    expected = ref.atss_np(centers, values, gt, k=k, std_scale=std_scale)
    got = np.asarray(labels.cls)
    # everything is positive or negative (ATSS has no ignore band)
    assert set(np.unique(got)) <= {0, 1}
    mismatch = (got == 1) != expected
    if mismatch.any():
        # only float32-vs-float64 rounding at the threshold may differ
        order = np.argsort(((centers - (gt[:2] + gt[2:]) / 2) ** 2).sum(1), kind="stable")[:k]
        chosen = values[order].astype(np.float64)
        threshold = chosen.mean() + std_scale * chosen.std(ddof=1)
        assert np.all(np.abs(values[mismatch] - threshold) < 1e-5)


def test_dla_positives_are_nearest_and_inside():
    gt = np.array([90.0, 100.0, 170.0, 140.0], np.float32)
    labels = assign.dla(ANCHORS, gt, k=45, statistic="iou")
    positive = np.asarray(labels.cls) == 1
    assert 0 < positive.sum() <= 45
    centers = (ANCHORS[positive, :2] + ANCHORS[positive, 2:]) / 2
    assert np.all((centers > gt[:2]) & (centers < gt[2:]))


def test_dla_pred_iou_needs_predictions():
    with pytest.raises(ValueError, match="pred_boxes"):
        assign.dla(POINTS, jnp.array([100.0, 100, 150, 150]), k=9, statistic="pred_iou")
    with pytest.raises(ValueError, match="unknown statistic"):
        assign.dla(POINTS, jnp.array([100.0, 100, 150, 150]), k=9, statistic="area")


def test_dla_neg_iou_and_subsampling():
    gt = jnp.array([100.0, 100.0, 160.0, 150.0])
    full = assign.dla(ANCHORS, gt, k=45, statistic="iou")
    banded = assign.dla(ANCHORS, gt, k=45, statistic="iou", neg_iou=0.3)
    np.testing.assert_array_equal(full.cls == 1, banded.cls == 1)
    assert np.all(np.asarray(banded.iou)[np.asarray(banded.cls) == 0] < 0.3)
    assert (banded.cls == -1).sum() > 0
    sampled = assign.dla(ANCHORS, gt, k=45, statistic="iou", key=jax.random.key(0), pos_num=4, total_num=20)
    assert (sampled.cls == 1).sum() == min(4, (full.cls == 1).sum())
    assert (sampled.cls == 0).sum() == 16
    with pytest.raises(ValueError, match="key"):
        assign.dla(ANCHORS, gt, k=45, statistic="iou", pos_num=4)


BATCH = 256


def _batch_boxes(n=BATCH, seed=0):
    rng = np.random.default_rng(seed)
    centre = 127 + rng.uniform(-80, 80, (n, 2))
    wh = np.exp(rng.uniform(np.log(8), np.log(250), (n, 2)))
    return jnp.asarray(np.concatenate([centre - wh / 2, centre + wh / 2], 1), jnp.float32)


def _pred_boxes(gt, key):
    noise = jax.random.normal(key, (POINTS.shape[0], 4)) * 8.0
    return jnp.broadcast_to(gt, (POINTS.shape[0], 4)) + noise


ALL_ASSIGNERS = {
    "fixed_iou": lambda gt, key: assign.fixed_iou(ANCHORS, gt, key),
    "center_region": lambda gt, key: assign.center_region(POINTS, gt),
    "dla_anchors": lambda gt, key: assign.dla(ANCHORS, gt, k=45, statistic="iou"),
    "dla_points": lambda gt, key: assign.dla(POINTS, gt, k=9, statistic="virtual_iou"),
    "dla_pred_iou": lambda gt, key: assign.dla(POINTS, gt, k=9, statistic="pred_iou",
                                               pred_boxes=_pred_boxes(gt, key)),
    "ladl": lambda gt, key: assign.ladl(POINTS, gt, _pred_boxes(gt, key)),
    "ladl_lals": lambda gt, key: assign.lals(assign.ladl(POINTS, gt, _pred_boxes(gt, key)), eps=0.2),
    "ladl_midway": lambda gt, key: assign.ladl(POINTS, gt, _pred_boxes(gt, key), step=jnp.int32(500)),
}


@pytest.mark.parametrize("name", sorted(ALL_ASSIGNERS))
def test_jit_vmap_equals_loop_and_eager(name):
    fn = ALL_ASSIGNERS[name]
    boxes = _batch_boxes()
    keys = jax.random.split(jax.random.key(1), BATCH)
    batched = jax.jit(jax.vmap(fn))(boxes, keys)
    assert batched.cls.shape[0] == BATCH and batched.cls.dtype == jnp.int32
    for i in (0, 7, 100, 255):
        single = fn(boxes[i], keys[i])  # eager, no jit
        for field, a, b in zip(single._fields, single, batched):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b[i]), rtol=1e-5, atol=1e-5, err_msg=field)
    for field, value in zip(batched._fields, batched):
        assert np.all(np.isfinite(np.asarray(value))), field


def test_fixed_iou_is_deterministic_per_key_and_random_across_keys():
    gt = jnp.array([60.0, 60.0, 200.0, 190.0])
    a = fixed_jit(gt, jax.random.key(3))
    b = fixed_jit(gt, jax.random.key(3))
    c = fixed_jit(gt, jax.random.key(4))
    np.testing.assert_array_equal(a.cls, b.cls)
    assert np.any(np.asarray(a.cls) != np.asarray(c.cls))


def test_subsample_is_uniform():
    mask = jnp.array([True, False, True, True, False, True, True])  # 5 candidates, keep 2
    draw = jax.jit(jax.vmap(lambda k: assign.subsample(mask, k, 2)))
    picks = np.asarray(draw(jax.random.split(jax.random.key(0), 20000)))
    assert np.all(picks.sum(1) == 2) and not picks[:, [1, 4]].any()
    codes = picks.astype(np.int64) @ (1 << np.arange(7))
    counts = np.bincount(codes, minlength=128)[counts_index(mask)]
    expected = 20000 / 10
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 30  # 9 degrees of freedom: p ~ 4e-4


def counts_index(mask):
    idx = np.flatnonzero(np.asarray(mask))
    return [(1 << int(i)) | (1 << int(j)) for n, i in enumerate(idx) for j in idx[n + 1:]]


@pytest.mark.parametrize("count,num", [(0, 5), (3, 5), (5, 5), (3000, 48), (10, 0)])
def test_subsample_counts(count, num):
    mask = jnp.zeros(3125, bool).at[jnp.arange(count) * (3125 // max(count, 1))].set(True)
    kept = assign.subsample(mask, jax.random.key(0), num)
    assert int(kept.sum()) == min(num, count)
    assert not np.any(np.asarray(kept) & ~np.asarray(mask))


def test_subsample_traced_budget():
    mask = jnp.ones(100, bool)
    fn = jax.jit(jax.vmap(lambda n, k: assign.subsample(mask, k, n, max_num=10)))
    kept = fn(jnp.array([0, 3, 10]), jax.random.split(jax.random.key(0), 3))
    np.testing.assert_array_equal(kept.sum(1), [0, 3, 10])


@pytest.mark.parametrize("bad", [[np.nan, 10, 50, 60], [10, 10, 10, 60], [50, 10, 40, 60], [10, 60, 50, 10],
                                 [np.inf, 0, 10, 10]])
@pytest.mark.parametrize("name", sorted(ALL_ASSIGNERS))
def test_invalid_box_gives_all_ignore_never_nan(bad, name):
    labels = ALL_ASSIGNERS[name](jnp.asarray(bad, jnp.float32), jax.random.key(0))
    assert np.all(np.asarray(labels.cls) == -1)
    for field, value in zip(labels._fields, labels):
        value = np.asarray(value)
        assert np.all(np.isfinite(value)), field
        if field != "cls":
            assert np.all(value == 0), field


def test_wrong_shapes_raise():
    with pytest.raises(ValueError, match="gt must be one xyxy box"):
        assign.center_region(POINTS, jnp.zeros((2, 4)))
    with pytest.raises(ValueError, match="samples must be"):
        assign.center_region(jnp.zeros((10, 3)), jnp.zeros(4))
    with pytest.raises(ValueError, match="anchors"):
        assign.fixed_iou(POINTS, jnp.array([1.0, 1, 5, 5]), jax.random.key(0))


def test_hyperparameter_sweep_in_one_compiled_call():
    boxes = _batch_boxes(64)
    ks = jnp.array([5, 9, 15, 25])
    scales = jnp.array([0.0, 1.0, 2.0, 1.0])

    def one(k, std_scale):
        return jax.vmap(lambda g: assign.dla(POINTS, g, k=k, statistic="virtual_iou",
                                             std_scale=std_scale, k_max=25).cls)(boxes)

    swept = jax.jit(jax.vmap(one))(ks, scales)
    assert swept.shape == (4, 64, 625)
    for n, (k, s) in enumerate(zip([5, 9, 15, 25], [0.0, 1.0, 2.0, 1.0])):
        direct = jax.vmap(lambda g: assign.dla(POINTS, g, k=k, statistic="virtual_iou", std_scale=s).cls)(boxes)
        np.testing.assert_array_equal(swept[n], direct)
    thresholds = jnp.array([0.5, 0.6, 0.7])
    fixed = jax.jit(jax.vmap(lambda t: assign.fixed_iou(ANCHORS, boxes[0], jax.random.key(0), pos_iou=t).iou > t))(thresholds)
    assert fixed.shape == (3, 3125)
    with pytest.raises(ValueError, match="k_max"):
        jax.jit(lambda k: assign.dla(POINTS, boxes[0], k=k, statistic="virtual_iou"))(9)


def test_ladl_targets_are_predicted_iou_without_gradient():
    gt = jnp.array([100.0, 90.0, 170.0, 160.0])
    pred = _pred_boxes(gt, jax.random.key(2))
    labels = assign.ladl(POINTS, gt, pred, positives="center_region", iou_weight=1.0, quality_floor=0.0)
    positive = np.asarray(labels.cls) == 1
    np.testing.assert_allclose(np.asarray(labels.soft)[positive], np.asarray(bx.iou(pred, gt[None]))[positive], rtol=1e-6)
    assert np.all(np.asarray(labels.soft)[~positive] == 0)
    grad = jax.grad(lambda p: assign.ladl(POINTS, gt, p, iou_weight=1.0, quality_floor=0.0).soft.sum())(pred)
    assert np.all(np.asarray(grad) == 0)
    with pytest.raises(ValueError, match="positives rule"):
        assign.ladl(POINTS, gt, pred, positives="topk")


def test_lals_smooths_towards_localization_quality():
    gt = jnp.array([100.0, 90.0, 170.0, 160.0])
    hard = assign.center_region(POINTS, gt)
    smoothed = assign.lals(hard, eps=0.2, measure="centerness")
    cls = np.asarray(hard.cls)
    expected = 0.8 * np.asarray(hard.soft) + 0.2 * np.asarray(hard.centerness)
    np.testing.assert_allclose(np.asarray(smoothed.soft), np.where(cls >= 0, expected, 0), rtol=1e-6)
    assert np.all(np.asarray(smoothed.soft)[cls == 1] <= 1) and np.all(np.asarray(smoothed.soft)[cls == 1] >= 0.8)
    np.testing.assert_array_equal(assign.lals(hard, eps=0.0).soft, hard.soft)
    with pytest.raises(ValueError, match="measure"):
        assign.lals(hard, measure="area")


def test_registry_lists_assigners():
    assert set(assign.ASSIGNERS.names()) >= {"fixed_iou", "center_region", "dla", "ladl"}
    with pytest.raises(KeyError, match="known"):
        assign.ASSIGNERS.get("atss")


def test_dla_keep_best_rescues_saturated_statistics():
    # a 24 px target: the 64 px virtual anchors of many nearby points contain it wholly (same IoU)
    gt = jnp.array([115.0, 117.0, 139.0, 141.0])
    plain = assign.dla(POINTS, gt, k=16, statistic="virtual_iou")
    kept = assign.dla(POINTS, gt, k=16, statistic="virtual_iou", keep_best=True)
    assert (kept.cls == 1).sum() >= max(1, (plain.cls == 1).sum())
    assert np.all(np.asarray(kept.cls)[np.asarray(plain.cls) == 1] == 1)


def test_decode_inverts_regression_targets():
    gt = jnp.array([90.0, 100.0, 170.0, 140.0])
    for samples in (ANCHORS, POINTS):
        labels = assign.center_region(samples, gt) if samples.shape[1] == 2 else assign.fixed_iou(
            samples, gt, jax.random.key(0))
        decoded = assign.decode(jnp.asarray(samples), labels.box)
        np.testing.assert_allclose(decoded, np.broadcast_to(gt, decoded.shape), atol=1e-3)
    batched = assign.decode(jnp.asarray(POINTS), jnp.ones((3, 625, 4)))
    assert batched.shape == (3, 625, 4)


def _study_population(n=1000, seed=0):
    """Boxes as ``jaxtrack study`` draws them: targets in pysot's search crops, scale changes x0.5-2."""
    rng = np.random.default_rng(seed)
    return jnp.asarray(label_study.search_crop_boxes(label_study.synthetic_frame_boxes(n, rng), rng))


def _untrained_predictions(boxes, key):
    """(B, 625, 4) boxes 'predicted' by an untrained head: random (l, t, r, b) of 4-100 px."""
    ltrb = jnp.exp(jax.random.uniform(key, (boxes.shape[0], POINTS.shape[0], 4), minval=np.log(4), maxval=np.log(100)))
    return assign.decode(jnp.asarray(POINTS), ltrb)


def _positives(fn, boxes, pred):
    return np.asarray(jax.jit(jax.vmap(lambda g, p: jnp.sum(fn(g, p).cls == assign.POSITIVE)))(boxes, pred))


def test_ladl_gives_every_study_target_a_positive_and_no_fewer_than_dla():
    boxes = _study_population()
    pred = _untrained_predictions(boxes, jax.random.key(0))
    ladl = _positives(lambda g, p: assign.ladl(POINTS, g, p), boxes, pred)
    dla = _positives(lambda g, p: assign.dla(POINTS, g, k=16, statistic="virtual_iou", keep_best=True), boxes, pred)
    assert ladl.min() >= 1
    assert np.all(ladl >= dla)


def test_ladl_warms_up_from_one_to_the_floored_predicted_iou():
    gt = jnp.array([100.0, 90.0, 170.0, 160.0])
    pred = _pred_boxes(gt, jax.random.key(2)) * jnp.array([1.0, 1.0, 1.05, 1.0])  # some IoUs below the floor
    quality = np.maximum(np.asarray(bx.iou(pred, gt[None])), 0.3)
    at = jax.jit(lambda step: assign.ladl(POINTS, gt, pred, step=step, warmup_steps=100, quality_floor=0.3))
    positive = np.asarray(at(0).cls) == assign.POSITIVE
    assert positive.sum() > 1 and (quality[positive] < 1).all()
    np.testing.assert_array_equal(np.asarray(at(0).soft)[positive], 1.0)
    np.testing.assert_allclose(np.asarray(at(25).soft)[positive], 0.75 + 0.25 * quality[positive], rtol=1e-6)
    for step in (100, 10_000):
        np.testing.assert_allclose(np.asarray(at(step).soft)[positive], quality[positive], rtol=1e-6)
    for step in (0, 25, 100):  # the positives and the rest do not move with the ramp
        np.testing.assert_array_equal(np.asarray(at(step).cls), np.asarray(at(0).cls))
        assert np.all(np.asarray(at(step).soft)[~positive] == 0)
    fixed = assign.ladl(POINTS, gt, pred, step=0, iou_weight=0.5, quality_floor=0.3)
    np.testing.assert_allclose(np.asarray(fixed.soft)[positive], 0.5 + 0.5 * quality[positive], rtol=1e-6)
    no_ramp = assign.ladl(POINTS, gt, pred, step=0, warmup_steps=0, quality_floor=0.3)
    np.testing.assert_allclose(np.asarray(no_ramp.soft)[positive], quality[positive], rtol=1e-6)


def test_ladl_ignores_unselected_candidates_inside_the_box():
    gt = jnp.array([96.0, 100.0, 176.0, 150.0])
    pred = _pred_boxes(gt, jax.random.key(4))
    labels = assign.ladl(POINTS, gt, pred, k=16)
    plain = assign.dla(POINTS, gt, k=16, statistic="virtual_iou", keep_best=True)
    d2 = np.sum((np.asarray(POINTS) - np.asarray(bx.center(gt))) ** 2, -1)
    nearest = np.zeros(len(d2), bool)
    nearest[np.argsort(d2, kind="stable")[:16]] = True
    inside = np.all(np.asarray(lb.side_distances(jnp.asarray(POINTS), gt)) > 0, -1)
    positive = np.asarray(plain.cls) == assign.POSITIVE
    near_miss = nearest & inside & ~positive
    assert near_miss.sum() > 0
    expected = np.where(near_miss, assign.IGNORE, np.asarray(plain.cls))
    np.testing.assert_array_equal(np.asarray(labels.cls), expected)
    assert np.all(np.asarray(labels.soft)[near_miss] == 0)
    np.testing.assert_array_equal(np.asarray(labels.box_weight), np.asarray(plain.box_weight))  # same positives
    kept = assign.ladl(POINTS, gt, pred, k=16, ignore_inside=False)
    np.testing.assert_array_equal(np.asarray(kept.cls), np.asarray(plain.cls))
    negative_pair = assign.ladl(POINTS, gt, pred, k=16, negative=True)
    assert np.all(np.asarray(negative_pair.cls) == assign.NEGATIVE)


def test_lals_changes_ladl_targets_at_the_positives():
    boxes = _study_population(200)
    pred = _untrained_predictions(boxes, jax.random.key(1))
    ladl = jax.jit(jax.vmap(lambda g, p: assign.ladl(POINTS, g, p, step=10_000)))(boxes, pred)
    smoothed = jax.jit(jax.vmap(lambda labels: assign.lals(labels, eps=0.1)))(ladl)
    positive = np.asarray(ladl.cls) == assign.POSITIVE
    change = np.abs(np.asarray(smoothed.soft) - np.asarray(ladl.soft))[positive]
    assert (change > 1e-3).mean() > 0.9 and change.mean() > 0.01
