"""Dataset readers: the real sequences in ../shared/data and small fixtures for the other formats."""

import json
import os

import cv2
import numpy as np
import pytest

from jaxtrack.cli import main
from jaxtrack.cli.convert_data import READER_KINDS
from jaxtrack.data.readers import DATASETS, AnnotationWarning, open_dataset
from jaxtrack.polygons import polygon_to_xywh
from jaxtrack.errors import JaxtrackError


def touch_frames(folder, names):
    os.makedirs(folder, exist_ok=True)
    for name in names:
        open(os.path.join(folder, name), "wb").close()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def rows(boxes, sep=","):
    return "".join(sep.join(str(v) for v in b) + "\n" for b in boxes)


# --- real sequences -------------------------------------------------------------------------

@pytest.mark.parametrize("name,frames,first_row", [
    ("Crossing", 120, (205, 151, 17, 50)),     # TAB-separated
    ("Deer", 71, (306, 5, 95, 65)),            # comma-separated
    ("DragonBaby", 113, (160, 83, 56, 65)),
    ("MotorRolling", 164, (117, 68, 122, 125)),
])
def test_otb_shared(shared_data, name, frames, first_row):
    seq = open_dataset("otb", shared_data / "otb", sequences=[name])[name]
    assert len(seq) == frames and seq.boxes.shape == (frames, 4) and seq.boxes.dtype == np.float64
    x, y, w, h = first_row
    np.testing.assert_array_equal(seq.boxes[0], [x, y, x + w, y + h])
    assert seq.frames[0].endswith(os.path.join("img", "0001.jpg"))
    assert seq.frames[-1].endswith(f"{frames:04d}.jpg")
    assert seq.attributes["invalid_boxes"] == 0 and not seq.absent.any()
    raw = np.loadtxt(shared_data / "otb" / name / "groundtruth_rect.txt", delimiter="\t" if name == "Crossing" else ",")
    np.testing.assert_array_equal(seq.boxes[:, 2:] - seq.boxes[:, :2], raw[:, 2:])
    assert seq.frame(frames - 1).ndim == 3


def test_otb_shared_dataset_and_attributes(shared_data):
    dataset = open_dataset("otb", shared_data / "otb")
    assert dataset.names() == ["Crossing", "Deer", "DragonBaby", "MotorRolling"]
    assert dataset["DragonBaby"].attributes["attributes"] == ("SV", "OCC", "MB", "FM", "IPR", "OPR", "OV")


def test_vot_shared_polygons(shared_data):
    seq = open_dataset("vot", shared_data / "vot")["bag"]
    assert len(seq) == 196 and seq.attributes["polygons"].shape == (196, 8)
    p = np.array([334.02, 128.36, 438.19, 188.78, 396.39, 260.83, 292.23, 200.41])
    np.testing.assert_allclose(seq.attributes["polygons"][0], p)
    np.testing.assert_allclose(seq.boxes[0], [292.23, 128.36, 438.19, 260.83])   # min/max box
    # pysot's area-preserving box, computed by hand for row 0
    area = np.hypot(334.02 - 438.19, 128.36 - 188.78) * np.hypot(438.19 - 396.39, 188.78 - 260.83)
    s = np.sqrt(area / ((438.19 - 292.23) * (260.83 - 128.36)))
    w, h = s * (438.19 - 292.23) + 1, s * (260.83 - 128.36) + 1
    cx, cy = p[0::2].mean(), p[1::2].mean()
    pysot = open_dataset("vot", shared_data / "vot", box="area")["bag"]
    np.testing.assert_allclose(pysot.boxes[0], [cx - (w - 1) / 2, cy - (h - 1) / 2, cx + (w + 1) / 2, cy + (h + 1) / 2])


