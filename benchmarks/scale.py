"""Compiled-program analysis of the full-size training steps on many devices, without hardware.

Run from the repository root: ``python -m benchmarks.scale [--devices 8 64] [--configs siamrpnpp_r50
siamcar_r50] [--dtypes float32 bfloat16] [--correlation auto]``. For each device count a subprocess starts JAX with
that many fake CPU devices; it builds each experiment config's training step (backbone layers
training, the heavier phase after ``backbone_epoch``) at the config's per-device batch (its
``data.batch_size`` is written for 8 accelerators), lowers it on abstract inputs
(``jax.ShapeDtypeStruct``: nothing is allocated or run) and compiles it. It prints, from XLA's
own analyses of the compiled per-device program:

- memory per device: arguments + outputs + temporaries - aliased (donated) bytes
  (``memory_analysis()``), in float32 and bfloat16 compute;
- FLOPs per device and per step (all devices; ``cost_analysis()``);
- bytes all-reduced per step (the result shapes of the ``all-reduce`` instructions of the HLO).

These are the CPU compiler's figures: GPU and TPU compilers fuse and schedule differently (and
XLA:CPU may keep some bfloat16 arithmetic in float32), so they are estimates for accelerators, not
measurements on them. The step compiles with XLA's default options, as it does on accelerators,
not with jaxtrack's CPU options (:mod:`jaxtrack.compiler`), which change the CPU program's
buffers (siamcar_r50 at 8 devices, before the correlation ran per shard: 8.98 GiB a device with
the options of that time, 12.23 without). Compile-only: the machine's load does not change them.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"
CONFIG_DEVICES = 8
"""The accelerator count the paper-scale configs' ``data.batch_size`` is written for."""
BYTES = {"pred": 1, "s8": 1, "u8": 1, "s16": 2, "u16": 2, "f16": 2, "bf16": 2, "s32": 4, "u32": 4,
         "f32": 4, "s64": 8, "u64": 8, "f64": 8}
ALL_REDUCE = re.compile(r"=\s*(.*?)\s+all-reduce(?:-start)?\(")
SHAPE = re.compile(r"\b(" + "|".join(BYTES) + r")\[([\d,]*)\]")


def all_reduce_bytes(hlo_text):
    """Bytes of the results of every ``all-reduce`` (or ``all-reduce-start``) in HLO text -> (bytes,
    instruction count)."""
    total, count = 0, 0
    for line in hlo_text.splitlines():
        match = ALL_REDUCE.search(line)
        if not match:
            continue
        count += 1
        for dtype, dims in SHAPE.findall(match.group(1)):
            size = 1
            for dim in filter(None, dims.split(",")):
                size *= int(dim)
            total += size * BYTES[dtype]
    return total, count


def analyse(name, dtype, devices, correlation="auto"):
    """One config's compiled training step on ``devices`` CPU devices, its depthwise
    cross-correlation in the form ``correlation`` (:data:`jaxtrack.models.layers.CORRELATIONS`)
    -> dict of figures."""
    import jax

    from jaxtrack.config import load_config, plain_dict
    from jaxtrack.train.recipe import Recipe
    from jaxtrack.train.step import data_sharding, jit_train_step, make_train_step
    from jaxtrack.train.trainer import make_mesh

    config = plain_dict(load_config(str(EXPERIMENTS / f"{name}.py")))
    config["pretrained"], config["compute_dtype"] = None, dtype
    config["model"]["correlation"] = correlation
    per_device = config["data"]["batch_size"] // CONFIG_DEVICES
    mesh = make_mesh(jax.devices()[:devices])
    recipe = Recipe.from_config(config)
    step = jit_train_step(make_train_step(recipe.model, recipe.labeler, recipe.objective, recipe.optimizer,
                                          recipe.samples, groups=recipe.groups, train_backbone=True,
                                          compute_dtype=dtype), mesh, compiler_options={})
    batch_size, sharding = per_device * devices, data_sharding(mesh)
    batch = {"template": jax.ShapeDtypeStruct((batch_size, 127, 127, 3), "uint8", sharding=sharding),
             "search": jax.ShapeDtypeStruct((batch_size, 255, 255, 3), "uint8", sharding=sharding),
             "box": jax.ShapeDtypeStruct((batch_size, 4), "float32", sharding=sharding),
             "negative": jax.ShapeDtypeStruct((batch_size,), "bool", sharding=sharding)}
    start = time.perf_counter()
    compiled = step.lower(recipe.abstract_state(mesh), batch).compile()
    seconds = time.perf_counter() - start
    memory = compiled.memory_analysis()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    reduced, reductions = all_reduce_bytes(compiled.as_text())
    return {"config": name, "dtype": dtype, "correlation": correlation, "devices": devices,
            "per_device_batch": per_device,
            "memory_bytes": memory.argument_size_in_bytes + memory.output_size_in_bytes
            + memory.temp_size_in_bytes - memory.alias_size_in_bytes,
            "argument_bytes": memory.argument_size_in_bytes, "temp_bytes": memory.temp_size_in_bytes,
            "flops_per_device": float(cost.get("flops", float("nan"))),
            "all_reduce_bytes": reduced, "all_reduces": reductions, "compile_s": seconds}


def worker(args):
    """Runs inside the subprocess that JAX started with ``args.worker`` devices: one JSON line per
    (config, dtype)."""
    for name in args.configs:
        for dtype in args.dtypes:
            print(json.dumps(analyse(name, dtype, args.worker, args.correlation)), flush=True)


def run_devices(devices, args):
    """A subprocess with ``devices`` fake CPU devices -> its result rows."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "JAX_NUM_CPU_DEVICES": str(devices),
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={devices}"}
    command = [sys.executable, "-m", "benchmarks.scale", "--worker", str(devices),
               "--configs", *args.configs, "--dtypes", *args.dtypes, "--correlation", args.correlation]
    rows = []
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            rows.append(json.loads(line))
            print_row(rows[-1])
    if process.returncode:
        raise SystemExit(f"the {devices}-device worker failed (exit code {process.returncode})")
    return rows


def print_row(row):
    print(f"{row['config']:15s} {row['devices']:>7d} {row['per_device_batch']:>6d} {row['dtype']:>9s} "
          f"{row['memory_bytes'] / 2**30:>12.2f} {row['flops_per_device'] / 1e12:>14.2f} "
          f"{row['flops_per_device'] * row['devices'] / 1e12:>12.1f} {row['all_reduce_bytes'] / 1e6:>12.1f} "
          f"{row['all_reduces']:>5d} {row['compile_s']:>9.0f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--configs", nargs="+", default=["siamrpnpp_r50", "siamcar_r50"])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--correlation", default="auto",
                        help="form of the depthwise cross-correlation: auto (slices on CPU), slices or "
                             "grouped_conv (what auto picks on GPU and TPU)")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    from benchmarks import machine

    machine.report()
    print("compiled-program analysis (XLA:CPU), training step with the backbone's layers training, "
          f"correlation {args.correlation}")
    print(f"{'config':15s} {'devices':>7s} {'batch':>6s} {'compute':>9s} {'GiB/device':>12s} "
          f"{'TFLOP/device':>14s} {'TFLOP/step':>12s} {'MB reduced':>12s} {'#AR':>5s} {'compile s':>9s}")
    for devices in args.devices:
        run_devices(devices, args)


if __name__ == "__main__":
    main()
