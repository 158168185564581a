"""Training pairs per second from JPEG folders vs from their ArrayRecord conversion.

Run: ``python -m benchmarks.arrayrecord [--pairs 256] [--sequences 24] [--repeats 3]``. Writes a
synthetic GOT-10k-layout set (320x240 JPEG frames) to a temporary directory on the local disk,
converts it with :func:`jaxtrack.data.arrayrecord.convert`, and measures, one process, OpenCV
single-threaded, best of ``--repeats`` interleaved runs:

1. ``PairSampler[i]`` (read + decode two frames, crop, augment) on each copy;
2. fetching the encoded bytes of random frames alone (file open + read vs record read), the
   part ArrayRecord changes.

Requires the ``arrayrecord`` extra (tensorflow-datasets, array-record, importlib-resources).
"""

from __future__ import annotations

import argparse
import pathlib
import tempfile
import time

import cv2
import numpy as np

from benchmarks import machine
from jaxtrack.data import arrayrecord, pairs, synthetic
from jaxtrack.data.readers import open_dataset


def pair_rate(dataset, count, seed):
    sampler = pairs.PairSampler([pairs.Source(dataset, frame_range=50, num_use=10_000)], seed=seed)
    start = time.perf_counter()
    for index in range(count):
        sampler[index]
    return count / (time.perf_counter() - start)


def byte_rate(read, keys):
    start = time.perf_counter()
    for key in keys:
        read(*key)
    return len(keys) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=256, help="pairs timed per measurement")
    parser.add_argument("--sequences", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    machine.report()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic.make_synthetic(pathlib.Path(tmp) / "jpeg", num_sequences=args.sequences,
                                        frames=(50, 100), seed=0, workers=0)
        jpeg = open_dataset("got10k", root, split="train")
        start = time.perf_counter()
        summary = arrayrecord.convert(jpeg, pathlib.Path(tmp) / "ar")
        print(f"{summary['frames']} frames of {summary['sequences']} sequences; conversion "
              f"{time.perf_counter() - start:.1f} s")
        records = open_dataset("arrayrecord", pathlib.Path(tmp) / "ar")
        rng = np.random.default_rng(0)
        keys = [(int(s), int(rng.integers(len(jpeg[int(s)]))))
                for s in rng.integers(len(jpeg), size=4 * args.pairs)]

        def read_file(s, i):
            return pathlib.Path(jpeg[s].frames[i]).read_bytes()

        def read_record(s, i):
            return records[s].records[records[s].offset + i]["image"]

        rates = {"pairs_jpeg": 0.0, "pairs_ar": 0.0, "bytes_jpeg": 0.0, "bytes_ar": 0.0}
        for repeat in range(args.repeats):
            # a new seed per repeat: the same frames for both copies, none cached by a previous run
            rates["pairs_jpeg"] = max(rates["pairs_jpeg"], pair_rate(jpeg, args.pairs, repeat))
            rates["pairs_ar"] = max(rates["pairs_ar"], pair_rate(records, args.pairs, repeat))
            rates["bytes_jpeg"] = max(rates["bytes_jpeg"], byte_rate(read_file, keys))
            rates["bytes_ar"] = max(rates["bytes_ar"], byte_rate(read_record, keys))
    print(f"PairSampler, JPEG folders:        {rates['pairs_jpeg']:8.1f} pairs/s")
    print(f"PairSampler, ArrayRecord:         {rates['pairs_ar']:8.1f} pairs/s  "
          f"({rates['pairs_ar'] / rates['pairs_jpeg']:.2f} x the folders)")
    print(f"encoded frame bytes, JPEG files:  {rates['bytes_jpeg']:8.0f} frames/s")
    print(f"encoded frame bytes, ArrayRecord: {rates['bytes_ar']:8.0f} frames/s  "
          f"({rates['bytes_ar'] / rates['bytes_jpeg']:.2f} x the files)")


if __name__ == "__main__":
    main()