def test_vot_area_box_matches_got10k_up_to_half_pixel(shared_data):
    from got10k.datasets.vot import VOT
    polygons = open_dataset("vot", shared_data / "vot")["bag"].attributes["polygons"]
    got10k = VOT._corner2rect(None, polygons)            # top-left at cx - w / 2
    ours = polygon_to_xywh(polygons, "area")             # pysot: cx - (w - 1) / 2
    np.testing.assert_allclose(ours[:, 2:], got10k[:, 2:], atol=1e-9)
    np.testing.assert_allclose(ours[:, :2], got10k[:, :2] + 0.5, atol=1e-9)


def test_lasot_shared(shared_data):
    seq = open_dataset("lasot", shared_data / "lasot")["airplane-1"]
    assert len(seq) == 300 and seq.frames[0].endswith(os.path.join("img", "00000001.jpg"))
    np.testing.assert_array_equal(seq.boxes[0], [367, 101, 408, 117])
    assert not seq.absent.any()
    assert seq.attributes["class"] == "airplane"
    assert seq.attributes["language"] == "white airplane landing on ground"


# --- fixtures for formats not in shared/data ---------------------------------------------------

def test_otb_special_cases(tmp_path):
    box = [10, 20, 30, 40]
    touch_frames(tmp_path / "Jogging" / "img", [f"{i:04d}.jpg" for i in range(1, 6)])
    write(tmp_path / "Jogging" / "groundtruth_rect.1.txt", rows([box] * 5))
    write(tmp_path / "Jogging" / "groundtruth_rect.2.txt", rows([box] * 5, " "))
    touch_frames(tmp_path / "Human4" / "img", [f"{i:04d}.jpg" for i in range(1, 4)])
    write(tmp_path / "Human4" / "groundtruth_rect.1.txt", "\n")
    write(tmp_path / "Human4" / "groundtruth_rect.2.txt", rows([box] * 3, "\t"))
    touch_frames(tmp_path / "David" / "img", [f"{i:04d}.jpg" for i in range(1, 771)])
    write(tmp_path / "David" / "groundtruth_rect.txt", rows([box] * 471))
    touch_frames(tmp_path / "Tiger1" / "img", [f"{i:04d}.jpg" for i in range(1, 11)])
    write(tmp_path / "Tiger1" / "groundtruth_rect.txt", rows([[i, 0, 5, 5] for i in range(10)]))
    with pytest.warns(AnnotationWarning, match="groundtruth_rect.1.txt: empty"):
        dataset = open_dataset("otb", tmp_path)
    assert dataset.names() == ["David", "Human4", "Jogging.1", "Jogging.2", "Tiger1"]
    assert dataset["Jogging.1"].attributes["aliases"] == ("Jogging-1", "Jogging_1")
    assert "Human4_2" in dataset["Human4"].attributes["aliases"]
    david = dataset["David"]
    assert len(david) == 471 and david.frames[0].endswith("0300.jpg") and david.frames[-1].endswith("0770.jpg")
    tiger = dataset["Tiger1"]
    assert len(tiger) == 5 and tiger.frames[0].endswith("0006.jpg") and tiger.boxes[0, 0] == 5
    with pytest.warns(AnnotationWarning):
        assert len(open_dataset("otb", tmp_path, init_omit=False)["Tiger1"]) == 10
    with pytest.warns(AnnotationWarning), pytest.raises(JaxtrackError, match="770 frames .* 471 boxes"):
        open_dataset("otb", tmp_path, frame_ranges=False)


def test_otb_missing_range_frame(tmp_path):
    touch_frames(tmp_path / "David" / "img", [f"{i:04d}.jpg" for i in range(1, 771) if i != 500])
    write(tmp_path / "David" / "groundtruth_rect.txt", rows([[1, 1, 2, 2]] * 471))
    with pytest.raises(JaxtrackError, match="missing frame 500"):
        open_dataset("otb", tmp_path)


