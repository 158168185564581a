"""pysot's training layout: a tree written here exactly as pysot's training_dataset scripts write it
(names, JSON nesting, the 511 crop's box convention), pysot's pair sampling rule, and a smoke model
trained on the pysot mixing config through ``jaxtrack train``."""

import collections
import json
import pathlib

import cv2
import numpy as np
import pytest

from jaxtrack import cli
from jaxtrack.data import pairs
from jaxtrack.data.readers import open_dataset
from jaxtrack.data.readers.pysot import crop_box
from jaxtrack.errors import JaxtrackError
from jaxtrack.train.metrics_log import read_metrics

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"

# video -> track -> frame -> original-frame box, as pysot's gen_json.py scripts name them
VID = {
    "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000": {
        "00": {f"{f:06d}": [100 + f, 50, 160 + f, 130] for f in (0, 1, 2, 3, 4, 5)},
        "01": {f"{f:06d}": [10, 20, 50, 40] for f in (2, 3, 7, 12)},  # a track with gaps
    },
    "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000001": {
        "00": {"000000": [30, 30, 30, 90], "000001": [30, 30, 90, 90], "000002": [30, 30, 95, 90]},  # zero width
    },
}
YTB = {"./yt_bb_detection_train/0/AAB6lO-XiKE": {"00": {"000000": [5, 5, 45, 65], "000001": [6, 5, 46, 65]}}}
COCO = {"train2017/000000000009": {"00": {"000000": [1.08, 187.69, 612.67, 473.53]},
                                   "01": {"000000": [311.73, 4.31, 631.01, 232.99]}},
        "train2017/000000000025": {"00": {"000000": [385.53, 60.03, 600.5, 357.19]}}}
DET = {"a/n01443537_2": {"00": {"000000": [14, 24, 230, 200]}}, "b/n01443537_10": {"00": {"000000": [8, 8, 40, 20]}}}
TREE = {"vid": ("train.json", VID), "yt_bb": ("train.json", YTB), "coco": ("train2017.json", COCO),
        "det": ("train.json", DET)}


def write_crop(path, box, shade):
    """A 511 crop as pysot's par_crop.py leaves it: the target (its box mapped by pysot's loader)
    bright on a textured background."""
    rng = np.random.default_rng(shade)
    image = rng.integers(40, 120, (511, 511, 3), dtype=np.uint8)
    x1, y1, x2, y2 = np.round(crop_box(box)).astype(int)
    image[y1:y2, x1:x2] = (shade, 255 - shade, 200)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("pysot") / "training_dataset"
    shade = 0
    for folder, (anno, index) in TREE.items():
        (root / folder).mkdir(parents=True)
        (root / folder / anno).write_text(json.dumps(index, indent=4, sort_keys=True))
        for video, tracks in index.items():
            for track, frames in tracks.items():
                for frame, box in frames.items():
                    shade = (shade + 37) % 256
                    write_crop(root / folder / "crop511" / video / f"{frame}.{track}.x.jpg", box, shade)
    return root


def test_index_nesting_names_and_box_convention(tree):
    vid = open_dataset("pysot", tree / "vid")
    assert vid.name == "vid"
    assert vid.names() == ["ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/00",
                           "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/01",
                           "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000001/00"]
    seq = vid["ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/01"]
    assert seq.attributes["video"] == "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"
    assert seq.attributes["track"] == "01"
    assert list(seq.attributes["frame_numbers"]) == [2, 3, 7, 12]
    assert seq.frames[3] == str(tree / "vid" / "crop511" / "ILSVRC2015_VID_train_0000" /
                                "ILSVRC2015_train_00000000" / "000012.01.x.jpg")
    # pysot's _get_bbox for a 60 x 80 box: s_z = sqrt(130 * 150), size * 127 / s_z, centred on
    # pixel 255 of pysot's integer pixel centres = 255.5 in continuous coordinates
    w, h = 60 * 127 / np.sqrt(130 * 150), 80 * 127 / np.sqrt(130 * 150)
    first = vid["ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000/00"].boxes[0]
    np.testing.assert_allclose(first, [255.5 - w / 2, 255.5 - h / 2, 255.5 + w / 2, 255.5 + h / 2])
    np.testing.assert_allclose(crop_box([60, 80]), first)  # pysot also accepts a bare [w, h]
    zero = vid["ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000001/00"]
    assert np.isnan(zero.boxes[0]).all() and zero.valid.tolist() == [False, True, True]
    assert zero.attributes["invalid_boxes"] == 1
    ytb = open_dataset("pysot", tree / "yt_bb")
    assert ytb[0].frames[1].endswith("/yt_bb_detection_train/0/AAB6lO-XiKE/000001.00.x.jpg")
    coco = open_dataset("pysot", tree / "coco", anno="train2017.json")
    assert [s.attributes["video"] for s in coco] == ["train2017/000000000009"] * 2 + ["train2017/000000000025"]


