"""SiamRPN++ (ResNet-50, layers 2-4, depthwise xcorr) with pysot's fixed IoU labels.

Command (paper scale; pass the training data and ImageNet ResNet-50 weights):
  jaxtrack train --config experiments/siamrpnpp_r50.py --workdir runs/siamrpnpp_r50 \\
      --set data.sources.0.root=/data/GOT-10k --set pretrained.path=resnet50.pth
Runtime: pysot trains 20 epochs x 6,250 steps of 224 pairs (8 GPUs, ~2 days); not runnable on a CPU.
Expected: pysot reports OTB100 AUC 0.696 with its full data mix (VID, YTB, DET, COCO).

CPU-sized variants: `:lite0` (pretrained EfficientNet-Lite0, synthetic data, 1,000 steps of 32
pairs), `:small` (small backbone), `:smoke` (a few steps, for tests).
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamrpnpp_r50"},
        assigner={"name": "fixed_iou", "pos_iou": 0.6, "neg_iou": 0.3, "pos_num": 16, "total_num": 64},
        loss={"name": "siamrpn"},  # CE + 1.2 x weighted L1 on deltas
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=6250, warmup_epochs=5, warmup_lr=0.001, base_lr=0.005,
                                  end_lr=0.0005, backbone_epoch=10),
        sources=[base.got10k_train()],
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg)
