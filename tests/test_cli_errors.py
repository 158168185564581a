"""Every command with bad arguments: exit 2, one line ``jaxtrack <cmd>: error: ..``, no traceback,
and nothing written. Each case fails before any heavy work (no tracking, no training step)."""

import os

import cv2
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.cli import main

from tracking_helpers import random_model

CONFIG = "experiments/siamcar_r50.py:smoke"


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A folder with a file, a frame folder, a model directory and one with a truncated data file."""
    root = tmp_path_factory.mktemp("bad")
    (root / "a_file").write_text("not a folder\n")
    (root / "frames").mkdir()
    for t in range(2):
        cv2.imwrite(str(root / "frames" / f"{t:04d}.jpg"), np.full((48, 64, 3), 90, np.uint8))
    _, variables = random_model("siamcar_small")
    models.save(root / "model", "siamcar_small", {}, variables)
    models.save(root / "truncated", "siamcar_small", {}, variables)
    data = max((p for p in (root / "truncated" / "variables").rglob("*") if p.is_file()), key=os.path.getsize)
    data.write_bytes(data.read_bytes()[:100])
    (root / "results").mkdir()
    return root


CASES = [  # command line with {p} for the fixture folder -> text the message must hold
    ("track --model csrt --video {p}/frames --init -100,20,50,40", "write --init=VALUE"),
    ("track --model csrt --video {p}/frames --init 0,0,1e30,1e30", "1e+30"),
    ("track --model csrt --video {p}/frames --init 1,2,3", "expected four numbers"),
    ("track --model {p}/a_file --video {p}/frames --init 1,1,20,20", "a_file"),
    ("track --model {p}/truncated --video {p}/frames --init 1,1,20,20", "does not hold the variables"),
    ("track --model csrt --video {p}/frames --init 1,1,20,20 --out {p}/frames", "is a directory"),
    ("track --model csrt --video {p}/frames --init 1,1,20,20 --out {p}/a_file/boxes.txt", "cannot write in"),
    ("track --model csrt --video {p}/frames --init 1,1,20,20 --render {p}", "is a directory"),
    ("track --model csrt --video {p}/missing --init 1,1,20,20", "no such file"),
    ("eval --model csrt --dataset otb --root {p}/results --workdir {p}/a_file", "is a file, not a directory"),
    ("eval --model csrt --dataset otb --root {p}/results --workdir {p}/w --json {p}/results", "is a directory"),
    ("eval --model csrt --dataset otb --root {p}/missing --workdir {p}/w", "does not exist"),
    ("eval --model csrt --dataset otb --root {p}/results --processes 0", "at least 1"),
    ("eval --model csrt --dataset nope --root {p}", "invalid choice"),
    ("score --dataset otb --root {p}/results --results {p}/results --json {p}/results", "is a directory"),
    ("score --dataset otb --root {p}/results --results {p}/results --json {p}/a_file/x.json", "cannot write in"),
    ("score --dataset otb --root {p}/results --results {p}/results --convention nope", "convention 'nope'"),
    ("train --config " + CONFIG + " --workdir {p}/a_file", "is a file, not a directory"),
    ("train --config experiments/siamcar_r50.py:huge --workdir {p}/w", "'huge'"),
    ("train --config {p}/missing.py --workdir {p}/w", "no such file"),
    ("train --config " + CONFIG + " --workdir {p}/w --set data.batch_size=0", "positive integer, not 0"),
    ("train --config " + CONFIG + " --workdir {p}/w --set data.batch_size=-4", "positive integer, not -4"),
    ("train --config " + CONFIG + " --workdir {p}/w --set model.name=siamrpn_small", "assigns over points"),
    ("train --config " + CONFIG + " --workdir {p}/w --set nope=1", "no field"),
    ("train --config " + CONFIG + " --workdir {p}/w --set pretrained.path=r.pth", "pretrained is None, not a group"),
    ("train --config " + CONFIG + " --workdir {p}/w --resume-step x", "invalid int value"),
    ("export --workdir {p}/results --out {p}/a_file", "is a file, not a directory"),
    ("export --workdir {p}/missing --out {p}/exported", "missing"),
    ("convert --from nope --checkpoint {p}/a_file --out {p}/c", "invalid choice"),
    ("convert --from pysot_siamrpn_alex --checkpoint {p}/a_file --out {p}/c", "a_file"),
    ("convert-data --dataset otb --root {p}/missing --out {p}/d", "does not exist"),
    ("study --workdir {p}/a_file", "is a file, not a directory"),
    ("demo --workdir {p}/a_file", "is a file, not a directory"),
    ("demo --workdir {p}/w --minutes -1", "positive"),
    ("launch --processes 0 -- train", ""),
]


@pytest.mark.parametrize("line, expected", CASES, ids=[c[0].split(" {p}")[0][:40] for c in CASES])
def test_bad_arguments_give_one_line(place, capsys, line, expected):
    before = sorted(os.listdir(place))
    argv = line.format(p=place).split()
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured
    assert len(lines) == 1 and lines[0].startswith(f"jaxtrack {argv[0]}: error: "), captured.err
    assert expected in lines[0] and "Traceback" not in captured.err + captured.out
    assert sorted(os.listdir(place)) == before