def test_uav123(tmp_path):
    frames = tmp_path / "data_seq" / "UAV123"
    touch_frames(frames / "car16", [f"{i:06d}.jpg" for i in range(1, 421)])
    touch_frames(frames / "boat1", [f"{i:06d}.jpg" for i in range(1, 5)])
    write(tmp_path / "anno" / "UAV123" / "car16_1.txt", rows([[1, 2, 3, 4]] * 414))
    write(tmp_path / "anno" / "UAV123" / "car16_2.txt", rows([[5, 6, 7, 8]] * 6))
    write(tmp_path / "anno" / "UAV123" / "boat1.txt",
          "1,2,3,4\nNaN,NaN,NaN,NaN\n3,4,0,5\n4,5,6,7\n")
    dataset = open_dataset("uav123", tmp_path)
    assert dataset.name == "uav123" and dataset.names() == ["boat1", "car16_1", "car16_2"]
    second = dataset["car16_2"]
    assert len(second) == 6 and second.frames[0].endswith(os.path.join("car16", "000415.jpg"))
    assert second.frames[-1].endswith("000420.jpg")
    boat = dataset["boat1"]
    assert boat.attributes["invalid_boxes"] == 2
    assert np.isnan(boat.boxes[1]).all() and np.isnan(boat.boxes[2]).all() and not boat.valid[1]
    write(tmp_path / "anno" / "UAV123" / "boat1.txt", rows([[1, 2, 3, 4]] * 5))
    with pytest.raises(JaxtrackError, match=r"missing frame file .*boat1.000005\.jpg"):
        open_dataset("uav123", tmp_path, sequences=["boat1"])


def test_got10k_val_and_test(tmp_path):
    seq = tmp_path / "val" / "GOT-10k_Val_000001"
    touch_frames(seq, [f"{i:08d}.jpg" for i in range(1, 6)])
    write(tmp_path / "val" / "list.txt", "GOT-10k_Val_000001\n")
    write(seq / "groundtruth.txt", rows([[1, 2, 3, 4]] * 5))
    write(seq / "absence.label", "0\n0\n1\n0\n0\n")
    write(seq / "cover.label", "8\n8\n0\n0\n5\n")
    write(seq / "cut_by_image.label", "0\n0\n0\n0\n1\n")
    write(seq / "meta_info.ini", "[METAINFO]\nobject_class: ant\nresolution: (1280, 720)\n")
    s = open_dataset("got10k", tmp_path, split="val")["GOT-10k_Val_000001"]
    np.testing.assert_array_equal(s.absent, [False, False, True, True, False])
    assert s.attributes["image_size"] == (1280, 720) and s.attributes["meta"]["object_class"] == "ant"
    np.testing.assert_array_equal(s.attributes["cut_by_image"], [0, 0, 0, 0, 1])
    test = tmp_path / "test" / "GOT-10k_Test_000001"
    touch_frames(test, [f"{i:08d}.jpg" for i in range(1, 4)])
    write(tmp_path / "test" / "list.txt", "GOT-10k_Test_000001\n")
    write(test / "groundtruth.txt", "1,2,3,4\n")
    t = open_dataset("got10k", tmp_path, split="test")[0]
    assert t.attributes["first_box_only"] and t.attributes["invalid_boxes"] == 0
    np.testing.assert_array_equal(t.boxes[0], [1, 2, 4, 6])
    assert np.isnan(t.boxes[1:]).all()
    with pytest.raises(JaxtrackError, match=r"train.list\.txt"):
        open_dataset("got10k", tmp_path, split="train")


