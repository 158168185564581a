"""The shipped default model gives the outputs it gave when it was exported (a refactor pin)."""

import numpy as np
import pytest

from jaxtrack.data.readers import open_dataset
from jaxtrack.track.loading import load_model, tracker_factory
from jaxtrack.eval.runner import run_sequence

# model.apply on the seeded random crops below, recorded from the shipped model:
# name -> (shape, sum, first four values)
PINNED_OUTPUTS = {
    "cen": ((1, 625), 500.474684715271, [0.742649, 1.423635, 0.85983, 0.925578]),
    "cls": ((1, 625, 2), -2774.4417307004333, [0.041243, -4.223294, -0.016334, -4.182405]),
    "ltrb": ((1, 625, 4), 69825.24641990662, [6.886529, 8.521523, 7.648348, 10.928453]),
}
# tracked xyxy boxes on frames 1, 5, 10 and 19 of OTB Crossing (the model's stored tracker settings,
# a 255-pixel search crop)
PINNED_CROSSING = [[203.192, 150.064, 221.252, 198.356], [197.358, 150.71, 217.978, 194.677],
                   [187.66, 148.727, 210.289, 189.231], [178.101, 145.813, 200.909, 183.888]]


def test_default_model_outputs_are_pinned():
    model, variables = load_model("default")
    rng = np.random.default_rng(0)
    template = rng.integers(0, 256, (1, 127, 127, 3)).astype(np.float32)
    search = rng.integers(0, 256, (1, 255, 255, 3)).astype(np.float32)
    outputs = model.apply(variables, template, search)
    assert sorted(outputs) == sorted(PINNED_OUTPUTS)
    for name, (shape, total, first) in PINNED_OUTPUTS.items():
        value = np.asarray(outputs[name], np.float64)
        assert value.shape == shape, name
        assert value.sum() == pytest.approx(total, rel=1e-5), name
        np.testing.assert_allclose(value.reshape(-1)[:4], first, atol=1e-5, err_msg=name)


def test_default_model_tracks_as_pinned(shared_data):
    sequence = open_dataset("otb", str(shared_data / "otb"))["Crossing"]
    short = type(sequence)(sequence.name, sequence.frames[:20], sequence.boxes[:20], sequence.absent[:20])
    boxes, _ = run_sequence(tracker_factory("default", benchmark="otb")(), short)
    np.testing.assert_allclose(boxes[[1, 5, 10, 19]], PINNED_CROSSING, atol=2e-3)
