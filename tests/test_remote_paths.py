"""Runs in a bucket: a ``gs://`` workdir, evaluation results and data (every reader) through :mod:`jaxtrack.paths`,
with ``gs://`` mapped to a local folder for the test (fsspec for epath, a file kvstore for tensorstore)."""

import importlib
import json

import cv2
import jax
import numpy as np
import pytest
from etils.epath import backend
from fsspec.implementations.local import LocalFileSystem
from orbax.checkpoint._src.path import gcs_utils

from jaxtrack import models, paths
from jaxtrack.cli import main
from jaxtrack.config import load_config, plain_dict
from jaxtrack.data.readers import open_dataset
from jaxtrack.errors import JaxtrackError
from jaxtrack.eval.provenance import claim
from jaxtrack.eval.result_files import find_result_files
from jaxtrack.eval.scoring import score_results
from jaxtrack.train.metrics_log import read_metrics
from jaxtrack.track.loading import load_model
from jaxtrack.train.trainer import train

from test_readers import rows, touch_frames, write
from test_tnl2k import write_sequence
from tracking_helpers import random_model
from test_train import EXPERIMENTS


@pytest.fixture
def bucket(tmp_path, monkeypatch):
    """``gs://<bucket>/<key>`` is ``tmp_path/gcs/<bucket>/<key>`` for the duration of a test."""
    root = str(tmp_path / "gcs")

    class LocalBucket(LocalFileSystem):
        protocol = ("gs", "gcs")

        def __init__(self, *args, finalize_on_close=None, **kwargs):
            super().__init__(*args, **kwargs)

        @classmethod
        def _strip_protocol(cls, path):
            path = str(path)
            if path.startswith("gs://"):
                return f"{root}/{path[5:]}".rstrip("/")
            return super()._strip_protocol(path)

        def glob(self, path, **kwargs):  # gcsfs answers "bucket/key"
            return [p[len(root) + 1:] for p in super().glob(path, **kwargs)]

    registry = importlib.import_module("fsspec.registry")._registry
    for protocol in ("gs", "gcs"):
        monkeypatch.setitem(registry, protocol, LocalBucket)
    backend.fsspec_backend._get_filesystem.cache_clear()
    monkeypatch.setattr(gcs_utils, "is_hierarchical_namespace_enabled", lambda path: False)
    monkeypatch.setattr(gcs_utils, "get_kvstore_for_gcs",
                        lambda path: {"driver": "file", "path": f"{root}/{str(path)[5:]}"})
    yield tmp_path / "gcs"
    backend.fsspec_backend._get_filesystem.cache_clear()


def test_paths_and_readers_through_a_bucket(bucket, tmp_path):
    assert paths.is_url("gs://b/x") and not paths.is_url(tmp_path)
    assert str(paths.path("gs://b/run") / "config.json") == "gs://b/run/config.json"
    assert str(paths.path("relative")).startswith("/")
    paths.write_text("gs://b/run/notes/a.txt", "hello")
    assert (bucket / "b" / "run" / "notes" / "a.txt").read_text() == "hello"
    write_sequence(bucket / "b" / "tnl2k" / "Arrow_video_01", gone=(5,))
    dataset = open_dataset("tnl2k", "gs://b/tnl2k")
    local = open_dataset("tnl2k", bucket / "b" / "tnl2k")
    assert dataset.names() == local.names() and dataset[0].frames[0] == "gs://b/tnl2k/Arrow_video_01/imgs/00001.png"
    assert dataset[0].attributes == local[0].attributes
    np.testing.assert_array_equal(dataset[0].frame(3), local[0].frame(3))
    np.testing.assert_array_equal(dataset[0].boxes, local[0].boxes)
    _, variables = random_model("siamcar_small")
    models.save("gs://b/models/car", "siamcar_small", {}, variables)
    _, loaded = load_model("gs://b/models/car")  # --model of track and eval
    assert all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(variables), jax.tree.leaves(loaded)))


