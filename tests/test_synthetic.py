"""The synthetic dataset: deterministic, readable by the GOT-10k reader, boxes on the targets."""

import filecmp

import numpy as np
import pytest

from jaxtrack.data import synthetic
from jaxtrack.data.readers import open_dataset
from jaxtrack.errors import JaxtrackError

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


# render_sequence(seed, index, 12 or 16, SIZE) before out-of-view segments existed: the sums of the
# boxes and of the visible fractions and the mean of every frame
BEFORE_OUT_OF_VIEW = {
    (3, 0, 12): (4200.3931694528255, 12.0, [111.643, 111.924, 112.246, 112.542, 112.814, 113.301, 113.546,
                                            113.72, 113.684, 113.579, 113.597, 113.568]),
    (5, 2, 16): (2561.3532263834713, 7.236231739899924, [160.221, 160.164, 159.979, 159.632, 159.065, 158.396,
                                                         157.666, 157.217, 156.755, 156.22, 155.536, 154.92,
                                                         154.019, 153.518, 153.408, 153.474]),
}


@pytest.mark.parametrize("key", list(BEFORE_OUT_OF_VIEW))
def test_no_out_of_view_renders_as_before(key):
    frames, boxes, visible = synthetic.render_sequence(*key, SIZE, out_of_view=0.0)
    box_sum, visible_sum, means = BEFORE_OUT_OF_VIEW[key]
    assert boxes.sum() == pytest.approx(box_sum, rel=1e-12)
    assert visible.sum() == pytest.approx(visible_sum, rel=1e-9)
    np.testing.assert_allclose([f.mean() for f in frames], means, atol=2e-3)


def _runs(flags):
    """(start, stop) of the runs of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(int), [0]])))
    return list(zip(edges[::2], edges[1::2]))


@pytest.mark.parametrize("index", range(4))
def test_out_of_view_target_leaves_and_comes_back(index):
    frames, boxes, visible = synthetic.render_sequence(7, index, 70, SIZE, out_of_view=1.0)
    start, stop = max(_runs(visible == 0), key=lambda run: run[1] - run[0])
    assert stop - start >= 8 and 0 < start and stop < 70
    assert visible[:start].max() > 0.99 and visible[stop:].max() > 0.99  # seen before and after
    outside = boxes[start:stop]
    assert np.all(boxes >= 0) and np.all(boxes[:, [0, 2]] <= SIZE[0]) and np.all(boxes[:, [1, 3]] <= SIZE[1])
    assert np.all((outside[:, 0] == outside[:, 2]) | (outside[:, 1] == outside[:, 3]))  # clipped to an edge


def test_out_of_view_videos_are_labelled_absent(tmp_path):
    root = synthetic.make_synthetic(tmp_path, num_sequences=2, frames=50, seed=1, size=SIZE, workers=0,
                                    out_of_view=1.0)
    for seq in open_dataset("got10k", root, split="train"):
        absence, cover = seq.attributes["absence"], seq.attributes["cover"]
        start, stop = max(_runs(absence == 1), key=lambda run: run[1] - run[0])
        assert stop - start >= 8 and np.all(cover[start:stop] == 0)
        assert seq.valid[:start].any() and seq.valid[stop:].any()
    with pytest.raises(JaxtrackError, match="out_of_view"):
        synthetic.make_synthetic(tmp_path / "bad", num_sequences=1, frames=10, size=SIZE, out_of_view=1.5)


def test_varied_videos_are_reproducible_readable_and_differ_from_plain(tmp_path):
    root = synthetic.make_synthetic(tmp_path, num_sequences=2, frames=30, seed=2, size=SIZE, workers=0,
                                    varied=True)
    again = synthetic.render_sequence(2, 0, 30, SIZE, varied=True)
    plain = synthetic.render_sequence(2, 0, 30, SIZE)
    first = open_dataset("got10k", root, split="train")[0]
    np.testing.assert_allclose(first.boxes, again[1], atol=1e-3)
    assert not np.array_equal(again[0][0], plain[0][0])
    for seq in open_dataset("got10k", root, split="train"):
        boxes = seq.boxes[seq.valid]
        assert np.all(boxes[:, 2:] > boxes[:, :2]) and np.all(boxes >= 0)
        assert np.all(boxes[:, 2] <= SIZE[0]) and np.all(boxes[:, 3] <= SIZE[1])


@pytest.mark.parametrize("seed", range(4))
def test_jumps_are_abrupt_and_stay_in_the_frame(seed):
    rng = np.random.default_rng(seed)
    path = synthetic._target_path(rng, 60, 320, 240)
    jumped = synthetic._jumps(rng, path, 320, 240)
    moved = np.hypot(*np.diff(jumped[:, :2] - path[:, :2], axis=0).T)
    size = np.sqrt(path[:, 2] * path[:, 3])
    assert moved.max() >= 0.25 * size.min()  # at least half of a 0.5-size jump in one frame
    assert np.all((jumped[:, 0] >= 32 - 1e-9) & (jumped[:, 0] <= 288 + 1e-9))
    assert np.all((jumped[:, 1] >= 24 - 1e-9) & (jumped[:, 1] <= 216 + 1e-9))
    np.testing.assert_array_equal(jumped[:, 2:], path[:, 2:])


def test_appearance_drifts_and_cross_fades_to_another_window():
    rng = np.random.default_rng(0)
    path = synthetic._target_path(rng, 80, 320, 240)
    texture = synthetic._texture(rng, varied=True)
    sprite = synthetic._make_sprite(rng, path, texture)
    while sprite.fade is None or sprite.drift is None:
        synthetic._change_appearance(rng, sprite, texture)
    assert sprite.fade[0] == 0 and sprite.fade[-1] == 1 and np.all(np.diff(sprite.fade) >= 0)
    assert np.all(np.abs(sprite.drift) <= 0.5 * sprite.src_size + 1e-9)
    window = synthetic._window(sprite.extent(79), 320, 240)
    np.testing.assert_allclose(sprite.texture(79, window),
                               sprite._resample(79, window, sprite.fade_centre + sprite.drift[79]))
    assert not np.allclose(sprite.texture(79, window), sprite._resample(79, window, sprite.src_centre))
