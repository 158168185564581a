"""The shipped default model gives the outputs it gave when it was exported (a refactor pin)."""

import numpy as np
import pytest

from jaxtrack.data.readers import open_dataset
from jaxtrack.track.loading import load_model, tracker_factory
from jaxtrack.eval.runner import run_sequence

# model.apply on the seeded random crops below, recorded from the shipped model:
# name -> (shape, sum, first four values)
PINNED_OUTPUTS = {
    "cen": ((1, 625), 320.2212477326393, [1.213951, 1.915888, 0.973246, 0.977781]),
    "cls": ((1, 625, 2), -2811.27708825469, [-0.329023, -4.106078, -0.324565, -4.245456]),
    "ltrb": ((1, 625, 4), 79607.33469200134, [4.150878, 8.820498, 7.175031, 8.504539]),
}
# tracked xyxy boxes on frames 1, 5, 10 and 19 of OTB Crossing (the model's stored tracker settings,
# a 287-pixel search crop)
PINNED_CROSSING = [[203.968, 149.756, 221.499, 198.665], [198.147, 150.523, 217.224, 195.864],
                   [188.909, 148.004, 209.26, 190.054], [179.686, 145.691, 199.2, 184.315]]


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
