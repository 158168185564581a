"""Training step, JAX vs PyTorch with the same architecture, in the same run, interleaved.

Run from the repository root: ``python -m benchmarks.train_torch [--batch 8] [--lite0-batch 16]
[--repeats 5] [--threads 2]``.

1. SiamRPN++ R50 (``experiments/siamrpnpp_r50.py``): ``--batch`` pairs, layer2-4 of the backbone
   training (pysot after epoch 10; frozen BatchNorm), SGD with pysot's momentum, weight decay,
   0.1x backbone learning rate and gradient clipping, fixed-IoU labels. The PyTorch side has the
   same weights; its network is pysot's own model code (backbone, neck, RPN head) when the
   environment variable ``PYSOT_PATH`` points at a pysot checkout, otherwise the restatement
   :class:`reference.torch_models.SiamRPN` (pysot's training loss calls ``.cuda()``, so the loss is
   restated on both: :func:`rpn_loss`, pysot's ``select_cross_entropy_loss`` + 1.2 x
   ``weight_l1_loss``). PyTorch's labels come from the host, box by box, as pysot's data loader
   makes them (:class:`reference.numpy_assign.AnchorTargetNp`).
2. siamcar_lite0 (``experiments/siamcar_r50.py:lite0``): ``--lite0-batch`` pairs, the backbone
   frozen (no backward pass through it), SiamCAR's centre-region labels and loss; the PyTorch side
   is the same architecture from :mod:`reference.torch_models` parts with its own random weights
   (timing only).

For each: the median step of both and their ratio (JAX / PyTorch, below 1: JAX faster), and where
the time goes: labels, forward (with the loss), and the rest (backward pass and optimiser; PyTorch
also times them apart). JAX's parts are jitted apart (labels, forward, the whole step), the rest
being the difference of the medians. A JAX step with a cheaper optimiser is no measure of the
backward pass alone: XLA fuses the whole program differently (with ``optax.set_to_zero`` or SGD at
rate 0 the R50 step ran 1.3-1.9x slower than with pysot's optimiser).
"""

from __future__ import annotations

import argparse
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import machine, peers
from jaxtrack import compiler
from jaxtrack.config import load_config, plain_dict
from jaxtrack.train.recipe import Recipe
from jaxtrack.train.step import global_batch, init_state
from jaxtrack.train.trainer import make_mesh

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[1] / "experiments"
PARTS = ("labels", "forward", "backward", "optimizer")
"""PyTorch's timed parts; JAX's are labels, forward and the rest (:func:`jax_breakdown`)."""


def random_pairs(size, seed=0):
    rng = np.random.default_rng(seed)
    centre, wh = 127 + rng.uniform(-40, 40, (size, 2)), rng.uniform(40, 110, (size, 2))
    return {"template": rng.integers(0, 256, (size, 127, 127, 3), dtype=np.uint8),
            "search": rng.integers(0, 256, (size, 255, 255, 3), dtype=np.uint8),
            "box": np.concatenate([centre - wh / 2, centre + wh / 2], 1).astype(np.float32),
            "negative": np.zeros(size, bool)}


def jax_parts(recipe, state, pairs, index):
    """Callables (each blocking on its result) timing JAX's labels, forward and whole step on one
    batch; the step carries its own copy of the (donated) state."""
    mesh = make_mesh(jax.devices()[:1])
    batch = global_batch(pairs, mesh)
    variables = {"params": state["params"], "batch_stats": state["batch_stats"]}
    boxes = jnp.zeros((len(pairs["box"]), len(recipe.samples), 4))  # no predictions: fixed rules ignore them
    labels = compiler.jit(lambda b, k: recipe.labeler(b["box"], b["negative"], k, boxes, 0))
    forward = compiler.jit(lambda v, b: recipe.objective(recipe.model.apply(
        v, b["template"].astype(jnp.float32), b["search"].astype(jnp.float32), train=True,
        mutable=["batch_stats"])[0], recipe.labeler(b["box"], b["negative"], jax.random.key(0), boxes, 0))["total"])
    full, key = recipe.jitted_step(mesh), jax.random.key(0)
    holder = {"state": jax.tree.map(jnp.copy, state)}

    def run_full():
        holder["state"], metrics = full(holder["state"], batch, index)
        return metrics["total"]

    return {"labels": lambda: jax.block_until_ready(labels(batch, key)),
            "forward": lambda: jax.block_until_ready(forward(variables, batch)),
            "full": lambda: jax.block_until_ready(run_full())}


def jax_breakdown(medians):
    return {"labels": medians["labels"], "forward": medians["forward"] - medians["labels"],
            "backward + optimizer": medians["full"] - medians["forward"], "step": medians["full"]}


