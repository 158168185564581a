"""The label-assignment protocol's parts: cached backbone maps, the feature pool and its trainer,
the FFT gradient of the correlation, TRE restarts, paired bootstrap statistics, and the protocol
end to end at its smoke size (with a kill and resume)."""

import dataclasses
import importlib
import itertools
import json
import pathlib
import shutil
import types

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.data.pairs import PairSampler, Source
from jaxtrack.data.readers import open_dataset
from jaxtrack.data.synthetic import make_synthetic
from jaxtrack.errors import JaxtrackError
from jaxtrack.eval import comparison
from jaxtrack.eval.restarts import restart_frames, restart_segments
from jaxtrack.models.layers import shifted_sum, xcorr_depthwise
from jaxtrack.train.feature_pool import FeaturePool, build_pool
from jaxtrack.train.pool_trainer import train_on_pool

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"


def test_xcorr_gradient_by_fft_equals_autodiff_of_the_slices():
    key_s, key_t, key_g = jax.random.split(jax.random.key(0), 3)
    search = jax.random.normal(key_s, (2, 13, 11, 3))
    template = jax.random.normal(key_t, (2, 5, 4, 3))
    weights = jax.random.normal(key_g, (2, 9, 8, 3))

    def loss(correlate):
        return lambda s, t: jnp.sum(jnp.tanh(correlate(s, t)) * weights)

    expected = jax.grad(loss(shifted_sum), argnums=(0, 1))(search, template)
    got = jax.jit(jax.grad(loss(xcorr_depthwise), argnums=(0, 1)))(search, template)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(xcorr_depthwise(search, template), shifted_sum(search, template))


def test_apply_maps_equals_apply_on_crops():
    model = models.build({"name": "siamcar_small"})
    variables = models.init_variables(model, jax.random.key(0))
    rng = np.random.default_rng(0)
    template = rng.uniform(0, 255, (2, 127, 127, 3)).astype(np.float32)
    search = rng.uniform(0, 255, (2, 255, 255, 3)).astype(np.float32)
    maps = [model.apply(variables, crops, method="backbone_maps") for crops in (template, search)]
    expected = model.apply(variables, template, search)
    got = model.apply(variables, *maps, method="apply_maps")
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-5)


def test_stages_rerun_from_a_cached_level_equal_the_crops_path():
    """Lite0's stage 5 run again from cached level-4 maps (what trains it on a feature pool): the
    same outputs, and the same gradients of its blocks and of the head, as the network on crops."""
    model = models.build({"name": "siamcar_lite0", "channels": 32, "num_convs": 1, "groups": 8})
    variables = models.init_variables(model, jax.random.key(0))
    rng = np.random.default_rng(0)
    template = rng.uniform(0, 255, (2, 127, 127, 3)).astype(np.float32)
    search = rng.uniform(0, 255, (2, 255, 255, 3)).astype(np.float32)
    # level 5 zeroed: it must be computed again from level 4, not read
    cached = [(m[0], m[1], jnp.zeros_like(m[2]))
              for m in (model.apply(variables, crops, method="backbone_maps") for crops in (template, search))]
    assert model.backbone.blocks_after(4) == ("blocks_8", "blocks_9", "blocks_10")

    def objective(outputs):
        return sum(jnp.sum(jnp.tanh(outputs[name])) for name in sorted(outputs))

    def on_crops(params):
        return objective(model.apply({**variables, "params": params}, template, search))

    def on_cached(params):
        return objective(model.apply({**variables, "params": params}, *cached, method="apply_maps", from_level=4))

    np.testing.assert_allclose(on_cached(variables["params"]), on_crops(variables["params"]), rtol=1e-5)
    expected, got = (jax.jit(jax.grad(f))(variables["params"]) for f in (on_crops, on_cached))
    trained = lambda grads: [grads["head"], *(grads["backbone"][b] for b in model.backbone.blocks_after(4))]
    for g, e in zip(jax.tree.leaves(trained(got)), jax.tree.leaves(trained(expected))):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-3 * float(np.max(np.abs(e))))
    assert np.any(jax.tree.leaves(got["backbone"]["blocks_8"])[0] != 0)
    assert all(np.all(g == 0) for g in jax.tree.leaves(got["backbone"]["blocks_7"]))
    with pytest.raises(ValueError, match="not one of the levels"):
        model.apply(variables, *cached, method="apply_maps", from_level=2)


