"""The shipped CPU-trained tracker (``--model default``) tracks real video."""

import pathlib

import numpy as np
import pytest

from jaxtrack.data.readers import open_dataset
from jaxtrack.eval import metrics
from jaxtrack.eval.runner import run_sequence
from jaxtrack.models.model_files import TRAINING, read_metadata
from jaxtrack.track.loading import DEFAULT_MODEL, load_model, tracker_factory


def test_default_model_is_portable_and_loads():
    repository = str(pathlib.Path(__file__).resolve().parents[1]).encode()
    for path in DEFAULT_MODEL.rglob("*"):
        if path.is_file():
            assert repository not in path.read_bytes(), path  # no absolute path of the machine it was made on
    model, variables = load_model("default")
    assert "params" in variables and model.backbone is not None


def test_default_model_says_how_it_was_trained():
    """The demo quotes this entry; the recipe it names is in the repository."""
    trained = read_metadata(DEFAULT_MODEL)[TRAINING]
    assert trained["steps"] > 0 and trained["batch"] > 0 and trained["pool"] >= trained["batch"]
    assert trained["train_videos"] > 0
    assert (pathlib.Path(__file__).resolve().parents[1] / trained["recipe"]).is_file()


@pytest.mark.slow
def test_default_model_tracks_crossing(shared_data):
    """A trained model end to end on a real OTB sequence (first 60 frames)."""
    sequence = open_dataset("otb", str(shared_data / "otb"))["Crossing"]
    short = type(sequence)(sequence.name, sequence.frames[:60], sequence.boxes[:60], sequence.absent[:60])
    boxes, times = run_sequence(tracker_factory("default", benchmark="otb")(), short)
    ious = metrics.iou(boxes, short.boxes)
    assert np.all(np.isfinite(boxes)) and np.all(times > 0)
    assert np.mean(ious) > 0.5, np.round(ious, 2)


@pytest.mark.slow
def test_mixed_formats_evaluate_with_one_convention(shared_data, tmp_path):
    from jaxtrack.data.readers import open_mixed
    from jaxtrack.eval.evaluation import track_and_score_sequences
    from jaxtrack.eval.report import per_sequence_table, write_report

    dataset = open_mixed("mixed", [("otb", str(shared_data / "otb")), ("vot", str(shared_data / "vot"))])
    dataset = dataset.subset(["Deer", "bag"])
    scores = track_and_score_sequences(["csrt"], dataset, str(tmp_path), convention="otb", progress=False)
    assert list(scores["csrt"]["sequences"]) == ["Deer", "bag"]
    assert abs(scores["csrt"]["sequences"]["Deer"]["auc"] - 0.694) < 0.02  # ../shared/data/README.md
    text = per_sequence_table(scores)
    assert "| csrt |" in text and "mean AUC" in text
    paths = write_report(scores, str(tmp_path), title="mixed")
    clipped = track_and_score_sequences(["csrt"], dataset, str(tmp_path), convention="got10k", progress=False)  # reuses the files
    assert 0.0 < clipped["csrt"]["overall"]["ao"] <= 1.0
    assert pathlib.Path(paths["success"]).stat().st_size > 0 and "csrt" in pathlib.Path(paths["summary_md"]).read_text()
