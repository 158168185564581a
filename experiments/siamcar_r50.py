"""SiamCAR (ResNet-50, anchor-free) with its centre-region labels.

Points in the central 0.4w x 0.4h of the target are positive, all others negative; losses are
cross-entropy, centreness-weighted IoU loss and centreness BCE (weights 1/3/1).

Command (paper scale):
  jaxtrack train --config experiments/siamcar_r50.py --workdir runs/siamcar_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: 20 epochs on 4 GPUs in the SiamCAR paper; not runnable on a CPU.
Expected: SiamCAR (journal) reports OTB100 AUC 0.700, GOT-10k AO 0.581.
Variants: `:lite0`, `:small`, `:smoke`.
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamcar_r50"},
        assigner={"name": "center_region", "margin": 0.3},
        loss={"name": "siamcar"},  # CE + 3 x IoU loss + centreness BCE
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=10),
        sources=[base.got10k_train()],
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg)
