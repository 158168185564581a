"""Metrics: parity with the got10k toolkit's own code, a pysot reference, VOT EAO, polygon IoU."""

import dataclasses
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from shapely.geometry import Polygon

from got10k.experiments.got10k import ExperimentGOT10k
from got10k.experiments.otb import ExperimentOTB
from got10k.experiments.uav123 import ExperimentUAV123
from got10k.utils.metrics import rect_iou as g_rect_iou
from jaxtrack.eval import result_files as rf
from jaxtrack.data.readers import open_dataset
from jaxtrack.eval import metrics, vot_measures
from jaxtrack.polygons import polygon_iou

TOL = 1e-6


def xywh(boxes):
    return np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)


def xyxy(rows):
    return np.concatenate([rows[:, :2], rows[:, :2] + rows[:, 2:]], axis=1)


def perturb(gt_xyxy, rng, fail=0.1, shift=0.3, scale=0.3):
    """Predictions: random centre shifts and size changes of the ground truth, some frames NaN."""
    rows = xywh(gt_xyxy)
    rows[:, :2] += rng.normal(0, shift, (len(rows), 2)) * rows[:, 2:]
    rows[:, 2:] *= np.exp(rng.normal(0, scale, (len(rows), 2)))
    rows[rng.random(len(rows)) < fail] = np.nan
    return xyxy(rows)


@pytest.fixture(scope="module")
def real_sequences(shared_data):
    otb = list(open_dataset("otb", shared_data / "otb"))
    return otb + list(open_dataset("lasot", shared_data / "lasot")) + list(open_dataset("vot", shared_data / "vot"))


def otb_experiment(cls=ExperimentOTB):
    experiment = cls.__new__(cls)
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    return experiment


def got10k_otb_curves(pred, gt, cls=ExperimentOTB):
    """got10k's report(): first frame set to the ground truth, then its own metrics and curves."""
    experiment = otb_experiment(cls)
    boxes, anno = xywh(pred), xywh(gt)
    boxes[0] = anno[0]
    ious, errors = experiment._calc_metrics(boxes, anno)
    return experiment._calc_curves(ious, errors)


def test_otb_parity_with_got10k(real_sequences):
    rng = np.random.default_rng(2024)
    preds = [perturb(seq.boxes, rng) for seq in real_sequences]
    ours = metrics.score_sequences(preds, real_sequences, "otb")
    succ, prec = zip(*(got10k_otb_curves(p, s.boxes) for p, s in zip(preds, real_sequences)))
    for seq, s, p in zip(real_sequences, succ, prec):
        mine = ours["sequences"][seq.name]
        np.testing.assert_allclose(mine["success_curve"], s, atol=TOL, rtol=0)
        np.testing.assert_allclose(mine["precision_curve"], p, atol=TOL, rtol=0)
        assert abs(mine["auc"] - np.mean(s)) < TOL and abs(mine["precision"] - p[20]) < TOL
    overall_s, overall_p = np.mean(succ, axis=0), np.mean(prec, axis=0)
    assert abs(ours["overall"]["auc"] - np.mean(overall_s)) < TOL
    assert abs(ours["overall"]["precision"] - overall_p[20]) < TOL
    assert abs(ours["overall"]["success_rate"] - overall_s[10]) < TOL
    assert ours["convention"]["name"] == "otb" and 0 < ours["overall"]["auc"] < 1


def test_uav123_drop_parity_with_got10k(real_sequences):
    rng = np.random.default_rng(7)
    for seq in real_sequences:
        gt = seq.boxes.copy()
        gt[rng.random(len(gt)) < 0.15] = np.nan           # UAV123-style unannotated frames
        gt[0] = seq.boxes[0]
        seq = dataclasses.replace(seq, boxes=gt)
        pred = perturb(seq.boxes, rng, fail=0.05)
        mine = metrics.score_sequences([pred], [seq], "got10k-drop")["sequences"][seq.name]
        s, p = got10k_otb_curves(pred, gt, ExperimentUAV123)
        np.testing.assert_allclose(mine["success_curve"], s, atol=TOL, rtol=0)
        np.testing.assert_allclose(mine["precision_curve"], p, atol=TOL, rtol=0)
        assert mine["frames"] == int(np.isfinite(gt[:, 0]).sum())