def test_trackingnet(tmp_path):
    touch_frames(tmp_path / "TRAIN_0" / "frames" / "abc_1", [f"{i}.jpg" for i in range(12)])
    write(tmp_path / "TRAIN_0" / "anno" / "abc_1.txt", rows([[i, 0, 4, 4] for i in range(12)]))
    touch_frames(tmp_path / "TEST" / "frames" / "xyz", [f"{i}.jpg" for i in range(3)])
    write(tmp_path / "TEST" / "anno" / "xyz.txt", "1,1,2,2\n")
    seq = open_dataset("trackingnet", tmp_path)["abc_1"]
    assert [os.path.basename(f) for f in seq.frames[8:12]] == ["8.jpg", "9.jpg", "10.jpg", "11.jpg"]
    assert seq.boxes[10, 0] == 10 and seq.attributes["chunk"] == "TRAIN_0"
    test = open_dataset("trackingnet", tmp_path, split="test")["xyz"]
    assert len(test) == 3 and test.attributes["first_box_only"]
    os.remove(tmp_path / "TRAIN_0" / "frames" / "abc_1" / "5.jpg")
    with pytest.raises(JaxtrackError, match=r"missing frame file .*abc_1.5\.jpg"):
        open_dataset("trackingnet", tmp_path)


def test_vot_four_values_list_and_color_folder(tmp_path):
    write(tmp_path / "list.txt", "ball\n")
    folder = tmp_path / "ball" / "color"
    os.makedirs(folder)
    for i in range(1, 4):
        cv2.imwrite(str(folder / f"{i:08d}.jpg"), np.full((8, 10, 3), 50 * i, np.uint8))
    write(tmp_path / "ball" / "groundtruth.txt", "1,2,3,4\n2,3,4,5\n3,4,5,6\n")
    for box in ("minmax", "area"):
        seq = open_dataset("vot", tmp_path, box=box)["ball"]
        np.testing.assert_array_equal(seq.boxes[1], [2, 3, 6, 8])
        np.testing.assert_array_equal(seq.attributes["polygons"][0], [1, 2, 4, 2, 4, 6, 1, 6])
    assert seq.frame(2).shape == (8, 10, 3)


def test_coco(tmp_path):
    touch_frames(tmp_path / "val2017", ["000001.jpg", "000002.jpg"])
    data = {"images": [{"id": 1, "file_name": "000001.jpg"}, {"id": 2, "file_name": "000002.jpg"}],
            "categories": [{"id": 3, "name": "dog"}],
            "annotations": [{"id": 10, "image_id": 1, "bbox": [1, 2, 3, 4], "category_id": 3, "iscrowd": 0},
                            {"id": 11, "image_id": 2, "bbox": [5, 5, 0, 4], "category_id": 3},
                            {"id": 12, "image_id": 2, "bbox": [0, 0, 9, 9], "iscrowd": 1}]}
    write(tmp_path / "annotations" / "instances_val2017.json", json.dumps(data))
    dataset = open_dataset("coco", tmp_path)
    assert dataset.names() == ["000001_10", "000002_11"]
    first = dataset["000001_10"]
    assert len(first) == 1 and first.attributes["category"] == "dog"
    np.testing.assert_array_equal(first.boxes[0], [1, 2, 4, 6])
    assert dataset["000002_11"].attributes["invalid_boxes"] == 1
    assert len(open_dataset("coco", tmp_path, include_crowd=True)) == 3
    data["annotations"][0]["bbox"] = [1, 2, 3]
    write(tmp_path / "annotations" / "instances_val2017.json", json.dumps(data))
    with pytest.raises(JaxtrackError, match=r"instances_val2017\.json: annotation 0 \(id 10\)"):
        open_dataset("coco", tmp_path)
    data["annotations"][0]["bbox"] = [1, 2, 3, 4]
    data["images"][0]["file_name"] = "gone.jpg"
    write(tmp_path / "annotations" / "instances_val2017.json", json.dumps(data))
    with pytest.raises(JaxtrackError, match=r"missing frame file .*gone\.jpg"):
        open_dataset("coco", tmp_path)


# --- bad input --------------------------------------------------------------------------------

