"""Host trackers and the benchmark runner: CSRT on a real sequence, resume after interruption."""

import os

import cv2
import numpy as np
import pytest

from jaxtrack.eval import result_files as rf
from jaxtrack.data.readers import open_dataset
from jaxtrack.eval import metrics
from jaxtrack.eval.runner import run_benchmark, run_reset_protocol
from jaxtrack.eval.result_files import read_boxes, read_record
from jaxtrack.track import TRACKERS


def test_csrt_on_crossing(shared_data, tmp_path):
    dataset = open_dataset("otb", shared_data / "otb", sequences=["Crossing"])
    summary = run_benchmark(TRACKERS.get("csrt"), dataset, tmp_path, progress=False)
    assert summary["Crossing"]["fps"] > 0 and not summary["Crossing"]["skipped"]
    boxes = read_boxes(tmp_path / "Crossing.txt", 120)
    auc = metrics.score_sequences([boxes], list(dataset), "otb")["overall"]["auc"]
    print(f"CSRT AUC on Crossing: {auc:.4f} (shared/data README: 0.769)")
    assert abs(auc - 0.769) < 0.01
    assert len((tmp_path / "Crossing_time.txt").read_text().split()) == 120


class StillTracker:
    """Reports the initial box on every frame; optionally fails on one frame."""

    def __init__(self, explode_at=None, jump_at=None):
        self.explode_at, self.jump_at, self.frame = explode_at, jump_at, 0

    def init(self, frame, box):
        self.box, self.frame = np.asarray(box, float), 0

    def update(self, frame):
        self.frame += 1
        if self.frame == self.explode_at:
            raise RuntimeError("simulated crash")
        if self.frame == self.jump_at:
            return self.box + 1000, 0.0
        return self.box.copy(), 1.0


@pytest.fixture
def tiny_otb(tmp_path):
    root = tmp_path / "otb"
    for s in range(4):
        os.makedirs(root / f"Seq{s}" / "img")
        for i in range(1, 13):
            cv2.imwrite(str(root / f"Seq{s}" / "img" / f"{i:04d}.jpg"), np.full((16, 20, 3), 10 * i, np.uint8))
        (root / f"Seq{s}" / "groundtruth_rect.txt").write_text(f"{s + 1},2,8,6\n" * 12)
    return open_dataset("otb", root)


def test_interrupted_run_resumes(tiny_otb, tmp_path):
    out = tmp_path / "results"
    started = []

    def crashing():
        started.append(len(started))
        return StillTracker(explode_at=5 if len(started) == 3 else None)

    with pytest.raises(RuntimeError, match="simulated crash"):
        run_benchmark(crashing, tiny_otb, out, progress=False)
    assert sorted(os.listdir(out)) == ["Seq0.txt", "Seq0_time.txt", "Seq1.txt", "Seq1_time.txt"]
    rerun = []
    summary = run_benchmark(lambda: rerun.append(1) or StillTracker(), tiny_otb, out, progress=False)
    assert len(rerun) == 2
    assert [summary[n]["skipped"] for n in tiny_otb.names()] == [True, True, False, False]
    assert sorted(n for n in os.listdir(out) if not n.endswith("_time.txt")) == [f"Seq{s}.txt" for s in range(4)]
    for seq in tiny_otb:
        np.testing.assert_allclose(read_boxes(out / f"{seq.name}.txt", len(seq)), np.tile(seq.boxes[0], (12, 1)))


def test_reset_protocol_record(tiny_otb, tmp_path):
    seq = tiny_otb["Seq0"]
    record, times = run_reset_protocol(StillTracker(jump_at=3), seq, skip=5)
    P, I, F, S = rf.PREDICTED, rf.INIT, rf.FAILURE, rf.SKIPPED
    np.testing.assert_array_equal(record.codes, [I, P, P, F, S, S, S, S, I, P, P, F])  # 3rd update after each init
    assert np.all(times >= 0) and times[4] == 0
    run_benchmark(lambda: StillTracker(jump_at=3), tiny_otb.subset(["Seq0"]), tmp_path, protocol="reset",
                  progress=False)
    np.testing.assert_array_equal(read_record(tmp_path / "Seq0.txt", len(seq)).codes, record.codes)
