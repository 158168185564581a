"""Shared parts of the experiment configs (the installed package holds none of them).

Every experiment file states its model, label rule, loss, data, batch size and learning-rate
schedule through :func:`experiment`, then :func:`sized` derives its smaller variants:

- no argument: the paper-scale run as written in the file;
- ``:lite0``: the CPU-sized counterpart of the model on an ImageNet-pretrained
  EfficientNet-Lite0 (frozen), 300 synthetic videos, 10 epochs x 100 steps of 32 pairs, warm-up 1
  epoch, the file's learning rates;
- ``:small``: the same on the small backbone trained from scratch;
- ``:smoke``: ``small`` shrunk to 2 epochs x 4 steps of 8 pairs on 4 short videos, for tests.

``jaxtrack train --config experiments/X.py`` puts this folder on the import path while the file
runs, so experiment files ``import base``.
"""

from __future__ import annotations

import ml_collections

SIZES = (None, "lite0", "small", "smoke")
CPU_MODELS = {  # model -> its CPU-sized counterparts
    "siamrpnpp_r50": {"lite0": "siamrpn_lite0", "small": "siamrpn_small"},
    "siamcar_r50": {"lite0": "siamcar_lite0", "small": "siamcar_small"},
    "siamla_r50": {"lite0": "siamla_lite0", "small": "siamla_small"},
    "siamcar_lite0": {"lite0": "siamcar_lite0", "small": "siamcar_small"},
}


def pysot_schedule(*, epochs, steps_per_epoch, warmup_epochs, warmup_lr, base_lr, end_lr, backbone_epoch,
                   trainable_backbone=("layer2", "layer3", "layer4")):
    """pysot's optimiser around the given schedule: per-epoch geometric warm-up ``warmup_lr`` ->
    ``base_lr``, log decay to ``end_lr``; SGD momentum 0.9, weight decay 1e-4, gradient clipping
    at global norm 10; ``trainable_backbone`` layers from ``backbone_epoch`` at 0.1x."""
    return dict(epochs=epochs, steps_per_epoch=steps_per_epoch, warmup_epochs=warmup_epochs, warmup_lr=warmup_lr,
                base_lr=base_lr, end_lr=end_lr, momentum=0.9, weight_decay=1e-4, grad_clip=10.0,
                backbone_epoch=backbone_epoch, backbone_lr_scale=0.1, trainable_backbone=trainable_backbone)


def got10k_train(root="data/GOT-10k", frame_range=100):
    """GOT-10k's training split as the one training source (pysot's mix adds VID, YTB, DET, COCO)."""
    return dict(kind="got10k", root=root, split="train", frame_range=frame_range, num_use=-1)


# pysot's DATASET entries (pysot/core/config.py; GOT and LaSOT from SiamCAR's): folder under the
# training-data root (pysot's training_dataset/, SiamCAR's train_dataset/), index file, FRAME_RANGE
# and NUM_USE (-1: every video once per epoch)
PYSOT_DATASETS = {
    "VID": ("vid", "train.json", 100, 100000),
    "YOUTUBEBB": ("yt_bb", "train.json", 3, -1),
    "COCO": ("coco", "train2017.json", 1, -1),
    "DET": ("det", "train.json", 1, -1),
    "GOT": ("got10k", "train.json", 50, 100000),
    "LaSOT": ("lasot", "train.json", 100, 100000),
}


def pysot_sources(names, root="training_dataset"):
    """pysot-format training sets (``kind="pysot"``) named as pysot's ``DATASET.NAMES``, with
    their ``FRAME_RANGE`` and ``NUM_USE`` (which set the mix), under ``root``; point one
    elsewhere with ``--set data.sources.<i>.root=DIR``."""
    return [dict(kind="pysot", root=f"{root}/{PYSOT_DATASETS[n][0]}", anno=PYSOT_DATASETS[n][1],
                 frame_range=PYSOT_DATASETS[n][2], num_use=PYSOT_DATASETS[n][3]) for n in names]


def synthetic_videos(num_sequences=300, frames=(50, 100), frame_range=50, **options):
    """Synthetic GOT-10k-format videos generated into the workdir on first use
    (:func:`jaxtrack.data.synthetic.make_synthetic` options)."""
    return dict(kind="synthetic", root=None, num_sequences=num_sequences, frames=frames,
                frame_range=frame_range, num_use=-1, **options)


def experiment(*, model, assigner, loss, batch_size, optim, sources, pretrained=None, seed=0, num_workers=8,
               read_threads=4, compute_dtype="float32"):
    """A config: ``model``/``assigner``/``loss`` dicts (``{"name": ..., **options}``), ``optim``
    (:func:`pysot_schedule`), ``sources`` (a list of data sources), the global ``batch_size``,
    ``pretrained`` backbone weights; negative pairs 20%, no gray pairs; log every 20 steps,
    checkpoint every 500, keep 3. ``compute_dtype="bfloat16"`` (or ``--set compute_dtype=bfloat16``)
    computes in bfloat16 on GPUs/TPUs, parameters and losses float32."""
    return ml_collections.ConfigDict(dict(
        seed=seed, compute_dtype=compute_dtype, model=model, assigner=assigner, loss=loss, pretrained=pretrained, optim=optim,
        data=dict(batch_size=batch_size, neg=0.2, gray=0.0, num_workers=num_workers, read_threads=read_threads,
                  sources=sources),
        log_every=20, checkpoint_every=500, keep_checkpoints=3))


def sized(config, size, *, keep_sources=False):
    """``config`` (paper scale) at ``size``, one of :data:`SIZES` (see the module docstring);
    ``keep_sources``: the smaller sizes keep the file's data sources (e.g. a pysot-format mix, whose
    roots ``--set`` points at a small tree) instead of synthetic videos."""
    if size not in SIZES:
        raise ValueError(f"config size must be one of {SIZES}, got {size!r}")
    if size is None:
        return config
    sources = config.data.sources
    config.model.name = CPU_MODELS[config.model.name]["small" if size == "smoke" else size]
    lite0_backbone = ml_collections.ConfigDict({"kind": "efficientnet_lite0", "path": None})
    config.pretrained = lite0_backbone if size == "lite0" else None
    config.data.update(dict(batch_size=32, num_workers=0, read_threads=2, sources=[synthetic_videos()]))
    config.optim.update(dict(epochs=10, steps_per_epoch=100, warmup_epochs=1, backbone_epoch=5,
                             trainable_backbone=None))
    config.checkpoint_every = 200
    if size == "smoke":
        config.data.batch_size = 8
        config.data.sources[0].update(dict(num_sequences=4, frames=(12, 12), frame_range=10))
        config.optim.update(dict(epochs=2, steps_per_epoch=4, warmup_epochs=1, backbone_epoch=1, base_lr=0.01,
                                 warmup_lr=0.005, end_lr=0.005))
        config.log_every = 2
        config.checkpoint_every = 4
    if keep_sources:
        config.data.sources = sources
    return config
