"""The shipped default model gives the outputs it gave when it was exported (a refactor pin)."""

import numpy as np
import pytest

from jaxtrack.data.readers import open_dataset
from jaxtrack.track.loading import load_model, tracker_factory
from jaxtrack.eval.runner import run_sequence

# model.apply on the seeded random crops below, recorded from the shipped model:
# name -> (shape, sum, first four values)
PINNED_OUTPUTS = {
    "cen": ((1, 625), 487.039919257164, [0.609097, 1.019024, 0.405457, 0.6632]),
    "cls": ((1, 625, 2), -5555.628946304321, [-1.931271, -7.116484, -1.036713, -7.682139]),
    "ltrb": ((1, 625, 4), 74502.0379281044, [6.164196, 8.059207, 10.175777, 6.037755]),
}
# tracked xyxy boxes on frames 1, 5, 10 and 19 of OTB Crossing (SiamCAR's OTB parameters)
PINNED_CROSSING = [[202.876, 151.004, 221.568, 198.439], [195.737, 153.309, 219.608, 193.107],
                   [185.333, 151.582, 211.719, 187.436], [177.339, 147.76, 201.213, 182.201]]


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
