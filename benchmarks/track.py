"""Tracking speed: a per-model breakdown on a 640x360 frame, or the default tracker beside CSRT on videos.

Run: ``python -m benchmarks.track [--models siamcar_small ...] [--frames 30]``. Per model
(random weights: speed does not depend on them) prints the median milliseconds of the search
crop, the network (template features given) and the post-processing, each jitted on its own, and
the frames per second of the whole ``tracker.update`` (one jitted function: crop + network +
post-processing, frame upload included) after warm-up. Compile times are reported apart.

Run: ``python -m benchmarks.track --video-fps [--sizes 640x360 1280x720] [--frames 150]
[--rounds 5] [--json table.json]``. Writes a synthetic video (JPEG frames, a moving textured
target) per size into a temporary folder and tracks it with ``--model default`` (OTB
hyperparameters) and ``csrt``: JPEG decoding (:class:`jaxtrack.track.video.Frames`) and
``update`` are timed, ``init`` is not, after one untimed warm-up pass per size and tracker. The
trackers alternate their order from round to round in one process; per size and tracker it prints
the median FPS over the rounds (min-max), the mean IoU with the rendered box, the ratio
default / CSRT and whether the default reaches 25 FPS at 640x360.
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time

import cv2
import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import machine
from jaxtrack import compiler, models
from jaxtrack.boxes import xywh_to_xyxy
from jaxtrack.data.synthetic import make_synthetic
from jaxtrack.eval.metrics import iou
from jaxtrack.files import atomic_write
from jaxtrack.track.loading import tracker_factory
from jaxtrack.track.siamese_tracker import locate, search_crop, siamese_factory
from jaxtrack.track.video import Frames

DEFAULT_MODELS = ("siamrpnpp_r50", "siamcar_lite0", "siamla_lite0", "siamcar_small")
VIDEO_TRACKERS = ("default", "csrt")
TARGET_FPS, TARGET_SIZE = 25.0, "640x360"  # issue 14: the default at 25 FPS or more on 640x360


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
    crop_fn = compiler.jit(functools.partial(search_crop, geometry))  # as the tracker compiles
    net_fn = compiler.jit(lambda v, z, crop: model.apply(v, z, crop[None], method="apply_search"))
    post_fn = compiler.jit(functools.partial(locate, geometry))
    crop, window = crop_fn(state, device_frame)
    outputs = jax.tree.map(lambda x: x[0], net_fn(weights.variables, state.template, crop))
    jax.block_until_ready(post_fn(weights.hyper, state, outputs, window))
    return {
        "params_m": size / 1e6, "init_s": init_seconds, "compile_s": compile_seconds, "fps": fps,
        "crop_ms": median_ms(lambda: crop_fn(state, device_frame), repeats),
        "network_ms": median_ms(lambda: net_fn(weights.variables, state.template, crop), repeats),
        "post_ms": median_ms(lambda: post_fn(weights.hyper, state, outputs, window), repeats),
    }


def write_video(root, size, frames):
    """A synthetic video of ``frames`` JPEG frames at ``size = (W, H)`` under ``root`` ->
    (its folder, float64 (T, 4) xyxy boxes of the target)."""
    folder = make_synthetic(root, num_sequences=1, frames=frames, size=size, workers=0) / "train" / "Synthetic_000001"
    return folder, xywh_to_xyxy(np.loadtxt(folder / "groundtruth.txt", delimiter=",", ndmin=2))


def track_timed(factory, folder, box):
    """Track ``box`` (xyxy, frame 0) through the frames in ``folder`` with a fresh tracker ->
    (frames per second of decoding + ``update`` over frames 1.., float64 (T, 4) xyxy boxes)."""
    frames = iter(Frames(folder))
    tracker = factory()
    tracker.init(next(frames), box)
    boxes = [box]
    start = time.perf_counter()
    for frame in frames:
        boxes.append(tracker.update(frame)[0])
    return (len(boxes) - 1) / (time.perf_counter() - start), np.array(boxes)


def video_fps(sizes, frames, rounds):
    """Interleaved timing of :data:`VIDEO_TRACKERS` on a synthetic video per size -> result dict
    (rows per size and tracker: median, min and max FPS over ``rounds``, mean IoU)."""
    factories = {name: tracker_factory(name, benchmark="otb") for name in VIDEO_TRACKERS}
    fps = {(size, name): [] for size in sizes for name in VIDEO_TRACKERS}
    ious = {}
    with tempfile.TemporaryDirectory() as tmp:
        videos = {size: write_video(f"{tmp}/{size}", tuple(map(int, size.split("x"))), frames) for size in sizes}
        for (size, name) in fps:  # warm-up: compiles the default tracker for this frame size
            folder, truth = videos[size]
            track_timed(factories[name], folder, truth[0])
        for r in range(rounds):
            for size, (folder, truth) in videos.items():
                for name in VIDEO_TRACKERS if r % 2 == 0 else VIDEO_TRACKERS[::-1]:
                    value, boxes = track_timed(factories[name], folder, truth[0])
                    fps[size, name].append(value)
                    ious[size, name] = float(np.mean(iou(boxes, truth)))
    rows = [{"size": size, "tracker": name, "fps_median": float(np.median(v)), "fps_min": min(v),
             "fps_max": max(v), "fps_rounds": v, "mean_iou": ious[size, name]} for (size, name), v in fps.items()]
    median = {(row["size"], row["tracker"]): row["fps_median"] for row in rows}
    ratios = {size: median[size, "default"] / median[size, "csrt"] for size in sizes}
    return {"frames": frames, "rounds": rounds, "rows": rows, "ratio_default_csrt": ratios,
            "target": {"size": TARGET_SIZE, "fps": TARGET_FPS,
                       "reached": median[TARGET_SIZE, "default"] >= TARGET_FPS if TARGET_SIZE in sizes else None}}


def main_video(args):
    start_state = machine.report(verdict_at_exit=False)
    others = machine.OtherProcesses()
    print(f"JAX {jax.__version__} on {jax.devices()[0].platform}, OpenCV {cv2.__version__}; synthetic videos of "
          f"{args.frames} JPEG frames, decoding + update timed (init excluded), median over {args.rounds} "
          f"interleaved rounds", flush=True)
    result = video_fps(args.sizes, args.frames, args.rounds)
    print(f"{'size':<10} {'tracker':<8} {'fps':>7} {'min-max':>13} {'mean IoU':>8}")
    for row in result["rows"]:
        print(f"{row['size']:<10} {row['tracker']:<8} {row['fps_median']:>7.1f} "
              f"{row['fps_min']:>6.1f}-{row['fps_max']:<6.1f} {row['mean_iou']:>8.3f}")
    for size, ratio in result["ratio_default_csrt"].items():
        print(f"{size}: default / CSRT = {ratio:.2f}x")
    end_state = {**machine.machine_state(), "others_share": others.share()}
    quiet = end_state["others_share"] is not None and end_state["others_share"] < machine.OTHERS_QUIET
    print(f"{end_state['date']}  {machine.verdict(end_state['others_share'])}")
    target, reached = result["target"], result["target"]["reached"]
    if reached is not None:
        idle = "" if quiet else " (machine NOT IDLE: not evidence)"
        print(f"verdict: the default {'reaches' if reached else 'does NOT reach'} {target['fps']:.0f} FPS at "
              f"{target['size']}{idle}")
    if args.json:
        result.update(machine_start=start_state, machine_end=end_state, jax=jax.__version__, opencv=cv2.__version__)
        atomic_write(args.json, json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.json}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--frames", type=int, help="frames tracked for the fps figure (default 30; "
                        "--video-fps: frames per video, default 150)")
    parser.add_argument("--repeats", type=int, default=20, help="calls per component timing")
    parser.add_argument("--video-fps", action="store_true",
                        help="FPS of the default tracker and CSRT on synthetic videos, decoding included")
    parser.add_argument("--sizes", nargs="+", default=[TARGET_SIZE, "1280x720"], metavar="WxH",
                        help="--video-fps: frame sizes")
    parser.add_argument("--rounds", type=int, default=5, help="--video-fps: interleaved rounds")
    parser.add_argument("--json", metavar="OUT.json", help="--video-fps: also write the table as JSON")
    args = parser.parse_args(argv)
    if args.video_fps:
        args.frames = args.frames or 150
        return main_video(args)
    args.frames = args.frames or 30
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
