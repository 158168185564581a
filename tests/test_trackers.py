"""Siamese trackers: JAX crops vs OpenCV, post-processing vs NumPy re-statements of the pysot and
SiamCAR tracker code, tracking with perfect predictions, compilation per frame size."""

import cv2
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrack.assign.labels import anchor_deltas, centerness_from_ltrb, side_distances
from jaxtrack.boxes import iou
from jaxtrack.errors import JaxtrackError
from jaxtrack.track import hyper
from jaxtrack.track import siamese_tracker as siamese
from jaxtrack.track import postprocess as pp
from jaxtrack.track.crop_jax import context_side, crop_window, square_window

from tracking_helpers import context_crop, random_model

FRAME_W, FRAME_H = 640, 360


# ---------------------------------------------------------------- crops

@pytest.mark.parametrize("box", [(300.3, 100.7, 380.2, 180.9), (-20.5, -10.0, 60.2, 90.0),
                                 (600.0, 300.0, 700.0, 420.0), (10.0, 20.0, 14.5, 29.0)])
def test_jax_crop_matches_cv2(shared_data, box):
    frame = cv2.imread(str(shared_data / "otb" / "Deer" / "img" / "0001.jpg"))
    box = np.array(box)
    padding = frame.reshape(-1, 3).mean(0)
    crop = jax.jit(crop_window, static_argnums=2)
    center, size = (box[:2] + box[2:]) / 2, box[2:] - box[:2]
    for out_size, factor in ((255, 255 / 127), (127, 1.0)):
        expected, _ = context_crop(frame, box, out_size, padding=tuple(padding))
        window = square_window(jnp.asarray(center), context_side(jnp.asarray(size)) * factor)
        got = np.asarray(crop(frame, window, out_size, padding))
        diff = np.abs(got - expected)  # OpenCV rounds to uint8 and quantises positions to 1/32 px
        assert got.shape == expected.shape and diff.mean() < 0.35 and diff.max() < 1.5


