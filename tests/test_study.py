"""The assigner study: one compiled sweep equals direct assigner calls; the command's report."""

import jax
import numpy as np

from jaxtrack import assign, cli
from jaxtrack.assign import label_study


def _boxes(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return label_study.search_crop_boxes(label_study.synthetic_frame_boxes(n, rng), rng)


def test_sweep_equals_direct_calls():
    boxes = _boxes()
    grids = label_study.default_grids("small")
    results = label_study.run_study(boxes, grids, chunk=16)
    assert set(results) == {f.name for f in grids}
    points = assign.point_grid()
    rule = next(f for f in grids if f.name == "dla/virtual_iou")
    for s, setting in enumerate(rule.settings()):
        direct = jax.vmap(lambda g: assign.dla(points, g, statistic="virtual_iou", **setting).cls)(boxes)
        np.testing.assert_array_equal(results[rule.name][s, :, 0], (np.asarray(direct) == 1).sum(1))
    centre = next(f for f in grids if f.name == "center_region")
    for s, setting in enumerate(centre.settings()):
        labels = jax.vmap(lambda g: assign.center_region(points, g, **setting))(boxes)
        positive = np.asarray(labels.cls) == 1
        expected_iou = (np.asarray(labels.iou) * positive).sum(1) / np.maximum(positive.sum(1), 1)
        np.testing.assert_allclose(results[centre.name][s, :, 1], expected_iou, rtol=1e-5, atol=1e-6)


def test_summary_bins_cover_every_box():
    boxes = _boxes(200)
    grids = label_study.default_grids("small")
    rows = label_study.summarize(boxes, label_study.run_study(boxes, grids), grids)
    for rule in grids:
        for setting in rule.settings():
            name = ", ".join(f"{k}={v}" for k, v in setting.items())
            for axis in ("scale", "aspect"):
                chosen = [r for r in rows if r["rule"] == rule.name and r["setting"] == name and r["axis"] == axis]
                assert sum(r["targets"] for r in chosen) == 200
                assert all(0 <= r["no_positive"] <= 1 and r["positives"] >= 0 for r in chosen)


def test_search_crop_boxes_follow_pysot_normalisation():
    rng = np.random.default_rng(0)
    frame = np.array([[0, 0, 50, 50], [0, 0, 200, 50]], np.float64)
    crop = label_study.search_crop_boxes(frame, rng, shift=0, scale=0, scale_change=1)
    wh = crop[:, 2:] - crop[:, :2]
    np.testing.assert_allclose(wh[0], [63.5, 63.5], rtol=1e-5)  # square: half the exemplar
    p = 0.5 * 250
    np.testing.assert_allclose(wh[1], np.array([200, 50]) * 127 / np.sqrt((200 + p) * (50 + p)), rtol=1e-5)
    np.testing.assert_allclose((crop[:, :2] + crop[:, 2:]) / 2, 127, atol=1e-4)


def test_study_command_writes_report(tmp_path, capsys):
    assert cli.main(["study", "--workdir", str(tmp_path), "--boxes", "60", "--grid", "small"]) == 0
    for name in ("study.md", "study.csv", "study.json", "study_scale.png", "study_aspect.png", "label_maps.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    text = (tmp_path / "study.md").read_text()
    assert "By target scale" in text and "fixed_iou" in text
    assert "assignments in" in capsys.readouterr().out


def test_study_command_rejects_bad_arguments(capsys):
    assert cli.main(["study", "--boxes", "0"]) == 2
    assert "--boxes" in capsys.readouterr().err
    assert cli.main(["study", "--dataset", "otb"]) == 2
