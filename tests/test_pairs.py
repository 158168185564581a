"""Crops and training pairs: boxes follow every transform, sampling is seeded, bad input skipped."""

import shutil
import warnings

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jaxtrack.data import crop, pairs, synthetic
from jaxtrack.data.readers import open_dataset
from jaxtrack.data.sequence import Dataset, Sequence
from jaxtrack.errors import JaxtrackError

from tracking_helpers import context_crop


def _rectangle_frame(width, height, rect):
    """A black frame with a white filled integer rectangle (x, y, w, h) -> (frame, xyxy box)."""
    frame = np.zeros((height, width, 3), np.uint8)
    x, y, w, h = rect
    frame[y:y + h, x:x + w] = 255
    return frame, np.array([x, y, x + w, y + h], np.float64)


def _drawn_extent(crop_image):
    """xyxy extent of the bright pixels of a crop (pixel i covers [i, i + 1))."""
    ys, xs = np.nonzero(crop_image[..., 1] > 127)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


def _visible(box, size):
    return np.clip(box, 0, size)


rects = st.tuples(st.integers(0, 250), st.integers(0, 180), st.integers(8, 60), st.integers(8, 60))


@settings(max_examples=40, deadline=None)
@given(rect=rects, context=st.floats(0.2, 1.0), scale=st.floats(0.6, 2.0),
       out_size=st.sampled_from([127, 255, 64]))
def test_search_crop_box_lands_on_the_drawn_rectangle(rect, context, scale, out_size):
    frame, box = _rectangle_frame(320, 240, rect)
    image, transform = context_crop(frame, box, out_size, context=context, scale=scale)
    crop_box = transform.to_crop(box)
    np.testing.assert_allclose(_drawn_extent(image), _visible(crop_box, out_size), atol=1.0)
    np.testing.assert_allclose(transform.to_frame(crop_box), box, atol=1e-9)
    np.testing.assert_allclose((crop_box[:2] + crop_box[2:]) / 2, out_size / 2, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(rect=rects, seed=st.integers(0, 2**32 - 1), shift=st.floats(0, 64), scale=st.floats(0, 0.3),
       flip=st.sampled_from([0.0, 1.0]))
def test_augmented_crop_box_follows_shift_scale_and_flip(rect, seed, shift, scale, flip):
    frame, box = _rectangle_frame(320, 240, rect)
    aug = pairs.Augmentation(shift=shift, scale=scale, flip=flip)
    side = crop.context_size(box[2] - box[0], box[3] - box[1]) * 255 / 127
    image, crop_box = pairs.augmented_crop(frame, box, side, 255, aug, np.random.default_rng(seed))
    np.testing.assert_allclose(_drawn_extent(image), _visible(crop_box, 255), atol=1.0)


def test_crop_pads_with_the_mean_colour():
    frame = np.zeros((50, 60, 3), np.uint8)
    frame[:, :30] = (200, 100, 50)
    image, _ = crop.crop_region(frame, [-100, -100, -50, -50], 16)
    np.testing.assert_allclose(image.reshape(-1, 3), [[100, 50, 25]] * 256, atol=1)


def test_pysot_geometry():
    """Target side ratio 127 / s_z in the crops, search window 255/127 of the template's."""
    frame = np.zeros((240, 320, 3), np.uint8)
    box = np.array([100.0, 80.0, 140.0, 100.0])  # 40 x 20
    s_z = np.sqrt((40 + 30) * (20 + 30))
    _, template = context_crop(frame, box, 127)
    _, search = context_crop(frame, box, 255)
    np.testing.assert_allclose(template.sx, 127 / s_z)
    np.testing.assert_allclose(search.sx, 127 / s_z)
    half = np.array([20, 10, 20, 10]) * 127 / s_z
    np.testing.assert_allclose(search.to_crop(box), 127.5 + np.array([-1, -1, 1, 1]) * half)


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return synthetic.make_synthetic(tmp_path_factory.mktemp("pairs"), num_sequences=3,
                                    frames=(12, 16), seed=0, size=(160, 120), workers=0)


@pytest.fixture(scope="module")
def dataset(tiny_root):
    return open_dataset("got10k", tiny_root, split="train")


def test_same_index_same_pair_and_seed_matters(dataset):
    a = pairs.PairSampler([pairs.Source(dataset, 5)], seed=1)
    b = pairs.PairSampler([pairs.Source(dataset, 5)], seed=1)
    c = pairs.PairSampler([pairs.Source(dataset, 5)], seed=2)
    for index in (0, 1, 7, 1000):
        x, y, z = a[index], b[index], c[index]
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])
        assert not np.array_equal(x["search"], z["search"])
    assert a[3]["search"].shape == (255, 255, 3) and a[3]["template"].shape == (127, 127, 3)