def test_crop_outside_frame_is_padding():
    frame = np.full((20, 30, 3), 200, np.uint8)
    got = crop_window(frame, jnp.array([100.0, 100.0, 150.0, 150.0]), 16, jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(got, np.broadcast_to([1.0, 2.0, 3.0], (16, 16, 3)))


# ---------------------------------------------------------------- NumPy re-statements

def _change(r):
    return np.maximum(r, 1.0 / r)


def _sz(w, h):
    pad = (w + h) * 0.5
    return np.sqrt((w + pad) * (h + pad))


def pysot_track(score, pred, window, center, size, scale_z, hp, image_shape):
    """pysot SiamRPNTracker.track after the network: pred (4, N) cx, cy, w, h relative to the
    crop centre in crop pixels, pysot's anchor-major order; hp = (penalty_k, window, lr)."""
    k, wi, lr_hp = hp
    s_c = _change(_sz(pred[2], pred[3]) / _sz(size[0] * scale_z, size[1] * scale_z))
    r_c = _change((size[0] / size[1]) / (pred[2] / pred[3]))
    penalty = np.exp(-(r_c * s_c - 1) * k)
    pscore = penalty * score * (1 - wi) + window * wi
    best = np.argmax(pscore)
    bbox = pred[:, best] / scale_z
    lr = penalty[best] * score[best] * lr_hp
    cx, cy = bbox[0] + center[0], bbox[1] + center[1]
    width = size[0] * (1 - lr) + bbox[2] * lr
    height = size[1] * (1 - lr) + bbox[3] * lr
    cx, cy = max(0, min(cx, image_shape[1])), max(0, min(cy, image_shape[0]))
    width, height = max(10, min(width, image_shape[1])), max(10, min(height, image_shape[0]))
    return np.array([cx, cy, width, height]), score[best]


def siamcar_track(cls, cen, lrtbs, window, center, size, scale_z, hp, image_shape, origin):
    """SiamCAR SiamCARTracker.track after the network on (S, S) maps and (S, S, 4) lrtbs;
    hp = (penalty_k, window_lr, lr); ``origin``: offset of upsampled pixel 0 from the crop
    centre (the reference's 31 - 127 in pixel indices; jaxtrack's point grid gives 32 - 127.5)."""
    k, window_lr, lr_hp = hp
    side = cls.shape[0]
    up = (side - 1) * 8 + 1
    cen = (cen - cen.min()) / np.ptp(cen)
    bw, bh = lrtbs[..., 0] + lrtbs[..., 2], lrtbs[..., 1] + lrtbs[..., 3]
    penalty = np.exp(-(_change((size[0] / size[1]) / (bw / bh))
                       * _change(_sz(bw, bh) / _sz(size[0] * scale_z, size[1] * scale_z)) - 1) * k)
    p_score = penalty * cls * cen
    hp_score = p_score * (1 - window_lr) + window * window_lr
    resize = lambda x: cv2.resize(x.astype(np.float32), (up, up), interpolation=cv2.INTER_CUBIC)  # noqa: E731
    hp_up, p_up, cls_up, lrtbs_up = resize(hp_score), resize(p_score), resize(cls), resize(lrtbs)
    mask = siamcar_mask(hp_up, lrtbs)
    r_up, c_up = np.unravel_index((p_up * mask).argmax(), p_up.shape)
    cx = (c_up + origin) / scale_z + center[0]
    cy = (r_up + origin) / scale_z + center[1]
    ave_w = (lrtbs_up[r_up, c_up, 0] + lrtbs_up[r_up, c_up, 2]) / scale_z
    ave_h = (lrtbs_up[r_up, c_up, 1] + lrtbs_up[r_up, c_up, 3]) / scale_z
    s_c = _change(_sz(ave_w, ave_h) / _sz(size[0] * scale_z, size[1] * scale_z))
    r_c = _change((size[0] / size[1]) / (ave_w / ave_h))
    lr = np.exp(-(r_c * s_c - 1) * k) * cls_up[r_up, c_up] * lr_hp
    width, height = lr * ave_w + (1 - lr) * size[0], lr * ave_h + (1 - lr) * size[1]
    clip = lambda x, high: max(0, min(x, high))  # noqa: E731
    return np.array([clip(cx, image_shape[1]), clip(cy, image_shape[0]),
                     clip(width, image_shape[1]), clip(height, image_shape[0])]), cls_up[r_up, c_up]


def siamcar_mask(hp_up, lrtbs):
    """SiamCAR coarse_location's mask around the peak of (U, U) ``hp_up``; (S, S, 4) lrtbs."""
    up, side = hp_up.shape[0], lrtbs.shape[0]
    r_hp, c_hp = np.unravel_index(hp_up.argmax(), hp_up.shape)
    ratio = up / side
    max_r = min(max(int(round(r_hp / ratio)), 0), side - 1)  # the reference clips to side (an IndexError)
    max_c = min(max(int(round(c_hp / ratio)), 0), side - 1)
    region = np.clip(lrtbs[max_r, max_c], int(0.1 * 127), int(0.44 * 127))
    left, top = int(min(c_hp, region[0]) / 2.0), int(min(r_hp, region[1]) / 2.0)
    right, bottom = int(min(up - c_hp, region[2]) / 2.0), int(min(up - r_hp, region[3]) / 2.0)
    mask = np.zeros_like(hp_up)
    mask[r_hp - top:r_hp + bottom + 1, c_hp - left:c_hp + right + 1] = 1
    return mask


def _state(center, size, lost=False):
    return siamese.State(template=None, center=jnp.asarray(center, jnp.float32),
                         size=jnp.asarray(size, jnp.float32), padding=jnp.zeros(3),
                         frame_size=jnp.array([FRAME_W, FRAME_H], jnp.float32), lost=jnp.array(lost))


def _locate(geometry, hp, state, outputs):
    window = siamese.search_window(geometry, state)
    box, score, new = siamese.locate(geometry, hp.as_arrays(), state, outputs, window)
    return np.asarray(box, np.float64), float(score), new


def _cxcywh(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1]])


def _pysot_inputs(geometry, logits, deltas, size):
    """jaxtrack's anchor outputs in pysot's order and terms -> (score, predicted cxcywh boxes
    relative to the crop centre, cosine window, scale_z) as pysot's tracker computes them."""
    perm = (np.arange(625)[None, :] * 5 + np.arange(5)[:, None]).ravel()  # pysot index -> jaxtrack
    anchors = geometry.samples[perm]
    acx, acy = (anchors[:, 0] + anchors[:, 2]) / 2 - 127.5, (anchors[:, 1] + anchors[:, 3]) / 2 - 127.5
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    d = deltas[perm].astype(np.float64)
    pred = np.stack([d[:, 0] * aw + acx, d[:, 1] * ah + acy, np.exp(d[:, 2]) * aw, np.exp(d[:, 3]) * ah])
    prob = np.exp(logits[perm, 1]) / np.exp(logits[perm]).sum(1)
    window = np.tile(np.outer(np.hanning(25), np.hanning(25)).ravel(), 5)
    scale_z = 127 / np.sqrt(np.prod(size + 0.5 * size.sum()))
    return prob, pred, window, scale_z