def test_the_template_and_search_crops_are_pysots_crops_of_the_511_patch(tree):
    """With the target centred and scaled as pysot's loader has it, the template window is 127
    crop pixels at scale 1 around the centre (pysot's ``Augmentation`` crop) and the search window 255."""
    dataset = open_dataset("pysot", tree / "det", sequences=["a/n01443537_2/00"])
    sampler = pairs.PairSampler([pairs.Source(dataset, frame_range=1)], neg=0.0,
                                template_aug=pairs.Augmentation(), search_aug=pairs.Augmentation())
    pair, seq = sampler[0], dataset[0]
    image = seq.frame(0)
    assert np.abs(pair["template"].astype(int) - image[192:319, 192:319]).max() <= 1
    assert np.abs(pair["search"].astype(int) - image[128:383, 128:383]).max() <= 1
    np.testing.assert_allclose(pair["box"], seq.boxes[0] - 128, atol=1e-4)
    np.testing.assert_allclose(pair["template_box"], seq.boxes[0] - 192, atol=1e-4)


def test_pairs_follow_pysots_sampling_rule(tree):
    """A pick is a video (num_use counts videos), then one of its tracks uniformly; template and
    search from that track at most FRAME_RANGE annotated frames apart; negatives from another video."""
    vid = open_dataset("pysot", tree / "vid")
    sampler = pairs.PairSampler([pairs.Source(vid, frame_range=1)], neg=0.0)
    assert len(sampler) == 2  # two videos (three tracks)
    rng = np.random.default_rng(0)
    for position in range(400):
        t_seq, t, s_seq, s, negative, _ = sampler.choose_frames(*sampler.pick(position), rng)
        assert s_seq is t_seq and not negative
        valid = list(np.flatnonzero(t_seq.valid))  # the zero-width box of frame 0 is never used
        assert t in valid and s in valid and abs(valid.index(t) - valid.index(s)) <= 1
    two = next(v for v, tracks in enumerate(sampler.videos[0]) if len(tracks) == 2)
    counts = collections.Counter(sampler.choose_frames(0, two, rng)[0].attributes["track"] for _ in range(2000))
    assert set(counts) == {"00", "01"} and 900 < counts["00"] < 1100  # uniform over the video's tracks
    assert {sampler.choose_frames(0, 1 - two, rng)[0].name for _ in range(50)} == {vid[2].name}

    mixed = pairs.PairSampler([pairs.Source(vid), pairs.Source(open_dataset("pysot", tree / "det"))], neg=1.0)
    for _ in range(300):
        t_seq, _, s_seq, _, negative, _ = mixed.choose_frames(0, 0, rng)
        assert negative and s_seq.attributes["video"] != t_seq.attributes["video"]


@pytest.mark.parametrize("index,message", [
    ({"../escape": {"00": {"000000": [1, 1, 5, 5]}}}, "'../escape' is not a relative path"),
    ({"/abs/video": {"00": {"000000": [1, 1, 5, 5]}}}, "'/abs/video' is not a relative path"),
    ({"v": {"0/0": {"000000": [1, 1, 5, 5]}}}, "video 'v' track: '0/0' is not a plain"),
    ({"v": {"00": {"000000": [1, 1, 5]}}}, "frame '000000': box [1, 1, 5] is not"),
    ({"v": {"00": {"meta": 1}}}, "track '00': no frames"),
    ({"v": ["00"]}, "video 'v' must map to an object"),
])
def test_bad_indexes_name_the_file_and_the_key(tmp_path, index, message):
    (tmp_path / "crop511").mkdir()
    (tmp_path / "train.json").write_text(json.dumps(index))
    with pytest.raises(JaxtrackError, match="train.json") as error:
        open_dataset("pysot", tmp_path)
    assert message in str(error.value)
    (tmp_path / "train.json").write_text('{\n "v": {\n  "00": {"000000": [1, 2, 3, 4],}\n }\n}')
    with pytest.raises(JaxtrackError, match=r"train.json:3: not JSON"):
        open_dataset("pysot", tmp_path)


@pytest.mark.slow
def test_smoke_model_trains_on_the_pysot_mix(tree, tmp_path, monkeypatch):
    monkeypatch.chdir(tree.parent)  # the config's default roots: training_dataset/<vid|yt_bb|coco|det>
    workdir = tmp_path / "run"
    assert cli.main(["train", "--config", str(EXPERIMENTS / "siamrpnpp_r50_pysot.py:smoke"), "--workdir",
                     str(workdir), "--no-progress"]) == 0
    config = json.loads((workdir / "config.json").read_text())
    assert [(s["kind"], s["root"], s["frame_range"], s["num_use"]) for s in config["data"]["sources"]] == [
        ("pysot", "training_dataset/vid", 100, 100000), ("pysot", "training_dataset/yt_bb", 3, -1),
        ("pysot", "training_dataset/coco", 1, -1), ("pysot", "training_dataset/det", 1, -1)]
    steps, metrics = read_metrics(workdir / "metrics.jsonl")
    assert steps[-1] == 8 and np.all(np.isfinite(metrics["total"])) and metrics["skipped_pairs"].sum() == 0