def torch_step(model_fn, loss_fn, label_fn, optimizer, parameters, pairs):
    """A callable running one PyTorch training step; it returns the seconds of each part."""
    import torch

    template = torch.from_numpy(pairs["template"].astype(np.float32)).permute(0, 3, 1, 2).contiguous()
    search = torch.from_numpy(pairs["search"].astype(np.float32)).permute(0, 3, 1, 2).contiguous()
    rng = np.random.default_rng(0)

    def call():
        marks = [time.perf_counter()]
        labels = label_fn(pairs["box"], rng)
        marks.append(time.perf_counter())
        loss = loss_fn(*model_fn(template, search), labels)
        marks.append(time.perf_counter())
        optimizer.zero_grad()
        loss.backward()
        marks.append(time.perf_counter())
        torch.nn.utils.clip_grad_norm_(parameters, 10.0)
        optimizer.step()
        marks.append(time.perf_counter())
        parts = dict(zip(PARTS, np.diff(marks)))
        return {**parts, "step": marks[-1] - marks[0]}

    return call


def rpn_loss(cls, loc, labels):
    """pysot's ``select_cross_entropy_loss`` + 1.2 x ``weight_l1_loss`` (its code without ``.cuda()``)."""
    import torch.nn.functional as F

    label_cls, label_loc, label_weight = labels
    batch, a2, height, width = cls.shape
    cls = F.log_softmax(cls.view(batch, 2, a2 // 2, height, width).permute(0, 2, 3, 4, 1), dim=4).reshape(-1, 2)
    label = label_cls.view(-1)
    pos, neg = label.eq(1).nonzero().squeeze(1), label.eq(0).nonzero().squeeze(1)
    cls_loss = 0.5 * F.nll_loss(cls[pos], label[pos]) + 0.5 * F.nll_loss(cls[neg], label[neg])
    diff = (loc.view(batch, 4, -1, height, width) - label_loc).abs().sum(dim=1)
    return cls_loss + 1.2 * (diff * label_weight).sum() / batch


def car_loss(cls, ltrb, cen, labels):
    """SiamCAR's loss: cross-entropy over positives and negatives + 3 x IoU loss and centreness
    BCE over positives (its ``loss_car.py``)."""
    import torch
    import torch.nn.functional as F

    label_cls, label_ltrb, label_cen = labels
    cls = F.log_softmax(cls.permute(0, 2, 3, 1).reshape(-1, 2), dim=1)
    label = label_cls.view(-1)
    pos, neg = label.eq(1).nonzero().squeeze(1), label.eq(0).nonzero().squeeze(1)
    cls_loss = 0.5 * F.nll_loss(cls[pos], label[pos]) + 0.5 * F.nll_loss(cls[neg], label[neg])
    pred, target = ltrb.permute(0, 2, 3, 1).reshape(-1, 4)[pos], label_ltrb.view(-1, 4)[pos]
    centerness, logits = label_cen.view(-1)[pos], cen.view(-1)[pos]
    area = lambda b: (b[:, 0] + b[:, 2]) * (b[:, 1] + b[:, 3])
    inter = ((torch.min(pred[:, 0], target[:, 0]) + torch.min(pred[:, 2], target[:, 2]))
             * (torch.min(pred[:, 1], target[:, 1]) + torch.min(pred[:, 3], target[:, 3])))
    iou_loss = -torch.log((inter + 1.0) / (area(pred) + area(target) - inter + 1.0))
    loc_loss = (iou_loss * centerness).sum() / centerness.sum()
    return cls_loss + 3.0 * loc_loss + F.binary_cross_entropy_with_logits(logits, centerness)


def sgd(groups, momentum=0.9, weight_decay=1e-4):
    import torch

    return torch.optim.SGD(groups, lr=0.005, momentum=momentum, weight_decay=weight_decay)


def r50_cases(batch_size):
    import torch

    from jaxtrack.models import convert
    from reference import numpy_assign as ref
    from reference import torch_models as tr

    config = plain_dict(load_config(str(EXPERIMENTS / "siamrpnpp_r50.py")))
    config["pretrained"] = None
    recipe = Recipe.from_config(config)
    generator = torch.Generator().manual_seed(0)
    reference = tr.randomize(tr.SiamRPN(), generator)
    _, variables = convert("pysot_siamrpn_r50", reference.state_dict())
    state = init_state(recipe.model, recipe.optimizer, jax.random.key(0), variables=variables)
    pairs = random_pairs(batch_size)

    network = peers.pysot_network(reference) or reference
    network.train()
    backbone = network.backbone
    for name, parameter in backbone.named_parameters():
        parameter.requires_grad = name.split(".")[0] in ("layer2", "layer3", "layer4")
    for module in backbone.modules():  # frozen BatchNorm, as jaxtrack's frozen_bn
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eval()
    trainable = [p for p in backbone.parameters() if p.requires_grad]
    head = [p for name, p in network.named_parameters() if not name.startswith("backbone.")]
    optimizer = sgd([{"params": trainable, "lr": 0.0005}, {"params": head}])
    target = ref.AnchorTargetNp(np.asarray(recipe.samples))

    def labels(boxes, rng):
        rows = [target(box, rng) for box in boxes]
        return (torch.from_numpy(np.stack([r[0] for r in rows])), torch.from_numpy(np.stack([r[1] for r in rows])),
                torch.from_numpy(np.stack([r[2] for r in rows])))

    def model(template, search):
        zf = network.neck(network.backbone(template))
        return network.rpn_head(zf, network.neck(network.backbone(search)))

    return (jax_parts(recipe, state, pairs, recipe.backbone_start),
            torch_step(model, rpn_loss, labels, optimizer, trainable + head, pairs))


def car_lite0_torch(channels=128, num_convs=2, levels=(3, 4, 5)):
    """siamcar_lite0 in PyTorch from :mod:`reference.torch_models` parts: a module with
    ``backbone``, ``neck``, ``down`` and ``car_head``."""
    import torch

    from jaxtrack.models.efficientnet import block_plan
    from reference import torch_models as tr

    plan = block_plan(levels, 8)
    widths = [[row[6] for row in plan if row[0] == level][-1] for level in levels]
    network = torch.nn.Module()
    network.backbone = tr.EfficientNetLite0(levels)
    network.neck = tr.AdjustAllLayer(widths, [channels] * len(levels), center_size=8)
    network.down = torch.nn.ConvTranspose2d(channels * len(levels), channels, 1, 1)
    network.car_head = tr.CARHead(channels, num_convs)
    return network


def lite0_cases(batch_size):
    import torch

    from reference import numpy_assign as ref
    from reference.torch_models import xcorr_depthwise

    config = plain_dict(load_config(f"{EXPERIMENTS / 'siamcar_r50.py'}:lite0"))
    config["pretrained"] = None
    recipe = Recipe.from_config(config)
    state = recipe.initial_state(make_mesh(jax.devices()[:1]))
    pairs = random_pairs(batch_size)
    network = car_lite0_torch()
    network.train()
    network.backbone.eval()
    for parameter in network.backbone.parameters():
        parameter.requires_grad = False
    head = [p for name, p in network.named_parameters() if not name.startswith("backbone.")]
    optimizer = sgd(head)
    points = np.asarray(recipe.samples)

    def labels(boxes, rng):
        rows = [ref.center_region_np(points, box) for box in boxes]
        return (torch.from_numpy(np.stack([r["cls"] for r in rows]).astype(np.int64)),
                torch.from_numpy(np.stack([r["ltrb"] for r in rows])),
                torch.from_numpy(np.stack([r["centerness"] for r in rows]).astype(np.float32)))

    def model(template, search):
        with torch.no_grad():
            zb, xb = network.backbone(template), network.backbone(search)
        zf, xf = network.neck(zb), network.neck(xb)
        features = torch.cat([xcorr_depthwise(x, z) for x, z in zip(xf, zf)], 1)
        return network.car_head(network.down(features))

    return jax_parts(recipe, state, pairs, 0), torch_step(model, car_loss, labels, optimizer, head, pairs)


def compare(title, jax_calls, torch_call, repeats):
    """Interleaved rounds of every JAX part and the PyTorch step (after one warm-up call each)."""
    for call in jax_calls.values():
        call()
    torch_call()
    jax_times, torch_times = {name: [] for name in jax_calls}, []
    for _ in range(repeats):
        for name, call in jax_calls.items():
            start = time.perf_counter()
            call()
            jax_times[name].append(time.perf_counter() - start)
        torch_times.append(torch_call())
    jax_part = jax_breakdown({name: float(np.median(values)) for name, values in jax_times.items()})
    torch_part = {name: float(np.median([t[name] for t in torch_times])) for name in (*PARTS, "step")}
    torch_part["backward + optimizer"] = torch_part["backward"] + torch_part["optimizer"]
    print(f"{title}: median of {repeats}, ms (PyTorch's backward {1e3 * torch_part['backward']:.1f}, "
          f"optimizer {1e3 * torch_part['optimizer']:.1f})")
    print(f"  {'':20s} {'jax':>9s} {'pytorch':>9s}")
    for name in jax_part:
        print(f"  {name:20s} {1e3 * jax_part[name]:9.1f} {1e3 * torch_part[name]:9.1f}")
    print(f"  ratio jax / pytorch (step) = {jax_part['step'] / torch_part['step']:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="R50 pairs per step")
    parser.add_argument("--lite0-batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    parser.add_argument("--skip-r50", action="store_true")
    args = parser.parse_args(argv)
    machine.report()
    import torch

    torch.set_num_threads(args.threads)
    print(f"{jax.default_backend()}, one JAX device, torch threads {args.threads}")
    if not args.skip_r50:
        compare(f"SiamRPN++ R50 training step, batch {args.batch}, layer2-4 training",
                *r50_cases(args.batch), args.repeats)
    compare(f"siamcar_lite0 training step, batch {args.lite0_batch}, backbone frozen",
            *lite0_cases(args.lite0_batch), args.repeats)


if __name__ == "__main__":
    main()
