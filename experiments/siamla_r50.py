"""SiamLA (ResNet-50): localization-aware labels (LADL + LALS) and a localization-quality branch.

Reconstruction from the abstract (see jaxtrack/assign/siamla.py and jaxtrack/models/lafa.py):
positives by DLA over the IoU of the boxes predicted at the 16 nearest points, classification
targets = that IoU (quality focal loss), smoothed towards the predicted-box IoU with eps 0.1
(LALS); the LAFA branch predicts an IoU map that multiplies the classification score when
tracking.

Command (paper scale):
  jaxtrack train --config experiments/siamla_r50.py --workdir runs/siamla_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: as siamcar_r50 plus the quality branch.
Expected: SiamLA reports GOT-10k, LaSOT and OTB100 gains over its SiamCAR-style baseline.
Variants: `:lite0`, `:small`, `:smoke`.
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamla_r50"},
        assigner={"name": "ladl", "k": 16, "statistic": "pred_iou", "quality_floor": 0.1,
                  "lals": {"eps": 0.1, "measure": "pred_iou"}},
        loss={"name": "siamla"},  # QFL + 3 x IoU loss + centreness + IoU map
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=10),
        sources=[base.got10k_train()],
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg)