@pytest.fixture(scope="module")
def small_pool(tmp_path_factory):
    """A 12-pair pool of the small model over 3 synthetic videos, and what built it."""
    root = tmp_path_factory.mktemp("pool")
    make_synthetic(root / "videos", 3, 10, seed=5, workers=0)
    sampler = PairSampler([Source(open_dataset("got10k", str(root / "videos"), split="train"), frame_range=5)],
                          seed=0, neg=0.3)
    model = models.build({"name": "siamcar_small"})
    variables = models.init_variables(model, jax.random.key(7))
    pool = build_pool(root / "maps", model, variables, sampler, 12, seed=3, chunk=5, progress=False)
    return pool, root / "maps", model, variables, sampler


def test_pool_holds_the_backbone_maps_of_its_pairs(small_pool):
    pool, _, model, variables, sampler = small_pool
    index = 7
    pair = sampler.sample(index, np.random.default_rng((3, index)))
    for kind, stored in (("template", pool.template_maps), ("search", pool.search_maps)):
        maps = model.apply(variables, pair[kind][None].astype(np.float32), method="backbone_maps")
        for level, m in enumerate(maps):
            np.testing.assert_allclose(stored[level][index], np.asarray(m[0], np.float16), rtol=2e-3, atol=2e-3)
    np.testing.assert_array_equal(pool.box[index], pair["box"])
    assert pool.negative[index] == pair["negative"]
    for a, b in zip(jax.tree.leaves(pool.backbone), jax.tree.leaves(
            {c: tree["backbone"] for c, tree in variables.items()})):
        np.testing.assert_array_equal(a, b)