@pytest.mark.parametrize("seed", range(6))
def test_rpn_postprocess_matches_pysot(seed):
    rng = np.random.default_rng(seed)
    geometry = siamese.TrackerGeometry("siamrpn", 25)
    hp = hyper.SETS["siamrpn"][["vot", "otb", "longterm"][seed % 3]]
    center = rng.uniform([0, 0], [FRAME_W, FRAME_H])
    size = rng.uniform(15, 150, 2)
    logits = rng.normal(0, 2, (3125, 2)).astype(np.float32)
    deltas = rng.normal(0, 0.3, (3125, 4)).astype(np.float32)
    box, score, state = _locate(geometry, hp, _state(center, size), {"cls": logits, "loc": deltas})

    prob, pred, window, scale_z = _pysot_inputs(geometry, logits, deltas, size)
    expected, expected_score = pysot_track(prob, pred, window, center, size, scale_z,
                                           (hp.penalty_k, hp.window_influence, hp.lr), (FRAME_H, FRAME_W))
    np.testing.assert_allclose(_cxcywh(box), expected, rtol=1e-5, atol=2e-3)
    np.testing.assert_allclose(score, expected_score, rtol=1e-5)
    np.testing.assert_allclose(np.concatenate([state.center, state.size]), expected, rtol=1e-5, atol=2e-3)


@pytest.mark.parametrize("family,seed", [("siamcar", s) for s in range(6)] + [("siamla", s) for s in range(3)])
def test_car_postprocess_matches_siamcar(family, seed):
    rng = np.random.default_rng(100 + seed)
    geometry = siamese.TrackerGeometry(family, 25, min_size=0.0)
    hp = hyper.SETS[family][["otb", "got10k", "uav123", "lasot"][seed % 4]]._replace(quality_exponent=0.5 + seed)
    center = rng.uniform([0, 0], [FRAME_W, FRAME_H])
    size = rng.uniform(15, 150, 2)
    logits = rng.normal(0, 2, (625, 2)).astype(np.float32)
    cen = rng.normal(0, 1, 625).astype(np.float32)
    ltrb = np.exp(rng.normal(3.2, 0.6, (625, 4))).astype(np.float32)
    quality = rng.normal(0, 2, 625).astype(np.float32)
    outputs = {"cls": logits, "cen": cen, "ltrb": ltrb}
    prob = np.exp(logits[:, 1]) / np.exp(logits).sum(1)
    if family == "siamla":
        outputs["quality"] = quality
        prob = prob * (1 / (1 + np.exp(-quality))) ** hp.quality_exponent
    box, score, state = _locate(geometry, hp, _state(center, size), outputs)

    scale_z = 127 / np.sqrt(np.prod(size + 0.5 * size.sum()))
    window = np.outer(np.hanning(25), np.hanning(25))
    as_map = lambda x: x.reshape((25, 25) + x.shape[1:]).astype(np.float64)  # noqa: E731
    expected, expected_score = siamcar_track(
        as_map(prob), as_map(cen), as_map(ltrb), window, center, size, scale_z,
        (hp.penalty_k, hp.window_influence, hp.lr), (FRAME_H, FRAME_W), origin=32 - 127.5)
    np.testing.assert_allclose(_cxcywh(box), expected, rtol=1e-4, atol=2e-3)
    np.testing.assert_allclose(score, expected_score, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.concatenate([state.center, state.size]), expected, rtol=1e-4, atol=2e-3)


@pytest.mark.parametrize("seed", range(20))
def test_coarse_mask_matches_siamcar(seed):
    rng = np.random.default_rng(seed)
    hp_up = rng.random((193, 193)).astype(np.float32)
    hp_up[rng.integers(0, 193), rng.integers(0, 193)] = 2.0  # peaks anywhere, edges included
    ltrb = np.exp(rng.normal(3.0, 1.0, (25, 25, 4))).astype(np.float32)
    got = np.asarray(pp.coarse_mask(jnp.asarray(hp_up), jnp.asarray(ltrb), 25, 12, 55))
    np.testing.assert_array_equal(got, siamcar_mask(hp_up, ltrb))


