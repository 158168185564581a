"""SiamLA (ResNet-50): localization-aware labels (LADL + LALS) and a localization-quality branch.

Reconstruction from the abstract (see jaxtrack/assign/siamla.py and jaxtrack/models/lafa.py), the
`siamla_ladl_lals` preset: positives (classification and regression) by DLA over the 16 points
nearest the target with the virtual anchors' IoU, the best kept; a positive's classification
target ramps from 1 to the IoU of its predicted box (floored at 0.1) over the LR warm-up (5 epochs
= 31,250 steps here); near-miss candidates inside the box are ignored; LALS smooths towards the
centreness with eps 0.1; quality focal loss. The LAFA branch predicts an IoU map that multiplies
the classification score when tracking, with an exponent to choose on validation
(`--hyper got10k,quality_exponent=0.5`).

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
        assigner={"name": "ladl", "positives": "dla", "k": 16, "statistic": "virtual_iou", "std_scale": 1.0,
                  "keep_best": True, "warmup_steps": 5 * 6250, "quality_floor": 0.1, "ignore_inside": True,
                  "lals": {"eps": 0.1, "measure": "centerness"}},
        loss={"name": "siamla"},  # QFL + 3 x IoU loss + centreness + IoU map
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=10),
        sources=[base.got10k_train()],
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg)