def test_got10k_ao_parity(real_sequences):
    """AO/SR pooled over visible frames 1.. of all sequences with got10k's clipping."""
    rng = np.random.default_rng(11)
    preds, seqs, sizes, pooled = [], [], [], []
    for seq in real_sequences:
        height, width = seq.frame(0).shape[:2]
        covers = rng.integers(0, 9, len(seq))
        seq = dataclasses.replace(seq, absent=covers == 0)
        pred = perturb(seq.boxes, rng, shift=1.0)          # large shifts: boxes cross the image edges
        anno, boxes = xywh(seq.boxes), np.nan_to_num(xywh(pred))  # got10k's AO is NaN for NaN rows
        ious = g_rect_iou(boxes[1:].copy(), anno[1:].copy(), bound=(width, height))
        pooled.append(ious[covers[1:] > 0])
        preds.append(pred), seqs.append(seq), sizes.append((width, height))
    ours = metrics.score_sequences(preds, seqs, "got10k", sizes)["overall"]
    ao, sr, _, curve = ExperimentGOT10k._evaluate(None, np.concatenate(pooled), [])
    assert abs(ours["ao"] - ao) < TOL and abs(ours["sr50"] - sr) < TOL
    np.testing.assert_allclose(ours["ao_success_curve"], curve, atol=TOL, rtol=0)
    assert abs(ours["sr75"] - np.mean(np.concatenate(pooled) > 0.75)) < TOL


def pysot_reference(pred, gt, absent):
    """pysot's OPE rules, written out: visible frames scored, all frames in the denominator;
    overlap -1 (miss) where the ground truth has no positive size, centre error -1 (hit) where
    its centre is not positive; normalized error at 0.20 uses gt size + 1e-16."""
    n = len(gt)
    g, p = xywh(gt)[~absent], xywh(pred)[~absent]
    with np.errstate(invalid="ignore"):
        sized = (g[:, 2] > 0) & (g[:, 3] > 0)
    overlap = np.full(len(g), -1.0)
    for i in np.flatnonzero(sized):
        ix = min(g[i, 0] + g[i, 2], p[i, 0] + p[i, 2]) - max(g[i, 0], p[i, 0])
        iy = min(g[i, 1] + g[i, 3], p[i, 1] + p[i, 3]) - max(g[i, 1], p[i, 1])
        inter = max(ix, 0) * max(iy, 0)
        overlap[i] = inter / (g[i, 2] * g[i, 3] + p[i, 2] * p[i, 3] - inter)
    success = np.array([np.sum(overlap > t) for t in np.arange(0, 1.05, 0.05)]) / n
    gc, pc = g[:, :2] + (g[:, 2:] - 1) / 2, p[:, :2] + (p[:, 2:] - 1) / 2
    with np.errstate(invalid="ignore"):
        shown = np.all(gc > 0, axis=1)
    dist = np.where(shown, np.hypot(*(gc - pc).T), -1.0)
    ndist = np.where(shown, np.hypot(*((gc - pc) / (g[:, 2:] + 1e-16)).T), -1.0)
    precision = np.array([np.sum(dist <= t) for t in range(51)]) / n
    norm = np.array([np.sum(ndist <= t / 100) for t in range(51)]) / n
    return success, precision, norm


def test_pysot_convention_matches_reference(real_sequences):
    rng = np.random.default_rng(3)
    for seq in real_sequences:
        gt = seq.boxes.copy()
        gt[rng.random(len(gt)) < 0.1] = np.nan
        gt[0] = seq.boxes[0]
        absent = rng.random(len(gt)) < 0.1
        absent[0] = False
        seq = dataclasses.replace(seq, boxes=gt, absent=absent)
        pred = perturb(seq.boxes, rng)
        pred[0] = gt[0]
        mine = metrics.score_sequences([pred], [seq], "pysot")["sequences"][seq.name]
        s, p, n = pysot_reference(pred, gt, absent)
        np.testing.assert_allclose(mine["success_curve"], s, atol=TOL, rtol=0)
        np.testing.assert_allclose(mine["precision_curve"], p, atol=TOL, rtol=0)
        np.testing.assert_allclose(mine["norm_precision_curve"], n, atol=TOL, rtol=0)
        assert abs(mine["norm_precision"] - n[20]) < TOL
        # invalid ground truth moves pysot above got10k-drop on precision only through hits
        assert mine["precision"] >= metrics.score_sequences([pred], [seq], "otb")["sequences"][seq.name]["precision"]


def test_got10k_lasot_normalized_precision(real_sequences):
    rng = np.random.default_rng(5)
    seq = real_sequences[0]
    pred = perturb(seq.boxes, rng, fail=0)
    mine = metrics.score_sequences([pred], [seq], "got10k-drop")["overall"]
    p, g = xywh(pred), xywh(seq.boxes)
    p[0] = g[0]
    err = np.hypot(*((p[:, :2] + (p[:, 2:] - 1) / 2 - g[:, :2] - (g[:, 2:] - 1) / 2) / np.maximum(g[:, 2:], 1)).T)
    curve = np.mean(err[:, None] <= np.linspace(0, 0.5, 51)[None], axis=0)
    assert abs(mine["norm_precision"] - np.mean(curve)) < TOL


