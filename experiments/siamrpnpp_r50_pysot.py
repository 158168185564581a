"""SiamRPN++ (ResNet-50) trained on pysot's own data mix: VID, YouTube-BB, COCO and DET crops.

Reads the training sets as pysot's ``training_dataset/`` scripts leave them (511 crops and JSON
index per set, ``kind="pysot"``) in pysot's proportions: per epoch VID 100,000 picks
(FRAME_RANGE 100), YouTube-BB every video (3), COCO and DET every image (1); 20% negative pairs.
An epoch is pysot's VIDEOS_PER_EPOCH = 600,000 pairs = 2,678 steps of 224.

Command (paper scale; run from the folder holding ``training_dataset/`` or point each source at
its folder with ``--set data.sources.<i>.root=DIR``, 0 VID, 1 YTB, 2 COCO, 3 DET):
  jaxtrack train --config experiments/siamrpnpp_r50_pysot.py --workdir runs/siamrpnpp_r50_pysot \\
      --set pretrained.path=resnet50.pth
Runtime: pysot trains 20 epochs on 8 GPUs (~2 days); not runnable on a CPU.
Expected: pysot's model zoo reports VOT2018 EAO 0.415 for this model and data (OTB100 AUC 0.696 for
its `_otb` variant).
Variants `:lite0`, `:small`, `:smoke` keep this data mix (tests point it at a small tree).
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamrpnpp_r50"},
        assigner={"name": "fixed_iou", "pos_iou": 0.6, "neg_iou": 0.3, "pos_num": 16, "total_num": 64},
        loss={"name": "siamrpn"},
        batch_size=224,  # 28 pairs per GPU x 8 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=600000 // 224, warmup_epochs=5, warmup_lr=0.001,
                                  base_lr=0.005, end_lr=0.0005, backbone_epoch=10),
        sources=base.pysot_sources(("VID", "YOUTUBEBB", "COCO", "DET")),
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    return base.sized(config, arg, keep_sources=True)