def test_hanning_window_follows_sample_order():
    w = siamese.TrackerGeometry("siamrpn", 5).window.reshape(5, 5, 5)
    hanning = np.outer(np.hanning(5), np.hanning(5))
    for anchor in range(5):
        np.testing.assert_allclose(w[:, :, anchor], hanning, rtol=1e-6)


# ---------------------------------------------------------------- perfect predictions

def _moving_rectangle(frames=60):
    """(T, 4) xyxy: a 64x40 box on a 640x360 frame, moving up to ~9 px/frame, growing 25%."""
    t = np.arange(frames)
    cx = 320 + 200 * np.sin(t / 9.0)
    cy = 180 + 100 * np.sin(t / 13.0 + 0.5)
    scale = 1.0 + 0.25 * t / frames
    w, h = 64 * scale, 40 * scale
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


def _crafted_outputs(geometry, truth, top=5.0):
    """Network outputs that encode ``truth`` (xyxy, crop pixels) exactly, with the foreground
    logit ``top`` on it and -5 far from it."""
    samples = geometry.samples
    centres = samples if samples.shape[1] == 2 else (samples[:, :2] + samples[:, 2:]) / 2
    target = (truth[:2] + truth[2:]) / 2
    peak = np.exp(-np.sum((centres - target) ** 2, axis=1) / (2 * 8.0 ** 2))
    cls = np.stack([np.zeros_like(peak), (top + 5) * peak - 5], axis=1).astype(np.float32)
    if geometry.family == "siamrpn":
        return {"cls": cls, "loc": np.asarray(anchor_deltas(jnp.asarray(samples), jnp.asarray(truth, jnp.float32)))}
    ltrb = np.abs(np.asarray(side_distances(jnp.asarray(samples), jnp.asarray(truth, jnp.float32))))
    outputs = {"cls": cls, "cen": np.asarray(centerness_from_ltrb(jnp.asarray(ltrb))), "ltrb": ltrb}
    if geometry.family == "siamla":
        outputs["quality"] = np.full(len(samples), 3.0, np.float32)
    return outputs


def pysot_lt_track(score, pred, window, center, size, scale_z, hp, image_shape, lost, low, high):
    """pysot SiamRPNLTTracker.track after the network with LOST_INSTANCE_SIZE = INSTANCE_SIZE
    (jaxtrack's ``lost_search_scale`` 1); low, high: CONFIDENCE_LOW, _HIGH -> (box, score, lost)."""
    k, wi, lr_hp = hp
    box, best = pysot_track(score, pred, window, center, size, scale_z, (k, 0.001 if lost else wi, lr_hp), image_shape)
    if best < low:  # the previous box, clipped as pysot's _bbox_clip
        box = np.array([max(0, min(center[0], image_shape[1])), max(0, min(center[1], image_shape[0])),
                        max(10, min(size[0], image_shape[1])), max(10, min(size[1], image_shape[0]))])
    return box, best, bool(best < low or (lost and best <= high))