def test_an_interrupted_pool_finishes_to_the_same_arrays(small_pool, tmp_path):
    pool, path, model, variables, sampler = small_pool
    partial = tmp_path / "partial"
    with pytest.raises(KeyboardInterrupt):
        class Interrupting:  # the sampler raises after the first chunk was written
            def sample(self, index, rng):
                if index >= 5:
                    raise KeyboardInterrupt
                return sampler.sample(index, rng)

        build_pool(partial, model, variables, Interrupting(), 12, seed=3, chunk=5, threads=1, progress=False)
    assert json.loads((partial / "pool.json").read_text())["filled"] == 5
    with pytest.raises(JaxtrackError, match="unfinished"):
        FeaturePool(partial)
    finished = build_pool(partial, model, variables, sampler, 12, seed=3, chunk=5, progress=False)
    for a, b in zip(finished.search_maps + (finished.box,), pool.search_maps + (pool.box,)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(JaxtrackError, match="holds a pool of 12"):
        build_pool(partial, model, variables, sampler, 10, seed=3, progress=False)


def test_pool_batches_are_fixed_by_the_order_seed(small_pool):
    pool = small_pool[0]

    def boxes(order_seed, count=5):
        batches = pool.batches(4, order_seed)
        return np.concatenate([next(batches)["box"] for _ in range(count)])

    np.testing.assert_array_equal(boxes(1), boxes(1))
    assert not np.array_equal(boxes(1), boxes(2))
    first_pass = boxes(1, 3)  # 3 batches of 4 = every pair once
    assert sorted(map(tuple, first_pass)) == sorted(map(tuple, pool.box))
    with pytest.raises(JaxtrackError, match="batch size"):
        next(pool.batches(13, 0))


def _pool_config(seed=0, backbone_epoch=10**6):
    return {"seed": seed, "model": {"name": "siamcar_small"}, "assigner": {"name": "center_region"},
            "loss": {"name": "siamcar"}, "pretrained": None, "log_every": 2,
            "data": {"batch_size": 8, "neg": 0.2, "sources": []},
            "optim": {"epochs": 2, "steps_per_epoch": 3, "warmup_epochs": 1, "warmup_lr": 0.005, "base_lr": 0.005,
                      "end_lr": 0.005, "momentum": 0.9, "weight_decay": 1e-4, "grad_clip": 10.0,
                      "backbone_epoch": backbone_epoch, "backbone_lr_scale": 0.1, "trainable_backbone": None}}


def test_pool_training_keeps_the_pools_backbone_and_reuses_a_finished_run(small_pool, tmp_path):
    pool, _, model, variables, _ = small_pool
    compiled = {}
    out = train_on_pool(_pool_config(seed=1), pool, tmp_path / "run", order_seed=0, compiled=compiled,
                        progress=False)
    trained_model, trained = models.load(out)
    assert trained_model.family == "siamcar"
    for a, b in zip(jax.tree.leaves(trained["params"]["backbone"]), jax.tree.leaves(variables["params"]["backbone"])):
        np.testing.assert_array_equal(a, b)  # the pool's backbone, not seed 1's random one
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [2, 4, 6]
    assert all(np.isfinite(json.loads(line)["total"]) for line in lines)
    stamp = (out / "jaxtrack_model.json").stat().st_mtime_ns
    assert train_on_pool(_pool_config(seed=1), pool, tmp_path / "run", order_seed=0, progress=False) == out
    assert (out / "jaxtrack_model.json").stat().st_mtime_ns == stamp
    train_on_pool(_pool_config(seed=2), pool, tmp_path / "run2", order_seed=0, compiled=compiled, progress=False,
                  snapshots=(2, 4))
    assert len(compiled) == 1  # seeds share one compiled step
    snapshot = jax.tree.leaves(models.load(tmp_path / "run2" / "model_2")[1]["params"]["head"])
    last = jax.tree.leaves(models.load(tmp_path / "run2" / "model")[1]["params"]["head"])
    assert (tmp_path / "run2" / "model_4").is_dir() and not np.allclose(snapshot[0], last[0])
    with pytest.raises(JaxtrackError, match="snapshots"):
        train_on_pool(_pool_config(), pool, tmp_path / "run4", order_seed=0, progress=False, snapshots=(6,))
    with pytest.raises(JaxtrackError, match="frozen backbone"):
        train_on_pool(_pool_config(backbone_epoch=1), pool, tmp_path / "run3", order_seed=0, progress=False)
    with pytest.raises(JaxtrackError, match="SmallNet cannot rerun"):
        train_on_pool({**_pool_config(backbone_epoch=1), "pool_from_level": 1}, pool, tmp_path / "run3",
                      order_seed=0, progress=False)


def test_pool_training_of_the_stage_after_a_cached_level(tmp_path):
    """pool_from_level=4 with stage 5 trainable: its blocks and the head train, the earlier blocks
    keep the pool's weights; naming an earlier block is refused."""
    model_config = {"name": "siamcar_lite0", "channels": 32, "num_convs": 1, "groups": 8}
    model = models.build(model_config)
    variables = models.init_variables(model, jax.random.key(0))
    shapes = [jax.eval_shape(lambda x: model.apply(variables, x, method="backbone_maps"),
                             jax.ShapeDtypeStruct((8, side, side, 3), jnp.float32)) for side in (127, 255)]
    rng = np.random.default_rng(0)
    batch = {"template_maps": tuple(rng.uniform(0, 2, m.shape).astype(np.float16) for m in shapes[0]),
             "search_maps": tuple(rng.uniform(0, 2, m.shape).astype(np.float16) for m in shapes[1]),
             "box": np.tile(np.float32([100, 100, 150, 160]), (8, 1)), "negative": np.zeros(8, bool)}
    pool = types.SimpleNamespace(backbone={c: t["backbone"] for c, t in variables.items()},
                                 batches=lambda size, seed: itertools.repeat(batch))
    stage5 = list(model.backbone.blocks_after(4))
    config = {**_pool_config(backbone_epoch=0), "model": model_config, "pool_from_level": 4}
    config["optim"]["trainable_backbone"] = stage5
    trained = models.load(train_on_pool(config, pool, tmp_path / "run", order_seed=0, progress=False))[1]["params"]
    before = variables["params"]["backbone"]
    changed = {name: not all(np.array_equal(a, b) for a, b in zip(jax.tree.leaves(trained["backbone"][name]),
                                                                 jax.tree.leaves(before[name])))
               for name in before}
    assert {name for name, moved in changed.items() if moved} == set(stage5)
    config["optim"]["trainable_backbone"] = ["blocks_7", *stage5]
    with pytest.raises(JaxtrackError, match="must name blocks after level 4"):
        train_on_pool(config, pool, tmp_path / "run2", order_seed=0, progress=False)


def test_default_tracker_choices_follow_validation(tmp_path, monkeypatch):
    """The default tracker's rule is the protocol's best on validation; its settings are --hyper strings."""
    monkeypatch.syspath_prepend(str(EXPERIMENTS))
    default_tracker = importlib.import_module("default_tracker")
    choices = {"a": {"chosen": "otb", "validation_ao": {"otb": 0.5, "got10k": 0.7}},
               "b": {"chosen": "got10k", "validation_ao": {"otb": 0.9, "got10k": 0.6}}}
    (tmp_path / "choices.json").write_text(json.dumps(choices))
    # each rule counts with the setting validation chose for it (a's unchosen 0.7 does not count)
    assert default_tracker.protocol_rule(tmp_path / "choices.json") == ("b", "got10k", 0.6)
    from jaxtrack.track import hyper
    base = hyper.SETS["siamcar"]["otb"]
    label, values = default_tracker.setting("otb", base, penalty_k=0.1, window_influence=base.window_influence)
    assert label == "otb,penalty_k=0.1" and hyper.select("siamcar", label)[1] == values


def test_restart_segments(shared_data):
    dataset = open_dataset("otb", str(shared_data / "otb")).subset(["Deer", "Crossing"])
    assert restart_frames(dataset["Deer"], 3) == [0, 23, 47]
    segments = restart_segments(dataset, 3)
    assert segments.names()[:3] == ["Deer~0000", "Deer~0023", "Deer~0047"]
    deer = segments["Deer~0023"]
    assert len(deer) == 71 - 23 and deer.frames[0] == dataset["Deer"].frames[23]
    np.testing.assert_array_equal(deer.boxes[0], dataset["Deer"].boxes[23])
    assert deer.attributes == {"sequence": "Deer", "start": 23}
    with pytest.raises(JaxtrackError, match="count"):
        restart_frames(dataset["Deer"], 0)


def test_bootstrap_interval_and_verdicts():
    rng = np.random.default_rng(0)
    baseline = rng.uniform(0.3, 0.6, size=(3, 20))
    mean, low, high = comparison.interval(baseline)
    assert low < mean < high and mean == pytest.approx(baseline.mean())
    constant = np.full((3, 5), 0.4)
    assert comparison.interval(constant) == pytest.approx((0.4, 0.4, 0.4))

    better = comparison.contrast(baseline + 0.05 + rng.normal(0, 0.01, baseline.shape), baseline)
    assert better.verdict == "better" and better.low > 0 and len(better.per_seed) == 3
    assert better.leave_one_out[0] <= better.mean <= better.leave_one_out[1]
    worse = comparison.contrast(baseline - 0.05, baseline)
    assert worse.verdict == "worse"
    mixed = baseline.copy()
    mixed[0] -= 0.2  # one seed disagrees: never "better", whatever the interval says
    mixed[1:] += 0.2
    assert comparison.contrast(mixed, baseline).verdict == "no difference shown"
    noisy = comparison.contrast(baseline + rng.normal(0, 0.2, baseline.shape), baseline)
    assert noisy.verdict == "no difference shown" and noisy.low < 0 < noisy.high
    assert comparison.contrast(baseline[:1] + 0.1, baseline).verdict == "no verdict (1 seed)"
    with pytest.raises(JaxtrackError, match="pair"):
        comparison.contrast(baseline[:, :5], baseline)
    with pytest.raises(JaxtrackError, match="finite"):
        comparison.interval(np.array([[np.nan, 0.1]]))


@pytest.mark.slow
def test_protocol_smoke_runs_resumes_and_reports(shared_data, tmp_path, monkeypatch):
    """The protocol at its smoke size on three rules; a lost run and a lost result are redone, and
    nothing else is."""
    monkeypatch.syspath_prepend(str(EXPERIMENTS))
    ablation = importlib.import_module("ablation_labels")
    args = ["--workdir", str(tmp_path), "--size", "smoke", "--shared", str(shared_data),
            "--rules", "center_region", "dla_plus", "siamla"]
    ablation.main(args)
    report = tmp_path / "report"
    summary = json.loads((report / "summary.json").read_text())
    assert set(summary["sets"]) == {"test", "real"}
    assert set(summary["sets"]["test"]) == {"center_region", "dla_plus", "siamla", "csrt"}
    assert summary["sets"]["test"]["dla_plus"]["contrast"]["verdict"] == "no verdict (2 seeds)"
    assert summary["choices"]["siamla"]["chosen"] in {f"{h}-q{e}" for h in ablation.HYPER_GRID for e in ("0.5", "1")}
    rows = (report / "units.csv").read_text().splitlines()
    units = 3 * 2 + 1  # three rules of two seeds, and CSRT
    assert len(rows) == 1 + units * 3 + units * 1  # 3 synthetic test videos, 1 real sequence (Deer)
    assert comparison.CLAIM_RULE in (report / "results.md").read_text()
    for name in ("success_test.png", "success_real.png", "training.png"):
        assert (report / name).stat().st_size > 0

    kept = tmp_path / "runs" / "center_region" / "seed0" / "model" / "jaxtrack_model.json"
    kept_track = next((tmp_path / "tracks" / "real" / "center_region" / "seed0").glob("*/Deer~0000.txt"))
    stamps = kept.stat().st_mtime_ns, kept_track.stat().st_mtime_ns
    shutil.rmtree(tmp_path / "runs" / "dla_plus" / "seed1" / "model")  # a lost run: retrained, re-tracked
    stale_track = next((tmp_path / "tracks" / "test" / "dla_plus" / "seed1").glob("*/Synthetic_000001.txt"))
    stale_stamp = stale_track.stat().st_mtime_ns
    lost_track = next((tmp_path / "tracks" / "test" / "siamla" / "seed0").glob("*/Synthetic_000002.txt"))
    lost_track.unlink()
    ablation.main(args)
    assert (kept.stat().st_mtime_ns, kept_track.stat().st_mtime_ns) == stamps
    assert (tmp_path / "runs" / "dla_plus" / "seed1" / "model").is_dir() and lost_track.exists()
    assert stale_track.stat().st_mtime_ns > stale_stamp


def test_default_tracker_data_seeds_keep_the_splits_apart(monkeypatch):
    """Training, validation and every held-out set of the default tracker's selection are drawn
    from different generator seeds, so no video is shared between a set chosen on and a test set."""
    monkeypatch.syspath_prepend(str(EXPERIMENTS))
    default_tracker = importlib.import_module("default_tracker")
    seeds = [*default_tracker.ablation_labels.SYNTHETIC_SEEDS.values(),
             *(extra["seed"] for extra in default_tracker.EXTRA_SETS.values())]
    assert len(set(seeds)) == len(seeds)
    assert default_tracker.VARIED.varied and not default_tracker.MORE_DATA.varied
    assert dataclasses.replace(default_tracker.VARIED, varied=False) == default_tracker.MORE_DATA
    record = default_tracker.training_record(2400, [], default_tracker.VARIED)
    assert record["varied_videos"] and record["train_videos"] == 1800 and record["pool"] == 36000
