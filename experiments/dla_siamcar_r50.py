"""SiamCAR (ResNet-50) with SiamDLA's dynamic labels over points.

The 9 points nearest the target centre are candidates; the statistic is the IoU of a 64 px
virtual square anchor at each point (ATSS's anchor-free choice: the paper does not say which
statistic SiamDLA uses for SiamCAR, so this is a reconstruction; `jaxtrack study` compares it
with centreness and predicted-box IoU). Candidates reaching mean + std, centre inside the box,
are positive.

Command (paper scale):
  jaxtrack train --config experiments/dla_siamcar_r50.py --workdir runs/dla_siamcar_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: as siamcar_r50.
Expected: SiamDLA reports +2.5 AUC over SiamCAR on OTB100.
Variants: `:lite0`, `:small`, `:smoke`.
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamcar_r50"},
        assigner={"name": "dla", "k": 9, "statistic": "virtual_iou", "std_scale": 1.0},
        loss={"name": "siamcar"},  # CE + 3 x IoU loss + centreness BCE
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=10),
        sources=[base.got10k_train()],
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg)
