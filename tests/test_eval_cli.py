"""``jaxtrack eval``: real OTB sequences, a random Siamese model end to end, comparison reports,
benchmark layouts (GOT-10k, TrackingNet, VOT), several processes and resuming."""

import json
import os
import zipfile

import cv2
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.cli import main
from jaxtrack.eval import runner
from jaxtrack.eval.result_files import read_boxes, read_record

from tracking_helpers import random_model


@pytest.fixture(scope="module")
def car_model(tmp_path_factory):
    _, variables = random_model("siamcar_small", seed=1)
    path = tmp_path_factory.mktemp("models") / "car_small"
    models.save(path, "siamcar_small", {}, variables)
    return path


def test_eval_csrt_on_two_otb_sequences(shared_data, tmp_path, capsys):
    out = tmp_path / "csrt.json"
    assert main(["eval", "--model", "csrt", "--dataset", "otb", "--root", str(shared_data / "otb"),
                 "--sequences", "Crossing", "Deer", "--workdir", str(tmp_path / "w"), "--json", str(out),
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "Crossing" in printed and "fps" in printed
    entry = json.loads(out.read_text())["trackers"]["csrt"]
    per_sequence = entry["scores"]["sequences"]
    assert abs(per_sequence["Crossing"]["auc"] - 0.769) < 0.01  # shared/data README
    assert abs(per_sequence["Deer"]["auc"] - 0.694) < 0.01
    assert entry["speed"]["frames"] == 120 + 71 and entry["speed"]["fps"] > 0
    for name in ("summary.md", "success.png", "precision.png"):
        assert (tmp_path / "w" / "otb" / name).stat().st_size > 0


def test_eval_random_siamcar_small_end_to_end(shared_data, car_model, tmp_path, capsys):
    workdir = tmp_path / "w"
    assert main(["eval", "--model", str(car_model), "csrt", "--dataset", "otb", "--root",
                 str(shared_data / "otb"), "--sequences", "Crossing", "--workdir", str(workdir),
                 "--json", str(tmp_path / "both.json"), "--no-progress"]) == 0
    results = workdir / "otb" / "car_small-otb"
    boxes = read_boxes(results / "Crossing.txt", 120)
    assert np.all(np.isfinite(boxes)) and np.all(boxes[:, 2:] > boxes[:, :2])
    assert len(np.loadtxt(results / "Crossing_time.txt")) == 120
    summary = (workdir / "otb" / "summary.md").read_text()
    assert "car_small-otb" in summary and "csrt" in summary  # a comparison over both trackers
    report = json.loads((tmp_path / "both.json").read_text())
    assert report["trackers"]["car_small-otb"]["hyper"] == "otb"
    capsys.readouterr()
    assert main(["score", "--dataset", "otb", "--root", str(shared_data / "otb"), "--results", str(results),
                 "--sequences", "Crossing"]) == 0
    auc = report["trackers"]["car_small-otb"]["scores"]["overall"]["auc"]
    assert f"{auc:.3f}" in capsys.readouterr().out.splitlines()[-1]


def test_interrupted_eval_resumes(shared_data, tmp_path, monkeypatch):
    tracked = []
    original = runner.run_sequence

    def crash_after_first(tracker, sequence):
        tracked.append(sequence.name)
        if len(tracked) == 2:
            raise RuntimeError("simulated crash")
        return original(tracker, sequence)

    monkeypatch.setattr(runner, "run_sequence", crash_after_first)
    args = ["eval", "--model", "csrt", "--dataset", "otb", "--root", str(shared_data / "otb"),
            "--sequences", "Crossing", "Deer", "--workdir", str(tmp_path), "--no-progress"]
    with pytest.raises(RuntimeError, match="simulated crash"):
        main(args)
    results = tmp_path / "otb" / "csrt"
    assert sorted(os.listdir(results)) == ["Crossing.txt", "Crossing_time.txt", "producer.json"]
    tracked.clear()
    monkeypatch.setattr(runner, "run_sequence", lambda t, s: tracked.append(s.name) or original(t, s))
    assert main(args) == 0
    assert tracked == ["Deer"]
    assert read_boxes(results / "Deer.txt", 71).shape == (71, 4)


def _write_frames(folder, start=0, pattern="{:08d}.jpg"):
    """10 frames 96x72 of a textured square moving right; returns its x,y,w,h rows."""
    rng = np.random.default_rng(len(str(folder)))
    texture = rng.integers(0, 255, (20, 24, 3), np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for t in range(10):
        frame = np.full((72, 96, 3), 90, np.uint8)
        frame[20:40, 10 + 4 * t:34 + 4 * t] = texture
        cv2.imwrite(str(folder / pattern.format(start + t)), frame)
        rows.append(f"{10 + 4 * t},20,24,20")
    return rows


def test_eval_got10k_layout_in_two_processes(tmp_path):
    root = tmp_path / "got10k" / "val"
    names = ["GOT-10k_Val_000001", "GOT-10k_Val_000002", "GOT-10k_Val_000003"]
    for name in names:
        rows = _write_frames(root / name, start=1)
        (root / name / "groundtruth.txt").write_text("\n".join(rows) + "\n")
    (root / "list.txt").write_text("\n".join(names) + "\n")
    assert main(["eval", "--model", "csrt", "--dataset", "got10k", "--root", str(tmp_path / "got10k"),
                 "--workdir", str(tmp_path / "w"), "--processes", "2", "--no-progress",
                 "--json", str(tmp_path / "got.json")]) == 0
    results = tmp_path / "w" / "got10k" / "csrt"
    for name in names:
        assert read_boxes(results / name / f"{name}_001.txt", 10).shape == (10, 4)
        assert len(np.loadtxt(results / name / f"{name}_time.txt")) == 10
    overall = json.loads((tmp_path / "got.json").read_text())["trackers"]["csrt"]["scores"]["overall"]
    assert overall["ao"] > 0.5 and "sr50" in overall


def test_eval_trackingnet_zip_and_vot_records(tmp_path):
    chunk = tmp_path / "trackingnet" / "TRAIN_0"
    rows = _write_frames(chunk / "frames" / "clipA", pattern="{}.jpg")
    (chunk / "anno").mkdir()
    (chunk / "anno" / "clipA.txt").write_text("\n".join(rows) + "\n")
    assert main(["eval", "--model", "csrt", "--dataset", "trackingnet", "--root", str(tmp_path / "trackingnet"),
                 "--workdir", str(tmp_path / "w"), "--no-progress"]) == 0
    with zipfile.ZipFile(tmp_path / "w" / "trackingnet" / "csrt.zip") as archive:
        assert archive.namelist() == ["clipA.txt"]
        assert len(archive.read("clipA.txt").decode().split()) == 10

    rows = _write_frames(tmp_path / "vot" / "square", start=1)
    polygons = [f"{x},{y},{x + w},{y},{x + w},{y + h},{x},{y + h}" for x, y, w, h in
                (map(float, r.split(",")) for r in rows)]
    (tmp_path / "vot" / "square" / "groundtruth.txt").write_text("\n".join(polygons) + "\n")
    assert main(["eval", "--model", "csrt", "--dataset", "vot2019", "--root", str(tmp_path / "vot"),
                 "--workdir", str(tmp_path / "w"), "--no-progress"]) == 0
    record = read_record(tmp_path / "w" / "vot2019" / "csrt" / "baseline" / "square" / "square_001.txt", 10)
    assert record.codes[0] == 1 and len(record.codes) == 10
