"""A SiamDLA-labelled CPU tracker trained through the streaming pipeline (`jaxtrack train`):
SiamCAR-style head on a frozen, ImageNet-pretrained EfficientNet-Lite0, trained on the embedded
synthetic videos with SiamDLA's dynamic labels (16 nearest points, 64 px virtual-anchor IoU,
mean + std, keep_best).

Command:
  jaxtrack train --config experiments/cpu_default.py --workdir runs/cpu_default
Runtime: 2,000 steps of 16 pairs with the backbone frozen (no backward pass runs through it);
24.5 minutes on the idle 2-core machine (docs/results.md).
This recipe was the shipped default until 2026-11-30 (chosen with the ../shared/data sequences in
view). The shipped `--model default` now comes from `experiments/default_tracker.py`, whose every
choice is made on a synthetic validation split; this config stays as the streaming-pipeline
example of a SiamDLA tracker of the same size (`jaxtrack export --workdir runs/cpu_default --out
OUT` makes a model directory of it).
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamcar_lite0"},
        assigner={"name": "dla", "k": 16, "statistic": "virtual_iou", "std_scale": 1.0, "keep_best": True},
        loss={"name": "siamcar"},  # CE + 3 x IoU loss + centreness BCE
        batch_size=16,
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=100, warmup_epochs=1, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=1000, trainable_backbone=None),  # backbone frozen
        sources=[base.synthetic_videos(num_sequences=600, seed=1)],
        pretrained={"kind": "efficientnet_lite0", "path": None},
        num_workers=0, read_threads=2)
    config.checkpoint_every = 200
    return base.sized(config, "smoke") if arg == "smoke" else config