@pytest.mark.parametrize("seed", range(8))
def test_lost_mode_post_processing_matches_pysot_longterm(seed):
    rng = np.random.default_rng(200 + seed)
    geometry = siamese.TrackerGeometry("siamrpn", 25)
    lost, low = bool(seed % 2), [0.3, 0.9, 0.999, 0.6][seed // 2]
    hp = hyper.SETS["siamrpn"]["longterm"]._replace(lost_score=low, found_score=0.95, lost_window_influence=0.001)
    center, size = rng.uniform([0, 0], [FRAME_W, FRAME_H]), rng.uniform(15, 150, 2)
    logits = rng.normal(0, 2, (3125, 2)).astype(np.float32)
    deltas = rng.normal(0, 0.3, (3125, 4)).astype(np.float32)
    state = _state(center, size, lost)
    window = siamese.search_window(geometry, state, 1.0)
    box, score, new = siamese.locate(geometry, hp.as_arrays(), state, {"cls": logits, "loc": deltas}, window,
                                     lost_mode=True)

    prob, pred, window, scale_z = _pysot_inputs(geometry, logits, deltas, size)
    expected, expected_score, expected_lost = pysot_lt_track(
        prob, pred, window, center, size, scale_z, (hp.penalty_k, hp.window_influence, hp.lr), (FRAME_H, FRAME_W),
        lost, hp.lost_score, hp.found_score)
    np.testing.assert_allclose(_cxcywh(np.asarray(box, np.float64)), expected, rtol=1e-5, atol=2e-3)
    np.testing.assert_allclose(float(score), expected_score, rtol=1e-5)
    assert bool(new.lost) == expected_lost


@pytest.mark.parametrize("family", ["siamrpn", "siamcar", "siamla"])
def test_lost_mode_holds_the_box_and_widens_the_window(family):
    geometry = siamese.TrackerGeometry(family, 25, min_size=pp.MIN_SIZES[family])
    hp = hyper.select(family, "otb,lost_score=0.3,found_score=0.9,lost_search_scale=2")[1].as_arrays()

    locate = jax.jit(lambda state, outputs, window: siamese.locate(geometry, hp, state, outputs, window,
                                                                   lost_mode=True))

    def step(state, truth, top):
        """A frame with the target at xyxy ``truth`` (frame pixels) whose foreground logit is ``top``."""
        window = np.asarray(siamese.search_window(geometry, state, hp.lost_search_scale), np.float64)
        scale = geometry.search_size / (window[2] - window[0])
        crop_truth = (truth - np.tile(window[:2], 2)) * scale
        return locate(state, _crafted_outputs(geometry, crop_truth, top), window)

    def side(state):
        window = siamese.search_window(geometry, state, hp.lost_search_scale)
        return float(window[2] - window[0])

    start = _state([300.0, 200.0], [40.0, 30.0])
    truth = np.array([330.0, 175.0, 370.0, 205.0])  # 50 px to the right and 10 px up, same size
    box, score, state = step(start, truth, -8.0)  # nothing looks like the target: hold and go lost
    assert float(score) < 0.3 and bool(state.lost)
    np.testing.assert_array_equal(box, [280.0, 185.0, 320.0, 215.0])
    assert side(state) == pytest.approx(2 * side(start), rel=1e-6)
    box, score, state = step(state, truth, 0.5)  # found, not yet sure: the box moves, still lost
    assert 0.3 < float(score) < 0.9 and bool(state.lost)
    assert float(iou(box, jnp.asarray(truth, jnp.float32))) > 0.8
    box, score, state = step(state, truth, 5.0)  # sure: lost mode ends, the window shrinks back
    assert float(score) > 0.9 and not bool(state.lost)
    assert float(iou(box, jnp.asarray(truth, jnp.float32))) > 0.8 and side(state) == pytest.approx(side(start), rel=0.1)


@pytest.mark.parametrize("family", ["siamrpn", "siamcar", "siamla"])
def test_perfect_predictions_track_moving_rectangle(family):
    truth = _moving_rectangle()
    geometry = siamese.TrackerGeometry(family, 25, min_size=pp.MIN_SIZES[family])
    hp = hyper.select(family, benchmark="otb")[1].as_arrays()
    locate = jax.jit(lambda state, outputs, window: siamese.locate(geometry, hp, state, outputs, window))
    state = _state((truth[0, :2] + truth[0, 2:]) / 2, truth[0, 2:] - truth[0, :2])
    ious = []
    for box in truth[1:]:
        window = np.asarray(siamese.search_window(geometry, state), np.float64)
        scale = geometry.search_size / (window[2] - window[0])
        crop_truth = (box - np.tile(window[:2], 2)) * scale
        predicted, _, state = locate(state, _crafted_outputs(geometry, crop_truth), window)
        ious.append(float(iou(predicted, jnp.asarray(box, jnp.float32))))
    assert min(ious) > 0.9, (family, np.round(ious, 3))


# ---------------------------------------------------------------- whole trackers

@pytest.fixture(scope="module")
def small_car():
    return random_model("siamcar_small")


def test_tracker_compiles_once_per_frame_size(small_car):
    factory = siamese.siamese_factory(*small_car, hyper="otb")
    tracker = factory()
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (120, 160, 3), np.uint8) for _ in range(3)]
    tracker.init(frames[0], np.array([60.0, 40.0, 90.0, 80.0]))
    for frame in frames[1:]:
        box, score = tracker.update(frame)
        assert box.dtype == np.float64 and box.shape == (4,) and np.all(np.isfinite(box)) and 0 <= score <= 1
    other = factory()  # a fresh tracker shares the compiled functions
    other.init(frames[0], np.array([10.0, 10.0, 30.5, 40.0]))
    other.update(frames[1])
    _, track = tracker._init, tracker._track
    assert track._cache_size() == 1
    other.init(np.zeros((100, 90, 3), np.uint8), np.array([10.0, 10.0, 30.0, 40.0]))
    other.update(np.zeros((100, 90, 3), np.uint8))
    assert track._cache_size() == 2


