"""Training: multi-device equivalence, every experiment config learns, kill-and-resume, checkpoints."""

import dataclasses
import gc
import importlib
import json
import os
import pathlib
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrack import cli, models
from jaxtrack.config import load_config, plain_dict
from jaxtrack.errors import JaxtrackError
from jaxtrack.train import checkpoint as ckpt
from jaxtrack.train.optim import epoch_learning_rates, make_optimizer, param_groups
from jaxtrack.train.step import global_batch
from jaxtrack.train.recipe import Recipe
from jaxtrack.train.trainer import make_mesh, train

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"
CONFIGS = sorted(p.stem for p in EXPERIMENTS.glob("*.py") if "def get_config" in p.read_text())


def _fixed_batch(size=8, seed=0):
    """A deterministic batch: bright rectangles on noise, the box on the rectangle."""
    rng = np.random.default_rng(seed)
    template = rng.integers(0, 255, (size, 127, 127, 3), dtype=np.uint8)
    search = rng.integers(0, 255, (size, 255, 255, 3), dtype=np.uint8)
    boxes = np.zeros((size, 4), np.float32)
    for i in range(size):
        w, h = rng.uniform(30, 90, 2)
        cx, cy = 127 + rng.uniform(-40, 40, 2)
        boxes[i] = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        x1, y1, x2, y2 = boxes[i].astype(int)
        search[i, y1:y2, x1:x2] = 230
        template[i, 40:87, 40:87] = 230
    return {"template": template, "search": search, "box": boxes, "negative": np.arange(size) % 4 == 3}


def _smoke_config(name):
    config = plain_dict(load_config(EXPERIMENTS / f"{name}.py:smoke"))
    config["pretrained"] = None
    return config


def test_every_config_loads_at_every_size():
    assert set(CONFIGS) >= {"siamrpnpp_r50", "dla_siamrpnpp_r50", "siamcar_r50", "dla_siamcar_r50", "siamla_r50"}
    for name in CONFIGS:
        for size in ("", ":lite0", ":small", ":smoke"):
            config = load_config(EXPERIMENTS / f"{name}.py{size}")
            assert config.model.name and config.assigner.name
        assert "Command" in (EXPERIMENTS / f"{name}.py").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("name", CONFIGS)
def test_smoke_config_decreases_its_loss(name):
    """Each config's model, labels, objective and optimiser can fit a fixed batch."""
    _assert_fits_fixed_batch(_smoke_config(name))


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["center_region", "dla_atss", "dla_plus", "siamla", "ladl", "ladl_lals"])
def test_ablation_rules_decrease_their_loss(rule, monkeypatch):
    """Every rule of experiments/ablation_labels.py, on its smoke model, fits a fixed batch."""
    monkeypatch.syspath_prepend(str(EXPERIMENTS))
    ablation = importlib.import_module("ablation_labels")
    budget = ablation.BUDGETS["smoke"]
    spec = ablation.rules("smoke", 20)[rule]
    config = plain_dict(ablation.run_config(spec, 0, dataclasses.replace(budget, steps=20), "unused"))
    _assert_fits_fixed_batch(config)


def _assert_fits_fixed_batch(config):
    config["optim"].update(warmup_lr=0.003, base_lr=0.003, end_lr=0.003, backbone_epoch=0)
    mesh = make_mesh()
    recipe = Recipe.from_config(config)
    step = recipe.jitted_step(mesh)
    state = recipe.initial_state(mesh)
    batch = global_batch(_fixed_batch(), mesh)
    totals = []
    for index in range(6):
        state, metrics = step(state, batch, index)
        totals.append(float(metrics["total"]))
    assert np.all(np.isfinite(totals))
    assert totals[-1] < totals[0], totals


