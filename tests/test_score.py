"""``jaxtrack score``: library function, CLI entry point and console script."""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from jaxtrack.eval import result_files as rf
from jaxtrack.cli import main
from jaxtrack.data.readers import open_dataset
from jaxtrack.errors import JaxtrackError
from jaxtrack.eval import metrics
from jaxtrack.eval.scoring import score_results
from jaxtrack.files import atomic_write
from jaxtrack.eval.result_files import format_boxes, format_record, read_boxes, read_record


def write_otb_results(shared_data, folder, seed=0):
    rng = np.random.default_rng(seed)
    for seq in open_dataset("otb", shared_data / "otb"):
        boxes = seq.boxes + rng.normal(0, 3, seq.boxes.shape)
        text = format_boxes(boxes)
        if seq.name == "Crossing":                       # TAB-separated results are accepted too
            text = text.replace(",", "\t")
        atomic_write(os.path.join(folder, seq.name + ".txt"), text)


def test_score_cli_otb(shared_data, tmp_path, capsys):
    results = tmp_path / "results"
    write_otb_results(shared_data, results)
    out = tmp_path / "scores.json"
    assert main(["score", "--dataset", "otb", "--root", str(shared_data / "otb"),
                 "--results", str(results), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "convention 'otb'" in printed and "Crossing" in printed and "overall" in printed
    scores = json.loads(out.read_text())
    assert scores["convention"]["name"] == "otb" and scores["convention"]["first_frame"] == "gt"
    assert set(scores["sequences"]) == {"Crossing", "Deer", "DragonBaby", "MotorRolling"}
    for entry in [scores["overall"], *scores["sequences"].values()]:
        for key in ("auc", "precision", "norm_precision"):
            assert 0 <= entry[key] <= 1
    dataset = open_dataset("otb", shared_data / "otb")
    preds = [read_boxes(results / f"{s.name}.txt", len(s)) for s in dataset]
    direct = metrics.score_sequences(preds, list(dataset), "otb")["overall"]
    assert scores["overall"]["auc"] == pytest.approx(direct["auc"], abs=1e-12)
    assert scores["sequences"]["DragonBaby"]["attributes"][0] == "SV"


def test_score_conventions_and_subset(shared_data, tmp_path):
    results = tmp_path / "results"
    write_otb_results(shared_data, results)
    only = score_results("otb", shared_data / "otb", results, sequences=["Deer"], convention="pysot")
    assert list(only["sequences"]) == ["Deer"] and only["convention"]["name"] == "pysot"
    with pytest.raises(JaxtrackError, match="does not apply to otb"):
        score_results("otb", shared_data / "otb", results, convention="vot2018")


def test_score_bad_result_files(shared_data, tmp_path, capsys):
    results = tmp_path / "results"
    write_otb_results(shared_data, results)
    deer = results / "Deer.txt"
    lines = deer.read_text().splitlines()
    deer.write_text("\n".join(lines[:-1]) + "\n")
    args = ["score", "--dataset", "otb", "--root", str(shared_data / "otb"), "--results", str(results)]
    assert main(args) == 2
    assert f"{deer}: 70 result rows, expected one per frame (71)" in capsys.readouterr().err
    lines[4] = "1,2,three,4"
    deer.write_text("\n".join(lines) + "\n")
    assert main(args) == 2
    assert f"{deer}:5: malformed result row '1,2,three,4'" in capsys.readouterr().err
    deer.unlink()
    assert main(args) == 2
    assert "no result file for sequence 'Deer'" in capsys.readouterr().err


def test_score_console_script(shared_data, tmp_path):
    results = tmp_path / "results"
    write_otb_results(shared_data, results)
    script = shutil.which("jaxtrack")
    assert script, "the jaxtrack console script is not installed"
    out = tmp_path / "s.json"
    done = subprocess.run([script, "score", "--dataset", "otb", "--root", str(shared_data / "otb"),
                           "--results", str(results), "--sequences", "Crossing", "--json", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Crossing" in done.stdout and json.loads(out.read_text())["overall"]["sequences"] == 1
    bad = subprocess.run([script, "score", "--dataset", "otb", "--root", str(tmp_path / "missing"),
                          "--results", str(results)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr


def test_score_got10k_keys(tmp_path):
    root, results = tmp_path / "got10k", tmp_path / "results"
    seq = root / "val" / "GOT-10k_Val_000001"
    os.makedirs(seq)
    (root / "val" / "list.txt").write_text("GOT-10k_Val_000001\n")
    for i in range(1, 6):
        (seq / f"{i:08d}.jpg").touch()
    (seq / "groundtruth.txt").write_text("10,10,20,20\n" * 5)
    (seq / "cover.label").write_text("8\n8\n0\n8\n8\n")
    (seq / "meta_info.ini").write_text("[METAINFO]\nresolution: (100, 80)\n")
    (results / "GOT-10k_Val_000001").mkdir(parents=True)
    (results / "GOT-10k_Val_000001" / "GOT-10k_Val_000001_001.txt").write_text(
        "10,10,20,20\n10,10,20,20\n0,0,1,1\n20,10,20,20\n10,10,20,20\n")
    scores = score_results("got10k", root, results)
    assert scores["convention"]["name"] == "got10k"
    # scored frames 1, 3, 4 (frame 0 skipped, frame 2 invisible): IoU 1, 1/3, 1
    assert scores["overall"]["ao"] == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert scores["overall"]["sr50"] == pytest.approx(2 / 3) and scores["overall"]["sr75"] == pytest.approx(2 / 3)
    assert {"auc", "precision", "norm_precision"} <= set(scores["overall"])


def test_score_vot2018(shared_data, tmp_path):
    seq = open_dataset("vot", shared_data / "vot")["bag"]
    codes = np.full(len(seq), rf.PREDICTED)
    codes[[0, 55]] = rf.INIT
    codes[50], codes[51:55] = rf.FAILURE, rf.SKIPPED
    x, y, x2, y2 = seq.boxes.T
    regions = np.stack([x, y, x2, y, x2, y2, x, y2], 1)
    regions[codes != rf.PREDICTED] = np.nan
    path = tmp_path / "results" / "bag.txt"
    atomic_write(path, format_record(rf.ResetRecord(codes, regions)))
    record = read_record(path, len(seq))
    np.testing.assert_array_equal(record.codes, codes)
    np.testing.assert_allclose(record.regions[1], regions[1], atol=1e-4)
    out = tmp_path / "vot.json"
    assert main(["score", "--dataset", "vot2018", "--root", str(shared_data / "vot"),
                 "--results", str(tmp_path / "results"), "--json", str(out)]) == 0
    scores = json.loads(out.read_text())
    assert scores["convention"] == {"name": "vot2018", "eao_range": [100, 356], "skip": 5, "burnin": 10}
    assert scores["overall"]["failures"] == 1 and scores["overall"]["robustness"] == pytest.approx(100 / 196)
    assert 0.5 < scores["overall"]["accuracy"] < 1 and 0 < scores["overall"]["eao"] < scores["overall"]["accuracy"]
    lines = path.read_text().splitlines()
    lines[51] = lines[1]                                 # a box right after a failure
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(JaxtrackError, match=r"bag\.txt:52: code -1 breaks the reset protocol"):
        read_record(path, len(seq))
