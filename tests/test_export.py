"""``jaxtrack export``: a training workdir's checkpoint -> a portable model directory that loads
and tracks like the workdir; bad arguments are one-line errors."""

import pathlib

import cv2
import jax
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.cli import main

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A smoke training run of siamcar_small with checkpoints at steps 4 and 8."""
    path = tmp_path_factory.mktemp("train") / "run"
    assert main(["train", "--config", str(EXPERIMENTS / "siamcar_r50.py:smoke"), "--workdir", str(path),
                 "--no-progress"]) == 0
    return path


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    """Six 96x72 frames of a textured square moving right from x,y,w,h = 20,20,24,24."""
    folder = tmp_path_factory.mktemp("frames")
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (24, 24, 3), np.uint8)
    for t in range(6):
        frame = np.full((72, 96, 3), 90, np.uint8)
        frame[20:44, 20 + 2 * t:44 + 2 * t] = texture
        cv2.imwrite(str(folder / f"{t:04d}.png"), frame)
    return folder


def _assert_same_variables(got, expected):
    assert jax.tree.structure(got) == jax.tree.structure(expected)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(expected)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_export_equals_the_checkpoint_and_tracks_like_the_workdir(workdir, frames, tmp_path, capsys):
    out = tmp_path / "exported"
    assert main(["export", "--workdir", str(workdir), "--out", str(out)]) == 0
    assert "siamcar_small from step 8" in capsys.readouterr().out
    model, variables = models.load(out)
    expected, config = models.read_checkpoint(workdir)
    assert model == models.build(config["model"])
    assert set(variables) == {"params", "batch_stats"}
    _assert_same_variables(variables, expected)
    for path in out.rglob("*"):  # portable: no absolute path of where it was written
        if path.is_file():
            assert str(tmp_path).encode() not in path.read_bytes(), path
    boxes = {}
    for name, spec in (("exported", out), ("workdir", workdir)):
        boxes[name] = tmp_path / f"{name}.txt"
        assert main(["track", "--model", str(spec), "--video", str(frames), "--init", "20,20,24,24",
                     "--out", str(boxes[name])]) == 0
    assert boxes["exported"].read_text() == boxes["workdir"].read_text()


def test_export_a_chosen_step(workdir, tmp_path, capsys):
    out = tmp_path / "step4"
    assert main(["export", "--workdir", str(workdir), "--out", str(out), "--step", "4"]) == 0
    assert "from step 4" in capsys.readouterr().out
    _, variables = models.load(out)
    _assert_same_variables(variables, models.read_checkpoint(workdir, 4)[0])
    latest = models.read_checkpoint(workdir)[0]
    assert any(np.any(np.asarray(a) != np.asarray(b))
               for a, b in zip(jax.tree.leaves(variables["params"]), jax.tree.leaves(latest["params"])))


@pytest.mark.parametrize("case,message", [
    ("not_a_workdir", "is not a training workdir (no checkpoints/ folder)"),
    ("missing_workdir", "is not a training workdir (no checkpoints/ folder)"),
    ("existing_out", "exists; choose a new directory for the model"),
    ("missing_step", "no checkpoint for step 5 in"),
])
def test_export_bad_arguments_are_one_line_errors(workdir, tmp_path, capsys, case, message):
    source = {"not_a_workdir": tmp_path, "missing_workdir": tmp_path / "nothing"}.get(case, workdir)
    out = tmp_path / ("existing" if case == "existing_out" else "new")
    if case == "existing_out":
        out.mkdir()
    args = ["export", "--workdir", str(source), "--out", str(out)] + (["--step", "5"] if case == "missing_step" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("jaxtrack export: error: ") and message in err and err.count("\n") == 1, err
    if case == "missing_step":
        assert "complete steps: [4, 8]" in err
    assert not (out / models.model_files.METADATA).exists()
