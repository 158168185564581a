"""Comparison reports: tables, plots and the per-attribute breakdown."""

import csv

import cv2
import numpy as np
import pytest

from jaxtrack.data.sequence import Sequence
from jaxtrack.errors import JaxtrackError
from jaxtrack.eval import metrics
from jaxtrack.eval.report import attribute_scores, write_report


def sequences():
    rng = np.random.default_rng(0)
    out = []
    for i, attrs in enumerate([("OCC", "SV"), ("SV",), ()]):
        xy = rng.uniform(0, 100, (30, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(10, 40, (30, 2))], 1)
        out.append(Sequence(f"s{i}", tuple(f"f{j}.jpg" for j in range(30)), boxes, np.zeros(30, bool),
                            {"attributes": attrs} if attrs else {}))
    return out


def score(noise, seed):
    rng = np.random.default_rng(seed)
    seqs = sequences()
    result = metrics.score_sequences([s.boxes + rng.normal(0, noise, s.boxes.shape) for s in seqs], seqs, "otb")
    for s in seqs:
        if "attributes" in s.attributes:
            result["sequences"][s.name]["attributes"] = list(s.attributes["attributes"])
    return {"benchmark": "otb", **result}


def test_report_files(tmp_path):
    scores = {"good": score(1.0, 1), "bad": score(15.0, 2)}
    paths = write_report(scores, tmp_path)
    md = (tmp_path / "summary.md").read_text()
    assert md.index("| good |") < md.index("| bad |") and "convention 'otb'" in md
    rows = list(csv.reader((tmp_path / "summary.csv").open()))
    assert rows[0] == ["tracker", "auc", "precision", "norm_precision"] and rows[1][0] == "good"
    assert float(rows[1][1]) == pytest.approx(scores["good"]["overall"]["auc"], abs=1e-6)
    for key in ("success", "precision", "attributes_plot"):
        image = cv2.imread(paths[key])
        assert image is not None and image.shape[0] > 200 and image.std() > 10
    table = attribute_scores(scores)
    assert list(table) == ["OCC", "SV"] and table["SV"]["sequences"] == 2
    expected = np.mean([scores["bad"]["sequences"][n]["auc"] for n in ("s0", "s1")])
    assert table["SV"]["bad"]["auc"] == pytest.approx(expected)
    assert "| SV | 2 |" in (tmp_path / "attributes.md").read_text()


def test_report_rejects_mixed_conventions(tmp_path):
    other = score(1.0, 1)
    other["convention"] = dict(other["convention"], name="pysot")
    with pytest.raises(JaxtrackError, match="convention 'pysot'"):
        write_report({"a": score(1.0, 1), "b": other}, tmp_path)


def test_report_vot_table_only(tmp_path):
    vot_scores = {"benchmark": "vot2018", "convention": {"name": "vot2018"},
                  "overall": {"eao": 0.3, "accuracy": 0.6, "robustness": 0.2, "failures": 40.0}, "sequences": {}}
    paths = write_report({"t": vot_scores}, tmp_path)
    assert set(paths) == {"summary_md", "summary_csv"}
    assert "| t | 0.300 | 0.600 | 0.200 | 40.000 |" in (tmp_path / "summary.md").read_text()
