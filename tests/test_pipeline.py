"""The Grain pipeline: layout, determinism, checkpoint restore, per-process shards, workers."""

import numpy as np
import pytest
from absl import flags

from jaxtrack.data import pairs, synthetic
from jaxtrack.data.pipeline import make_pipeline
from jaxtrack.data.readers import open_dataset
from jaxtrack.errors import JaxtrackError


@pytest.fixture(scope="module")
def sampler(tmp_path_factory):
    root = synthetic.make_synthetic(tmp_path_factory.mktemp("pipeline"), num_sequences=3,
                                    frames=(12, 16), seed=0, size=(160, 120), workers=0)
    dataset = open_dataset("got10k", root, split="train")
    return pairs.PairSampler([pairs.Source(dataset, frame_range=5, num_use=5)], seed=0)


def _take(pipeline, count):
    iterator = iter(pipeline)
    return [next(iterator) for _ in range(count)]


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_batch_layout(sampler):
    (batch,) = _take(make_pipeline(sampler, 4, shard=(0, 1)), 1)
    assert batch["template"].shape == (4, 127, 127, 3) and batch["template"].dtype == np.uint8
    assert batch["search"].shape == (4, 255, 255, 3) and batch["search"].dtype == np.uint8
    assert batch["box"].shape == (4, 4) and batch["box"].dtype == np.float32
    assert batch["template_box"].shape == (4, 4) and batch["negative"].dtype == bool
    assert batch["resampled"].shape == (4,)


def test_same_seed_same_batches(sampler):
    a = _take(make_pipeline(sampler, 4, seed=3, shard=(0, 1)), 3)
    b = _take(make_pipeline(sampler, 4, seed=3, shard=(0, 1)), 3)
    c = _take(make_pipeline(sampler, 4, seed=4, shard=(0, 1)), 1)
    for x, y in zip(a, b):
        _assert_same(x, y)
    assert not np.array_equal(a[0]["search"], c[0]["search"])


def test_restored_iterator_gives_the_same_next_batch(sampler):
    pipeline = make_pipeline(sampler, 4, seed=1, shard=(0, 1))
    iterator = iter(pipeline)
    for _ in range(3):  # past the 5-pair epoch: restore across an epoch boundary
        next(iterator)
    state = iterator.get_state()
    expected = [next(iterator) for _ in range(2)]
    restored = iter(make_pipeline(sampler, 4, seed=1, shard=(0, 1)))
    restored.set_state(state)
    for batch in expected:
        _assert_same(next(restored), batch)


def test_each_process_gets_its_share_of_the_global_batch(sampler):
    full = _take(make_pipeline(sampler, 6, seed=2, shard=(0, 1)), 2)
    shards = [_take(make_pipeline(sampler, 6, seed=2, shard=(p, 3)), 2) for p in range(3)]
    for n, global_batch in enumerate(full):
        for p in range(3):
            local = shards[p][n]
            assert len(local["search"]) == 2
            for key in global_batch:
                np.testing.assert_array_equal(local[key], global_batch[key][2 * p:2 * p + 2], err_msg=key)


def test_default_shard_is_this_jax_process(sampler):
    (batch,) = _take(make_pipeline(sampler, 4, seed=2), 1)
    (single,) = _take(make_pipeline(sampler, 4, seed=2, shard=(0, 1)), 1)
    _assert_same(batch, single)


def test_batch_size_must_divide_among_processes(sampler):
    with pytest.raises(JaxtrackError, match="not divisible"):
        make_pipeline(sampler, 5, shard=(0, 2))


def test_worker_processes_give_the_same_batches_and_restore(sampler):
    parsed = flags.FLAGS.is_parsed()
    expected = _take(make_pipeline(sampler, 4, seed=5, shard=(0, 1)), 3)
    iterator = iter(make_pipeline(sampler, 4, seed=5, shard=(0, 1), num_workers=2))
    assert flags.FLAGS.is_parsed() == parsed  # the program's flags are not marked parsed
    _assert_same(next(iterator), expected[0])
    state = iterator.get_state()
    _assert_same(next(iterator), expected[1])
    restored = iter(make_pipeline(sampler, 4, seed=5, shard=(0, 1), num_workers=2))
    restored.set_state(state)
    _assert_same(next(restored), expected[1])
    _assert_same(next(restored), expected[2])
