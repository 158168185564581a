"""SiamRPN++ (ResNet-50) with SiamDLA's dynamic labels: ATSS over the anchors' IoU.

The 45 anchors nearest the target centre (9 locations x 5 anchors) are candidates; those whose
IoU reaches mean + std of the candidates' IoU, with centres inside the box, are positive; all
others negative (ATSS). The loss is pysot's (balanced NLL, weighted L1 on deltas).

Command (paper scale):
  jaxtrack train --config experiments/dla_siamrpnpp_r50.py --workdir runs/dla_siamrpnpp_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: as siamrpnpp_r50 (the assigner runs inside the jitted step).
Expected: SiamDLA reports +1.0 AUC over SiamRPN++ on OTB100 (0.706 vs 0.696).
Variants: `:lite0`, `:small`, `:smoke`.
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamrpnpp_r50"},
        assigner={"name": "dla", "k": 45, "statistic": "iou", "std_scale": 1.0},
        loss={"name": "siamrpn"},  # CE + 1.2 x weighted L1 on deltas
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=10),
        sources=[base.got10k_train()],
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg)