def test_hyper_values_and_lost_mode_do_not_recompile(small_car):
    factory = siamese.siamese_factory(*small_car, hyper="otb")
    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 255, (120, 160, 3), np.uint8) for _ in range(4)]
    tracker = factory()
    tracker.init(frames[0], np.array([60.0, 40.0, 90.0, 80.0]))
    tracker.update(frames[1])
    assert not bool(tracker.state.lost)
    _, lost_hyper = hyper.select("siamcar", "otb,lost_score=1.5,lost_search_scale=2")  # every frame is low
    lost = siamese.SiameseTracker(factory.functions, factory.weights._replace(hyper=lost_hyper.as_arrays()),
                                  factory.geometry)
    lost.init(frames[0], np.array([60.0, 40.0, 90.0, 80.0]))
    for frame in frames[1:]:
        box, _ = lost.update(frame)
        np.testing.assert_allclose(box, [60.0, 40.0, 90.0, 80.0], atol=1e-4)  # held
        assert bool(lost.state.lost)
    assert tracker._track._cache_size() == 1 and tracker._init._cache_size() == 1


def test_lost_mode_is_recorded_only_when_on(small_car):
    before = {"penalty_k", "window_influence", "lr", "quality_exponent"}  # the record before lost mode existed
    assert set(siamese.siamese_factory(*small_car, hyper="otb").record()["hyper_values"]) == before
    record = siamese.siamese_factory(*small_car, hyper="otb,lost_score=0.3,lost_search_scale=2").record()
    assert set(record["hyper_values"]) == before | set(hyper.LOST_MODE)
    assert record["hyper_values"]["lost_search_scale"] == 2.0
    assert record["hyper"] == "otb,lost_score=0.3,lost_search_scale=2"


