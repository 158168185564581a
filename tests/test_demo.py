"""The demo command end to end on tiny settings: every stage runs and the report is complete."""

import re

import pytest

from jaxtrack import cli
from jaxtrack.cli.demo import training_steps


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
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report):
        assert (tmp_path / "demo" / image).stat().st_size > 1000, image
    assert "report written" in capsys.readouterr().out
    # a rerun resumes: nothing is trained or tracked again
    metrics = tmp_path / "demo" / "runs" / "dla" / "metrics.jsonl"
    before = metrics.read_text()
    assert cli.main(args) == 0
    assert metrics.read_text() == before


def test_demo_budget_and_bad_arguments(tmp_path, capsys):
    assert training_steps(8) > training_steps(4) >= 20
    assert cli.main(["demo", "--workdir", str(tmp_path), "--minutes", "0"]) == 2
    assert cli.main(["demo", "--workdir", str(tmp_path), "--data", str(tmp_path / "missing")]) == 2
    assert "--data" in capsys.readouterr().err
