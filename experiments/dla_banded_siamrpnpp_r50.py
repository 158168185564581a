"""SiamRPN++ (ResNet-50) with SiamDLA's dynamic positives and pysot's ignore band and sampling.

The `dla_atss_banded` preset: positives as dla_siamrpnpp_r50.py (the 45 anchors nearest the target
centre, IoU >= mean + std of theirs, centre inside the box), but, as pysot's fixed rule, the other
anchors with IoU >= 0.3 are ignored rather than negative, and each pair keeps at most 16 random
positives and 64 - 16 negatives. Against siamrpnpp_r50.py it changes only how positives are
chosen (fixed IoU > 0.6 vs DLA); against dla_siamrpnpp_r50.py only the negatives and sampling.

Command (paper scale):
  jaxtrack train --config experiments/dla_banded_siamrpnpp_r50.py --workdir runs/dla_banded_siamrpnpp_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: as siamrpnpp_r50 (the assigner runs inside the jitted step).
Expected: not measured; the ablation row between SiamRPN++ (0.696 AUC on OTB100 in pysot) and
SiamDLA's reported 0.706.
Variants: `:lite0`, `:small`, `:smoke`.
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamrpnpp_r50"},
        assigner={"name": "dla", "k": 45, "statistic": "iou", "std_scale": 1.0, "neg_iou": 0.3, "pos_num": 16,
                  "total_num": 64},
        loss={"name": "siamrpn"},  # CE + 1.2 x weighted L1 on deltas
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=10),
        sources=[base.got10k_train()],
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg)
