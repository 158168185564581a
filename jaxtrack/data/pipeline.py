"""The Grain input pipeline: training-pair batches for each process, checkpointable.

Stages: the epoch's picks ``range(len(sampler))`` -> ``shuffle`` (a new order every epoch) ->
``repeat`` -> ``random_map(sampler.sample)`` (decode, crop, augment; its generator is seeded from
``(seed, global element index)``) -> ``batch(batch_size / P, drop_remainder=True)`` -> this
process's batches -> iterator (threads, optionally worker processes).

Multi-host: the global stream is cut into blocks of ``b = batch_size / P`` elements and process
``p`` of ``P`` takes blocks ``p, p + P, p + 2P, ...``: its ``n``-th batch is rows ``p * b`` to
``(p + 1) * b - 1`` of global batch ``n``, the rows that ``jax.make_array_from_process_local_data``
places on its devices of a mesh listing each process's devices together (as ``jax.devices()``
does). So the global batch, row order included, is the same whatever the process count, and every
element is a function of the seed and its global index, whatever the process or worker count.

The iterator's ``get_state()`` is a small dict to save with a checkpoint; ``set_state`` on a new
iterator of the same pipeline resumes with the same next batch.
"""

from __future__ import annotations

import grain

from jaxtrack.errors import JaxtrackError


def make_pipeline(sampler, batch_size, *, seed=0, num_epochs=None, shard=None, num_workers=0,
                  read_threads=2, prefetch=2):
    """Batches of training pairs for this process -> ``grain.IterDataset``.

    Args:
      sampler: a :class:`jaxtrack.data.pairs.PairSampler` (over one or more datasets).
      batch_size: global batch size (all processes together).
      seed: shuffling and augmentation seed (0 <= seed < 2**32).
      num_epochs: epochs of ``len(sampler)`` pairs; None repeats forever.
      shard: (process index, process count); None: ``jax.process_index()``,
        ``jax.process_count()``.
      num_workers: worker processes (Grain ``mp_prefetch``); 0 computes in this process.
      read_threads: threads computing batches in each process.
      prefetch: batches buffered per thread pool / worker.

    Yields (iterate the result): dicts of NumPy arrays with a leading axis of
    ``batch_size / process count``: ``template`` uint8 (B, 127, 127, 3), ``search`` uint8
    (B, 255, 255, 3), ``box`` and ``template_box`` float32 (B, 4) xyxy crop pixels, ``negative``
    bool (B,), ``resampled`` int32 (B,) draws skipped for bad input.
    """
    if shard is None:
        import jax  # deferred: worker processes unpickling this pipeline need no JAX

        shard = (jax.process_index(), jax.process_count())
    index, count = shard
    if batch_size % count:
        raise JaxtrackError(f"batch size {batch_size} is not divisible by the {count} processes")
    ds = grain.MapDataset.range(len(sampler)).shuffle(seed=seed).repeat(num_epochs)
    ds = ds.random_map(sampler.sample, seed=seed)
    ds = ds.batch(batch_size // count, drop_remainder=True)[index::count]
    ds = ds.to_iter_dataset(grain.ReadOptions(num_threads=read_threads,
                                              prefetch_buffer_size=prefetch))
    if num_workers:
        _let_grain_read_its_profiling_flag()
        ds = ds.mp_prefetch(grain.MultiprocessingOptions(num_workers=num_workers,
                                                         per_worker_buffer_size=prefetch))
    return ds


_GRAIN_PROFILING_FLAG = "grain_enable_multiprocess_worker_profiling"


def _let_grain_read_its_profiling_flag():
    """Let ``mp_prefetch`` start outside an ``absl.app`` program.

    Grain 0.2.18 reads its Abseil flag ``--grain_enable_multiprocess_worker_profiling`` through
    the global ``absl.flags.FLAGS`` when the prefetch is iterated (with JAX's profiler loaded), and
    Abseil raises ``UnparsedFlagAccessError`` for a flag read before the program's flags are parsed
    unless the flag is marked present (google/grain#1355). No argument of Grain avoids the read,
    so the one global change is confined to that flag of Grain's: it is marked present with its
    default value (profiling off), as Grain marks its debug flags in its workers; the program's
    other flags, and whether they count as parsed, are left alone.
    """
    from absl import flags

    if not flags.FLAGS.is_parsed() and _GRAIN_PROFILING_FLAG in flags.FLAGS:
        flags.FLAGS[_GRAIN_PROFILING_FLAG].present = True
