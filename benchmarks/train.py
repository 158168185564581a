"""Training throughput: the jitted step with the assigner inside vs labels made on the host.

Run from the repository root: ``python -m benchmarks.train [--size small|lite0] [--batch 16]
[--repeats 5]``. For each experiment config at that size it measures, in the same run and on the
same batch:

- the jitted training step with the label assigner inside (jaxtrack's way), and
- the same step fed labels computed on the host, one box at a time, by the NumPy reference
  assigners of :mod:`reference.numpy_assign` (what pysot's data loader does), timing the host
  labelling separately;

and prints pairs/s of both, the assigner's share of the device step (device step minus the step
on given labels), and the compile times apart. SiamLA's LADL labels need the step's own
predictions, so it has no host variant.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import machine
from jaxtrack.assign import Labels
from jaxtrack.config import load_config, plain_dict
from reference import numpy_assign as ref
from jaxtrack.train.step import global_batch, make_train_step
from jaxtrack.train.recipe import Recipe
from jaxtrack.train.trainer import make_mesh

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"
CONFIGS = ("siamrpnpp_r50", "dla_siamrpnpp_r50", "siamcar_r50", "dla_siamcar_r50", "siamla_r50")


def random_batch(size, seed=0):
    rng = np.random.default_rng(seed)
    centre = 127 + rng.uniform(-50, 50, (size, 2))
    wh = rng.uniform(30, 110, (size, 2))
    return {"template": rng.integers(0, 255, (size, 127, 127, 3), dtype=np.uint8),
            "search": rng.integers(0, 255, (size, 255, 255, 3), dtype=np.uint8),
            "box": np.concatenate([centre - wh / 2, centre + wh / 2], 1).astype(np.float32),
            "negative": np.zeros(size, bool)}


def _fixed_iou_rows(assigner, samples, boxes, rng):
    target = ref.AnchorTargetNp(samples)  # built once per batch, as pysot's loader holds one
    order = ref.AnchorTargetNp.to_sample_order
    for gt in boxes:
        cls, delta, weight, overlap = target(gt, rng)
        yield (order(cls), (cls == 1).astype(np.float32), order(delta), order(weight),
               np.zeros(len(samples), np.float32), order(overlap))


def _point_rows(cls, region):
    """Label fields of a point rule: ``cls`` with SiamCAR's (l, t, r, b) and centreness targets."""
    return (cls, cls.astype(np.float32), region["ltrb"], cls.astype(np.float32), region["centerness"],
            np.zeros(len(cls), np.float32))


def _center_region_rows(assigner, samples, boxes, rng):
    for gt in boxes:
        region = ref.center_region_np(samples, gt, margin=assigner.get("margin", 0.3))
        yield _point_rows(region["cls"], region)


def _dla_point_rows(assigner, samples, boxes, rng):
    virtual = np.concatenate([samples - 32, samples + 32], 1)
    for gt in boxes:
        cls = ref.atss_np(samples, ref.iou_np(virtual, gt), gt, k=assigner["k"]).astype(np.int64)
        yield _point_rows(cls, ref.center_region_np(samples, gt))


def _dla_anchor_rows(assigner, samples, boxes, rng):
    for gt in boxes:
        out = ref.dla_anchors_np(samples, gt, k=assigner["k"])
        yield (out["cls"], out["cls"].astype(np.float32), out["delta"], out["delta_weight"],
               np.zeros(len(samples), np.float32), np.zeros(len(samples), np.float32))


HOST_LABELLERS = {  # (rule, samples) -> the label fields of each box, from the NumPy references
    ("fixed_iou", "anchors"): _fixed_iou_rows,
    ("center_region", "points"): _center_region_rows,
    ("dla", "points"): _dla_point_rows,
    ("dla", "anchors"): _dla_anchor_rows,
}


def host_labels(assigner, samples, boxes, rng):
    """Labels for a batch computed box by box on the host with the NumPy references, or None for
    rules without a host restatement (SiamLA's LADL needs the step's own predictions)."""
    labeller = HOST_LABELLERS.get((assigner["name"], "anchors" if samples.shape[1] == 4 else "points"))
    if labeller is None:
        return None
    fields = [np.stack(column) for column in zip(*labeller(assigner, samples, boxes, rng))]
    return Labels(fields[0].astype(np.int32), *[f.astype(np.float32) for f in fields[1:]])


def timed(fn, repeats):
    """(first call seconds, median seconds of the next ``repeats``)."""
    start = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return first, float(np.median(times))


def measure(name, size, batch_size, repeats):
    config = plain_dict(load_config(EXPERIMENTS / f"{name}.py:{size}"))
    config["pretrained"] = None  # random weights time the same
    mesh = make_mesh(jax.devices()[:1])
    recipe = Recipe.from_config(config)
    step = recipe.jitted_step(mesh)
    state = recipe.initial_state(mesh)  # config seed 0
    host_batch = random_batch(batch_size)
    batch = global_batch(host_batch, mesh)
    holder = [state]  # the step donates its state: carry it from call to call

    def device_call():
        holder[0], metrics = step(holder[0], batch, 0)
        return metrics["total"]

    device_compile, device_step = timed(device_call, repeats)
    state = holder[0]

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    labels = host_labels(config["assigner"], np.asarray(recipe.samples), host_batch["box"], rng)
    host_label_seconds = time.perf_counter() - start
    row = dict(config=f"{name}:{size}", model=config["model"]["name"], assigner=config["assigner"]["name"],
               device_pairs_s=batch_size / device_step, device_compile_s=device_compile - device_step)
    if labels is None:
        return row
    @jax.jit
    def given_labels_step(state, batch):
        step = make_train_step(recipe.model, lambda *_: batch["labels"], recipe.objective, recipe.optimizer,
                               recipe.samples, groups=recipe.groups, train_backbone=0 >= recipe.backbone_start)
        return step(state, batch)

    labelled = {**batch, "labels": jax.tree.map(jnp.asarray, labels)}
    given_compile, given_step = timed(lambda: given_labels_step(state, labelled)[1]["total"], repeats)
    row.update(host_pairs_s=batch_size / (given_step + host_label_seconds), host_label_ms=1e3 * host_label_seconds,
               assigner_share=max(device_step - given_step, 0.0) / device_step)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=("small", "lite0"))
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    machine.report()
    print(f"batch {args.batch}, {jax.default_backend()}, one device, median of {args.repeats} steps")
    print(f"{'config':24s} {'assigner':14s} {'on-device pairs/s':>18s} {'host-labels pairs/s':>20s} "
          f"{'host labels ms':>15s} {'assigner share':>15s} {'compile s':>10s}")
    for name in CONFIGS:
        row = measure(name, args.size, args.batch, args.repeats)
        host = (f"{row['host_pairs_s']:20.1f} {row['host_label_ms']:15.1f} {100 * row['assigner_share']:14.1f}%"
                if "host_pairs_s" in row else f"{'-':>20s} {'-':>15s} {'-':>15s}")
        print(f"{row['config']:24s} {row['assigner']:14s} {row['device_pairs_s']:18.1f} {host} "
              f"{row['device_compile_s']:10.1f}")


if __name__ == "__main__":
    main()
