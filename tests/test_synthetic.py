"""The synthetic dataset: deterministic, readable by the GOT-10k reader, boxes on the targets."""

import filecmp

import numpy as np
import pytest

from jaxtrack.data import synthetic
from jaxtrack.data.readers import open_dataset

SIZE = (160, 120)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return synthetic.make_synthetic(tmp_path_factory.mktemp("a"), num_sequences=3,
                                    frames=(10, 14), seed=3, size=SIZE, workers=0)


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_same_seed_same_files_different_seed_different_frames(tiny, tmp_path):
    """Sequence i depends on the seed and i only (not on how many sequences are made)."""
    again = synthetic.make_synthetic(tmp_path / "b", num_sequences=3, frames=(10, 14), seed=3,
                                     size=SIZE, workers=0)
    assert _files(again) == _files(tiny)
    for path in _files(tiny):
        assert filecmp.cmp(tiny / path, again / path, shallow=False), path
    first = "train/Synthetic_000001/00000001.jpg"
    fewer = synthetic.make_synthetic(tmp_path / "c", num_sequences=1, frames=(10, 14), seed=3,
                                     size=SIZE, workers=0)
    assert filecmp.cmp(tiny / first, fewer / first, shallow=False)
    other = synthetic.make_synthetic(tmp_path / "d", num_sequences=1, frames=10, seed=4, size=SIZE,
                                     workers=0)
    assert not filecmp.cmp(tiny / first, other / first, shallow=False)


def test_worker_processes_write_the_same_files(tiny, tmp_path):
    parallel = synthetic.make_synthetic(tmp_path, num_sequences=3, frames=(10, 14), seed=3,
                                        size=SIZE, workers=2)
    for path in _files(tiny):
        assert filecmp.cmp(tiny / path, parallel / path, shallow=False), path


def test_reader_opens_it_with_boxes_inside_the_frames(tiny):
    dataset = open_dataset("got10k", tiny, split="train")
    assert len(dataset) == 3
    for seq in dataset:
        assert 10 <= len(seq) <= 14
        assert seq.frame(0).shape == (SIZE[1], SIZE[0], 3)
        assert seq.valid.any()
        boxes = seq.boxes[seq.valid]
        assert np.all(boxes[:, 2:] > boxes[:, :2])
        assert np.all(boxes >= 0)
        assert np.all(boxes[:, 2] <= SIZE[0]) and np.all(boxes[:, 3] <= SIZE[1])
        cover = seq.attributes["cover"]
        np.testing.assert_array_equal(seq.attributes["absence"] == 1, cover == 0)


@pytest.mark.parametrize("seed", range(8))
def test_box_is_the_extent_of_the_drawn_shape(seed):
    """The ground-truth box is tight around the pixels the target covers (within 1 px)."""
    rng = np.random.default_rng(seed)
    width, height = 320, 240
    path = synthetic._target_path(rng, 5, width, height)
    sprite = synthetic._make_sprite(rng, path)
    for t in range(5):
        alpha = sprite.alpha(t, (-200, -200, width + 200, height + 200)) > 0.5
        ys, xs = np.nonzero(alpha)
        drawn = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]) - 200
        np.testing.assert_allclose(drawn, sprite.extent(t), atol=1.0)


def test_targets_cover_the_scale_and_aspect_ranges():
    paths = [synthetic._target_path(np.random.default_rng(i), 30, 320, 240) for i in range(300)]
    w = np.concatenate([p[:, 2] for p in paths])
    h = np.concatenate([p[:, 3] for p in paths])
    size, aspect = np.sqrt(w * h), w / h
    assert size.min() >= 10 - 1e-9 and size.max() <= 150 + 1e-9
    assert aspect.min() >= 0.25 - 1e-9 and aspect.max() <= 4 + 1e-9
    assert size.min() < 13 and size.max() > 110
    assert aspect.min() < 0.3 and aspect.max() > 3.3


def test_occlusion_lowers_the_visible_fraction():
    visible = np.concatenate([synthetic.render_sequence(0, i, 40, SIZE)[2] for i in range(6)])
    assert np.all((visible >= 0) & (visible <= 1))
    assert visible.max() > 0.99 and visible.min() < 0.9
    assert [synthetic._cover_level(v) for v in (0.0, 0.1, 0.5, 0.95, 1.0)] == [0, 1, 4, 7, 8]