@pytest.mark.slow
def test_eight_devices_equal_one_device():
    config = {**_smoke_config("dla_siamcar_r50"), "seed": 1}
    assert jax.device_count() == 8
    results = []
    for devices in (jax.devices(), jax.devices()[:1]):
        mesh = make_mesh(devices)
        recipe = Recipe.from_config(config)
        step = recipe.jitted_step(mesh)
        state = recipe.initial_state(mesh)
        state, _ = step(state, global_batch(_fixed_batch(), mesh), 0)
        state, _ = step(state, global_batch(_fixed_batch(seed=1), mesh), 10**6)
        results.append(jax.device_get(state["params"]))
    differences = jax.tree.leaves(jax.tree.map(lambda a, b: np.max(np.abs(a - b)), *results))
    assert max(differences) < 1e-5


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_parameters(tmp_path):
    config = _smoke_config("siamcar_r50")
    whole = train(config, tmp_path / "whole", progress=False)
    first = train(config, tmp_path / "split", progress=False, stop_after=4)
    assert first["step"] == 4
    second = train(config, tmp_path / "split", progress=False)
    assert second["step"] == whole["step"] == 8
    a = models.read_checkpoint(tmp_path / "whole")[0]["params"]
    b = models.read_checkpoint(tmp_path / "split")[0]["params"]
    differences = jax.tree.leaves(jax.tree.map(lambda x, y: np.max(np.abs(np.asarray(x) - np.asarray(y))), a, b))
    assert max(differences) < 1e-6
    lines = [json.loads(line) for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [2, 4, 6, 8]
    assert {"total", "positives", "negatives", "learning_rate", "pairs_per_second"} <= set(lines[-1])
    assert lines[-1]["pairs_per_second"] > 0 and lines[-1]["skipped_pairs"] == 0
    assert list((tmp_path / "split" / "tensorboard").iterdir())
    before = (tmp_path / "split" / "config.json").read_text()
    with pytest.raises(JaxtrackError, match="holds a run of model .*siamcar_small.*use another workdir"):
        train(_smoke_config("siamrpnpp_r50"), tmp_path / "split", progress=False)
    assert (tmp_path / "split" / "config.json").read_text() == before


def _abstract(tree):
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), tree)


def test_corrupt_checkpoint_gives_clear_error_and_older_still_loads(tmp_path):
    state = {"step": jnp.array(3), "params": {"w": jnp.ones((4, 3))}}
    checkpointer = ckpt.Checkpointer(tmp_path, max_to_keep=3)
    for step in (3, 6):
        checkpointer.save(step, state, data_state={"position": step}, config={"model": {"name": "x"}})
    assert checkpointer.steps() == [3, 6]
    for path in (tmp_path / "checkpoints" / "6" / "state").rglob("*"):
        if path.is_file():
            path.write_bytes(b"garbage")
    with pytest.raises(JaxtrackError, match="step 6.*corrupt.*other steps: \\[3\\]"):
        checkpointer.restore(_abstract(state))
    restored, data_state, config = checkpointer.restore(_abstract(state), step=3)
    assert int(restored["step"]) == 3 and data_state == {"position": 3}
    wrong = {"step": jnp.array(0), "params": {"w": jnp.ones((5, 3))}}
    with pytest.raises(JaxtrackError, match="does not match"):
        checkpointer.restore(_abstract(wrong), step=3)
    with pytest.raises(JaxtrackError, match="no checkpoint for step 9"):
        checkpointer.restore(_abstract(state), step=9)


def test_corrupt_checkpoint_error_is_one_line_on_a_quiet_stderr(tmp_path, capsys, monkeypatch):
    """Orbax closes its event loop when one array fails to read while the others are in flight;
    their completions must not print "Event loop is closed" tracebacks after the error."""
    state = {"step": jnp.array(3), "params": {f"w{i}": jax.random.normal(jax.random.key(i), (64, 64))
                                              for i in range(128)}}
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # to stderr, as outside pytest
    with ckpt.Checkpointer(tmp_path) as checkpointer:
        checkpointer.save(3, state, data_state={}, config={})
        data = max((p for p in (tmp_path / "checkpoints" / "3" / "state").rglob("*") if p.parent.name == "d"),
                   key=os.path.getsize)
        data.write_bytes(data.read_bytes()[:100])
        for _ in range(10):  # without the fix, a few of the reads in flight end after the loop closed
            with pytest.raises(JaxtrackError) as error:
                checkpointer.restore(_abstract(state))
            print(f"jaxtrack train: error: {error.value}", file=sys.stderr)
        time.sleep(0.5)
        gc.collect()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10 and all(line.startswith("jaxtrack train: error: checkpoint step 3 ") for line in lines)
    assert "OUT_OF_RANGE" in lines[0] and "other steps: none" in lines[0]