def test_bad_roots(tmp_path):
    with pytest.raises(JaxtrackError, match="does not exist"):
        open_dataset("otb", tmp_path / "nowhere")
    with pytest.raises(JaxtrackError, match="unknown dataset kind"):
        open_dataset("imagenet", tmp_path)
    for kind, expected in [("otb", "groundtruth_rect.txt"), ("uav123", "anno/UAV123"),
                           ("lasot", "groundtruth.txt"), ("got10k", "list.txt"),
                           ("trackingnet", "TRAIN_"), ("vot", "groundtruth.txt"), ("coco", "json"),
                           ("arrayrecord", "sequences.json"), ("pysot", "crop511"), ("tnl2k", "groundtruth.txt")]:
        with pytest.raises(JaxtrackError, match=expected):
            open_dataset(kind, tmp_path)
    assert set(DATASETS.names()) == {"otb", "uav123", "lasot", "got10k", "trackingnet", "vot", "coco", "arrayrecord",
                                     "pysot", "tnl2k"}


def test_convert_data_help_lists_every_reader_kind(capsys):
    with pytest.raises(SystemExit):
        main(["convert-data", "--help"])
    assert "reader kind: " + ", ".join(READER_KINDS) in " ".join(capsys.readouterr().out.split())
    assert sorted(READER_KINDS) == [kind for kind in DATASETS.names() if kind != "arrayrecord"]


def test_malformed_rows(tmp_path):
    touch_frames(tmp_path / "Seq" / "img", [f"{i:04d}.jpg" for i in range(1, 4)])
    anno = tmp_path / "Seq" / "groundtruth_rect.txt"
    write(anno, "1,2,3,4\n1,2,x,4\n1,2,3,4\n")
    with pytest.raises(JaxtrackError, match=r"groundtruth_rect\.txt:2: malformed annotation row '1,2,x,4'"):
        open_dataset("otb", tmp_path)
    with pytest.warns(AnnotationWarning, match=r"groundtruth_rect\.txt:2: .*NaN row"):
        seq = open_dataset("otb", tmp_path, bad_rows="nan")["Seq"]
    assert np.isnan(seq.boxes[1]).all() and seq.attributes["invalid_boxes"] == 1
    write(anno, "1,2,3,4\n\n1,2,3,4\n1,2,3,4\n")      # blank line inside: would shift frames
    with pytest.raises(JaxtrackError, match=r":2: malformed"):
        open_dataset("otb", tmp_path)
    write(anno, "1,2,3,4\n1,2,3\n1,2,3,4\n\n\n")       # trailing blank lines are fine; 3 values not
    with pytest.raises(JaxtrackError, match=r":2: .*expected 4 numbers"):
        open_dataset("otb", tmp_path)
    write(anno, "1,2,3,4\n1,2,3,4\n")
    with pytest.raises(JaxtrackError, match=r"3 frames in .* 2 boxes in .*groundtruth_rect\.txt"):
        open_dataset("otb", tmp_path)


def test_lasot_flag_errors(tmp_path):
    folder = tmp_path / "cat" / "cat-1"
    touch_frames(folder / "img", [f"{i:08d}.jpg" for i in range(1, 4)])
    write(folder / "groundtruth.txt", rows([[1, 1, 2, 2]] * 3))
    write(folder / "full_occlusion.txt", "0,1,0")
    write(folder / "out_of_view.txt", "0,0")
    with pytest.raises(JaxtrackError, match=r"out_of_view\.txt: 2 values .* one per frame \(3\)"):
        open_dataset("lasot", tmp_path)
    write(folder / "out_of_view.txt", "0,0,1\n")
    np.testing.assert_array_equal(open_dataset("lasot", tmp_path)["cat-1"].absent, [False, True, True])
    os.remove(folder / "out_of_view.txt")
    with pytest.raises(JaxtrackError, match=r"missing out-of-view flags: .*out_of_view\.txt"):
        open_dataset("lasot", tmp_path)
    with pytest.raises(JaxtrackError, match="no sequence named dog-1"):
        open_dataset("lasot", tmp_path, sequences=["dog-1"])