def test_template_update_blends_the_template_embedded_at_the_new_box(small_car):
    model, variables = small_car
    factory = siamese.siamese_factory(model, variables, hyper="otb")
    rng = np.random.default_rng(2)
    frames = [rng.integers(0, 255, (120, 160, 3), np.uint8) for _ in range(3)]
    first_box = np.array([60.0, 40.0, 90.0, 80.0])

    def tracked(setting):
        tracker = siamese.SiameseTracker(factory.functions, factory.weights._replace(
            hyper=hyper.select("siamcar", setting)[1].as_arrays()), factory.geometry)
        tracker.init(frames[0], first_box)
        initial = tracker.state.template
        boxes = [tracker.update(frame)[0] for frame in frames[1:]]
        return initial, boxes, tracker.state

    initial, off_boxes, off = tracked("otb")
    _, never_boxes, never = tracked("otb,template_rate=0.5,template_score=2")  # no score reaches 2
    for a, b in zip(jax.tree.leaves(never.template), jax.tree.leaves(initial)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(never_boxes, off_boxes)
    _, _, replaced = tracked("otb,template_rate=1,template_score=0")  # the last frame's embedding
    window = square_window(replaced.center, context_side(replaced.size, factory.geometry.context))
    crop = crop_window(frames[-1], window, factory.geometry.exemplar_size, replaced.padding)
    expected = model.apply(factory.weights.variables, crop[None], method="embed_template")
    for a, b in zip(jax.tree.leaves(replaced.template), jax.tree.leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert factory.functions[1]._cache_size() == 1  # rates are values: one compiled function
    record = siamese.siamese_factory(model, variables, hyper="otb,template_rate=0.02,template_score=0.5").record()
    assert record["hyper_values"]["template_rate"] == pytest.approx(0.02)
    assert "template_rate" not in factory.record()["hyper_values"]


# tracked xyxy boxes on frames 1, 5 and 11 of OTB Crossing by random_model(name, seed=1), recorded
# before lost mode existed: with it off, tracking is unchanged
PINNED_BEFORE_LOST_MODE = {
    ("siamrpn_small", "otb"): [[198.595, 134.98, 215.598, 186.633], [183.961, 99.628, 201.203, 153.893],
                               [173.344, 75.608, 190.808, 130.633]],
    ("siamcar_small", "otb"): [[202.188, 154.324, 219.188, 204.324], [190.939, 155.857, 207.939, 205.857],
                               [179.69, 151.767, 196.69, 201.767]],
    ("siamla_small", "got10k"): [[204.938, 161.415, 221.551, 210.526], [204.571, 171.973, 219.824, 217.568],
                                 [191.099, 161.772, 204.686, 202.893]],
}


@pytest.mark.parametrize("name,hyper_name", list(PINNED_BEFORE_LOST_MODE))
def test_defaults_track_as_before_lost_mode(shared_data, name, hyper_name):
    from jaxtrack.data.readers import open_dataset
    from jaxtrack.eval.runner import run_sequence

    sequence = open_dataset("otb", str(shared_data / "otb"))["Crossing"]
    short = type(sequence)(sequence.name, sequence.frames[:12], sequence.boxes[:12], sequence.absent[:12])
    boxes, _ = run_sequence(siamese.siamese_factory(*random_model(name, seed=1), hyper=hyper_name)(), short)
    np.testing.assert_allclose(boxes[[1, 5, 11]], PINNED_BEFORE_LOST_MODE[name, hyper_name], atol=2e-3)


def test_search_size_override_tracks_on_a_larger_crop(small_car):
    default = siamese.siamese_factory(*small_car, hyper="otb")
    larger = siamese.siamese_factory(*small_car, hyper="otb,search_size=287")
    assert (default.geometry.search_size, larger.geometry.search_size) == (255, 287)
    assert larger.geometry.samples.shape[0] > default.geometry.samples.shape[0]
    assert siamese.siamese_factory(*small_car, hyper="otb", search_size=319).geometry.search_size == 319
    frames = np.random.default_rng(2).integers(0, 255, (3, 120, 160, 3), np.uint8)
    tracker = larger()
    tracker.init(frames[0], np.array([60.0, 40.0, 90.0, 80.0]))
    for frame in frames[1:]:
        box, score = tracker.update(frame)
        assert np.all(np.isfinite(box)) and 0 <= score <= 1
    assert larger.record()["hyper"] == "otb,search_size=287"  # results folders of the two sizes differ


def test_factory_follows_the_model_family(small_car):
    factory = siamese.siamese_factory(*small_car)
    assert factory.geometry.family == "siamcar" and factory.geometry.samples.shape == (625, 2)
    with pytest.raises(JaxtrackError, match="unknown siamcar hyperparameter set 'vot'"):
        siamese.siamese_factory(*small_car, hyper="vot")
    assert siamese.siamese_factory(*small_car, benchmark="got10k").name == "got10k"
    tracker = siamese.siamese_factory(*small_car)()
    with pytest.raises(JaxtrackError, match="positive size"):
        tracker.init(np.zeros((50, 50, 3), np.uint8), np.array([10.0, 10.0, 10.0, 20.0]))


def test_hyperparameter_sets_take_overrides():
    name, hp = hyper.select("siamla", "got10k,quality_exponent=0.5")
    assert name == "got10k,quality_exponent=0.5"
    assert hp == hyper.SETS["siamla"]["got10k"]._replace(quality_exponent=0.5)
    assert hyper.select("siamla", "otb")[1].quality_exponent == 1.0
    assert hyper.search_size("siamrpn", "alex,lr=0.3") == 287 and hyper.search_size("siamrpn", "vot") == 255
    for family in hyper.SETS:
        _, hp = hyper.select(family, "otb,lost_score=0.3,lost_search_scale=2")
        assert (hp.lost_score, hp.found_score, hp.lost_search_scale) == (0.3, 0.0, 2.0)
        assert hyper.select(family, "otb")[1].lost_score == 0.0  # off unless asked for
    assert hyper.search_size("siamcar", "otb,penalty_k=0.3,search_size=287") == 287
    assert hyper.select("siamcar", "otb,search_size=287")[1] == hyper.SETS["siamcar"]["otb"]  # not a Hyper field
    for name, message in (("otb,exponent=2", "fields are"), ("otb,lr=fast", "not a number"), ("vot,lr=1", "unknown"),
                          ("otb,search_size=270", "255 plus a multiple of 16"), ("otb,search_size=big", "whole number"),
                          ("otb,search_size=1023", "between 159 and 831")):
        with pytest.raises(JaxtrackError, match=message):
            hyper.select("siamla", name)
