"""The demo command end to end on tiny settings: every stage runs and the report is complete."""

import json
import re

import pytest

from jaxtrack import cli
from jaxtrack.cli.demo import training_steps
from jaxtrack.track.identity import tree_digest
from jaxtrack.track.loading import DEFAULT_MODEL, load_model, stored_hyper


@pytest.mark.slow
def test_demo_smoke_writes_a_complete_report(tmp_path, shared_data, capsys):
    otb = tmp_path / "otb"  # one real sequence (a link, not a copy) keeps the test short
    otb.mkdir()
    (otb / "Crossing").symlink_to(shared_data / "otb" / "Crossing")
    args = ["demo", "--workdir", str(tmp_path / "demo"), "--smoke", "--no-progress", "--data", str(otb)]
    assert cli.main(args) == 0
    report = (tmp_path / "demo" / "report.md").read_text()
    for name in ("dla", "center_region", "csrt"):
        assert name in report
    # the shipped default is a row of both tables and a curve of both plots (same scores as the summaries)
    assert len(re.findall(r"^\| default \(shipped, trained offline: [\d,]+ steps, [\d,]+ videos\) \|", report, re.M)) == 2
    for benchmark in ("got10k", "otb"):
        assert "| default (shipped" in (tmp_path / "demo" / "eval" / benchmark / "summary.md").read_text()
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report):
        assert (tmp_path / "demo" / image).stat().st_size > 1000, image
    assert "report written" in capsys.readouterr().out
    # a rerun resumes: nothing is trained or tracked again, except the default's results when
    # they are another model's (as after a change of the shipped weights)
    metrics = tmp_path / "demo" / "runs" / "dla" / "metrics.jsonl"
    before = metrics.read_text()
    default_results = tmp_path / "demo" / "eval" / "got10k" / f"default-{stored_hyper(DEFAULT_MODEL)}"
    record_path = default_results / "producer.json"
    record = json.loads(record_path.read_text())
    assert record["model"] == tree_digest(load_model("default")[1])
    record_path.write_text(json.dumps({**record, "model": "older weights"}))
    boxes = default_results / "Synthetic_000001" / "Synthetic_000001_001.txt"
    boxes.write_text("stale\n")
    assert cli.main(args) == 0
    assert metrics.read_text() == before
    assert json.loads(record_path.read_text()) == record
    assert boxes.read_text() != "stale\n"


def test_demo_budget_and_bad_arguments(tmp_path, capsys):
    assert training_steps(8) > training_steps(4) >= 20
    assert cli.main(["demo", "--workdir", str(tmp_path), "--minutes", "0"]) == 2
    assert cli.main(["demo", "--workdir", str(tmp_path), "--data", str(tmp_path / "missing")]) == 2
    assert "--data" in capsys.readouterr().err