def test_schedule_and_backbone_groups():
    rates = epoch_learning_rates()
    np.testing.assert_allclose(rates[[0, 5, 19]], [0.001, 0.005, 0.0005], rtol=1e-6)
    assert np.all(np.diff(rates[:6]) > 0) and np.all(np.diff(rates[5:]) < 0)
    params = {"backbone": {"layer1": {"w": jnp.ones(2)}, "layer3": {"w": jnp.ones(2)}}, "head": {"w": jnp.ones(2)}}
    groups = param_groups(params, ("layer2", "layer3", "layer4"))
    assert groups == {"backbone": {"layer1": {"w": "frozen"}, "layer3": {"w": "backbone"}}, "head": {"w": "head"}}
    optimizer, _ = make_optimizer(params, steps_per_epoch=1, backbone_epoch=2,
                                  trainable_backbone=("layer2", "layer3", "layer4"))
    opt_state = optimizer.init(params)
    grads = jax.tree.map(jnp.ones_like, params)
    for step in range(3):
        updates, opt_state = optimizer.update(grads, opt_state, params)
        moved = jax.tree.map(lambda u: bool(jnp.any(u != 0)), updates)
        assert moved["head"]["w"] and not moved["backbone"]["layer1"]["w"]
        assert moved["backbone"]["layer3"]["w"] == (step >= 2)


@pytest.mark.slow
def test_train_command_and_bad_config(tmp_path, capsys):
    workdir = tmp_path / "run"
    assert cli.main(["train", "--config", str(EXPERIMENTS / "siamcar_r50.py:smoke"), "--workdir", str(workdir),
                     "--set", "optim.epochs=1", "--no-progress"]) == 0
    assert "finished at step 4" in capsys.readouterr().out
    assert json.loads((workdir / "config.json").read_text())["optim"]["epochs"] == 1
    assert cli.main(["train", "--config", str(tmp_path / "missing.py"), "--workdir", str(workdir)]) == 2
    assert cli.main(["train", "--config", str(EXPERIMENTS / "siamcar_r50.py:smoke"), "--workdir", str(workdir),
                     "--set", "optim.nope=1"]) == 2
    assert "no field" in capsys.readouterr().err


@pytest.mark.slow
def test_non_finite_loss_stops_with_the_step_named(tmp_path):
    config = _smoke_config("siamcar_r50")
    config["optim"].update(warmup_lr=1e12, base_lr=1e12, end_lr=1e12, grad_clip=1e30)
    with pytest.raises(JaxtrackError, match="step .*non-finite"):
        train(config, tmp_path, progress=False)
    assert not (tmp_path / "checkpoints").exists() or not list((tmp_path / "checkpoints").glob("[0-9]*"))


def test_experiments_spell_out_the_named_rule_presets():
    """The experiment files state their label rules in full; those equal the named presets the demo uses."""
    from jaxtrack.assign import preset

    expected = {"siamrpnpp_r50": ("pysot_fixed_iou", "anchors"), "siamcar_r50": ("siamcar_center", "points"),
                "dla_siamrpnpp_r50": ("dla_atss", "anchors"), "dla_siamcar_r50": ("dla_atss", "points"),
                "dla_banded_siamrpnpp_r50": ("dla_atss_banded", "anchors"), "cpu_default": ("dla_plus", "points")}
    for name, (rule, geometry) in expected.items():
        assert load_config(EXPERIMENTS / f"{name}.py").assigner.to_dict() == preset(rule, geometry), name
    siamla = load_config(EXPERIMENTS / "siamla_r50.py").assigner.to_dict()  # the preset over the LR warm-up
    assert siamla == {**preset("siamla_ladl_lals", "points"), "warmup_steps": 5 * 6250}
