"""Label assignment speed: batched jit+vmap JAX assigners vs per-box NumPy loops (pysot style).

Run from the repository root: ``python -m benchmarks.assign [--batch 256] [--repeats 20]``.
Prints, per assigner, the microseconds per box of both after compilation, their ratio, and the
compile time apart. The NumPy baseline is :mod:`reference.numpy_assign`, what pysot's
``AnchorTarget.__call__`` does for one box on the host, measured in the same run on the same
boxes.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import machine
from jaxtrack import assign
from reference import numpy_assign as ref


def crop_boxes(n, seed=0):
    """(n, 4) xyxy boxes as search crops show targets: centre 127 +- 64, sides 16..200 px,
    aspect ratios 1/4..4 (log-uniform)."""
    rng = np.random.default_rng(seed)
    centre = 127 + rng.uniform(-64, 64, (n, 2))
    side = np.exp(rng.uniform(np.log(16), np.log(200), n))
    ratio = np.exp(rng.uniform(np.log(0.25), np.log(4), n))
    wh = np.stack([side / np.sqrt(ratio), side * np.sqrt(ratio)], -1)
    return np.concatenate([centre - wh / 2, centre + wh / 2], -1).astype(np.float32)


def time_call(fn, repeats):
    """Median seconds of ``fn()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure_jax(fn, args, repeats):
    """(compile seconds, run seconds) of a jitted function on fixed arguments."""
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    compile_seconds = time.perf_counter() - start
    jax.block_until_ready(compiled(*args))
    return compile_seconds, time_call(lambda: jax.block_until_ready(compiled(*args)), repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    machine.report()

    anchors = jnp.asarray(assign.anchor_grid())
    points = jnp.asarray(assign.point_grid())
    boxes_np = crop_boxes(args.batch)
    boxes = jnp.asarray(boxes_np)
    keys = jax.random.split(jax.random.key(0), args.batch)
    rng = np.random.default_rng(0)
    anchors_np, points_np = np.asarray(anchors), np.asarray(points)
    pysot_target = ref.AnchorTargetNp(anchors_np)

    cases = {
        "fixed_iou": (
            jax.vmap(lambda g, k: assign.fixed_iou(anchors, g, k)), (boxes, keys),
            lambda: [pysot_target(g, rng) for g in boxes_np]),
        "center_region": (
            jax.vmap(lambda g: assign.center_region(points, g)), (boxes,),
            lambda: [ref.center_region_np(points_np, g) for g in boxes_np]),
        "dla (anchors, iou, k=45)": (
            jax.vmap(lambda g: assign.dla(anchors, g, k=45, statistic="iou")), (boxes,),
            lambda: [ref.dla_anchors_np(anchors_np, g) for g in boxes_np]),
    }
    print(f"batch {args.batch} boxes, {anchors.shape[0]} anchors, {points.shape[0]} points, "
          f"{jax.device_count()} {jax.default_backend()} device(s), median of {args.repeats}")
    print(f"{'assigner':26s} {'jax us/box':>11s} {'numpy us/box':>13s} {'speed-up':>9s} {'compile s':>10s}")
    for name, (fn, fn_args, numpy_loop) in cases.items():
        compile_seconds, jax_seconds = measure_jax(fn, fn_args, args.repeats)
        numpy_seconds = time_call(numpy_loop, max(3, args.repeats // 4))
        per_box = 1e6 / args.batch
        print(f"{name:26s} {jax_seconds * per_box:11.2f} {numpy_seconds * per_box:13.2f} "
              f"{numpy_seconds / jax_seconds:8.1f}x {compile_seconds:10.2f}")


if __name__ == "__main__":
    main()
