"""TNL2K: its layout (imgs/, groundtruth.txt, language.txt, zero rows where the target is gone) and
``jaxtrack eval --dataset tnl2k`` scored as LaSOT's toolkit scores it, checked by hand, and tracking with
SiamCAR's LaSOT set."""

import json

import cv2
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.cli import main
from jaxtrack.data.readers import open_dataset
from jaxtrack.eval.benchmarks import BENCHMARKS
from jaxtrack.track import hyper

from tracking_helpers import random_model


def write_sequence(folder, gone=(), ext="png"):
    """12 frames 96x72 of a textured square moving right (frames 1.png..), the target gone (a zero
    row, a grey frame) in the frames ``gone``; returns the ground-truth rows."""
    rng = np.random.default_rng(len(folder.name))
    texture = rng.integers(0, 255, (20, 24, 3), np.uint8)
    (folder / "imgs").mkdir(parents=True)
    rows = []
    for t in range(12):
        frame = np.full((72, 96, 3), 90, np.uint8)
        if t in gone:
            rows.append((0, 0, 0, 0))
        else:
            frame[20:40, 8 + 4 * t:32 + 4 * t] = texture
            rows.append((8 + 4 * t, 20, 24, 20))
        cv2.imwrite(str(folder / "imgs" / f"{t + 1:05d}.{ext}"), frame)
    (folder / "groundtruth.txt").write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    (folder / "language.txt").write_text(f"the square moving right in {folder.name}\n")
    return rows


def hand_scores(gt_rows, pred_rows):
    """pysot's OPE (= LaSOT's MATLAB toolkit) for one sequence, written out frame by frame."""
    ious, errors, norm_errors = [], [], []
    for t, (gt, pred) in enumerate(zip(gt_rows, pred_rows)):
        gx, gy, gw, gh = gt
        px, py, pw, ph = gt if t == 0 else pred  # the tracker was initialised on frame 0
        if gw <= 0 or gh <= 0:  # no target: overlap a miss, centre a hit
            ious.append(0.0), errors.append(-1.0), norm_errors.append(-1.0)
            continue
        iw = max(0.0, min(px + pw, gx + gw) - max(px, gx))
        ih = max(0.0, min(py + ph, gy + gh) - max(py, gy))
        ious.append(iw * ih / (pw * ph + gw * gh - iw * ih))
        dx, dy = (px + (pw - 1) / 2) - (gx + (gw - 1) / 2), (py + (ph - 1) / 2) - (gy + (gh - 1) / 2)
        errors.append((dx ** 2 + dy ** 2) ** 0.5)
        norm_errors.append(((dx / gw) ** 2 + (dy / gh) ** 2) ** 0.5)
    n = len(ious)
    success = [sum(i > k / 20 for i in ious) / n for k in range(21)]
    return {"auc": sum(success) / 21, "precision": sum(e <= 20 for e in errors) / n,
            "norm_precision": sum(e <= 0.2 for e in norm_errors) / n}


def test_tnl2k_layout(tmp_path):
    write_sequence(tmp_path / "Arrow_video_01", gone=(5,))
    write_sequence(tmp_path / "BlackCar_video_02", ext="jpg")
    dataset = open_dataset("tnl2k", tmp_path)
    assert dataset.names() == ["Arrow_video_01", "BlackCar_video_02"]
    seq = dataset["Arrow_video_01"]
    assert len(seq) == 12 and seq.frames[11].endswith("imgs/00012.png")
    assert seq.attributes == {"language": "the square moving right in Arrow_video_01", "invalid_boxes": 1}
    assert np.isnan(seq.boxes[5]).all() and seq.valid.sum() == 11
    np.testing.assert_array_equal(seq.boxes[1], [12, 20, 36, 40])
    assert BENCHMARKS.get("tnl2k").convention == "pysot"


def test_eval_tnl2k_scores_equal_a_hand_computation(tmp_path):
    root = tmp_path / "TNL2K_test_subset"
    truth = {"Arrow_video_01": write_sequence(root / "Arrow_video_01", gone=(6, 7)),
             "BlackCar_video_02": write_sequence(root / "BlackCar_video_02")}
    assert main(["eval", "--model", "csrt", "--dataset", "tnl2k", "--root", str(root), "--workdir",
                 str(tmp_path / "w"), "--json", str(tmp_path / "scores.json"), "--no-progress"]) == 0
    scores = json.loads((tmp_path / "scores.json").read_text())["trackers"]["csrt"]["scores"]
    assert scores["convention"]["name"] == "pysot"
    expected = {}
    for name, gt_rows in truth.items():
        pred_rows = np.loadtxt(tmp_path / "w" / "tnl2k" / "csrt" / f"{name}.txt", delimiter=",").tolist()
        expected[name] = hand_scores(gt_rows, pred_rows)
        for key, value in expected[name].items():
            assert abs(scores["sequences"][name][key] - value) < 1e-12, (name, key)
    for key in ("auc", "precision", "norm_precision"):
        assert abs(scores["overall"][key] - np.mean([e[key] for e in expected.values()])) < 1e-12
    assert expected["Arrow_video_01"]["auc"] < 11 / 12  # the two frames without target are misses


def test_eval_tnl2k_tracks_siamcar_with_the_lasot_set(tmp_path):
    write_sequence(tmp_path / "tnl2k" / "Arrow_video_01")
    _, variables = random_model("siamcar_small")
    models.save(tmp_path / "car", "siamcar_small", {}, variables)
    assert main(["eval", "--model", str(tmp_path / "car"), "--dataset", "tnl2k", "--root", str(tmp_path / "tnl2k"),
                 "--workdir", str(tmp_path / "w"), "--json", str(tmp_path / "scores.json"), "--no-progress"]) == 0
    entry = json.loads((tmp_path / "scores.json").read_text())["trackers"]["car-lasot"]
    assert entry["hyper"] == "lasot" and (tmp_path / "w" / "tnl2k" / "car-lasot" / "Arrow_video_01.txt").is_file()
    producer = json.loads((tmp_path / "w" / "tnl2k" / "car-lasot" / "producer.json").read_text())
    lasot = {k: v for k, v in hyper.SETS["siamcar"]["lasot"]._asdict().items()
             if k not in hyper.LOST_MODE + hyper.TEMPLATE_UPDATE}
    assert producer["hyper_values"] == pytest.approx(lasot)  # lost mode and template update off: not in the record
