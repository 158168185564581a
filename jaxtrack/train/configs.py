"""Building blocks of the experiment configs in ``experiments/`` (one function, many files).

Each experiment file calls :func:`experiment` with its model family and assigner, and picks a
size with its ``get_config(arg)`` argument:

- ``None``: the paper-scale run (ResNet-50, pysot's schedule: 20 epochs x 6,250 steps of 28
  pairs per GPU x 8 GPUs; on GOT-10k/LaSOT/COCO... passed as data sources).
- ``"lite0"``: CPU-sized, pretrained EfficientNet-Lite0 backbone, synthetic data.
- ``"small"``: the small test backbone, synthetic data, minutes on a CPU.
- ``"smoke"``: ``small`` shrunk to a few steps, for tests.
"""

from __future__ import annotations

import ml_collections

SIZES = (None, "lite0", "small", "smoke")

MODEL_NAMES = {  # family -> {size: registered model name}
    "siamrpn": {None: "siamrpnpp_r50", "lite0": "siamrpn_lite0", "small": "siamrpn_small"},
    "siamcar": {None: "siamcar_r50", "lite0": "siamcar_lite0", "small": "siamcar_small"},
    "siamla": {None: "siamla_r50", "lite0": "siamla_lite0", "small": "siamla_small"},
}
LOSS_NAMES = {"siamrpn": "rpn", "siamcar": "car", "siamla": "siamla"}
CPU_DLA = {"name": "dla", "k": 16, "statistic": "virtual_iou", "std_scale": 1.0, "keep_best": True}
"""SiamDLA's labels for the CPU-sized point trackers (default model, demo, ablation): 16 nearest
points, 64 px virtual-anchor IoU, mean + std, keep_best (no target left without a positive)."""


def experiment(family, assigner, size=None, *, loss=None):
    """The config of ``family`` (``siamrpn``, ``siamcar``, ``siamla``) trained with ``assigner``
    (a dict of :func:`jaxtrack.train.labels.make_labeler` options) at ``size`` (:data:`SIZES`)."""
    if size not in SIZES:
        raise ValueError(f"config size must be one of {SIZES}, got {size!r}")
    c = ml_collections.ConfigDict()
    c.seed = 0
    c.model = ml_collections.ConfigDict({"name": MODEL_NAMES[family]["small" if size == "smoke" else size]})
    c.assigner = ml_collections.ConfigDict(assigner)
    c.loss = ml_collections.ConfigDict(loss or {"name": LOSS_NAMES[family]})
    c.pretrained = None
    c.log_every = 20
    c.checkpoint_every = 500
    c.keep_checkpoints = 3
    c.optim = ml_collections.ConfigDict(dict(
        epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005, end_lr=0.0005,
        momentum=0.9, weight_decay=1e-4, grad_clip=10.0, backbone_epoch=10, backbone_lr_scale=0.1,
        trainable_backbone=("layer2", "layer3", "layer4")))
    c.data = ml_collections.ConfigDict(dict(batch_size=224, neg=0.2, gray=0.0, num_workers=8, read_threads=4,
                                            sources=[dict(kind="got10k", root="data/GOT-10k", split="train",
                                                          frame_range=100, num_use=-1)]))
    if size is None:
        c.pretrained = ml_collections.ConfigDict({"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
        return c
    synthetic = dict(kind="synthetic", root=None, num_sequences=300, frames=(50, 100), frame_range=50, num_use=-1)
    c.data.update(dict(batch_size=32, num_workers=0, read_threads=2, sources=[synthetic]))
    c.optim.update(dict(epochs=10, steps_per_epoch=100, warmup_epochs=1, backbone_epoch=5,
                        trainable_backbone=None))
    c.checkpoint_every = 200
    if size == "lite0":
        c.pretrained = ml_collections.ConfigDict({"kind": "efficientnet_lite0", "path": None})
    if size == "smoke":
        c.data.batch_size = 8
        c.data.sources[0].update(dict(num_sequences=4, frames=(12, 12), frame_range=10))
        c.optim.update(dict(epochs=2, steps_per_epoch=4, warmup_epochs=1, backbone_epoch=1, base_lr=0.01,
                            warmup_lr=0.005, end_lr=0.005))
        c.log_every = 2
        c.checkpoint_every = 4
    return c
