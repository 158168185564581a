"""Fault and bad-input probes of issue 16: names that lead out of a root, stale results, absurd
boxes, resuming from an earlier step, other toolkits' result files."""

import json
import os

import cv2
import numpy as np
import pytest

from jaxtrack.cli import main
from jaxtrack.data.readers import open_dataset
from jaxtrack.errors import JaxtrackError
from jaxtrack.files import inside


def write_clip(folder, start=1, frames=10, pattern="{:08d}.jpg"):
    """``frames`` frames 96x72 of a textured square moving right; returns its x,y,w,h rows."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (20, 24, 3), np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for t in range(frames):
        frame = np.full((72, 96, 3), 90, np.uint8)
        frame[20:40, 10 + 2 * t:34 + 2 * t] = texture
        cv2.imwrite(str(folder / pattern.format(start + t)), frame)
        rows.append(f"{10 + 2 * t},20,24,20")
    (folder / "groundtruth.txt").write_text("\n".join(rows) + "\n")
    return rows


# 1. names from list files ---------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["../../outside_seq", "/abs/seq", "a/b", ".."])
def test_got10k_list_names_must_be_plain(tmp_path, capsys, bad):
    root = tmp_path / "got" / "val"
    write_clip(root / "seq_a")
    write_clip(tmp_path / "outside_seq")
    (root / "list.txt").write_text(f"seq_a\n{bad}\n")
    code = main(["eval", "--model", "csrt", "--dataset", "got10k", "--root", str(tmp_path / "got"),
                 "--split", "val", "--workdir", str(tmp_path / "w"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and f"list.txt:2: {bad!r} is not a plain" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "w").exists() and sorted(os.listdir(tmp_path)) == ["got", "outside_seq"]


def test_vot_lasot_coco_names_must_be_plain(tmp_path):
    write_clip(tmp_path / "vot" / "square")
    (tmp_path / "vot" / "list.txt").write_text("square\n../square\n")
    with pytest.raises(JaxtrackError, match=r"list.txt:2: '../square'"):
        open_dataset("vot", tmp_path / "vot")
    cls = tmp_path / "lasot" / "cat"
    write_clip(cls / "cat-1" / "img")
    os.replace(cls / "cat-1" / "img" / "groundtruth.txt", cls / "cat-1" / "groundtruth.txt")
    (tmp_path / "lasot" / "testing_set.txt").write_text("/etc/cat-1\n")
    with pytest.raises(JaxtrackError, match=r"testing_set.txt:1: '/etc/cat-1'"):
        open_dataset("lasot", tmp_path / "lasot", split="test")
    coco = tmp_path / "coco"
    (coco / "images").mkdir(parents=True)
    (coco / "annotations").mkdir()
    (coco / "annotations" / "i.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "../../x.jpg"}],
        "annotations": [{"id": 1, "image_id": 1, "bbox": [1, 1, 5, 5]}]}))
    with pytest.raises(JaxtrackError, match=r"i.json: image 0 \(id 1\): '../../x.jpg'"):
        open_dataset("coco", coco)


def test_inside_refuses_paths_out_of_the_folder(tmp_path):
    assert inside(tmp_path, "a", "b.txt") == os.path.join(str(tmp_path), "a", "b.txt")
    for parts in (("..", "x"), ("/etc/passwd",), ("a", "../../x")):
        with pytest.raises(JaxtrackError, match="not inside"):
            inside(tmp_path, *parts)


# 2. results record their producer --------------------------------------------------------------

def _got10k(tmp_path, frames=6):
    root = tmp_path / "got" / "val"
    write_clip(root / "seq_a", frames=frames)
    (root / "list.txt").write_text("seq_a\n")
    return tmp_path / "got"


def test_eval_refuses_results_of_another_model_under_the_same_name(tmp_path, capsys):
    from jaxtrack import models
    from tracking_helpers import random_model

    root = _got10k(tmp_path)
    for folder, seed in (("A", 0), ("B", 1)):
        _, variables = random_model("siamcar_small", seed=seed)
        models.save(tmp_path / folder / "tr", "siamcar_small", {}, variables)
    command = ["eval", "--dataset", "got10k", "--root", str(root), "--workdir", str(tmp_path / "w"),
               "--no-progress", "--json", str(tmp_path / "s.json"), "--model"]
    assert main(command + [str(tmp_path / "A" / "tr")]) == 0
    out = tmp_path / "w" / "got10k" / "tr-got10k"
    first = (out / "seq_a" / "seq_a_001.txt").read_text()
    record = json.loads((out / "producer.json").read_text())
    assert record["tracker"] == "siamcar" and record["hyper"] == "got10k" and len(record["model"]) == 24
    assert main(command + [str(tmp_path / "A" / "tr")]) == 0  # same model: resumed, nothing tracked again
    assert (out / "seq_a" / "seq_a_001.txt").read_text() == first
    capsys.readouterr()
    assert main(command + [str(tmp_path / "B" / "tr")]) == 2
    err = capsys.readouterr().err
    assert "holds results of another tracker (model" in err and "--force" in err and len(err.splitlines()) == 1
    assert main(command + [str(tmp_path / "B" / "tr"), "--force"]) == 0
    assert json.loads((out / "producer.json").read_text())["model"] != record["model"]
    assert (out / "seq_a" / "seq_a_001.txt").read_text() != first


def test_run_benchmark_keeps_skipping_with_an_unchanged_record(tmp_path):
    from jaxtrack.eval.runner import run_benchmark

    class Factory:
        def __init__(self, version):
            self.version, self.calls = version, 0

        def __call__(self):
            self.calls += 1
            return TRACKERS.get("csrt")()

        def record(self):
            return {"tracker": "test", "model": self.version}

    from jaxtrack.track import TRACKERS

    dataset = open_dataset("got10k", _got10k(tmp_path), split="val")
    first = Factory("a")
    run_benchmark(first, dataset, str(tmp_path / "out"), progress=False)
    again = Factory("a")
    assert run_benchmark(again, dataset, str(tmp_path / "out"), progress=False)["seq_a"]["skipped"]
    assert (first.calls, again.calls) == (1, 0)
    with pytest.raises(JaxtrackError, match=r"another tracker \(model 'a' -> 'b'\)"):
        run_benchmark(Factory("b"), dataset, str(tmp_path / "out"), progress=False)
    other = Factory("b")
    assert not run_benchmark(other, dataset, str(tmp_path / "out"), progress=False, force=True)["seq_a"]["skipped"]
    assert other.calls == 1


def test_results_without_a_record_are_adopted_with_a_note(tmp_path, capsys):
    from jaxtrack.eval.provenance import claim

    out = tmp_path / "tr"
    out.mkdir()
    (out / "seq.txt").write_text("1,1,5,5\n")
    claim(out, {"tracker": "a"})
    assert "has results without a record of their producer; they are kept" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["producer.json", "seq.txt"]
    os.remove(out / "producer.json")
    claim(out, {"tracker": "a"}, force=True)  # replaced, without a note that they are kept
    assert capsys.readouterr().err == "" and os.listdir(out) == ["producer.json"]


# 3. initial boxes ------------------------------------------------------------------------------

@pytest.mark.parametrize("model", ["default", "csrt"])
@pytest.mark.parametrize("init, problem", [
    ("0,0,1e30,1e30", "at most 2 times the frame's"), ("0,0,nan,5", "finite"), ("0,0,1e-30,5", "at least 0.1 px"),
    ("500,500,10,10", "outside the frame"), ("1e30,0,5,5", "outside the frame")])
def test_track_refuses_absurd_initial_boxes(tmp_path, capsys, model, init, problem):
    write_clip(tmp_path / "clip", frames=3)
    code = main(["track", "--model", model, "--video", str(tmp_path / "clip"), f"--init={init}",
                 "--out", str(tmp_path / "boxes.txt")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("jaxtrack track: error: ")
    assert f"--init {init}" in err and problem in err and not (tmp_path / "boxes.txt").exists()


def test_benchmark_refuses_an_absurd_ground_truth_box(tmp_path):
    from jaxtrack.eval.runner import run_benchmark
    from jaxtrack.track import TRACKERS

    root = _got10k(tmp_path, frames=3)
    (root / "val" / "seq_a" / "groundtruth.txt").write_text("0,0,1e30,1e30\n1,1,5,5\n1,1,5,5\n")
    dataset = open_dataset("got10k", root, split="val")
    with pytest.raises(JaxtrackError, match=r"'seq_a' frame 0: initial box x,y,w,h = 0.0,0.0,1e\+30,1e\+30"):
        run_benchmark(TRACKERS.get("csrt"), dataset, str(tmp_path / "out"), progress=False)


# 4. resuming from an earlier step --------------------------------------------------------------

@pytest.mark.slow
def test_resume_step_sets_later_checkpoints_aside(tmp_path, capsys):
    from jaxtrack.config import load_config, plain_dict
    from jaxtrack.train.trainer import train

    config = plain_dict(load_config("experiments/siamcar_r50.py:smoke"))
    config.update(pretrained=None, log_every=2, checkpoint_every=2, keep_checkpoints=3)
    assert train(config, tmp_path, progress=False)["step"] == 8
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["4", "6", "8"]
    with pytest.raises(JaxtrackError, match="no checkpoint for step 5"):
        train(config, tmp_path, resume_step=5, progress=False)
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["4", "6", "8"]
    capsys.readouterr()
    assert train(config, tmp_path, resume_step=4, progress=False)["step"] == 8
    out = capsys.readouterr().out
    assert "resuming from step 4" in out and "set aside" in out
    assert sorted(os.listdir(tmp_path / "checkpoints-after-4")) == ["6", "8", "metrics.jsonl"]
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6, 8]
    aside = [json.loads(line)["step"] for line in (tmp_path / "checkpoints-after-4" / "metrics.jsonl").read_text().splitlines()]
    assert aside == [6, 8]
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["4", "6", "8"]
    for path in (tmp_path / "checkpoints" / "4" / "state").rglob("*"):
        if path.parent.name == "d":
            path.write_bytes(b"garbage")
    with pytest.raises(JaxtrackError, match="step 4 .* is corrupt"):  # found before anything is moved
        train(config, tmp_path, resume_step=4, progress=False)
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["4", "6", "8"]
    assert not (tmp_path / "checkpoints-after-4.2").exists()
    assert [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == steps


# 5. result files of other toolkits -------------------------------------------------------------

def _otb_tiger1_and_football1(root):
    """Tiger1 (12 files and boxes, 5 omitted by pysot) and Football1 (files 1..80, annotated 1..74)."""
    rows = write_clip(root / "Tiger1" / "img", frames=12, pattern="{:04d}.jpg")
    (root / "Tiger1" / "groundtruth_rect.txt").write_text("\n".join(rows) + "\n")
    img = root / "Football1" / "img"
    img.mkdir(parents=True)
    for number in range(1, 81):
        os.link(root / "Tiger1" / "img" / "0001.jpg", img / f"{number:04d}.jpg")
    (root / "Football1" / "groundtruth_rect.txt").write_text("\n".join(["10,20,24,20"] * 74) + "\n")
    return rows


def test_score_aligns_one_row_per_file_frame(tmp_path, capsys):
    rows = _otb_tiger1_and_football1(tmp_path / "otb")
    results = tmp_path / "results"
    results.mkdir()
    shifted = ["60,50,5,5"] * 5 + rows[5:]  # the 5 omitted rows are wrong
    (results / "Tiger1.txt").write_text("\n".join(shifted) + "\n")
    (results / "Football1.txt").write_text("\n".join(["10,20,24,20"] * 74 + ["0,0,5,5"] * 6) + "\n")
    base = ["score", "--dataset", "otb", "--root", str(tmp_path / "otb"), "--results", str(results),
            "--json", str(tmp_path / "s.json")]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "Tiger1.txt: 12 rows, one per file frame; rows 6-12 scored against the 7 frames" in out
    assert "Football1.txt: 80 rows, one per file frame; rows 1-74 scored against the 74 frames" in out
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["sequences"]["Football1"]["auc"] > 0.9 and scores["sequences"]["Tiger1"]["auc"] > 0.9
    (results / "Tiger1.txt").write_text("\n".join(rows) + "\n")
    assert main(base + ["--sequences", "Tiger1", "--convention", "got10k"]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["sequences"]["Tiger1"]["frames"] == 11 and not scores["aligned"]  # got10k skips frame 0
    (results / "Tiger1.txt").write_text("\n".join(rows[5:]) + "\n")  # pysot's 7 rows: only without got10k
    assert main(base + ["--sequences", "Tiger1"]) == 0
    assert main(base + ["--sequences", "Tiger1", "--convention", "got10k"]) == 2
    assert "7 result rows, expected one per frame (12)" in capsys.readouterr().err


# 6. output files honour the umask --------------------------------------------------------------

def test_atomic_write_honours_the_umask(tmp_path):
    from jaxtrack.files import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.txt", "x\n")
        os.umask(0o077)
        atomic_write(tmp_path / "b.txt", b"x\n")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "a.txt").st_mode & 0o777, os.stat(tmp_path / "b.txt").st_mode & 0o777) == (0o644, 0o600)