def test_positive_pairs_respect_the_frame_range(dataset):
    sampler = pairs.PairSampler([pairs.Source(dataset, frame_range=2)], neg=0.0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        k, v = 0, int(rng.integers(3))
        t_seq, t, s_seq, s, negative, _ = sampler.choose_frames(k, v, rng)
        valid = list(np.flatnonzero(t_seq.valid))
        assert t_seq is s_seq and not negative
        assert abs(valid.index(t) - valid.index(s)) <= 2


def test_negative_pairs_come_from_another_video(dataset):
    sampler = pairs.PairSampler([pairs.Source(dataset)], neg=1.0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        t_seq, _, s_seq, _, negative, _ = sampler.choose_frames(0, 1, rng)
        assert negative and s_seq is not t_seq
    assert all(sampler[i]["negative"] for i in range(4))


def test_num_use_weights_the_sources(dataset):
    other = Dataset("other", list(dataset)[:2])
    sampler = pairs.PairSampler([pairs.Source(dataset, num_use=7), pairs.Source(other, num_use=3)])
    picks = [sampler.pick(p) for p in range(len(sampler))]
    assert len(sampler) == 10
    assert [k for k, _ in picks].count(0) == 7
    assert sorted({v for k, v in picks if k == 0}) == [0, 1, 2]
    assert picks == [sampler.pick(p + 10) for p in range(10)]


def test_sampled_boxes_stay_within_the_augmentation_bounds(dataset):
    """Box centres move at most shift / (1 - scale) from the crop centre."""
    sampler = pairs.PairSampler([pairs.Source(dataset)], seed=5, neg=0.0)
    for index in range(40):
        pair = sampler[index]
        box, template_box = pair["box"], pair["template_box"]
        assert np.all(box[2:] > box[:2]) and np.all(template_box[2:] > template_box[:2])
        assert np.all(np.abs((box[:2] + box[2:]) / 2 - 127.5) <= 64 / 0.82 + 1e-3)
        assert np.all(np.abs((template_box[:2] + template_box[2:]) / 2 - 63.5) <= 4 / 0.95 + 1e-3)


def test_broken_frames_are_skipped_counted_and_warned_once(tiny_root, tmp_path):
    root = tmp_path / "broken"
    shutil.copytree(tiny_root, root)
    dataset = open_dataset("got10k", root, split="train")
    broken = dataset[0]
    bad_files = list(broken.frames)
    for i, path in enumerate(bad_files):
        if i % 2:
            open(path, "wb").write(b"not a jpeg")
        else:
            (root / path).unlink()
    sampler = pairs.PairSampler([pairs.Source(dataset)], seed=0, neg=0.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [sampler[i] for i in range(12)]
    resampled = sum(int(r["resampled"]) for r in results)
    assert resampled > 0
    messages = [str(w.message) for w in caught]
    assert 0 < len(messages) <= resampled and len(messages) == len(set(messages))
    assert all(m.startswith("skipping training pairs with unreadable frame: ") for m in messages)
    assert all(any(str(f) in m for f in bad_files) for m in messages)
    fresh = pairs.PairSampler([pairs.Source(dataset)], seed=0, neg=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in (0, 5):
            np.testing.assert_array_equal(fresh[i]["search"], results[i]["search"])


def test_all_input_broken_is_an_error(tiny_root, tmp_path):
    frames = sorted((tiny_root / "train" / "Synthetic_000001").glob("*.jpg"))
    seq = Sequence("gone", tuple(str(tmp_path / f.name) for f in frames),
                   np.tile([10.0, 10.0, 30.0, 30.0], (len(frames), 1)), np.zeros(len(frames), bool))
    sampler = pairs.PairSampler([pairs.Source(Dataset("gone", [seq]))], max_attempts=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(JaxtrackError, match="3 draws.*'unreadable frame': 3"):
            sampler[0]


def test_invalid_and_outside_boxes_are_never_sampled(tiny_root):
    frames = tuple(str(p) for p in sorted((tiny_root / "train" / "Synthetic_000002").glob("*.jpg")))
    n = len(frames)
    boxes = np.tile([40.0, 30.0, 80.0, 70.0], (n, 1))
    boxes[0] = np.nan
    boxes[1] = [40.0, 30.0, 40.0, 70.0]  # zero width
    boxes[2] = [500.0, 30.0, 540.0, 70.0]  # right of the 160-pixel frame
    absent = np.zeros(n, bool)
    absent[3] = True
    seq = Sequence("odd", frames, boxes, absent)
    sampler = pairs.PairSampler([pairs.Source(Dataset("odd", [seq]), frame_range=n)], neg=0.0,
                                template_aug=pairs.Augmentation(), search_aug=pairs.Augmentation())
    assert sampler.stats[0]["invalid_frames"] == 3
    side = crop.context_size(40, 40) * 255 / 127
    expected = 127.5 + np.array([-20, -20, 20, 20]) * 255 / side
    resampled = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for index in range(60):
            pair = sampler[index]
            np.testing.assert_allclose(pair["box"], expected, atol=1e-4)
            resampled += int(pair["resampled"])
    assert resampled > 0
    assert [str(w.message) for w in caught] == [f"skipping training pairs with box outside the image: {frames[2]} "
                                                f"box {boxes[2].tolist()}"]


def test_save_pair_grid(dataset, tmp_path):
    sampler = pairs.PairSampler([pairs.Source(dataset)], seed=0)
    items = [sampler[i] for i in range(6)]
    batch = {key: np.stack([item[key] for item in items]) for key in items[0]}
    path = tmp_path / "grid.png"
    pairs.save_pair_grid(batch, path, columns=4)
    picture = cv2.imread(str(path))
    assert picture.shape == (2 * (255 + 8), 4 * (127 + 255 + 4 + 8), 3)
