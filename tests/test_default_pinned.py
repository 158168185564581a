"""The shipped default model gives the outputs it gave when it was exported (a refactor pin)."""

import numpy as np
import pytest

from jaxtrack.data.readers import open_dataset
from jaxtrack.track.loading import load_model, tracker_factory
from jaxtrack.eval.runner import run_sequence

# model.apply on the seeded random crops below, recorded from the shipped model:
# name -> (shape, sum, first four values)
PINNED_OUTPUTS = {
    "cen": ((1, 625), 592.7986791729927, [1.408318, 2.615263, 1.66738, 1.559738]),
    "cls": ((1, 625, 2), -2789.105963602662, [-0.134457, -4.144951, -0.069599, -3.861848]),
    "ltrb": ((1, 625, 4), 66772.94182729721, [9.193378, 5.332572, 7.470752, 4.094948]),
}
# tracked xyxy boxes on frames 1, 5, 10 and 19 of OTB Crossing (the model's stored tracker settings,
# a 255-pixel search crop)
PINNED_CROSSING = [[203.473, 150.701, 220.97, 199.765], [198.056, 150.801, 217.271, 196.622],
                   [188.932, 149.179, 209.961, 191.779], [179.026, 146.145, 200.015, 185.581]]


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
