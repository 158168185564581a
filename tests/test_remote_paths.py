"""Runs in a bucket: a ``gs://`` workdir and data (the readers built on ``readers.common``) through :mod:`jaxtrack.paths`, with ``gs://``
mapped to a local folder for the test (fsspec for epath, a file kvstore for tensorstore)."""

import importlib
import json

import jax
import numpy as np
import pytest
from etils.epath import backend
from fsspec.implementations.local import LocalFileSystem
from orbax.checkpoint._src.path import gcs_utils

from jaxtrack import models, paths
from jaxtrack.config import load_config, plain_dict
from jaxtrack.data.readers import open_dataset
from jaxtrack.train.metrics_log import read_metrics
from jaxtrack.track.loading import load_model
from jaxtrack.train.trainer import train

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
