"""Training-pair throughput: the Grain pipeline vs a plain Python loop doing the same work.

Run: ``python -m benchmarks.data [--pairs 512] [--batch 32] [--repeats 3]``. Writes a small
synthetic dataset (320x240 JPEG frames) to a temporary directory, then measures pairs per second
(JPEG decode + crop + augmentation + batching) for

1. a plain loop: ``PairSampler[i]`` for each index, stacked into batches with NumPy;
2. the Grain pipeline in this process with one reading thread (one worker's rate);
3. the Grain pipeline with 2 worker processes (after their start-up, which is printed apart).

OpenCV runs single-threaded in every case (``cv2.setNumThreads(1)``), as in a data worker. Each
rate is the best of ``--repeats`` interleaved runs (the machine may be shared).

It also times decoding one of the set's 320x240 JPEG frames and the same frame enlarged to
1280x720 (GOT-10k's usual size, same JPEG quality), and from those estimates the one-thread rate
on 1280x720 frames: each pair decodes two frames, the rest of its time (cropping, augmentation,
batching) stays as measured.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import cv2
import numpy as np

from benchmarks import machine
from jaxtrack.data import pairs, synthetic
from jaxtrack.data.pipeline import make_pipeline
from jaxtrack.data.readers import open_dataset


def plain_loop(sampler, batches, batch_size):
    """Pairs per second of ``sampler[i]`` in a loop, stacked into batches."""
    start = time.perf_counter()
    for b in range(batches):
        items = [sampler[b * batch_size + i] for i in range(batch_size)]
        {key: np.stack([item[key] for item in items]) for key in items[0]}
    return batches * batch_size / (time.perf_counter() - start)


def grain_rate(sampler, batches, batch_size, **options):
    """(pairs per second after the first batch, seconds to the first batch) of the pipeline."""
    start = time.perf_counter()
    iterator = iter(make_pipeline(sampler, batch_size, shard=(0, 1), **options))
    next(iterator)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start), first


JPEG_QUALITY = 90
"""Quality of the synthetic set's frames and of the enlarged frame."""


def decode_ms(path, size=None, repeats=50):
    """Median milliseconds of ``cv2.imdecode`` of the JPEG at ``path`` (resized to ``size``
    (width, height) and re-encoded at :data:`JPEG_QUALITY` if given)."""
    data = np.fromfile(path, np.uint8)
    if size is not None:
        frame = cv2.resize(cv2.imdecode(data, cv2.IMREAD_COLOR), size, interpolation=cv2.INTER_LINEAR)
        data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        cv2.imdecode(data, cv2.IMREAD_COLOR)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=512, help="pairs timed per measurement")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--sequences", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    machine.report()
    cv2.setNumThreads(1)
    batches = max(args.pairs // args.batch, 1)
    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        synthetic.make_synthetic(root, num_sequences=args.sequences, frames=(50, 100), seed=0,
                                 quality=JPEG_QUALITY)
        print(f"synthetic set: {args.sequences} sequences in {time.perf_counter() - start:.1f} s")
        dataset = open_dataset("got10k", root, split="train")
        sampler = pairs.PairSampler([pairs.Source(dataset, frame_range=50, num_use=10_000)])
        sampler[0]  # warm caches (imports, first decode)
        loop, one, two, startup = 0.0, 0.0, 0.0, np.inf
        for _ in range(args.repeats):
            loop = max(loop, plain_loop(sampler, batches, args.batch))
            one = max(one, grain_rate(sampler, batches, args.batch, read_threads=1)[0])
            rate, seconds = grain_rate(sampler, batches, args.batch, num_workers=2, read_threads=1)
            two, startup = max(two, rate), min(startup, seconds)
        frame = dataset[0].frames[0]
        small, large = decode_ms(frame), decode_ms(frame, (1280, 720))
    print(f"plain loop (OpenCV, 1 process):      {loop:7.1f} pairs/s")
    print(f"Grain, in process, 1 thread:         {one:7.1f} pairs/s  ({one / loop:.2f} x the loop)")
    print(f"Grain, 2 worker processes:           {two:7.1f} pairs/s  ({two / loop:.2f} x the loop,"
          f" {two / 2:.1f} per worker; start-up {startup:.1f} s)")
    rest = 1e3 / one - 2 * small
    print(f"decoding one frame: {small:.2f} ms at 320x240, {large:.2f} ms at 1280x720; the rest of a pair "
          f"{rest:.2f} ms -> about {1e3 / (2 * large + rest):.0f} pairs/s per thread on 1280x720 frames")


if __name__ == "__main__":
    main()