def write_layouts(root):
    """Small trees of the OTB (decodable frames, two targets), GOT-10k, LaSOT, UAV123 (a sub-sequence),
    TrackingNet, VOT (polygons, color/) and COCO layouts in ``root/<kind>``."""
    box = [[2, 3, 8, 6]]
    for name in ("Crossing", "Jogging"):
        (root / "otb" / name / "img").mkdir(parents=True)
        for i in range(1, 4):
            cv2.imwrite(str(root / "otb" / name / "img" / f"{i:04d}.jpg"), np.full((12, 16, 3), 60 * i, np.uint8))
    write(root / "otb" / "Crossing" / "groundtruth_rect.txt", rows(box * 3, "\t"))
    write(root / "otb" / "Crossing" / "attrs.txt", "SV, OCC\n")
    write(root / "otb" / "Jogging" / "groundtruth_rect.1.txt", rows(box * 3))
    write(root / "otb" / "Jogging" / "groundtruth_rect.2.txt", rows(box * 3, " "))
    got = root / "got10k" / "val" / "GOT-10k_Val_000001"
    touch_frames(got, [f"{i:08d}.jpg" for i in range(1, 4)])
    write(root / "got10k" / "val" / "list.txt", "GOT-10k_Val_000001\n")
    write(got / "groundtruth.txt", rows(box * 3))
    write(got / "absence.label", "0\n1\n0\n")
    write(got / "meta_info.ini", "[METAINFO]\nresolution: (16, 12)\n")
    lasot = root / "lasot" / "cat" / "cat-1"
    touch_frames(lasot / "img", [f"{i:08d}.jpg" for i in range(1, 4)])
    write(lasot / "groundtruth.txt", rows(box * 3))
    write(lasot / "full_occlusion.txt", "0,0,1\n")
    write(lasot / "out_of_view.txt", "0,0,0\n")
    write(lasot / "nlp.txt", "a cat\n")
    touch_frames(root / "uav123" / "data_seq" / "UAV123" / "car1", [f"{i:06d}.jpg" for i in range(1, 4)])
    write(root / "uav123" / "anno" / "UAV123" / "car1_1.txt", rows(box * 3))
    touch_frames(root / "trackingnet" / "TRAIN_0" / "frames" / "abc", [f"{i}.jpg" for i in range(3)])
    write(root / "trackingnet" / "TRAIN_0" / "anno" / "abc.txt", rows(box * 3))
    touch_frames(root / "vot" / "ball" / "color", [f"{i:08d}.jpg" for i in range(1, 4)])
    write(root / "vot" / "list.txt", "ball\n")
    write(root / "vot" / "ball" / "groundtruth.txt", rows([[1, 2, 5, 2, 5, 6, 1, 6]] * 3))
    touch_frames(root / "coco" / "val2017", ["000001.jpg"])
    write(root / "coco" / "annotations" / "instances_val2017.json", json.dumps(
        {"images": [{"id": 1, "file_name": "000001.jpg"}], "annotations": [{"id": 7, "image_id": 1, "bbox": box[0]}]}))


def test_every_reader_reads_the_same_through_a_bucket(bucket):
    write_layouts(bucket / "b")
    for kind in ("otb", "got10k", "lasot", "uav123", "trackingnet", "vot", "coco"):
        local, remote = open_dataset(kind, bucket / "b" / kind), open_dataset(kind, f"gs://b/{kind}")
        assert remote.names() == local.names() and len(local), kind
        for here, there in zip(local, remote):
            assert list(there.frames) == [f.replace(str(bucket), "gs:/") for f in here.frames]
            np.testing.assert_array_equal(there.boxes, here.boxes)
            np.testing.assert_array_equal(there.absent, here.absent)
            np.testing.assert_equal(dict(there.attributes), dict(here.attributes))
    otb = open_dataset("otb", "gs://b/otb")
    assert otb.names() == ["Crossing", "Jogging.1", "Jogging.2"] and otb[0].attributes["attributes"] == ("SV", "OCC")
    np.testing.assert_array_equal(otb[0].frame(2), open_dataset("otb", bucket / "b" / "otb")[0].frame(2))
    with pytest.raises(JaxtrackError, match="missing gs://b/got10k/train/list.txt"):
        open_dataset("got10k", "gs://b/got10k", split="train")


