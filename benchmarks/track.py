"""Tracking speed of the Siamese trackers on one 640x360 frame, with a per-frame breakdown.

Run: ``python -m benchmarks.track [--models siamcar_small ...] [--frames 30]``. Per model
(random weights: speed does not depend on them) prints the median milliseconds of the search
crop, the network (template features given) and the post-processing, each jitted on its own, and
the frames per second of the whole ``tracker.update`` (one jitted function: crop + network +
post-processing, frame upload included) after warm-up. Compile times are reported apart.
"""

from __future__ import annotations

import argparse
import functools
import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import machine
from jaxtrack import models
from jaxtrack.track.siamese_tracker import locate, search_crop, siamese_factory

DEFAULT_MODELS = ("siamrpnpp_r50", "siamcar_lite0", "siamla_lite0", "siamcar_small")


def synthetic_frame(width=640, height=360, seed=0):
    """uint8 (H, W, 3): a smooth gradient with noise and a textured 80x60 target at the centre."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    frame = np.stack([xx * 255 // width, yy * 255 // height, (xx + yy) % 256], -1).astype(np.float32)
    frame += rng.normal(0, 8, frame.shape)
    cy, cx = height // 2, width // 2
    frame[cy - 30:cy + 30, cx - 40:cx + 40] = rng.integers(0, 255, (60, 80, 3))
    box = np.array([cx - 40, cy - 30, cx + 40, cy + 30], np.float64)
    return np.clip(frame, 0, 255).astype(np.uint8), box


def median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def measure(name, frames, repeats):
    """Timings of model ``name`` -> dict (milliseconds, fps, seconds)."""
    model = models.build({"name": name})
    start = time.perf_counter()
    variables = models.init_variables(model, jax.random.key(0))
    jax.block_until_ready(variables)
    init_seconds = time.perf_counter() - start
    size = sum(x.size for x in jax.tree.leaves(variables["params"]))
    tracker = siamese_factory(model, variables, benchmark="otb")()
    geometry, weights = tracker.geometry, tracker.weights
    frame, box = synthetic_frame()

    start = time.perf_counter()
    tracker.init(frame, box)
    tracker.update(frame)
    compile_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(frames):
        tracker.update(frame)
    fps = frames / (time.perf_counter() - start)

    state, device_frame = tracker.state, jnp.asarray(frame)
    crop_fn = jax.jit(functools.partial(search_crop, geometry))
    net_fn = jax.jit(lambda v, z, crop: model.apply(v, z, crop[None], method="apply_search"))
    post_fn = jax.jit(functools.partial(locate, geometry))
    crop, window = crop_fn(state, device_frame)
    outputs = jax.tree.map(lambda x: x[0], net_fn(weights.variables, state.template, crop))
    jax.block_until_ready(post_fn(weights.hyper, state, outputs, window))
    return {
        "params_m": size / 1e6, "init_s": init_seconds, "compile_s": compile_seconds, "fps": fps,
        "crop_ms": median_ms(lambda: crop_fn(state, device_frame), repeats),
        "network_ms": median_ms(lambda: net_fn(weights.variables, state.template, crop), repeats),
        "post_ms": median_ms(lambda: post_fn(weights.hyper, state, outputs, window), repeats),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--frames", type=int, default=30, help="frames tracked for the fps figure")
    parser.add_argument("--repeats", type=int, default=20, help="calls per component timing")
    args = parser.parse_args(argv)
    machine.report()
    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}, 640x360 frame; milliseconds per frame")
    header = (f"{'model':<16} {'params':>7} {'crop':>7} {'network':>8} {'post':>7} {'sum':>8} "
              f"{'update fps':>10} {'compile s':>9}")
    print(header)
    for name in args.models:
        r = measure(name, args.frames, args.repeats)
        total = r["crop_ms"] + r["network_ms"] + r["post_ms"]
        print(f"{name:<16} {r['params_m']:>6.1f}M {r['crop_ms']:>7.2f} {r['network_ms']:>8.2f} "
              f"{r['post_ms']:>7.2f} {total:>8.2f} {r['fps']:>10.1f} {r['compile_s']:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