finite_rows = hnp.arrays(np.float64, st.integers(2, 40).map(lambda n: (n, 4)),
                         elements=st.floats(1, 300, allow_subnormal=False))


@settings(max_examples=30, deadline=None)
@given(gt=finite_rows, pred_noise=st.integers(0, 2**32 - 1), delimiter=st.sampled_from([",", "\t", " "]),
       nan_gt=st.booleans())
def test_random_otb_sequences_match_got10k(gt, pred_noise, delimiter, nan_gt):
    """Random OTB-format sequences written to disk, read back by the reader, scored by both."""
    rng = np.random.default_rng(pred_noise)
    if nan_gt and len(gt) > 2:
        gt[rng.integers(1, len(gt))] = np.nan
    with tempfile.TemporaryDirectory() as root:
        folder = os.path.join(root, "Random", "img")
        os.makedirs(folder)
        for i in range(len(gt)):
            open(os.path.join(folder, f"{i + 1:04d}.jpg"), "wb").close()
        with open(os.path.join(root, "Random", "groundtruth_rect.txt"), "w") as f:
            f.writelines(delimiter.join(repr(float(v)) for v in row) + "\n" for row in gt)
        seq = open_dataset("otb", root)["Random"]
    np.testing.assert_allclose(xywh(seq.boxes), gt, rtol=1e-12)   # x2 = x + w, so w up to rounding
    pred = xyxy(gt + rng.normal(0, 20, gt.shape))
    pred[rng.random(len(gt)) < 0.2] = np.nan
    mine = metrics.score_sequences([pred], [seq], "otb")["sequences"]["Random"]
    s, p = got10k_otb_curves(pred, seq.boxes)
    np.testing.assert_allclose(mine["success_curve"], s, atol=TOL, rtol=0)
    np.testing.assert_allclose(mine["precision_curve"], p, atol=TOL, rtol=0)


def test_iou_and_center_error_cases():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], float)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [np.nan] * 4, [0, 0, 10, 10]], float)
    np.testing.assert_allclose(metrics.iou(a, b), [1 / 3, 0, 0, 1])
    np.testing.assert_allclose(metrics.center_error(a, b)[[0, 3]], [5, 0])
    assert np.isnan(metrics.center_error(a, b)[2])
    np.testing.assert_allclose(metrics.centers(a[:1]), [[4.5, 4.5]])        # x + (w - 1) / 2
    np.testing.assert_array_equal(metrics.success_curve(np.array([0.0, 0.5, 1.0]), np.array([0, 0.5])), [2 / 3, 1 / 3])
    np.testing.assert_allclose(metrics.clip_to_image(np.array([[-5.0, 2, 5, 8]]), 4, 6), [[0, 2, 4, 6]])
    with pytest.raises(ValueError, match="first_frame"):
        metrics.Convention("bad", first_frame="first")


# --- VOT ----------------------------------------------------------------------------------------

GT_SQUARE = np.array([0, 0, 10, 0, 10, 10, 0, 10], float)


def record(codes, values):
    """A reset record whose predicted boxes overlap the 10x10 ground truth by exactly ``values``."""
    codes = np.array(codes)
    regions = np.full((len(codes), 8), np.nan)
    for i, v in enumerate(values):
        if codes[i] == rf.PREDICTED:
            regions[i] = [0, 0, 10 * v, 0, 10 * v, 10, 0, 10]
    return rf.ResetRecord(codes, regions)