def test_eval_in_a_bucket_writes_scores_resumes_and_keeps_its_record(bucket):
    for name in ("Arrow_video_01", "BlackCar_video_02"):
        write_sequence(bucket / "b" / "tnl2k" / name, gone=(5,))
    command = ["eval", "--model", "csrt", "--dataset", "tnl2k", "--root", "gs://b/tnl2k", "--workdir", "gs://b/w",
               "--json", "gs://b/w/scores.json", "--no-progress"]
    assert main(command) == 0
    out = bucket / "b" / "w" / "tnl2k"
    written = {p.name: p.stat().st_mtime_ns for p in (out / "csrt").iterdir()}
    assert sorted(written) == ["Arrow_video_01.txt", "Arrow_video_01_time.txt", "BlackCar_video_02.txt",
                               "BlackCar_video_02_time.txt", "producer.json"]
    assert all((out / name).stat().st_size > 0 for name in ("summary.md", "summary.csv", "success.png"))
    entry = json.loads((bucket / "b" / "w" / "scores.json").read_text())["trackers"]["csrt"]
    here = score_results("tnl2k", bucket / "b" / "tnl2k", out / "csrt")
    assert entry["scores"]["overall"]["auc"] == here["overall"]["auc"] and entry["speed"]["frames"] == 24
    assert main(command) == 0  # a rerun finds every result and the same record: nothing is rewritten
    assert {p.name: p.stat().st_mtime_ns for p in (out / "csrt").iterdir()} == written
    with pytest.raises(JaxtrackError, match="holds results of another tracker"):
        claim("gs://b/w/tnl2k/csrt", {"tracker": "other"})
    claim("gs://b/w/tnl2k/csrt", {"tracker": "other"}, force=True)
    assert [p.name for p in (out / "csrt").iterdir()] == ["producer.json"]
    paths.write_text("gs://b/runs/Arrow_video_01/Arrow_video_01_001.txt", "1,2,3,4\n")  # GOT-10k's layout
    sequence = open_dataset("tnl2k", "gs://b/tnl2k")[0]
    assert find_result_files("gs://b/runs", sequence) == ["gs://b/runs/Arrow_video_01/Arrow_video_01_001.txt"]


@pytest.mark.slow
def test_training_run_in_a_bucket_checkpoints_resumes_and_logs(bucket, tmp_path):
    config = plain_dict(load_config(EXPERIMENTS / "siamcar_r50.py:smoke"))
    config["data"]["sources"][0]["root"] = str(tmp_path / "synthetic")  # generated locally
    first = train(config, "gs://runs/smoke", progress=False, stop_after=4)
    assert first["step"] == 4
    run = bucket / "runs" / "smoke"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["4"]
    second = train(config, "gs://runs/smoke", progress=False)
    assert second["step"] == 8
    steps, metrics = read_metrics("gs://runs/smoke/metrics.jsonl")
    assert steps.tolist() == [2, 4, 6, 8] and np.all(np.isfinite(metrics["total"]))
    assert json.loads((run / "config.json").read_text())["model"] == config["model"]
    assert [p.stat().st_size > 0 for p in (run / "tensorboard").iterdir()] == [True, True]  # one per run
    variables, saved = models.read_checkpoint("gs://runs/smoke")
    assert saved["model"] == config["model"] and jax.tree.leaves(variables["params"])
    models.export_checkpoint("gs://runs/smoke", "gs://models/smoke")
    model, exported = models.load("gs://models/smoke")
    assert type(load_model("gs://runs/smoke")[0]) is type(model)  # --model of track and eval
    assert jax.tree.structure(exported["params"]) == jax.tree.structure(variables["params"])
