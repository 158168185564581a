"""SiamCAR (ResNet-50) trained on SiamCAR's data mix: VID, YouTube-BB, COCO, DET, GOT-10k, LaSOT.

Reads SiamCAR's ``train_dataset/`` crops (pysot's format, ``kind="pysot"``) in SiamCAR's
proportions (its ``pysot/core/config.py``): per epoch VID 100,000 picks (FRAME_RANGE 100),
YouTube-BB every video (3), COCO and DET every image (1), GOT-10k 100,000 (50), LaSOT 100,000
(100). SiamCAR's released yaml lists only the first four; its README trains on all six. No
negative pairs (its yaml's NEG 0.0); batch 80 x 4 GPUs; 600,000 pairs an epoch.

Command (paper scale; run from the folder holding ``train_dataset/`` or set each source's root,
0 VID, 1 YTB, 2 COCO, 3 DET, 4 GOT-10k, 5 LaSOT):
  jaxtrack train --config experiments/siamcar_r50_pysot.py --workdir runs/siamcar_r50_pysot \\
      --set pretrained.path=resnet50.pth
Runtime: 20 epochs on 4 GPUs in the SiamCAR paper; not runnable on a CPU.
Expected: SiamCAR (journal) reports OTB100 AUC 0.700, GOT-10k AO 0.581 (the latter trained on GOT-10k only).
Variants `:lite0`, `:small`, `:smoke` keep this data mix.
"""

import base


def get_config(arg=None):
    config = base.experiment(
        model={"name": "siamcar_r50"},
        assigner={"name": "center_region", "margin": 0.3},
        loss={"name": "siamcar"},
        batch_size=320,  # 80 pairs per GPU x 4 GPUs
        optim=base.pysot_schedule(epochs=20, steps_per_epoch=600000 // 320, warmup_epochs=5, warmup_lr=0.001,
                                  base_lr=0.005, end_lr=0.0005, backbone_epoch=10),
        sources=base.pysot_sources(("VID", "YOUTUBEBB", "COCO", "DET", "GOT", "LaSOT"), root="train_dataset"),
        pretrained={"kind": "torchvision_resnet50", "path": "pretrained/resnet50.pth"})
    config.data.neg = 0.0
    return base.sized(config, arg, keep_sources=True)
