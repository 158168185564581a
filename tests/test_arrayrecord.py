"""ArrayRecord conversion: same frames (bytes), boxes and training pairs as the JPEG folders."""

import pathlib
import pickle
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

pytest.importorskip("tensorflow_datasets", reason="optional extra: pip install tensorflow-datasets")
pytest.importorskip("importlib_resources", reason="tensorflow-datasets needs importlib-resources")

from jaxtrack.cli import main  # noqa: E402
from jaxtrack.data import Dataset, Sequence, arrayrecord, synthetic  # noqa: E402
from jaxtrack.data.pairs import PairSampler, Source  # noqa: E402
from jaxtrack.data.readers import open_dataset  # noqa: E402
from jaxtrack.errors import JaxtrackError  # noqa: E402


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    """A tiny GOT-10k-layout set (``root``, ``original``) and its conversion by the command line
    (``out``, ``converted``)."""
    root = synthetic.make_synthetic(tmp_path_factory.mktemp("jpeg"), num_sequences=3, frames=10,
                                    seed=0, workers=0)
    out = tmp_path_factory.mktemp("ar") / "synthetic"
    assert main(["convert-data", "--dataset", "got10k", "--root", str(root), "--split", "train",
                 "--out", str(out)]) == 0
    return types.SimpleNamespace(root=root, out=out,
                                 original=open_dataset("got10k", root, split="train"),
                                 converted=open_dataset("arrayrecord", out))


def assert_same_dataset(original, converted):
    assert converted.name == original.name and converted.names() == original.names()
    for seq, copy in zip(original, converted):
        assert len(copy) == len(seq)
        np.testing.assert_array_equal(copy.boxes, seq.boxes)
        np.testing.assert_array_equal(copy.absent, seq.absent)
        for i, path in enumerate(seq.frames):
            assert copy.records[copy.offset + i]["image"] == pathlib.Path(path).read_bytes()


def assert_same_frames_in_random_order(original, converted, seed=0):
    keys = [(s, i) for s, seq in enumerate(original) for i in range(len(seq))]
    for k in np.random.default_rng(seed).permutation(len(keys)):
        s, i = keys[k]
        np.testing.assert_array_equal(converted[s].frame(i), original[s].frame(i))


def assert_same_pairs(original, converted, count, **options):
    a = PairSampler([Source(original, frame_range=5)], seed=7, neg=0.3, **options)
    b = PairSampler([Source(converted, frame_range=5)], seed=7, neg=0.3, **options)
    for index in range(count):
        pa, pb = a[index], b[index]
        assert pa.keys() == pb.keys()
        for key in pa:
            np.testing.assert_array_equal(pa[key], pb[key], err_msg=f"pair {index} {key}")


def test_synthetic_round_trip(synth):
    original, converted = synth.original, synth.converted
    assert sum(map(len, converted)) == 30
    assert_same_dataset(original, converted)
    assert_same_frames_in_random_order(original, converted)
    first = converted[1]
    assert first.frames[3] == f"arrayrecord://{first.name}/3"
    np.testing.assert_array_equal(first.frame(-1), original[1].frame(9))
    np.testing.assert_array_equal(first.attributes["cover"], original[1].attributes["cover"])
    assert first.attributes["meta"] == original[1].attributes["meta"]
    assert "tensorflow" not in sys.modules


def test_pair_sampler_draws_the_same_pairs(synth):
    assert_same_pairs(synth.original, synth.converted, 12, gray=0.5)


def test_pickles_for_worker_processes(synth):
    copy = pickle.loads(pickle.dumps(synth.converted))
    np.testing.assert_array_equal(copy[2].frame(4), synth.original[2].frame(4))


def test_otb_crossing_in_place(shared_data, tmp_path):
    original = open_dataset("otb", shared_data / "otb", sequences=["Crossing"])
    summary = arrayrecord.convert(original, tmp_path / "crossing")
    assert summary == {"frames": 120, "sequences": 1, "missing_frames": [],
                       "dropped_attributes": []}
    converted = open_dataset("arrayrecord", tmp_path / "crossing")
    assert_same_dataset(original, converted)
    assert_same_frames_in_random_order(original, converted, seed=1)
    assert converted["Crossing"].attributes == {"aliases": [], "invalid_boxes": 0}
    assert_same_pairs(original, converted, 6)


def test_missing_frames_stay_unreadable_and_odd_attributes_are_dropped(synth, tmp_path):
    seq = synth.original[0]
    broken = Sequence("broken", seq.frames[:2] + (str(tmp_path / "gone.jpg"),), seq.boxes[:3],
                      seq.absent[:3], {"tags": {"a"}, "size": [3, 4]})
    summary = arrayrecord.convert(Dataset("custom", [broken]), tmp_path / "out")
    assert summary["missing_frames"] == [str(tmp_path / "gone.jpg")]
    assert summary["dropped_attributes"] == ["tags"]
    copy = open_dataset("arrayrecord", tmp_path / "out")["broken"]
    assert copy.attributes == {"size": [3, 4]}
    np.testing.assert_array_equal(copy.frame(1), seq.frame(1))
    with pytest.raises(JaxtrackError, match="arrayrecord://broken/2"):
        copy.frame(2)
    with pytest.raises(JaxtrackError, match="already exists"):
        arrayrecord.convert(Dataset("custom", [broken]), tmp_path / "out")


def test_bad_root_and_missing_package(synth, tmp_path, monkeypatch):
    with pytest.raises(JaxtrackError, match="expected sequences.json"):
        open_dataset("arrayrecord", tmp_path)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)
    with pytest.raises(JaxtrackError, match="pip install tensorflow-datasets"):
        open_dataset("arrayrecord", synth.out)


def test_works_with_tensorflow_unimportable(synth, tmp_path):
    script = textwrap.dedent(f"""
        import importlib.machinery
        import sys

        class NoTensorFlow(importlib.machinery.PathFinder):  # as if TensorFlow were not installed
            @classmethod
            def find_spec(cls, name, path=None, target=None):
                if name.split(".")[0] != "tensorflow":
                    return super().find_spec(name, path, target)

        sys.meta_path[sys.meta_path.index(importlib.machinery.PathFinder)] = NoTensorFlow
        from jaxtrack.data import arrayrecord
        from jaxtrack.data.readers import open_dataset
        original = open_dataset("got10k", {str(synth.root)!r}, split="train").subset(
            ["Synthetic_000002"])
        arrayrecord.convert(original, {str(tmp_path / "out")!r})
        copy = open_dataset("arrayrecord", {str(tmp_path / "out")!r})
        assert (copy[0].frame(5) == original[0].frame(5)).all()
        assert "tensorflow" not in sys.modules
        print("ok")
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