def test_vot_eao_hand_computed():
    P, I, F, S = rf.PREDICTED, rf.INIT, rf.FAILURE, rf.SKIPPED
    runs = [record([I, P, P, P, P, P], [0, .5, .5, .5, .5, .5]),
            record([I, P, F, S, S, S], [0, .8, 0, 0, 0, 0]),
            record([I, P, F, S, S, I, P, P], [0, .6, 0, 0, 0, 0, .9, .7])]
    gts = [np.tile(GT_SQUARE, (len(r.codes), 1)) for r in runs]
    overlaps = [vot_measures.record_overlaps(r, g) for r, g in zip(runs, gts)]
    curve = vot_measures.expected_overlap_curve(runs, overlaps)
    # segments: [.5 x5 | undefined after 6], [.8 then 0], [.6 then 0], [.9 .7 | undefined after 3]
    expected = [1, (.5 + .8 + .6 + .9) / 4, (.5 + .4 + .3 + .8) / 4, (.5 + .8 / 3 + .2) / 3,
                (.5 + .2 + .15) / 3, (.5 + .16 + .12) / 3, (.8 / 6 + .1) / 2, (.8 / 7 + .6 / 7) / 2]
    np.testing.assert_allclose(curve, expected, atol=1e-12)
    assert abs(vot_measures.expected_average_overlap(curve, (2, 5)) - np.mean(expected[1:5])) < 1e-12
    ar = vot_measures.accuracy_robustness([[r] for r in runs], gts, [None] * 3, burnin=1)
    assert abs(ar["accuracy"] - (2.5 + .8 + .6 + .9 + .7) / 9) < 1e-12
    ar = vot_measures.accuracy_robustness([[r] for r in runs], gts, [None] * 3, burnin=2)
    assert abs(ar["accuracy"] - (2.0 + .7) / 5) < 1e-12
    assert ar["failures"] == 2 and abs(ar["robustness"] - 100 * 2 / 20) < 1e-12
    result = vot_measures.score_reset_runs([[r] for r in runs], gts, [None] * 3, ["a", "b", "c"], "vot2019")
    assert result["convention"]["eao_range"] == (46, 291) and result["sequences"]["c"]["failures"] == 1


def test_vot_accuracy_averages_runs_per_frame():
    P, I = rf.PREDICTED, rf.INIT
    runs = [record([I, P, P], [0, .2, .4]), record([I, P, P], [0, .6, .8])]
    ar = vot_measures.accuracy_robustness([runs], [np.tile(GT_SQUARE, (3, 1))], [None], burnin=1)
    assert abs(ar["accuracy"] - 0.5) < 1e-12 and ar["failures"] == 0


# --- polygon IoU ----------------------------------------------------------------------------

def test_polygon_iou_cases():
    square = [0, 0, 1, 0, 1, 1, 0, 1]
    shifted = [0.5, 0, 1.5, 0, 1.5, 1, 0.5, 1]
    diamond = [1, 0, 2, 1, 1, 2, 0, 1]
    big = [0, 0, 2, 0, 2, 2, 0, 2]
    cases = np.array([square, square, square, diamond, square[::-1]]), \
        np.array([square, shifted, [5, 5, 6, 5, 6, 6, 5, 6], big, shifted[::-1]])
    np.testing.assert_allclose(polygon_iou(*cases), [1, 1 / 3, 0, 0.5, 1 / 3], atol=1e-12)
    outside = [-1, -1, 1, -1, 1, 1, -1, 1]
    assert polygon_iou([outside], [square])[0] == pytest.approx(0.25)
    assert polygon_iou([outside], [square], bound=(10, 10))[0] == pytest.approx(1.0)
    assert np.isnan(polygon_iou([[np.nan] * 8], [square])[0])
    assert polygon_iou([[0, 0, 0, 0, 0, 0, 0, 0]], [square])[0] == 0


def test_polygon_iou_matches_shapely_on_rotated_rectangles():
    rng = np.random.default_rng(0)

    def rotated(n):
        c, wh, a = rng.uniform(0, 20, (n, 2)), rng.uniform(1, 10, (n, 2)), rng.uniform(0, np.pi, n)
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) / 2
        rot = np.stack([np.cos(a), -np.sin(a), np.sin(a), np.cos(a)], 1).reshape(n, 2, 2)
        return (c[:, None] + np.einsum("nij,nkj->nki", rot, corners[None] * wh[:, None])).reshape(n, 8)

    a, b = rotated(200), rotated(200)
    expected = [Polygon(p.reshape(4, 2)).intersection(Polygon(q.reshape(4, 2))).area
                / Polygon(p.reshape(4, 2)).union(Polygon(q.reshape(4, 2))).area for p, q in zip(a, b)]
    np.testing.assert_allclose(polygon_iou(a, b), expected, atol=1e-9)
    assert np.mean(np.array(expected) > 0) > 0.2      # the cases overlap often enough to matter


def test_convention_overrides_are_recorded(real_sequences):
    seq = real_sequences[0]
    pred = seq.boxes + 2.0
    pred[0] = np.nan                                     # only matters when frame 0 is scored
    gt_first = metrics.score_sequences([pred], [seq], "otb")
    scored = metrics.score_sequences([pred], [seq], "otb", first_frame="score")
    assert scored["convention"]["name"] == "otb(first_frame=score)"
    assert scored["convention"]["first_frame"] == "score" and gt_first["convention"]["first_frame"] == "gt"
    assert scored["overall"]["auc"] < gt_first["overall"]["auc"]
    with pytest.raises(ValueError, match="absent"):
        metrics.score_sequences([pred], [seq], "otb", absent="ignore")
